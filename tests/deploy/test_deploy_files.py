"""The deployment files in deploy/ hold together with the code, and their own tools take them.

The settings example names every setting and nothing else, and is a valid configuration;
the unit starts a command the project installs; nginx's body limits are the app's. Then
``systemd-analyze verify`` checks the units and Debian's ``nginx -t`` the site (with a
certificate made here), each skipped with the reason when the tool is not installed
(``make install`` installs nginx when run as root).
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "ntvt.env.example"
UNIT = DEPLOY / "ntvt.service"
HEALTHCHECK = DEPLOY / "ntvt-healthcheck"
UNITS = ("ntvt.service", "ntvt-healthcheck.service", "ntvt-healthcheck.timer")
SITE = DEPLOY / "nginx-ntvt.conf"
NGINX = Path("/usr/sbin/nginx")
SETTING_LINE = re.compile(r"^#?(NTVT_[A-Z0-9_]+)=(.*)$")


def example_lines(*, defaults_too: bool) -> dict[str, str]:
    """The example's settings: those set, and with ``defaults_too`` those shown commented."""
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = SETTING_LINE.match(line)
        if match and (defaults_too or not line.startswith("#")):
            found[match[1]] = match[2].strip().strip('"')
    return found


def test_the_settings_example_names_every_setting_and_no_other() -> None:
    expected = {f"NTVT_{name.upper()}" for name in Settings.model_fields}
    named = set(example_lines(defaults_too=True))
    assert sorted(expected - named) == [], "settings missing from deploy/ntvt.env.example"
    assert sorted(named - expected) == [], "names in deploy/ntvt.env.example no setting reads"


@pytest.mark.parametrize("defaults_too", [False, True], ids=["as-set", "defaults-uncommented"])
def test_the_settings_example_is_a_valid_configuration(
    defaults_too: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [key for key in __import__("os").environ if key.startswith("NTVT_")]:
        monkeypatch.delenv(name)
    for name, value in example_lines(defaults_too=defaults_too).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.log_format == "json"
    assert settings.webhook_url == "https://bot.example.gov.vn/telegram/webhook"


def exec_start(unit: Path) -> list[str]:
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_unit_starts_a_command_the_project_installs() -> None:
    import typer

    from bot.cli import app

    program, command, *_ = exec_start(UNIT)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[Path(program).name] == "bot.cli:main"
    assert command in typer.main.get_group(app).commands
    checker = exec_start(DEPLOY / "ntvt-healthcheck.service")
    assert Path(checker[0]).name == HEALTHCHECK.name
    assert checker[1] == UNIT.name and checker[2].endswith(":8081/healthz")
    assert "--port 8081" in shlex.join(exec_start(UNIT))


def test_the_health_check_script_is_executable_shell() -> None:
    assert HEALTHCHECK.stat().st_mode & 0o111
    assert subprocess.run(["sh", "-n", str(HEALTHCHECK)], check=False).returncode == 0


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    ntvt = Path(__import__("sys").executable).parent / "ntvt"
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        # The paths of the installed machine, made this checkout's: verify runs the check
        # that each command exists.
        text = text.replace("/opt/ntvt/.venv/bin/ntvt", str(ntvt))
        text = text.replace("/usr/local/lib/ntvt/ntvt-healthcheck", str(HEALTHCHECK))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def size_in_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def body_limits() -> dict[str, int]:
    """Each location's client_max_body_size in the site (the server's as "server")."""
    limits: dict[str, int] = {}
    where = "server"
    for line in SITE.read_text(encoding="utf-8").splitlines():
        location = re.match(r"\s*location\s+(?:=\s+)?(\S+)\s*\{", line)
        if location:
            where = location[1]
        elif re.match(r"\s*server\s*\{", line):
            where = "server"
        size = re.match(r"\s*client_max_body_size\s+(\S+);", line)
        if size:
            limits[where] = size_in_bytes(size[1])
    return limits


def constant(module: str, name: str) -> int:
    """A module's integer constant, read from its source (importing the desk takes seconds)."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]:
            value = eval(compile(ast.Expression(node.value), module, "eval"), {})
            assert isinstance(value, int)
            return value
    raise AssertionError(f"no {name} in {module}")


def test_nginx_takes_the_bodies_the_app_takes_and_no_larger() -> None:
    form = constant("bot/desk/routes.py", "MAX_FORM_BYTES")
    assert body_limits() == {
        "server": form,
        "/telegram/webhook": constant("bot/webhook.py", "MAX_BODY"),
        "/zalo/webhook": constant("bot/zalo/webhook.py", "MAX_BODY"),
        "/desk/": form,
    }


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate to give nginx")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=bot.example.gov.vn", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_prefix(tmp_path: Path, site: str) -> Path:
    """Write a main nginx.conf in ``tmp_path`` that includes ``site``; return its path."""
    for name in ("logs", "temp"):
        (tmp_path / name).mkdir()
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/temp/body;
    proxy_temp_path {tmp_path}/temp/proxy;
    fastcgi_temp_path {tmp_path}/temp/fastcgi;
    uwsgi_temp_path {tmp_path}/temp/uwsgi;
    scgi_temp_path {tmp_path}/temp/scgi;
    include {tmp_path}/site.conf;
}}
""",
        encoding="utf-8",
    )
    return conf


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    if not NGINX.exists():
        pytest.skip(
            f"{NGINX} is missing (Debian: apt-get install nginx; make install does it as root)"
        )
    cert, key = self_signed(tmp_path)
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", site)
    conf = nginx_prefix(tmp_path, site)
    done = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr, done.stderr
