"""Outgoing messages are queued in order and marked sent or failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.outbox import OutboxStatus, OutgoingMessage
from storage.tables import OutboxRow
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LAN_CHAT = 7_123_456_789
MINH_CHAT = 7_123_456_790


def a_message(chat_id: int, text: str) -> OutgoingMessage:
    return OutgoingMessage(chat_id, "sendMessage", {"chat_id": chat_id, "text": text}, NOW)


async def _queue(database: Database, *messages: OutgoingMessage) -> list[OutgoingMessage]:
    async with database.uow() as uow:
        queued = [await uow.outbox.add(message) for message in messages]
        await uow.commit()
    return queued


async def test_a_queued_message_comes_back_equal_with_its_id(database: Database) -> None:
    message = a_message(LAN_CHAT, "Cảm ơn bạn đã đề cử! <b>NT-ABCD-EFGH</b>")
    (queued,) = await _queue(database, message)

    async with database.uow() as uow:
        pending = await uow.outbox.pending(limit=10)

    assert queued.id is not None
    assert message.id is None  # the caller's object is left alone
    assert pending == [queued]


async def test_pending_messages_come_in_id_order_for_all_chats_or_one(database: Database) -> None:
    queued = await _queue(
        database,
        a_message(LAN_CHAT, "1"),
        a_message(MINH_CHAT, "2"),
        a_message(LAN_CHAT, "3"),
        a_message(LAN_CHAT, "4"),
    )

    async with database.uow() as uow:
        every = await uow.outbox.pending(limit=10)
        lans = await uow.outbox.pending(limit=10, chat_id=LAN_CHAT)
        first_two = await uow.outbox.pending(limit=2)

    assert [m.params["text"] for m in every] == ["1", "2", "3", "4"]
    assert [m.id for m in every] == sorted(m.id for m in queued if m.id is not None)
    assert [m.params["text"] for m in lans] == ["1", "3", "4"]
    assert [m.params["text"] for m in first_two] == ["1", "2"]


async def test_a_sent_message_is_no_longer_pending_and_keeps_telegrams_message_id(
    database: Database,
) -> None:
    first, second = await _queue(database, a_message(LAN_CHAT, "1"), a_message(LAN_CHAT, "2"))
    assert first.id is not None
    sent_at = NOW + timedelta(seconds=1)

    async with database.uow() as uow:
        await uow.outbox.mark_sent(first.id, at=sent_at, sent_message_id=4_242)
        await uow.commit()

    async with database.uow() as uow:
        pending = await uow.outbox.pending(limit=10)
        row = await uow.session.get_one(OutboxRow, first.id)
        stored = (row.status, row.attempts, row.sent_at, row.sent_message_id)

    assert pending == [second]
    assert stored == (OutboxStatus.SENT.value, 1, sent_at, 4_242)


async def test_a_failed_attempt_stays_pending_until_a_final_failure(database: Database) -> None:
    (message,) = await _queue(database, a_message(LAN_CHAT, "1"))
    assert message.id is not None

    async with database.uow() as uow:
        await uow.outbox.mark_failed(message.id, at=NOW, error="429 Too Many Requests", final=False)
        await uow.commit()
    async with database.uow() as uow:
        (retrying,) = await uow.outbox.pending(limit=10)

    async with database.uow() as uow:
        await uow.outbox.mark_failed(message.id, at=NOW, error="403 Forbidden", final=True)
        await uow.commit()
    async with database.uow() as uow:
        remaining = await uow.outbox.pending(limit=10)
        row = await uow.session.get_one(OutboxRow, message.id)
        stored = (row.status, row.attempts, row.last_error, row.sent_at)

    assert (retrying.status, retrying.attempts, retrying.last_error) == (
        OutboxStatus.PENDING,
        1,
        "429 Too Many Requests",
    )
    assert remaining == []
    assert stored == (OutboxStatus.FAILED.value, 2, "403 Forbidden", None)


async def test_a_chat_with_a_message_in_flight_has_nothing_sendable(database: Database) -> None:
    first, second = await _queue(database, a_message(LAN_CHAT, "1"), a_message(LAN_CHAT, "2"))
    other = (await _queue(database, a_message(MINH_CHAT, "3")))[0]
    assert first.id is not None
    async with database.uow() as uow:
        assert await uow.outbox.sendable(LAN_CHAT, limit=10) == [first, second]
        assert await uow.outbox.claim(first.id, at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.sendable(LAN_CHAT, limit=10) == []  # its sender goes on
        assert await uow.outbox.sendable(MINH_CHAT, limit=10) == [other]
    async with database.uow() as uow:
        # The sender that took it says it went (not recorded yet): the rest is sendable.
        assert await uow.outbox.sendable(LAN_CHAT, limit=10, done={first.id}) == [second]


async def test_messages_queued_together_keep_their_order_and_can_be_taken_at_once(
    database: Database,
) -> None:
    (earlier,) = await _queue(database, a_message(MINH_CHAT, "0"))
    messages = [a_message(LAN_CHAT, str(n)) for n in range(1, 4)]
    async with database.uow() as uow:
        taken = await uow.outbox.add_many(messages, taken_by="host:1", at=NOW)
        waiting = await uow.outbox.add_many([a_message(MINH_CHAT, "4")], taken_by=None, at=NOW)
        await uow.commit()

    ids = [m.id for m in taken]
    assert [m.params["text"] for m in taken] == ["1", "2", "3"]
    assert all(m.status is OutboxStatus.SENDING for m in taken)
    assert ids == sorted(i for i in ids if i is not None) and earlier.id is not None
    assert min(i for i in ids if i is not None) > earlier.id
    async with database.uow() as uow:
        assert await uow.outbox.unsent(LAN_CHAT, limit=10) == ids
        assert await uow.outbox.unsent(MINH_CHAT, limit=10) == [earlier.id, waiting[0].id]
        assert await uow.outbox.unsent(MINH_CHAT, limit=1) == [earlier.id]
        assert await uow.outbox.claimers() == {"host:1"}
        assert await uow.outbox.sendable(LAN_CHAT, limit=10) == []  # held by their sender
        await uow.outbox.mark_sent_many([(i, None) for i in ids if i is not None], at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.unsent(LAN_CHAT, limit=10) == []
