"""Database fixtures shared by the whole suite: every test that needs storage runs twice.

``database_backend`` is parametrised as ``sqlite`` and ``postgresql`` (``pytest -k sqlite``
runs only the first). PostgreSQL is the server at ``NTVT_TEST_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); when it is unreachable the
``postgresql`` tests are skipped with the URL and the error as the reason, and with
``CI=true`` they fail instead, because CI has the server.

* ``database_url``: a brand-new empty database (not migrated), for migration tests. SQLite:
  a file in ``tmp_path``; PostgreSQL: ``CREATE DATABASE ntvt_t_<random>``, dropped
  ``WITH (FORCE)`` afterwards.
* ``migrated_database_url``: a database at the head migration with every table empty.
  SQLite: a copy of a file migrated once per session. PostgreSQL: one database per session,
  migrated once and emptied before each test. (Creating and dropping a database per test
  measured 150-250 ms here (2 CPUs), over the 150 ms budget; ``TRUNCATE`` of the
  14 tables ~70 ms, since it rewrites every file; ``DELETE`` of test-sized tables < 1 ms.
  Sequences are not reset: tests use the ids the repositories return.)
* ``database``: a :class:`storage.uow.Database` opened on ``migrated_database_url``.

Storage is imported inside the fixtures, so that unit tests of ``core`` never depend on it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    from storage.uow import Database

# PTB 22 warns on every RetryAfter unless it may use timedelta (its future default); our
# code reads both forms, and the suite treats warnings as errors.
os.environ.setdefault("PTB_TIMEDELTA", "1")

POSTGRES_URL_ENV = "NTVT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

_T = TypeVar("_T")


def _run_async(make: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine to completion from synchronous fixture code.

    In a worker thread with its own event loop, so that neither pytest-asyncio's loops nor
    the main thread's current loop are touched.
    """

    async def main() -> _T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@dataclass(frozen=True)
class PostgresServer:
    """The PostgreSQL server the tests create their databases on."""

    admin_url: URL

    @property
    def shown(self) -> str:
        """The admin URL without its password, for messages."""
        return self.admin_url.render_as_string(hide_password=True)

    def url_of(self, database: str) -> str:
        """Return the SQLAlchemy URL of ``database`` on this server."""
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def create(self, database: str, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of ``template``); return its URL."""
        clause = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{database}"{clause}')
        return self.url_of(database)

    def drop(self, database: str) -> None:
        """Drop a database, disconnecting whoever still uses it."""
        self.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def execute(self, statement: str) -> None:
        """Run one statement on the admin database."""
        import asyncpg  # type: ignore[import-untyped]

        dsn = self.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)

        async def run() -> None:
            connection = await asyncpg.connect(dsn, timeout=5)
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        _run_async(run)


def _unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The test PostgreSQL server; skips (or fails, on CI) when it cannot be reached."""
    server = PostgresServer(make_url(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)))
    try:
        server.execute("SELECT 1")
    except Exception as error:
        reason = (
            f"PostgreSQL at {server.shown} is unreachable ({type(error).__name__}: {error}); "
            f"start it or point {POSTGRES_URL_ENV} at one"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return server


@pytest.fixture(scope="session")
def postgres_session_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a database migrated to head once per session, dropped at the end."""
    from storage.migrate import upgrade

    name = _unique_name("ntvt_s")
    url = postgres_server.create(name)
    try:
        _run_async(lambda: upgrade(url))
        yield url
    finally:
        postgres_server.drop(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied for each test."""
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _run_async(lambda: upgrade(_sqlite_url(path)))
    return path


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: ``"sqlite"`` or ``"postgresql"``."""
    backend: str = request.param
    if backend == "postgresql":
        request.getfixturevalue("postgres_server")  # skip early, before anything is built
    return backend


@pytest.fixture
def database_url(
    database_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """The URL of a fresh, empty database (no tables, not migrated), dropped afterwards."""
    if database_backend == "sqlite":
        yield _sqlite_url(tmp_path / "empty.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = _unique_name("ntvt_t")
    url = server.create(name)
    try:
        yield url
    finally:
        server.drop(name)


@pytest.fixture
def migrated_database_url(
    database_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> str:
    """The URL of a database at the head migration with every table empty.

    On PostgreSQL it is the session's database, emptied at the start of each test (not at
    the end, so a failed test's rows can still be looked at), so it is not the same
    database as ``database_url``'s.
    """
    if database_backend == "sqlite":
        path = tmp_path / "ntvt.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return _sqlite_url(path)
    url: str = request.getfixturevalue("postgres_session_database")
    PostgresServer(make_url(url)).execute(_empty_every_table())
    return url


def _empty_every_table() -> str:
    from storage.tables import Base

    # Children first, for the foreign keys; a leaked transaction holding a lock fails the
    # test after 5 s instead of hanging it.
    deletes = (f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables))
    return "; ".join(["SET lock_timeout = '5s'", *deletes])


@pytest.fixture
async def database(migrated_database_url: str) -> AsyncIterator[Database]:
    """An opened :class:`storage.uow.Database` on ``migrated_database_url``, disposed after.

    Not migrated again: the database was migrated by the same code when it was made.
    """
    from storage.uow import open_database

    db = await open_database(migrated_database_url, migrate=False)
    try:
        yield db
    finally:
        await db.dispose()
