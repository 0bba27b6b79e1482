"""``storage.backup``: a backup restores into a new database as it was, migrated to head.

Every test runs on SQLite (the online backup API) and PostgreSQL (pg_dump and pg_restore);
the bot's own drill, under load and through Telegram, is ``tests/e2e/test_backup_drill.py``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.dialog import Dialog
from storage import backup as backups
from storage.backup import BackupError, backup, check, restore
from storage.migrate import HEAD, current_revision, upgrade
from storage.uow import Database, open_database

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
CHAT = 7_000_001


def a_draft() -> Dialog:
    return Dialog(CHAT, CHAT, "n", "deed", {"draft": {"nominee_name": "Lê Văn Tám"}}, 3, NOW)


async def saved_draft(database: Database) -> Dialog:
    draft = a_draft()
    async with database.uow() as uow:
        await uow.dialogs.save(draft)
        await uow.commit()
    return draft


async def test_a_restored_backup_holds_the_draft_as_it_was(
    database: Database, migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    draft = await saved_draft(database)
    file = tmp_path / "ntvt.backup"

    made = await backup(migrated_database_url, file)
    assert made.revision == HEAD
    assert made.size > 0
    restored = await restore(database_url, file)
    assert (restored.revision, restored.migrated_to) == (HEAD, HEAD)

    copy = await open_database(database_url, migrate=False)
    try:
        async with copy.uow() as uow:
            assert await uow.dialogs.get(CHAT) == draft
    finally:
        await copy.dispose()
    report = await check(database_url)
    assert report.problems == []
    assert report.counts["dialogs"] == 1


async def test_backup_refuses_to_overwrite_a_file_unless_forced(
    database: Database, migrated_database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "backups").mkdir()
    file = tmp_path / "backups" / "ntvt.backup"
    file.write_text("yesterday's")

    with pytest.raises(BackupError, match="exists"):
        await backup(migrated_database_url, file)
    assert file.read_text() == "yesterday's"
    await backup(migrated_database_url, file, force=True)
    assert file.stat().st_size > 100
    assert [p.name for p in file.parent.iterdir()] == ["ntvt.backup"]  # no partial file left


async def test_restore_takes_a_database_without_data_and_refuses_one_with_data_unless_forced(
    database: Database, migrated_database_url: str, tmp_path: Path
) -> None:
    await saved_draft(database)
    file = tmp_path / "ntvt.backup"
    await backup(migrated_database_url, file)
    async with database.uow() as uow:
        await uow.dialogs.delete(CHAT)
        await uow.commit()

    # Migrated, and holding only what the migrations put in: a new database.
    await restore(migrated_database_url, file)
    async with database.uow() as uow:
        assert await uow.dialogs.get(CHAT) == a_draft()
        await uow.dialogs.save(Dialog(CHAT + 1, CHAT + 1, "n", "unit", {}, 1, NOW))
        await uow.commit()

    with pytest.raises(BackupError, match="holds data"):
        await restore(migrated_database_url, file)
    async with database.uow() as uow:
        assert await uow.dialogs.get(CHAT + 1) is not None  # untouched

    await restore(migrated_database_url, file, force=True)
    async with database.uow() as uow:
        assert await uow.dialogs.get(CHAT + 1) is None  # replaced by the backup's content
        assert await uow.dialogs.get(CHAT) == a_draft()


async def test_an_older_sqlite_backup_is_migrated_forward(tmp_path: Path) -> None:
    old = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade(old, "0026")
    behind = f"the database is at 0026, the code at {HEAD}: ntvt db upgrade"
    assert (await check(old)).problems == [behind]
    file = tmp_path / "old.backup"
    assert (await backup(old, file)).revision == "0026"

    target = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    restored = await restore(target, file)
    assert (restored.revision, restored.migrated_to) == ("0026", HEAD)
    assert await current_revision(target) == HEAD


async def test_a_backup_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    await upgrade(f"sqlite+aiosqlite:///{source}", "0001")
    with sqlite3.connect(source) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9001'")
    file = tmp_path / "a.backup"
    await backup(f"sqlite+aiosqlite:///{source}", file)

    with pytest.raises(BackupError, match="unknown to this version"):
        await restore(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", file)


async def test_a_file_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a database " * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        await restore(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", file)


async def test_without_pg_dump_the_recipe_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(backups.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="pg_dump --format=custom"):
        await backup("postgresql+asyncpg://postgres@127.0.0.1/test", tmp_path / "x.dump")
