"""Settings that must agree with each other are refused in one line when they do not."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_failover_defaults_see_a_gone_process_within_four_seconds() -> None:
    settings = load_settings(_env_file=None)

    assert settings.alive_seconds + settings.heartbeat_seconds <= 4.0


def test_an_alive_lease_shorter_than_two_heartbeats_is_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, heartbeat_seconds=2, alive_seconds=3)

    assert str(refused.value) == (
        "invalid configuration: NTVT_ALIVE_SECONDS: must be at least twice "
        "NTVT_HEARTBEAT_SECONDS (one late heartbeat must not make a live process look gone)"
    )
