"""What the benchmarks share: a fresh migrated database, and a process's CPU time."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from storage.migrate import upgrade

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


async def make_database(kind: str, folder: Path) -> tuple[str, str | None]:
    """Return a migrated empty database's URL (and the PostgreSQL database to drop after)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
        await upgrade(url)
        return url, None
    import asyncpg  # type: ignore[import-untyped]

    name = f"ntvt_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = f"{POSTGRES}/{name}"
    await upgrade(url)
    return url, name


async def drop_database(name: str) -> None:
    """Drop a benchmark's PostgreSQL database."""
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
