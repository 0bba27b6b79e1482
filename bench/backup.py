"""``ntvt db backup`` and ``restore`` over a year of data, while turns go on writing.

    .venv/bin/python bench/backup.py [--db sqlite|postgresql] [--updates 100000]
                                     [--replies 100000]

Fills a database as ``bench/retention.py`` does (a year of processed updates, replies that
went, a thousand drafts), then backs it up (``storage.backup.backup``: SQLite's online backup
or pg_dump) while another task writes a small transaction every 20 ms, as turns would;
prints the backup's time and size and how long those writes waited at most; then restores
it into a new database (migrated, checked) and prints that time and the rows counted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, make_database
from bench.retention import NOW, fill
from storage.backup import backup, check, restore
from storage.uow import open_database


async def main(kind: str, updates: int, replies: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source, source_name = await make_database(kind, Path(folder))
        target_dir = Path(folder) / "target"
        target_dir.mkdir()
        target, target_name = await make_database_empty(kind, target_dir)
        try:
            started = time.perf_counter()
            await fill(source, updates, replies, broadcast=0)
            print(f"filled in {time.perf_counter() - started:.1f} s")
            db = await open_database(source, migrate=False)
            waits: list[float] = []
            stop = asyncio.Event()

            async def writer() -> None:
                n = 10_000_000
                while not stop.is_set():
                    due = time.perf_counter() + 0.02
                    await asyncio.sleep(0.02)
                    async with db.uow() as uow:
                        await uow.inbound.record(n, {"update_id": n}, NOW, chat_id=1)
                        await uow.commit()
                    waits.append(time.perf_counter() - due)
                    n += 1

            writing = asyncio.create_task(writer())
            file = Path(folder) / "ntvt.backup"
            made = await backup(source, file)
            stop.set()
            await writing
            await db.dispose()
            print(
                f"{kind}: backup with {made.tool} in {made.seconds:.2f} s, "
                f"{made.size / 1e6:.1f} MB; {len(waits)} writes every 20 ms meanwhile "
                f"waited at most {max(waits, default=0) * 1000:.0f} ms"
            )
            restored = await restore(target, file)
            counts = (await check(target)).counts
            print(f"{kind}: restore (migrate, check) in {restored.seconds:.2f} s; rows {counts}")
        finally:
            for name in (source_name, target_name):
                if name is not None:
                    await drop_database(name)


async def make_database_empty(kind: str, folder: Path) -> tuple[str, str | None]:
    """Return a new database with no table (SQLite: a file not there yet)."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'restored.sqlite3'}", None
    import secrets

    import asyncpg  # type: ignore[import-untyped]

    from bench.common import POSTGRES, POSTGRES_ADMIN

    name = f"ntvt_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"{POSTGRES}/{name}", name


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--replies", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.updates, args.replies))
