"""Engines are tuned per backend, and timestamps come back aware in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.pool import AsyncAdaptedQueuePool

from core.people import User
from storage.database import PG_POOL_SIZE, create_engine, session_factory
from storage.tables import UserRow
from storage.uow import Database

HANOI = timezone(timedelta(hours=7))


async def test_sqlite_connections_use_wal_foreign_keys_normal_sync_and_no_busy_handler(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ntvt.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        await engine.dispose()

    # synchronous: 1 is NORMAL. No busy handler: it would block the event loop (the driver
    # waits for another process's lock asynchronously: tests/integration/test_inline_sqlite).
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 0,
        "foreign_keys": 1,
        "synchronous": 1,
    }


def test_an_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database backend"):
        create_engine("mysql+aiomysql://localhost/ntvt")


def test_creating_an_engine_does_not_connect() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@203.0.113.1:1/nowhere")

    pool = engine.pool
    assert isinstance(pool, AsyncAdaptedQueuePool)
    assert (pool.checkedin(), pool.checkedout(), pool.size()) == (0, 0, PG_POOL_SIZE)
    assert session_factory(engine).kw["expire_on_commit"] is False


async def test_timestamps_come_back_aware_in_utc_whatever_zone_they_were_written_in(
    database: Database,
) -> None:
    written = datetime(2026, 11, 26, 21, 30, 15, 123456, tzinfo=HANOI)
    async with database.uow() as uow:
        await uow.users.save(User(1, "Lan", "vi", None, written))
        await uow.commit()

    async with database.uow() as uow:
        user = await uow.users.get(1)

    assert user is not None
    assert user.created_at == written
    assert user.created_at.tzinfo is UTC
    assert user.created_at.hour == 14


async def test_a_naive_timestamp_is_refused_instead_of_guessed(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.users.save(User(1, "Lan", "vi", None, datetime(2026, 11, 26, 21, 30)))


async def test_foreign_keys_are_enforced(database: Database) -> None:
    factory = database.session_factory
    async with factory() as session:
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            await session.execute(
                text(
                    "INSERT INTO consents (user_id, purpose, notice_version, given_at)"
                    " VALUES (42, 'nomination', 'v1', '2026-11-26 00:00:00')"
                )
            )
        await session.rollback()
        users = (await session.scalars(select(UserRow.id))).all()
        assert 42 not in users, "the refused row was not written"
