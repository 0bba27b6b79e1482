"""Schema migrations with Alembic, configured in code: no ``alembic.ini`` is needed.

The bot runs :func:`upgrade` at every start. Upgrading a database already at ``head`` does
nothing, and two processes starting at once take turns, so the second finds the schema
already migrated: on PostgreSQL they wait on an advisory lock, on SQLite on the write lock,
which ``BEGIN IMMEDIATE`` (see :mod:`storage.database`) takes before Alembic reads anything.
Either lock is taken before Alembic runs, which also keeps two upgrades in one process from
interleaving inside Alembic's process-wide ``context``.

The migration runs on a connection opened here and handed to ``env.py`` through
``config.attributes["connection"]``, inside ``AsyncConnection.run_sync``: Alembic's
synchronous API then works from inside a running event loop, for aiosqlite and asyncpg alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.database import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The newest migration's revision. A database already there is not handed to Alembic at
# start, which spares every process importing it (~8 MB); a test keeps this equal to
# Alembic's head.
HEAD = "0029"

# Any constant 64-bit number that no other code on the server uses for pg_advisory_lock.
_MIGRATION_LOCK_ID = 0x4E5456545F4D4947  # "NTVT_MIG"

_AlembicCommand: TypeAlias = Callable[["Config"], None]


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for the database at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser would read a "%" in a password as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """Return the revision the code expects the database to be at (Alembic's head)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``; a no-op when it is there already."""
    if revision == "head" and await _stored_revision(url) == HEAD:
        return
    from alembic import command

    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` down to ``revision`` (``"base"`` drops everything)."""
    from alembic import command

    await _run(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str) -> str | None:
    """Return the revision the database at ``url`` is at, or None if never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def _stored_revision(url: str) -> str | None:
    """Read the revision from Alembic's table without Alembic (None: no such table yet)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            versions = list(rows.scalars())
    except DBAPIError:
        return None  # a new database: no alembic_version table
    finally:
        await engine.dispose()
    return versions[0] if len(versions) == 1 else None


async def _run(url: str, alembic_command: _AlembicCommand) -> None:
    config = alembic_config(url)
    engine = create_engine(url)
    postgres = make_url(url).get_backend_name() == "postgresql"
    try:
        async with engine.connect() as connection:
            if postgres:
                # A session-level lock: it outlives the transaction below and is released by
                # the unlock in `finally`, or by the server when the connection closes.
                await connection.execute(
                    text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                )
                await connection.commit()
            else:
                # Begins the transaction, with BEGIN IMMEDIATE (see storage.database): the
                # write lock is held before Alembic reads which revision the database is at.
                await connection.execute(text("SELECT 1"))
            try:
                await connection.run_sync(_in_alembic, config, alembic_command)
                await connection.commit()
            finally:
                await connection.rollback()
                if postgres:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                    await connection.commit()
    finally:
        await engine.dispose()


def _in_alembic(connection: Connection, config: Config, alembic_command: _AlembicCommand) -> None:
    config.attributes["connection"] = connection
    alembic_command(config)
