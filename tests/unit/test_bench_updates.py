"""bench/updates.py: which runs are at the targets' conditions, and what it refuses."""

from __future__ import annotations

import pytest

from bench.updates import Figures, p99_misfits, parse, rss_misfits, targets, verdict


def ours(**fields: object) -> Figures:
    base: dict[str, object] = {
        "system": "ntvt-bot",
        "mode": "webhook",
        "db": "postgresql",
        "users": 1000,
        "processes": 2,
        "rate_asked": 200.0,
        "offered": 199.0,
        "send_rate": 10_000.0,
    }
    base.update(fields)
    return Figures(**base)  # type: ignore[arg-type]


def test_the_p99_targets_conditions_are_met_only_as_stated() -> None:
    assert p99_misfits(ours()) == []
    assert p99_misfits(ours(mode="polling", db="sqlite", processes=1, rate_asked=100.0)) == []
    one_process = p99_misfits(ours(processes=1))
    assert one_process and one_process[0].startswith("not at --rate 200 with 2 processes")
    assert p99_misfits(ours(rate_asked=None))
    assert p99_misfits(ours(db="sqlite", processes=1, rate_asked=200.0))


def test_a_rate_not_reached_or_a_profile_or_telegrams_cap_is_not_the_condition() -> None:
    # Under the rate asked because the residents wait for the bot: the bot's miss, not a misfit.
    assert p99_misfits(ours(offered=150.0, driver_cpu=0.2)) == []
    assert "offered only 150/s" in p99_misfits(ours(offered=150.0, driver_cpu=0.95))[0]
    assert any("--profile" in m for m in p99_misfits(ours(profiled=True)))
    assert any("--send-rate" in m for m in p99_misfits(ours(send_rate=27.0)))


def test_rss_needs_the_stored_nominations() -> None:
    assert rss_misfits(ours(stored=100_000)) == []
    assert rss_misfits(ours(stored=10))
    assert verdict(True, ["x"]) == "PASS — x: not the target's condition"
    assert verdict(False, []) == "MISS"


def test_targets_budget_cpu_by_database() -> None:
    lines = targets([ours(cpu_ms=3.0), ours(db="sqlite", processes=1, cpu_ms=3.0)], [], 3, 0.1)
    assert any("3.00 ms ≤ 4 ms PASS" in line for line in lines)
    assert any("3.00 ms ≤ 2 ms MISS" in line for line in lines)
    assert any("p99 reply ≤ latency + 150 ms = 250 ms" in line for line in lines)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--processes", "2", "--db", "postgresql"], "webhook mode only"),
        (["--processes", "2", "--mode", "webhook"], "needs --db postgresql"),
    ],
)
def test_processes_are_refused_where_they_cannot_run(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse(argv)
    assert says in capsys.readouterr().err


def test_the_send_rate_is_lifted_by_default() -> None:
    assert parse([]).send_rate == 10_000
    assert parse(["--processes", "2", "--mode", "webhook", "--db", "postgresql"]).processes == 2
