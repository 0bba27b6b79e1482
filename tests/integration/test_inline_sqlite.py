"""SQLite run inline on the event loop: it never blocks the loop on another process's lock."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.people import User
from storage import inline_sqlite
from storage.uow import open_database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _file_of(url: str) -> Path:
    database = make_url(url).database
    assert database
    return Path(database)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own (the driver is SQLite's only)."""
    path = tmp_path / "ntvt.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _tick(stop: asyncio.Event) -> int:
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def test_a_transaction_waits_for_another_process_without_blocking_the_loop(
    sqlite_url: str,
) -> None:
    other = sqlite3.connect(_file_of(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, e.g. `ntvt broadcast`
    db = await open_database(sqlite_url, migrate=False)
    stop = asyncio.Event()
    ticker = asyncio.create_task(_tick(stop))
    try:

        async def save() -> None:
            async with db.uow() as uow:
                await uow.users.save(User(1, "Lan", "vi", None, NOW))
                await uow.commit()

        saving = asyncio.create_task(save())
        await asyncio.sleep(0.3)
        assert not saving.done(), "it waits for the lock"
        other.execute("COMMIT")
        await asyncio.wait_for(saving, timeout=2)
        stop.set()
        ticks = await ticker
        async with db.uow() as uow:
            assert await uow.users.get(1) is not None
    finally:
        stop.set()
        other.close()
        await db.dispose()
    # The loop kept running while the transaction waited (0.3 s at 5 ms a tick).
    assert ticks >= 20


async def test_a_lock_held_too_long_fails_with_database_is_locked(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inline_sqlite, "BUSY_TIMEOUT_SECONDS", 0.2)
    other = sqlite3.connect(_file_of(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db = await open_database(sqlite_url, migrate=False)
    try:
        with pytest.raises(Exception, match="locked"):
            async with db.uow() as uow:
                await uow.users.save(User(1, "Lan", "vi", None, NOW))
    finally:
        other.execute("ROLLBACK")
        other.close()
        await db.dispose()


async def test_a_transaction_runs_without_handing_the_loop_to_other_tasks(
    sqlite_url: str,
) -> None:
    db = await open_database(sqlite_url, migrate=False)
    stop = asyncio.Event()
    ticks = 0

    async def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0)
            ticks += 1

    counter = asyncio.create_task(count())
    await asyncio.sleep(0)
    try:
        async with db.uow() as uow:
            before = ticks
            for n in range(20):
                await uow.users.save(User(n, "Lan", "vi", None, NOW))
                await uow.users.get(n)
            await uow.commit()
            during = ticks - before
    finally:
        stop.set()
        await counter
        await db.dispose()
    # aiosqlite hands every call to a thread and back: dozens of loop turns for 40 statements.
    assert during == 0
