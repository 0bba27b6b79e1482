"""The lock file pins, with hashes, every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = set()
    for requirement in requirements:
        match = _NAME.match(requirement)
        assert match is not None, requirement
        names.add(_normalised(match.group()))
    return names


def _locked() -> dict[str, list[str]]:
    """Return each pinned package with the hashes listed under it."""
    pins: dict[str, list[str]] = {}
    current: str | None = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+", line)
        if pinned:
            current = _normalised(pinned.group(1))
            pins[current] = []
        elif current and (digest := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(digest.group(1))
    return pins


def test_every_declared_dependency_is_pinned_in_the_lock_file() -> None:
    missing = _declared() - set(_locked())

    assert not missing, f"run `make lock`: requirements.lock lacks {sorted(missing)}"


def test_every_pinned_package_carries_hashes() -> None:
    unhashed = [name for name, hashes in _locked().items() if not hashes]

    assert _locked(), "requirements.lock pins nothing"
    assert not unhashed
