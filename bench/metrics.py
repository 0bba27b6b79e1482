"""What monitoring costs: the metrics hook of each turn, a scrape, a health check.

    .venv/bin/python bench/metrics.py [--turns 200000] [--db sqlite|postgresql]

* The hook ``run_turn`` runs once per turn: two ``perf_counter`` calls and
  ``Metrics.turn_done`` (a counter and a histogram), timed over ``--turns`` calls.
* A Bot API error's hook (``Metrics.bot_api_error``: a labelled counter).
* Rendering ``/metrics`` (``Metrics.exposition``) with every series present.
* One health check against a migrated database with a backlog (what /healthz and /metrics
  do at most once a second): the two counts, the backlog queries and the rolled-back write.

Compare the hook with a turn: issue 6 measured about 4.8 ms of CPU per update (SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, make_database
from bot.health import HealthCheck
from bot.metrics import Metrics
from core.outbox import OutgoingMessage
from storage.uow import open_database

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def per_call_us(run: int, action: object) -> float:
    """Return the median over 5 rounds of microseconds per call of ``action``."""
    assert callable(action)
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(run):
            action()
        rounds.append((time.perf_counter() - started) / run * 1e6)
    return statistics.median(rounds)


def bench_hooks(turns: int) -> None:
    metrics = Metrics()

    def turn_hook() -> None:  # what run_turn adds: the clock twice and one call
        started = time.perf_counter()
        metrics.turn_done("ok", time.perf_counter() - started + 0.004)

    def nothing() -> None:
        return None

    baseline = per_call_us(turns, nothing)
    hook = per_call_us(turns, turn_hook) - baseline
    error = per_call_us(turns // 10, lambda: metrics.bot_api_error("429")) - baseline
    for code in ("400", "403", "500", "timeout", "network"):
        metrics.bot_api_error(code)
    render = per_call_us(200, metrics.exposition)
    print(f"metrics hook per turn:        {hook:6.2f} µs (median of 5 × {turns:,} calls)")
    print(f"Bot API error hook per error: {error:6.2f} µs")
    print(f"/metrics rendering:           {render:6.0f} µs ({len(metrics.exposition()):,} bytes)")


async def bench_health(kind: str, checks: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url, dropped = await make_database(kind, Path(folder))
        try:
            db = await open_database(url, migrate=False)
            async with db:
                async with db.uow() as uow:
                    queued = [
                        OutgoingMessage(n, "sendMessage", {"text": "x"}, NOW - timedelta(seconds=n))
                        for n in range(1, 1001)
                    ]
                    await uow.outbox.add_many(queued, taken_by=None, at=NOW)
                    await uow.outbox.add_bulk(1, queued)
                    await uow.commit()
                health = HealthCheck(db.uow, lambda: NOW, cache_seconds=0.0)
                times = []
                for _ in range(checks):
                    started = time.perf_counter()
                    report = await health.report()
                    times.append((time.perf_counter() - started) * 1e3)
                assert report.writable and report.replies and report.replies.unsent == 1000
                times.sort()
                print(
                    f"health check ({kind}, 1,000 replies and 1,000 broadcast messages waiting): "
                    f"p50 {times[len(times) // 2]:.2f} ms, p99 {times[int(len(times) * 0.99)]:.2f}"
                    f" ms over {checks} checks (cached 1 s in the app)"
                )
        finally:
            if dropped:
                await drop_database(dropped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200_000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    bench_hooks(args.turns)
    asyncio.run(bench_health(args.db, args.checks))


if __name__ == "__main__":
    main()
