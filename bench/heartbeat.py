"""What telling the living from the dead costs a process on PostgreSQL, per heartbeat.

    .venv/bin/python bench/heartbeat.py [--rounds 1000] [--peers 4]

Three ways, each through SQLAlchemy's asyncpg engine as the bot uses it, on a fresh database
with ``--peers`` other processes' alive leases:

(a) the alive lease (what the bot does, :func:`core.failover.heartbeat`): one transaction
    that renews this process's lease and reads the lapsed ones;
(b) advisory locks: each process holds ``pg_advisory_lock`` on a connection of its own for
    as long as it lives (released the moment a killed process's connection closes); each
    round reads ``pg_locks`` for the peers' locks;
(c) LISTEN/NOTIFY: a stopping process NOTIFYs, the others LISTEN on a connection of their
    own; the cost of one NOTIFY and how long it takes to reach a listener.

It prints the client's CPU and the wall time per round, and the statements per round.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.common import drop_database, make_database
from core import failover
from storage.uow import open_database

ALIVE = "alive:"


async def measure(args: argparse.Namespace) -> None:
    url, name = await make_database("postgresql", Path("."))
    assert name is not None
    db = await open_database(url)
    try:
        async with db.uow() as uow:
            for peer in range(args.peers):
                await uow.leases.acquire(
                    f"{ALIVE}peer{peer}", f"peer:{peer}", now=datetime.now(UTC), seconds=3600
                )
            await uow.commit()

        async def lease_round() -> None:
            await failover.heartbeat(
                db.uow(),
                prefix=ALIVE,
                lease=ALIVE + "me",
                holder="me",
                now=datetime.now(UTC),
                seconds=3.0,
            )

        engine = db.engine
        holder = await engine.connect()  # (b): the connection that holds this process's lock
        await holder.execute(text("SELECT pg_advisory_lock(424242)"))

        async def advisory_round() -> None:
            async with engine.connect() as connection:
                await connection.execute(
                    text(
                        "SELECT objid FROM pg_locks WHERE locktype = 'advisory' "
                        "AND database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database())"
                    )
                )

        async def notify_round() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("NOTIFY ntvt_gone, 'me'"))
                await connection.commit()

        print(f"{args.rounds} rounds each, {args.peers} peers, PostgreSQL on loopback")
        for label, round_, statements in (
            ("(a) alive lease: renew + read lapsed", lease_round, "BEGIN, UPSERT, SELECT, COMMIT"),
            ("(b) advisory lock: read pg_locks", advisory_round, "BEGIN, SELECT, ROLLBACK"),
            ("(c) NOTIFY (on a graceful stop only)", notify_round, "BEGIN, NOTIFY, COMMIT"),
        ):
            for _ in range(20):
                await round_()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.rounds):
                await round_()
            cpu = (time.process_time() - cpu) / args.rounds
            wall = (time.perf_counter() - wall) / args.rounds
            print(
                f"  {label:<40} CPU {1e6 * cpu:6.0f} µs, wall {1e6 * wall:6.0f} µs per round "
                f"({statements})"
            )
        await holder.close()

        import asyncpg  # type: ignore[import-untyped]

        raw = url.replace("postgresql+asyncpg", "postgresql")
        listener = await asyncpg.connect(raw)
        got: asyncio.Queue[float] = asyncio.Queue()
        await listener.add_listener("ntvt_gone", lambda *_: got.put_nowait(time.perf_counter()))
        delays = []
        for _ in range(50):
            sent = time.perf_counter()
            await notify_round()
            delays.append(await got.get() - sent)
        await listener.close()
        print(
            f"  NOTIFY to a listener: median {1e3 * statistics.median(delays):.2f} ms "
            "(a connection per process kept outside the pool)"
        )
    finally:
        await db.dispose()
        await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--peers", type=int, default=4)
    asyncio.run(measure(parser.parse_args()))
