"""What /healthz asks storage: a write that leaves nothing, the backlog, the dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.outbox import OutgoingMessage
from core.people import User
from storage.tables import LeaseRow
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_the_write_probe_leaves_nothing_and_drops_what_came_before(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(1, "Lan", "vi", None, NOW))
        await uow.probe_write(NOW)
        await uow.commit()  # nothing left to keep

    async with database.uow() as uow:
        assert await uow.users.get(1) is None
        assert await uow.session.scalar(select(func.count()).select_from(LeaseRow)) == 0


async def test_the_backlog_counts_unsent_replies_and_broadcasts_apart(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.outbox.backlog(broadcasts=False) == (0, None)
        old, newer, sent = (
            OutgoingMessage(7, "sendMessage", {"text": str(n)}, NOW + timedelta(minutes=n))
            for n in (0, 5, 9)
        )
        await uow.outbox.add_many([old], taken_by="host:1", at=NOW)  # being sent
        await uow.outbox.add_many([newer], taken_by=None, at=NOW)  # pending
        [done] = await uow.outbox.add_many([sent], taken_by=None, at=NOW)
        assert done.id is not None
        await uow.outbox.mark_sent(done.id, at=NOW, sent_message_id=1)
        early = NOW - timedelta(hours=3)
        await uow.outbox.add_bulk(
            1, [OutgoingMessage(c, "sendMessage", {"text": "x"}, early) for c in (1, 2, 3)]
        )
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.outbox.backlog(broadcasts=False) == (2, NOW)
        assert await uow.outbox.backlog(broadcasts=True) == (3, early)


async def test_dead_letters_are_the_updates_set_aside(database: Database) -> None:
    async with database.uow() as uow:
        await uow.inbound.record_many([(n, {"update_id": n}, 5) for n in (1, 2, 3)], NOW)
        for update_id in (1, 3):
            assert await uow.inbound.set_aside(update_id, NOW, "cannot be read")
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.inbound.count_set_aside() == 2
