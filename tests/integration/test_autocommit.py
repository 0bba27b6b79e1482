"""Writes of one statement commit by themselves on PostgreSQL (Database.autocommit_uow)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.uow import Database

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_a_one_statement_write_is_kept_without_begin_or_commit(database: Database) -> None:
    payload = {"update_id": 5, "message": {"chat": {"id": 77}}}
    async with database.autocommit_uow() as uow:
        new = await uow.inbound.record_many([(5, payload, 77)], NOW)
        # Seen from another connection before this unit of work commits: no transaction.
        async with database.uow() as other:
            seen = await other.inbound.waiting(limit=10)
        # Its commit has nothing left to do, and leaving does not undo the write.
        await uow.commit()

    assert new == {5}
    assert [update.update_id for update in seen] == [5]


@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_on_sqlite_it_is_a_unit_of_work_like_any(database: Database) -> None:
    payload = {"update_id": 6, "message": {"chat": {"id": 78}}}
    async with database.autocommit_uow() as uow:
        await uow.inbound.record_many([(6, payload, 78)], NOW)
        # not committed: leaving rolls it back

    async with database.uow() as uow:
        assert await uow.inbound.waiting(limit=10) == []
