"""A unit of work keeps what it committed and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.outbox import OutgoingMessage
from core.people import User
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_work_left_without_commit_is_not_kept(database: Database) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(1, "Lan", "vi", None, NOW))
        await uow.outbox.add(OutgoingMessage(1, "sendMessage", {"text": "hi"}, NOW))
        await uow.inbound.record(1, {"update_id": 1}, NOW)

    async with database.uow() as uow:
        assert await uow.users.get(1) is None
        assert await uow.outbox.pending(limit=10) == []
        assert await uow.inbound.unprocessed(limit=10) == []


async def test_work_is_not_kept_when_the_block_raises_after_writing(database: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with database.uow() as uow:
            await uow.users.save(User(1, "Lan", "vi", None, NOW))
            raise RuntimeError("boom")

    async with database.uow() as uow:
        assert await uow.users.get(1) is None


async def test_an_explicit_rollback_drops_what_was_written_before_it(database: Database) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(1, "Lan", "vi", None, NOW))
        await uow.rollback()
        await uow.users.save(User(2, "Minh", "vi", None, NOW))
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.users.get(1) is None
        assert await uow.users.get(2) is not None


async def test_work_written_after_a_commit_is_dropped_unless_committed_again(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(1, "Lan", "vi", None, NOW))
        await uow.commit()
        await uow.users.save(User(2, "Minh", "vi", None, NOW))

    async with database.uow() as uow:
        assert await uow.users.get(1) is not None
        assert await uow.users.get(2) is None


async def test_one_unit_of_work_can_be_entered_again_after_it_closed(database: Database) -> None:
    uow = database.uow()
    async with uow:
        await uow.users.save(User(1, "Lan", "vi", None, NOW))
        await uow.commit()
    async with uow:
        assert await uow.users.get(1) is not None


async def test_using_a_unit_of_work_outside_its_block_is_an_error(database: Database) -> None:
    uow = database.uow()
    with pytest.raises(RuntimeError, match="async with"):
        await uow.commit()
