"""Engines and sessions for the two supported databases: embedded SQLite and PostgreSQL.

Nothing here connects at import time; an engine opens its first connection when first used.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from typing import Any

from sqlalchemy import event, exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine as _create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from storage import inline_sqlite

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ntvt.db"

# Connections each process keeps to PostgreSQL (turns beyond it wait for one).
PG_POOL_SIZE = 20


def is_sqlite(url: str | URL) -> bool:
    """Tell whether ``url`` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def is_postgresql(url: str | URL) -> bool:
    """Tell whether ``url`` names a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


# What a database that went away (or is not there yet) raises, wrapped or not by SQLAlchemy.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # no pooled connection came back within the pool's timeout
    OSError,  # refused, reset, unreachable, timed out, name not resolved
    sqlite3.OperationalError,
)
# asyncpg's own, once it is imported (by a PostgreSQL engine): a bot on SQLite does not
# carry it (3 MB: bench/memory.py), and no asyncpg error can reach it then.
_ASYNCPG_CONNECTION_ERRORS = (
    "PostgresConnectionError",
    "InterfaceError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
)


def _connection_errors() -> tuple[type[BaseException], ...]:
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return _CONNECTION_ERRORS
    return _CONNECTION_ERRORS + tuple(getattr(asyncpg, name) for name in _ASYNCPG_CONNECTION_ERRORS)


def is_connection_error(error: BaseException) -> bool:
    """Tell whether ``error`` (or what caused it) says the database cannot be reached.

    Such a failure is the database's, not the work's: the work is left to be tried again when
    the database is back, never given up.
    """
    errors = _connection_errors()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, errors):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        # ``raise ... from None`` says the error it was raised in is not its cause.
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return False


def create_engine(url: str, *, echo: bool = False, pool_size: int = PG_POOL_SIZE) -> AsyncEngine:
    """Return an async engine for ``url``, tuned for its backend.

    SQLite gets the inline driver (:mod:`storage.inline_sqlite`), WAL, enforced foreign keys
    and ``BEGIN IMMEDIATE`` for every transaction (see :func:`_sqlite_begin`); PostgreSQL gets
    a pool of ``pool_size`` connections. Neither puts a statement's parameters in its errors:
    they are what residents wrote (an update's JSON, a name), and errors end up in logs.
    """
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        # The standard sqlite3 module run inline on the event loop, not aiosqlite's thread
        # per connection: see storage.inline_sqlite for why.
        engine = _create_async_engine(
            sa_url, echo=echo, module=inline_sqlite.dbapi(), hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        return _create_async_engine(
            sa_url,
            echo=echo,
            hide_parameters=True,
            # Connections kept open, none opened for a peak and closed after it: under load,
            # overflow connections came and went at every burst (a connect and TLS attempt
            # each). Four processes stay under PostgreSQL's default of 100 connections.
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=30,
            # No ping at each checkout: it was a round trip and ~0.35 ms of CPU per
            # transaction, three transactions an update (issue 19). A connection killed by a
            # server restart fails its statement instead; SQLAlchemy then discards every
            # connection opened before, and the turn, the journal or the sender tries again
            # (tests/bot/test_database_outage.py). One idle behind a firewall is replaced
            # before the firewall forgets it.
            pool_pre_ping=False,
            pool_recycle=300,
        )
    raise ValueError(f"unsupported database backend {backend!r}; use sqlite or postgresql")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory the units of work use.

    Objects stay readable after commit: repositories hand out domain objects, and nothing
    should trigger a lazy reload outside a transaction.
    """
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the sqlite3 driver (whose legacy mode starts no
    # transaction for SELECT or DDL); _sqlite_begin emits BEGIN instead.
    dbapi_connection.isolation_level = None
    dbapi_connection.run_async(_sqlite_pragmas)


async def _sqlite_pragmas(connection: inline_sqlite.Connection) -> None:
    # No busy handler: it would block the event loop; inline_sqlite waits asynchronously.
    # Turning a new file to WAL fails at once while another connection holds it (two
    # processes starting on a new database): retry for as long as the busy timeout, without
    # blocking the event loop. Once a file is in WAL it stays so.
    deadline = time.monotonic() + inline_sqlite.BUSY_TIMEOUT_SECONDS
    while True:
        try:
            await _pragma(connection, "journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)
    await _pragma(connection, "foreign_keys=ON")
    # Deleted content is overwritten with zeros, not left in free space: an erased person's
    # name or phone must not be found in the file (see Database.scrub for the WAL).
    await _pragma(connection, "secure_delete=ON")
    await _pragma(connection, "synchronous=NORMAL")


async def _pragma(connection: inline_sqlite.Connection, setting: str) -> None:
    cursor = await connection.execute(f"PRAGMA {setting}")
    await cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at the start, so a transaction that reads and then writes
    # waits (up to busy_timeout) for another writer instead of failing with SQLITE_BUSY when
    # its snapshot went stale. SQLite has one writer at a time anyway, and almost every unit of
    # work here writes (the update claim, the outbox). Sent on the driver's cursor, not as a
    # statement of SQLAlchemy's (its execution context and result cost ~0.1 ms a transaction).
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()
