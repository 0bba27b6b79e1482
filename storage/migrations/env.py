"""Alembic environment for ntvt-bot.

Normally run by ``storage.migrate``, which passes an open connection in
``config.attributes["connection"]`` from inside ``AsyncConnection.run_sync``. Run on its own
(the ``alembic`` command with a config naming this folder), it opens an async engine itself.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from storage.database import create_engine
from storage.tables import Base, UtcDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the row module's own types as plain SQLAlchemy in generated migrations.

    A migration must keep meaning what it meant when written, whatever storage/tables.py
    becomes later, so it should not import it.
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite's ALTER TABLE is limited: later migrations rebuild tables in batches.
        render_as_batch=connection.dialect.name == "sqlite",
        # SQLite can roll back DDL too; one transaction keeps a failed upgrade all-or-nothing.
        transactional_ddl=True,
    )


def run_migrations_on(connection: Connection) -> None:
    """Run the migrations on an open synchronous connection."""
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async_migrations(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Write the migrations as SQL instead of running them."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = config.attributes.get("connection")
if _connection is not None:
    run_migrations_on(_connection)
elif context.is_offline_mode():
    run_migrations_offline()
else:
    _url = config.get_main_option("sqlalchemy.url")
    if not _url:
        raise RuntimeError("set sqlalchemy.url in the Alembic config")
    asyncio.run(_run_async_migrations(_url))
