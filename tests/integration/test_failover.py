"""Failover on the real storage: a gone process's work is taken over once, a live one's never.

(:mod:`core.failover` over :mod:`storage.leases`, :mod:`storage.outbox`, :mod:`storage.inbound`.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core import failover
from core.inbound import MAX_ATTEMPTS
from core.outbox import OutgoingMessage
from storage.database import PG_POOL_SIZE
from storage.uow import Database

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
ALIVE = "alive:"
GONE, LIVE, TAKER = "host-a:101", "host-b:202", "host-c:303"
GONE_CHAT, LIVE_CHAT = 7101, 7202
SECONDS = 3.0


async def _serving(database: Database, holder: str, chat_id: int, update_id: int) -> None:
    """``holder`` says it is alive at NOW, holds a reply to ``chat_id`` and one stored update."""
    async with database.uow() as uow:
        await uow.leases.acquire(ALIVE + holder, holder, now=NOW, seconds=SECONDS)
        reply = OutgoingMessage(chat_id, "sendMessage", {"chat_id": chat_id, "text": "…"}, NOW)
        await uow.outbox.add_many([reply], taken_by=holder, at=NOW)
        payload = {"update_id": update_id, "message": {"chat": {"id": chat_id}}}
        await uow.inbound.record_many([(update_id, payload, chat_id)], NOW, received_by=holder)
        await uow.commit()


async def _renew(database: Database, holder: str, at: datetime) -> None:
    async with database.uow() as uow:
        await uow.leases.acquire(ALIVE + holder, holder, now=at, seconds=SECONDS)
        await uow.commit()


async def test_a_gone_process_s_replies_and_updates_are_taken_over_and_a_live_one_s_left(
    database: Database,
) -> None:
    await _serving(database, GONE, GONE_CHAT, 1)
    await _serving(database, LIVE, LIVE_CHAT, 2)
    later = NOW + timedelta(seconds=SECONDS + 1)
    await _renew(database, LIVE, later)  # the live one goes on beating; the gone one does not

    lapsed = await failover.heartbeat(
        database.uow(), prefix=ALIVE, lease=ALIVE + TAKER, holder=TAKER, now=later, seconds=SECONDS
    )
    assert lapsed == [(ALIVE + GONE, GONE)]
    handover = await failover.take_over(
        database.uow(), lease=ALIVE + GONE, gone=GONE, by=TAKER, now=later, limit=100
    )

    assert handover is not None
    assert handover.chats == {GONE_CHAT}
    assert [(u.update_id, u.attempts) for u in handover.updates] == [(1, 0)]
    async with database.uow() as uow:
        assert await uow.outbox.held_chats(GONE) == set()
        assert await uow.outbox.held_chats(LIVE) == {LIVE_CHAT}  # the live one still sends it
        assert [m.chat_id for m in await uow.outbox.pending(limit=10)] == [GONE_CHAT]
        assert [u.update_id for u in await uow.inbound.waiting(limit=10, received_by=TAKER)] == [1]
        assert [u.attempts for u in await uow.inbound.waiting(limit=10, received_by=TAKER)] == [1]
        assert [u.update_id for u in await uow.inbound.waiting(limit=10, received_by=LIVE)] == [2]
        assert await uow.leases.holders(ALIVE, now=later) == {LIVE, TAKER}
        assert await uow.leases.lapsed(ALIVE, now=later) == []


async def test_a_gone_process_is_taken_over_by_one_process_only(database: Database) -> None:
    await _serving(database, GONE, GONE_CHAT, 1)
    later = NOW + timedelta(seconds=SECONDS + 1)

    first = await failover.take_over(
        database.uow(), lease=ALIVE + GONE, gone=GONE, by=TAKER, now=later, limit=100
    )
    second = await failover.take_over(
        database.uow(), lease=ALIVE + GONE, gone=GONE, by=LIVE, now=later, limit=100
    )

    assert first is not None and not first.empty
    assert second is None


async def test_a_live_process_is_not_taken_over(database: Database) -> None:
    await _serving(database, LIVE, LIVE_CHAT, 2)

    taken = await failover.take_over(
        database.uow(), lease=ALIVE + LIVE, gone=LIVE, by=TAKER, now=NOW, limit=100
    )

    assert taken is None
    async with database.uow() as uow:
        assert await uow.outbox.held_chats(LIVE) == {LIVE_CHAT}


async def test_a_process_that_says_it_is_gone_is_taken_over_at_the_next_heartbeat(
    database: Database,
) -> None:
    await _serving(database, GONE, GONE_CHAT, 1)

    await failover.say_gone(database.uow(), lease=ALIVE + GONE, holder=GONE, now=NOW)
    lapsed = await failover.heartbeat(
        database.uow(), prefix=ALIVE, lease=ALIVE + TAKER, holder=TAKER, now=NOW, seconds=SECONDS
    )

    assert lapsed == [(ALIVE + GONE, GONE)]  # at once, not SECONDS later


async def test_an_update_that_stopped_every_process_taking_it_over_is_set_aside(
    database: Database,
) -> None:
    await _serving(database, GONE, GONE_CHAT, 1)
    async with database.uow() as uow:
        for _ in range(MAX_ATTEMPTS):
            await uow.inbound.count_attempt([1])
        await uow.commit()

    handover = await failover.take_over(
        database.uow(),
        lease=ALIVE + GONE,
        gone=GONE,
        by=TAKER,
        now=NOW + timedelta(seconds=SECONDS + 1),
        limit=100,
    )

    assert handover is not None
    assert handover.updates == ()
    assert list(handover.set_aside) == [1]
    async with database.uow() as uow:
        assert await uow.inbound.count_set_aside() == 1


# SQLite: the heartbeat queues at the writer gate like any transaction, a millisecond's wait.
@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_a_heartbeat_does_not_wait_for_the_connections_the_turns_hold(
    database: Database,
) -> None:
    busy = [database.uow() for _ in range(PG_POOL_SIZE)]
    for uow in busy:  # every pooled connection in a turn's transaction
        await uow.__aenter__()
        await uow.leases.lapsed(ALIVE, now=NOW)
    try:
        async with asyncio.timeout(5):  # the pool would have made it wait 30 s, then fail
            lapsed = await failover.heartbeat(
                database.urgent_uow(),
                prefix=ALIVE,
                lease=ALIVE + LIVE,
                holder=LIVE,
                now=NOW,
                seconds=SECONDS,
            )
    finally:
        for uow in busy:
            await uow.__aexit__(None, None, None)

    assert lapsed == []
    async with database.uow() as uow:
        assert await uow.leases.lapsed(ALIVE, now=NOW + timedelta(seconds=SECONDS + 1)) == [
            (ALIVE + LIVE, LIVE)
        ]
