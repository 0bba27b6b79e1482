"""SQLite for SQLAlchemy's asyncio engine, run inline on the event loop: no thread per call.

aiosqlite runs every call (open a cursor, execute, fetch, close) in a thread of its own and
hands the result back through the event loop: four loop iterations per statement. Under load
each iteration waits behind every other ready task, so a transaction of eight statements held
SQLite's write lock for ~15 ms, and the lock, not the CPU, capped the bot at ~60 updates/s
(issue 6). SQLite in WAL mode with ``synchronous=NORMAL`` answers a statement in tens of
microseconds without touching the disk's cache flush, so this module runs the standard
``sqlite3`` calls directly, inside coroutines that never suspend: a whole transaction runs
without yielding to the loop.

The one wait that can be long, another process holding the write lock (``ntvt broadcast``
writing to the same file), must not block the loop: connections get no busy handler, and a
statement refused with "database is locked" is retried after an ``asyncio.sleep`` until
:data:`BUSY_TIMEOUT_SECONDS`.

It offers what :class:`sqlalchemy.dialects.sqlite.aiosqlite.AsyncAdapt_aiosqlite_dbapi` uses
of the aiosqlite module (``connect``, the connection and cursor coroutines, the exceptions);
:func:`dbapi` returns that adapter over this module, for ``create_async_engine(module=...)``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from sqlite3 import (
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    sqlite_version,
    sqlite_version_info,
)
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

__all__ = [
    "DatabaseError",
    "Error",
    "IntegrityError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "connect",
    "dbapi",
    "sqlite_version",
    "sqlite_version_info",
]

__version__ = "1.0"

# How long a statement waits for another process's write lock before it fails.
BUSY_TIMEOUT_SECONDS = 5.0
_FIRST_PAUSE = 0.002
_LONGEST_PAUSE = 0.05

T = TypeVar("T")


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """Return SQLAlchemy's aiosqlite adapter over this module."""
    import sys

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)


async def _patiently(call: Callable[[], T]) -> T:
    """Run a sqlite3 call; while the database is locked by another process, wait and retry."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return call()
        except OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            now = time.monotonic()
            deadline = deadline or now + BUSY_TIMEOUT_SECONDS
            if now >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(2 * pause, _LONGEST_PAUSE)


class Cursor:
    """An aiosqlite-like cursor whose coroutines finish without suspending."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        """The columns of the last query's result (DB-API)."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """The rows the last statement changed (DB-API)."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last inserted row (DB-API)."""
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """How many rows ``fetchmany`` returns by default (DB-API)."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        """Run one statement."""
        await _patiently(lambda: self._cursor.execute(sql, parameters or ()))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        """Run one statement for each set of parameters."""
        rows = list(parameters)
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchall(self) -> list[Any]:
        """Return the remaining rows."""
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        """Return the next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Return up to ``size`` more rows."""
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()

    async def nextset(self) -> None:
        """SQLite has one result set per statement."""
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do for SQLite (DB-API)."""


class _RunNow:
    """Stands in for aiosqlite's queue of calls to its thread: runs each call at once.

    SQLAlchemy's adapter sets ``isolation_level`` through that queue.
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the waiting caller, as aiosqlite does
            future.set_exception(error)


class Connection:
    """An aiosqlite-like connection whose coroutines finish without suspending."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()
        self._thread = SimpleNamespace(daemon=True)  # SQLAlchemy marks aiosqlite's thread

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._opened().__await__()

    async def _opened(self) -> Connection:
        return self

    @property
    def isolation_level(self) -> str | None:
        """The sqlite3 module's transaction handling (None: the caller sends BEGIN)."""
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        """Return a new cursor (entered with ``async with`` by SQLAlchemy)."""
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        """Run one statement on a new cursor and return it."""
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        """Commit the transaction."""
        await _patiently(self._conn.commit)

    async def rollback(self) -> None:
        """Roll the transaction back."""
        self._conn.rollback()

    async def close(self) -> None:
        """Close the connection (again: nothing)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register a Python function for SQL (DB-API extension)."""
        self._conn.create_function(*args, **kwargs)


def connect(database: str, **kwargs: Any) -> Connection:
    """Open ``database`` with no busy handler (waits happen in :func:`_patiently`)."""
    kwargs["timeout"] = 0
    kwargs["check_same_thread"] = False  # the pool may close it from the collector's thread
    return Connection(sqlite3.connect(database, **kwargs))
