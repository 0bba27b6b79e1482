"""The deployment files in deploy/ hold together with the code, and their own tools take them.

The settings example names every setting and nothing else, and is a valid configuration;
the unit starts a command the project installs; nginx's body limits are the app's. Then
``systemd-analyze verify`` checks the units and Debian's ``nginx -t`` the site (with a
certificate made here), each skipped with the reason when the tool is not installed
(``make install`` installs nginx when run as root).
"""

from __future__ import annotations

import ast
import contextlib
import http.server
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time
import tomllib
from collections.abc import Iterator
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


# The site at work: Debian's nginx in front of two stand-in upstream servers -------------


class Upstream:
    """A stand-in ``ntvt serve``: records each request and answers ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                upstream.seen.append((self.command, self.path, dict(self.headers.items())))
                self.send_response(upstream.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, Upstream, Upstream, str]]:
    """nginx with the site on loopback ports: (https base, draining upstream, live one, http)."""
    if not NGINX.exists():
        pytest.skip(f"{NGINX} is missing (apt-get install nginx; make install does it as root)")
    cert, key = self_signed(tmp_path)
    draining, live = Upstream(503), Upstream(200)
    tls, plain = free_port(), free_port()
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("127.0.0.1:8081", f"127.0.0.1:{draining.port}")
    site = site.replace("127.0.0.1:8082", f"127.0.0.1:{live.port}")
    site = site.replace("listen [::]:80;", "").replace("listen [::]:443 ssl;", "")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{plain};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;")
    conf = nginx_prefix(tmp_path, site)
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off; master_process off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", tls), 0.2):
                break
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
            assert time.monotonic() < deadline, "nginx did not listen within 10 s"
            time.sleep(0.05)
        yield f"https://127.0.0.1:{tls}", draining, live, f"http://127.0.0.1:{plain}"
    finally:
        nginx.terminate()
        nginx.wait(10)
        if nginx.stderr is not None:
            nginx.stderr.close()
        for upstream in (draining, live):
            upstream.server.shutdown()
            upstream.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nginx_passes_the_webhooks_to_a_server_that_answers_and_nothing_else(
    proxied: tuple[str, Upstream, Upstream, str],
) -> None:
    import httpx

    base, draining, live, plain = proxied
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_-token"}
    with httpx.Client(base_url=base, verify=False, timeout=10) as client:
        # Round robin starts somewhere; the draining server's 503 sends each on to the other.
        for update_id in (1, 2):
            sent = client.post("/telegram/webhook", json={"update_id": update_id}, headers=secret)
            assert sent.status_code == 200
        zalo = client.post("/zalo/webhook", content=b"{}", headers={"X-ZEvent-Signature": "z"})
        assert zalo.status_code == 200
        assert client.get("/desk/login").status_code == 200
        refused = {
            path: client.get(path).status_code
            for path in ("/metrics", "/healthz", "/docs", "/", "/telegram/webhook")
        }
        too_big = client.post("/telegram/webhook", content=b"x" * (1024 * 1024 + 1))
    assert refused == {"/metrics": 404, "/healthz": 404, "/docs": 404, "/": 404,
                       "/telegram/webhook": 403}  # fmt: skip
    assert too_big.status_code == 413
    assert httpx.get(f"{plain}/telegram/webhook").status_code == 301

    webhooks = [(m, p, h) for m, p, h in live.seen if p == "/telegram/webhook"]
    assert len(webhooks) == 2  # both answered by the live server
    assert draining.seen  # which was asked first
    for _, _, headers in webhooks:
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_-token"
        assert headers["X-Forwarded-Proto"] == "https"
        assert headers["X-Forwarded-For"] == "127.0.0.1"
    zalo_seen = next(h for _, p, h in live.seen if p == "/zalo/webhook")
    assert zalo_seen["X-ZEvent-Signature"] == "z"
    assert {p for _, p, _ in live.seen + draining.seen} <= {
        "/telegram/webhook", "/zalo/webhook", "/desk/login"
    }  # fmt: skip


# The health check's decision, with systemctl and curl stood in for --------------------


def run_healthcheck(tmp_path: Path, *, active: str, up_seconds: int, http_code: str) -> str:
    """Run ntvt-healthcheck with stand-ins; return what it asked systemctl to do."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    since = subprocess.run(
        ["date", f"--date=-{up_seconds} seconds", "+%a %Y-%m-%d %H:%M:%S %Z"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    stand_ins = {
        "systemctl": f"""#!/bin/sh
echo "$*" >> {calls}
case "$1" in
    is-active) echo {active} ;;
    show) echo "{since}" ;;
esac
""",
        "curl": f"#!/bin/sh\nprintf %s {http_code}\n",
    }
    for name, script in stand_ins.items():
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    subprocess.run(
        [str(HEALTHCHECK), "ntvt.service", "http://127.0.0.1:8081/healthz"],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        check=True,
    )
    asked = calls.read_text().splitlines() if calls.exists() else []
    return "restart" if "restart ntvt.service" in asked else "nothing"


@pytest.mark.parametrize(
    ("active", "up_seconds", "http_code", "done"),
    [
        ("active", 600, "000", "restart"),  # no answer at all: wedged or dead
        ("active", 600, "503", "nothing"),  # the database is away, or it drains
        ("active", 600, "200", "nothing"),
        ("active", 30, "000", "nothing"),  # still starting (waiting for the database)
        ("inactive", 600, "000", "nothing"),  # stopped: not the check's business
    ],
)
def test_the_health_check_restarts_only_a_process_that_gives_no_answer(
    tmp_path: Path, active: str, up_seconds: int, http_code: str, done: str
) -> None:
    assert (
        run_healthcheck(tmp_path, active=active, up_seconds=up_seconds, http_code=http_code) == done
    )
