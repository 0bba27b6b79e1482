"""``ntvt invite`` and ``ntvt officers``: what an administrator runs, as real processes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import sqlite_url
from tests.e2e.test_cli import DEMO_PLAN, run_ntvt

pytestmark = pytest.mark.e2e

LINK = re.compile(r"^https://t\.me/ntvt_demo_bot\?start=(inv_[A-Za-z0-9_-]{20,60})$", re.M)


def _settings(tmp_path: Path) -> dict[str, str]:
    return {
        "NTVT_DATABASE_URL": sqlite_url(tmp_path / "ntvt.db"),
        "NTVT_BOT_USERNAME": "ntvt_demo_bot",
    }


def test_invite_prints_a_single_use_deep_link_for_a_unit_typed_loosely(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert run_ntvt("plan", "load", str(DEMO_PLAN), cwd=tmp_path, **settings).returncode == 0
    result = run_ntvt(
        "invite", "--role", "officer", "--unit", "hang bac", "--days", "3", cwd=tmp_path, **settings
    )
    assert result.returncode == 0, result.stderr
    assert "Phường Hàng Bạc" in result.stdout and "3 days" in result.stdout
    link = LINK.search(result.stdout)
    assert link is not None, result.stdout
    assert len(link.group(1)) <= 64


def test_invite_refuses_an_ambiguous_or_unknown_unit_and_a_bad_role(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    run_ntvt("plan", "load", str(DEMO_PLAN), cwd=tmp_path, **settings)
    ambiguous = run_ntvt("invite", "--role", "officer", "--unit", "hang", cwd=tmp_path, **settings)
    assert ambiguous.returncode == 2 and "ambiguous" in ambiguous.stderr
    assert "Phường Hàng Bạc" in ambiguous.stderr
    unknown = run_ntvt(
        "invite", "--role", "officer", "--unit", "xyz qwerty", cwd=tmp_path, **settings
    )
    assert unknown.returncode == 2 and "no unit" in unknown.stderr
    bad_role = run_ntvt("invite", "--role", "king", cwd=tmp_path, **settings)
    assert bad_role.returncode == 2 and "officer, secretariat" in bad_role.stderr


def test_officers_grant_list_and_revoke(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    run_ntvt("plan", "load", str(DEMO_PLAN), cwd=tmp_path, **settings)
    granted = run_ntvt(
        "officers", "grant", "--user", "424242", "--role", "admin", cwd=tmp_path, **settings
    )
    assert granted.returncode == 0, granted.stderr
    grant_id = re.search(r"grant (\d+)", granted.stdout)
    assert grant_id is not None
    listed = run_ntvt("officers", "list", cwd=tmp_path, **settings)
    assert "user 424242" in listed.stdout and "admin" in listed.stdout
    assert "active" in listed.stdout
    revoked = run_ntvt("officers", "revoke", grant_id.group(1), cwd=tmp_path, **settings)
    assert revoked.returncode == 0
    again = run_ntvt("officers", "revoke", grant_id.group(1), cwd=tmp_path, **settings)
    assert again.returncode == 1
    assert "revoked" in run_ntvt("officers", "list", cwd=tmp_path, **settings).stdout
