"""The Alembic migrations build exactly the schema of storage/tables.py, on both backends."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.database import create_engine
from storage.migrate import HEAD, current_revision, downgrade, head_revision, upgrade
from storage.tables import Base

ROOT = Path(__file__).resolve().parents[2]
_UPGRADE_SCRIPT = (
    "import asyncio, sys\nfrom storage.migrate import upgrade\nasyncio.run(upgrade(sys.argv[1]))\n"
)


async def _schema_differences(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_to_head_builds_exactly_the_declared_schema(database_url: str) -> None:
    await upgrade(database_url)

    assert await _schema_differences(database_url) == []


async def test_upgrade_marks_the_database_at_the_head_revision(database_url: str) -> None:
    assert await current_revision(database_url) is None

    await upgrade(database_url)

    assert await current_revision(database_url) == head_revision()


async def test_upgrading_a_database_already_at_head_changes_nothing(database_url: str) -> None:
    await upgrade(database_url)
    tables = await _table_names(database_url)

    await upgrade(database_url)

    assert await current_revision(database_url) == head_revision()
    assert await _table_names(database_url) == tables
    assert await _schema_differences(database_url) == []


async def test_two_processes_starting_at_once_both_find_the_schema_migrated(
    database_url: str,
) -> None:
    def start_a_process() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _UPGRADE_SCRIPT, database_url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    first, second = await asyncio.gather(
        asyncio.to_thread(start_a_process), asyncio.to_thread(start_a_process)
    )

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert await current_revision(database_url) == head_revision()
    assert await _schema_differences(database_url) == []


async def test_two_upgrades_at_once_in_one_process_take_turns(database_url: str) -> None:
    await asyncio.gather(upgrade(database_url), upgrade(database_url))

    assert await current_revision(database_url) == head_revision()
    assert await _schema_differences(database_url) == []


async def test_downgrade_to_base_drops_every_table_and_upgrade_rebuilds_them(
    database_url: str,
) -> None:
    await upgrade(database_url)

    await downgrade(database_url, "base")
    assert await _table_names(database_url) <= {"alembic_version"}

    await upgrade(database_url)
    assert await _schema_differences(database_url) == []


def test_the_revision_start_up_checks_for_is_alembics_head() -> None:
    # A new migration must move storage.migrate.HEAD too, or no process would apply it.
    assert head_revision() == HEAD


async def test_a_database_at_head_is_not_handed_to_alembic(
    migrated_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.migrate

    async def refuse(*_args: object) -> None:
        raise AssertionError("Alembic ran for a database at head")

    monkeypatch.setattr(storage.migrate, "_run", refuse)
    await upgrade(migrated_database_url)  # returns without Alembic
    assert await current_revision(migrated_database_url) == HEAD
