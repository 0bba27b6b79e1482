"""Broadcasts in storage: one row per recipient, claims, outcomes, leases, launched campaigns."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from core.broadcasts import Audience, Broadcast, BroadcastStatus, Outcome
from core.org import Campaign, Validity
from core.outbox import OutgoingMessage
from core.people import User
from core.subscriptions import Scope, Subscription
from storage.uow import Database

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def _broadcast(database: Database, **fields: object) -> Broadcast:
    async with database.uow() as uow:
        stored = await uow.broadcasts.add(
            Broadcast("Thông báo", Audience.parse("all"), NOW, **fields)  # type: ignore[arg-type]
        )
        await uow.commit()
    return stored


def _rows(chats: range) -> list[OutgoingMessage]:
    return [OutgoingMessage(c, "sendMessage", {"chat_id": c, "text": "x"}, NOW) for c in chats]


async def test_a_broadcast_queues_each_chat_once_even_when_expanded_twice(
    database: Database,
) -> None:
    broadcast = await _broadcast(database, status=BroadcastStatus.SENDING)
    assert broadcast.id is not None
    async with database.uow() as uow:
        assert await uow.outbox.add_bulk(broadcast.id, _rows(range(1, 101))) == 100
        assert await uow.outbox.add_bulk(broadcast.id, _rows(range(90, 111))) == 10
        await uow.commit()
    async with database.uow() as uow:
        await uow.broadcasts.save(dataclasses.replace(broadcast, status=BroadcastStatus.SENDING))
        await uow.commit()
        pending = await uow.outbox.pending_bulk(limit=1000, now=NOW, urgent_only=False)
        replies = await uow.outbox.pending(limit=1000)
    assert sorted(m.chat_id for m in pending) == list(range(1, 111))
    assert replies == []  # bulk rows never go through the reply sender


async def test_claims_outcomes_and_cancel(database: Database) -> None:
    broadcast = await _broadcast(database, status=BroadcastStatus.SENDING)
    assert broadcast.id is not None
    async with database.uow() as uow:
        await uow.outbox.add_bulk(broadcast.id, _rows(range(1, 11)))
        await uow.commit()
    async with database.uow() as uow:
        rows = await uow.outbox.pending_bulk(limit=100, now=NOW, urgent_only=False)
        ids = [m.id for m in rows if m.id is not None]
        taken = await uow.outbox.claim_many(ids[:6], at=NOW)
        again = await uow.outbox.claim_many(ids[:6], at=NOW)
        await uow.outbox.mark_sent_many([(ids[0], 501), (ids[1], 502)], at=NOW)
        await uow.outbox.mark_undeliverable(ids[2], at=NOW, failure="blocked", error="403")
        await uow.outbox.mark_undeliverable(ids[3], at=NOW, failure="chat_not_found", error="400")
        await uow.outbox.retry_later(ids[4], at=NOW + timedelta(seconds=4), error="network")
        await uow.outbox.unclaim([ids[5]])
        await uow.commit()
    assert taken == sorted(ids[:6]) and again == []
    async with database.uow() as uow:
        due_now = await uow.outbox.pending_bulk(limit=100, now=NOW, urgent_only=False)
        later = await uow.outbox.pending_bulk(
            limit=100, now=NOW + timedelta(seconds=5), urgent_only=False
        )
        urgent = await uow.outbox.pending_bulk(limit=100, now=NOW, urgent_only=True)
        cancelled = await uow.outbox.cancel_broadcast(broadcast.id)
        outcomes = await uow.outbox.broadcast_outcomes(broadcast.id)
        await uow.commit()
    assert ids[4] not in {m.id for m in due_now} and ids[4] in {m.id for m in later}
    assert urgent == []  # not an urgent broadcast: held in the quiet hours
    assert cancelled == 6  # ids[4] and [5] pending again, ids[6..9] never taken
    assert outcomes == {
        Outcome.DELIVERED: 2,
        Outcome.BLOCKED: 1,
        Outcome.FAILED: 1,
        Outcome.CANCELLED: 6,
    }


async def test_a_dead_senders_claims_go_back_to_the_queue(database: Database) -> None:
    broadcast = await _broadcast(database, status=BroadcastStatus.SENDING)
    assert broadcast.id is not None
    async with database.uow() as uow:
        await uow.outbox.add_bulk(broadcast.id, _rows(range(1, 6)))
        reply = await uow.outbox.add(
            OutgoingMessage(9, "sendMessage", {"chat_id": 9, "text": "reply"}, NOW)
        )
        await uow.commit()
    async with database.uow() as uow:
        rows = await uow.outbox.pending_bulk(limit=10, now=NOW, urgent_only=False)
        await uow.outbox.claim_many([m.id for m in rows if m.id], at=NOW)
        assert reply.id is not None and await uow.outbox.claim(reply.id, at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.release_bulk() == 5  # the reply's claim is not the bulk's
        await uow.commit()
        statuses = {
            m.chat_id for m in await uow.outbox.pending_bulk(limit=10, now=NOW, urgent_only=False)
        }
    assert statuses == {1, 2, 3, 4, 5}


async def test_one_lease_holder_at_a_time_until_it_lapses(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.leases.acquire("bulk", "a", now=NOW, seconds=30)
        assert not await uow.leases.acquire(
            "bulk", "b", now=NOW + timedelta(seconds=10), seconds=30
        )
        assert await uow.leases.acquire("bulk", "a", now=NOW + timedelta(seconds=20), seconds=30)
        assert not await uow.leases.acquire(
            "bulk", "b", now=NOW + timedelta(seconds=49), seconds=30
        )
        assert await uow.leases.acquire("bulk", "b", now=NOW + timedelta(seconds=51), seconds=30)
        await uow.leases.release("bulk", "a")  # not a's any more: nothing happens
        assert not await uow.leases.acquire(
            "bulk", "a", now=NOW + timedelta(seconds=52), seconds=30
        )
        await uow.leases.release("bulk", "b")
        assert await uow.leases.acquire("bulk", "a", now=NOW + timedelta(seconds=53), seconds=30)
        await uow.commit()


async def test_subscribers_of_scopes_without_blocked_or_ended(database: Database) -> None:
    async with database.uow() as uow:
        for user_id in (1, 2, 3, 4, 5):
            await uow.users.save(
                User(user_id, f"U{user_id}", "en" if user_id == 2 else "vi", None, NOW)
            )
        await uow.subscriptions.add(Subscription(1, Scope.ALL, None, NOW))
        await uow.subscriptions.add(Subscription(2, Scope.WARD, "phuong-hang-bac", NOW))
        await uow.subscriptions.add(Subscription(3, Scope.WARD, "phuong-hang-dao", NOW))
        await uow.subscriptions.add(Subscription(4, Scope.ALL, None, NOW))
        await uow.subscriptions.add(Subscription(5, Scope.CAMPAIGN, "an-toan", NOW))
        await uow.subscriptions.set_blocked(4, at=NOW)
        await uow.subscriptions.end_all(5, at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        ward = await uow.subscriptions.subscribers(
            [(Scope.ALL, None), (Scope.WARD, "phuong-hang-bac")]
        )
        campaign = await uow.subscriptions.subscribers([(Scope.CAMPAIGN, "an-toan")])
        locales = await uow.users.locales([1, 2, 99])
    assert ward == {1, 2} and campaign == set()
    assert locales == {1: "vi", 2: "en"}


async def test_a_launched_campaign_survives_a_plan_reload(database: Database) -> None:
    from bot.plans import DEMO_PLAN, load_plan, read_plan_file

    document = read_plan_file(DEMO_PLAN)
    await load_plan(database, document)
    launched = Campaign(
        "mua-dong-am",
        "Mùa đông ấm",
        "Tương thân",
        "Áo ấm cho trẻ em",
        Validity(date(2026, 12, 1), None),
    )
    async with database.uow() as uow:
        await uow.organisation.add_campaign(launched, launched_by=42)
        await uow.commit()
    await load_plan(database, document)
    async with database.uow() as uow:
        organisation = await uow.organisation.load()
    assert organisation is not None and organisation.find_campaign("mua-dong-am") == launched
