"""What a turn reads ahead answers as the reads would, and never once it could differ."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import text

from core.dialog import Dialog
from core.outbox import OutgoingMessage
from core.people import PRIVACY_NOTICE_VERSION, Consent, ConsentPurpose, User
from storage.uow import Database

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
USER = 7_100_000_001
CHAT = USER  # a private chat's id is the person's


def a_dialog(step: str = "nominee_name") -> Dialog:
    return Dialog(CHAT, USER, "nominate", step, {"draft": {}}, token=1, updated_at=NOW)


def a_message(text: str) -> OutgoingMessage:
    return OutgoingMessage(CHAT, "sendMessage", {"chat_id": CHAT, "text": text}, NOW)


async def stored(database: Database) -> int:
    """Store a person who agreed, their dialog and one message pending; return its id."""
    async with database.uow() as uow:
        await uow.users.save(User(USER, "Lan", "vi", None, NOW))
        consent = Consent(USER, ConsentPurpose.NOMINATION, PRIVACY_NOTICE_VERSION, NOW)
        await uow.consents.add(consent)
        await uow.dialogs.save(a_dialog())
        (pending,) = await uow.outbox.add_many([a_message("đầu")], taken_by=None, at=NOW)
        await uow.commit()
    assert pending.id is not None
    return pending.id


async def test_what_is_read_ahead_equals_what_the_reads_return(database: Database) -> None:
    pending = await stored(database)
    async with database.uow() as uow:
        read = (
            await uow.users.get(USER),
            await uow.consents.latest(USER, ConsentPurpose.NOMINATION),
            await uow.dialogs.get(CHAT),
            await uow.outbox.unsent(CHAT, limit=20),
        )
    async with database.uow() as uow:
        await uow.read_ahead(user_id=USER, chat_id=CHAT)
        ahead = (
            await uow.users.get(USER),
            await uow.consents.latest(USER, ConsentPurpose.NOMINATION),
            await uow.dialogs.get(CHAT),
            await uow.outbox.unsent(CHAT, limit=20),
        )
    assert ahead == read
    assert read[3] == [pending]


async def test_a_person_never_met_is_read_ahead_as_nobody(database: Database) -> None:
    async with database.uow() as uow:
        await uow.read_ahead(user_id=USER, chat_id=CHAT)
        assert await uow.users.get(USER) is None
        assert await uow.consents.latest(USER, ConsentPurpose.NOMINATION) is None
        assert await uow.dialogs.get(CHAT) is None
        assert await uow.outbox.unsent(CHAT, limit=20) == []


async def test_what_the_transaction_writes_is_read_back_not_what_was_read_ahead(
    database: Database,
) -> None:
    first = await stored(database)
    async with database.uow() as uow:
        await uow.read_ahead(user_id=USER, chat_id=CHAT)
        await uow.users.save(User(USER, "Lan Anh", "vi", None, NOW))
        await uow.consents.withdraw(USER, ConsentPurpose.NOMINATION, at=NOW)
        await uow.dialogs.save(a_dialog("deed"))
        (second,) = await uow.outbox.add_many([a_message("sau")], taken_by=None, at=NOW)
        user = await uow.users.get(USER)
        consent = await uow.consents.latest(USER, ConsentPurpose.NOMINATION)
        dialog = await uow.dialogs.get(CHAT)
        unsent = await uow.outbox.unsent(CHAT, limit=20)
    assert user is not None and user.display_name == "Lan Anh"
    assert consent is not None and consent.withdrawn_at == NOW
    assert dialog == a_dialog("deed")
    assert unsent == [first, second.id]


async def test_a_value_read_ahead_answers_once(database: Database) -> None:
    await stored(database)
    async with database.uow() as uow:
        await uow.read_ahead(user_id=USER, chat_id=CHAT)
        assert await uow.dialogs.get(CHAT) == a_dialog()
        await uow.session.execute(text("UPDATE dialogs SET step = 'date'"))  # not through it
        assert await uow.dialogs.get(CHAT) == replace(a_dialog(), step="date")
