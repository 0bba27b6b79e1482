"""Zalo's messages in the outbox: each sender finds its own channel's, in order per chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.broadcasts import Audience, Broadcast, BroadcastStatus
from core.channels import Channel
from core.identity import minted_user_id
from core.outbox import OutboxStatus, OutgoingMessage
from storage.database import create_engine
from storage.migrate import downgrade, upgrade
from storage.tables import OutboxRow
from storage.uow import Database

NOW = datetime(2026, 12, 15, 3, 0, tzinfo=UTC)
LAN_TELEGRAM = 7_123_456_789
HOA_ZALO = minted_user_id(1)
BINH_ZALO = minted_user_id(2)


def a_message(chat_id: int, text: str, **fields: object) -> OutgoingMessage:
    return OutgoingMessage(
        chat_id,
        "sendMessage",
        {"chat_id": chat_id, "text": text},
        NOW,
        **fields,  # type: ignore[arg-type]
    )


async def _queue(database: Database, *messages: OutgoingMessage) -> list[int]:
    async with database.uow() as uow:
        queued = [await uow.outbox.add(message) for message in messages]
        await uow.commit()
    return [message.id for message in queued if message.id is not None]


async def _running_broadcast(database: Database, *messages: OutgoingMessage) -> int:
    async with database.uow() as uow:
        broadcast = await uow.broadcasts.add(
            Broadcast("Thông báo", Audience.parse("all"), NOW, status=BroadcastStatus.SENDING)
        )
        assert broadcast.id is not None
        await uow.outbox.add_bulk(broadcast.id, list(messages))
        await uow.commit()
    return broadcast.id


async def _due(database: Database, now: datetime = NOW) -> list[str]:
    async with database.uow() as uow:
        return [m.params["text"] for m in await uow.outbox.zalo_due(now=now, limit=100)]


async def _status(database: Database, message_id: int) -> tuple[str, datetime | None]:
    async with database.uow() as uow:
        row = await uow.session.get_one(OutboxRow, message_id)
        return row.status, row.retry_at


async def test_every_way_of_queueing_keeps_the_channel(database: Database) -> None:
    (added,) = await _queue(database, a_message(HOA_ZALO, "add"))
    async with database.uow() as uow:
        many = await uow.outbox.add_many(
            [a_message(HOA_ZALO, "many"), a_message(LAN_TELEGRAM, "many")], taken_by=None, at=NOW
        )
        await uow.commit()
    await _running_broadcast(database, a_message(BINH_ZALO, "bulk"))

    async with database.uow() as uow:
        rows = await uow.session.execute(
            sa.select(OutboxRow.chat_id, OutboxRow.channel).order_by(OutboxRow.id)
        )
        stored = [(row.chat_id, row.channel) for row in rows]
        recent = await uow.outbox.recent(HOA_ZALO, limit=1)

    assert stored == [
        (HOA_ZALO, "zalo"),
        (HOA_ZALO, "zalo"),
        (LAN_TELEGRAM, "telegram"),
        (BINH_ZALO, "zalo"),
    ]
    assert [m.channel for m in many] == [Channel.ZALO, Channel.TELEGRAM]
    assert recent[0].channel is Channel.ZALO and recent[0].id == many[0].id
    assert added < many[0].id  # type: ignore[operator]


async def test_telegram_senders_never_find_a_zalo_message(database: Database) -> None:
    hoa, lan = await _queue(database, a_message(HOA_ZALO, "hoa"), a_message(LAN_TELEGRAM, "lan"))
    broadcast_id = await _running_broadcast(
        database, a_message(BINH_ZALO, "bulk"), a_message(LAN_TELEGRAM + 1, "bulk")
    )

    async with database.uow() as uow:
        pending = [m.id for m in await uow.outbox.pending(limit=100)]
        for_hoa = await uow.outbox.pending(limit=100, chat_id=HOA_ZALO)
        sendable = await uow.outbox.sendable(HOA_ZALO, limit=100)
        unsent = await uow.outbox.unsent(HOA_ZALO, limit=100)
        bulk = await uow.outbox.pending_bulk(limit=100, now=NOW, urgent_only=False)
        assert await uow.outbox.claim(hoa, at=NOW, by="zalo-host:1")
        await uow.commit()
    async with database.uow() as uow:
        claimers = await uow.outbox.claimers()
        backlog = await uow.outbox.backlog(broadcasts=False)
        bulk_backlog = await uow.outbox.backlog(broadcasts=True)

    assert pending == [lan]
    assert (for_hoa, sendable, unsent) == ([], [], [])
    assert [(m.chat_id, m.broadcast_id) for m in bulk] == [(LAN_TELEGRAM + 1, broadcast_id)]
    assert claimers == set()
    assert backlog == (1, NOW) and bulk_backlog == (1, NOW)


async def test_zalo_due_never_offers_a_telegram_message(database: Database) -> None:
    await _queue(database, a_message(LAN_TELEGRAM, "lan"))
    await _running_broadcast(database, a_message(LAN_TELEGRAM + 1, "bulk"))

    assert await _due(database) == []


async def test_zalo_due_offers_each_chats_first_message_oldest_first(database: Database) -> None:
    await _queue(
        database,
        a_message(HOA_ZALO, "hoa 1"),
        a_message(BINH_ZALO, "binh 1"),
        a_message(HOA_ZALO, "hoa 2"),
    )

    async with database.uow() as uow:
        (oldest,) = await uow.outbox.zalo_due(now=NOW, limit=1)

    assert await _due(database) == ["hoa 1", "binh 1"]
    assert oldest.params["text"] == "hoa 1"


async def test_a_message_in_flight_or_sent_moves_its_chat_on(database: Database) -> None:
    first, _second = await _queue(
        database, a_message(HOA_ZALO, "hoa 1"), a_message(HOA_ZALO, "hoa 2")
    )
    async with database.uow() as uow:
        assert await uow.outbox.claim(first, at=NOW, by="zalo-host:1")
        await uow.commit()
    in_flight = await _due(database)

    async with database.uow() as uow:
        await uow.outbox.mark_sent(first, at=NOW, sent_message_id=None)
        await uow.commit()

    assert in_flight == []
    assert await _due(database) == ["hoa 2"]


async def test_a_message_waiting_out_a_back_off_is_due_once_it_is_over(
    database: Database,
) -> None:
    first, _second = await _queue(
        database, a_message(HOA_ZALO, "hoa 1"), a_message(HOA_ZALO, "hoa 2")
    )
    morning = NOW + timedelta(hours=7)
    async with database.uow() as uow:
        await uow.outbox.claim(first, at=NOW)
        await uow.outbox.retry_later(first, at=morning, error="quiet hours")
        await uow.commit()

    assert await _due(database) == []
    assert await _due(database, morning - timedelta(seconds=1)) == []
    assert await _due(database, morning) == ["hoa 1"]


async def test_a_broadcasts_message_takes_its_turn_in_the_chat(database: Database) -> None:
    await _running_broadcast(database, a_message(HOA_ZALO, "bulk"))
    await _queue(database, a_message(HOA_ZALO, "reply"))

    due = await _due(database)
    async with database.uow() as uow:
        (bulk,) = await uow.outbox.zalo_due(now=NOW, limit=10)

    assert due == ["bulk"]
    assert bulk.broadcast_id is not None


async def test_a_held_message_blocks_its_chat_until_released(database: Database) -> None:
    first, second = await _queue(
        database, a_message(HOA_ZALO, "hoa 1"), a_message(HOA_ZALO, "hoa 2")
    )
    await _queue(database, a_message(BINH_ZALO, "binh"))
    async with database.uow() as uow:
        await uow.outbox.claim(first, at=NOW)
        await uow.outbox.hold(first, at=NOW, error="outside the free window")
        await uow.commit()
    held = await _due(database)
    held_status = await _status(database, first)

    async with database.uow() as uow:
        released = await uow.outbox.release_waiting(HOA_ZALO)
        nothing_more = await uow.outbox.release_waiting(HOA_ZALO)
        await uow.commit()

    assert held == ["binh"]
    assert held_status == (OutboxStatus.WAITING.value, None)
    assert (released, nothing_more) == (1, 0)
    assert await _status(database, first) == (OutboxStatus.PENDING.value, None)
    assert await _status(database, second) == (OutboxStatus.PENDING.value, None)
    assert await _due(database) == ["hoa 1", "binh"]


async def test_a_hold_is_not_counted_as_an_attempt(database: Database) -> None:
    (message_id,) = await _queue(database, a_message(HOA_ZALO, "hoa"))
    async with database.uow() as uow:
        await uow.outbox.claim(message_id, at=NOW)
        await uow.outbox.retry_later(message_id, at=NOW, error="rate limited")
        await uow.outbox.claim(message_id, at=NOW)
        await uow.outbox.hold(message_id, at=NOW, error="outside the free window")
        await uow.commit()
    async with database.uow() as uow:
        row = await uow.session.get_one(OutboxRow, message_id)
        stored = (row.attempts, row.last_error)

    assert stored == (1, "outside the free window")


async def test_recent_gives_the_chats_latest_messages_that_went_or_may_still(
    database: Database,
) -> None:
    ids = await _queue(
        database,
        a_message(HOA_ZALO, "sent"),
        a_message(HOA_ZALO, "failed"),
        a_message(HOA_ZALO, "waiting"),
        a_message(BINH_ZALO, "someone else's"),
        a_message(HOA_ZALO, "pending"),
    )
    sent, failed, waiting = ids[:3]
    async with database.uow() as uow:
        await uow.outbox.mark_sent(sent, at=NOW, sent_message_id=None)
        await uow.outbox.mark_undeliverable(failed, at=NOW, failure="bad_request", error="-201")
        await uow.outbox.hold(waiting, at=NOW, error="outside the free window")
        await uow.commit()

    async with database.uow() as uow:
        latest = [m.params["text"] for m in await uow.outbox.recent(HOA_ZALO, limit=10)]
        last_two = [m.params["text"] for m in await uow.outbox.recent(HOA_ZALO, limit=2)]

    assert latest == ["pending", "waiting", "sent"]
    assert last_two == ["pending", "waiting"]


async def test_telegrams_bulk_recovery_leaves_zalo_broadcasts_alone(database: Database) -> None:
    await _running_broadcast(database, a_message(HOA_ZALO, "bulk"), a_message(LAN_TELEGRAM, "b"))
    async with database.uow() as uow:
        (zalo_message,) = await uow.outbox.zalo_due(now=NOW, limit=10)
        (telegram_message,) = await uow.outbox.pending_bulk(limit=10, now=NOW, urgent_only=False)
        zalo, telegram = zalo_message.id, telegram_message.id
        assert zalo is not None and telegram is not None
        await uow.outbox.claim(zalo, at=NOW)
        await uow.outbox.retry_later(zalo, at=NOW + timedelta(hours=3), error="quiet hours")
        await uow.outbox.claim(telegram, at=NOW)
        await uow.outbox.retry_later(telegram, at=NOW + timedelta(hours=3), error="network")
        assert await uow.outbox.retry_bulk_now() == 1
        await uow.outbox.claim(zalo, at=NOW + timedelta(hours=3))
        await uow.outbox.claim(telegram, at=NOW)
        assert await uow.outbox.release_bulk() == 1
        await uow.commit()

    assert await _status(database, zalo) == (OutboxStatus.SENDING.value, NOW + timedelta(hours=3))
    assert await _status(database, telegram) == (OutboxStatus.PENDING.value, None)


async def test_a_zalo_message_held_too_long_by_a_dead_sender_is_put_back(
    database: Database,
) -> None:
    (reply,) = await _queue(database, a_message(HOA_ZALO, "reply"))
    await _running_broadcast(database, a_message(BINH_ZALO, "bulk"), a_message(LAN_TELEGRAM, "b"))
    async with database.uow() as uow:
        bulk = [m.id for m in await uow.outbox.zalo_due(now=NOW, limit=10) if m.id != reply]
        telegram_bulk = [
            m.id for m in await uow.outbox.pending_bulk(limit=10, now=NOW, urgent_only=False)
        ]
        for message_id in [reply, *bulk, *telegram_bulk]:
            assert message_id is not None
            await uow.outbox.claim(message_id, at=NOW, by="zalo-host:1")
        put_back = await uow.outbox.release_stale(older_than=NOW + timedelta(minutes=2))
        await uow.commit()

    assert put_back == 2  # Telegram's broadcast is the bulk sender's to put back
    assert sorted(await _due(database)) == ["bulk", "reply"]


async def test_cancelling_a_broadcast_stops_its_waiting_messages_too(database: Database) -> None:
    broadcast_id = await _running_broadcast(database, a_message(HOA_ZALO, "bulk"))
    async with database.uow() as uow:
        (message,) = await uow.outbox.zalo_due(now=NOW, limit=10)
        assert message.id is not None
        await uow.outbox.claim(message.id, at=NOW)
        await uow.outbox.hold(message.id, at=NOW, error="outside the free window")
        cancelled = await uow.outbox.cancel_broadcast(broadcast_id)
        await uow.commit()

    assert cancelled == 1
    assert await _status(database, message.id) == (OutboxStatus.CANCELLED.value, None)


# migration 0022 ------------------------------------------------------------------------------


async def _channels(url: str) -> list[tuple[int, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                sa.text("SELECT chat_id, channel FROM outbox ORDER BY id")
            )
            return [(row[0], row[1]) for row in result]
    finally:
        await engine.dispose()


async def _queue_before_0022(url: str) -> None:
    """Write rows as the outbox before 0022 held them: no channel."""
    engine = create_engine(url)
    created = NOW.replace(tzinfo=None) if url.startswith("sqlite") else NOW
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO outbox (chat_id, method, params, created_at, status, attempts)"
                    " VALUES (:chat_id, 'sendMessage', '{}', :created_at, 'pending', 0)"
                ),
                [
                    {"chat_id": chat_id, "created_at": created}
                    for chat_id in (LAN_TELEGRAM, HOA_ZALO, -1_001_234_567_890, 2**52)
                ],
            )
    finally:
        await engine.dispose()


async def test_migration_0022_gives_rows_to_a_minted_chat_to_zalo(database_url: str) -> None:
    await upgrade(database_url, "0021")
    await _queue_before_0022(database_url)

    await upgrade(database_url)

    assert await _channels(database_url) == [
        (LAN_TELEGRAM, "telegram"),
        (HOA_ZALO, "zalo"),
        (-1_001_234_567_890, "telegram"),
        (2**52, "telegram"),  # the base itself is never minted
    ]
    await downgrade(database_url, "0021")
    await upgrade(database_url)
    assert [channel for _chat, channel in await _channels(database_url)] == [
        "telegram",
        "zalo",
        "telegram",
        "telegram",
    ]
