"""A turn's replies: taken for sending in the turn's own transaction, recorded in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bot.local_api import LocalBotApi, SimUser
from core.outbox import OutboxStatus, OutgoingMessage
from storage.outbox import SqlOutboxRepository
from storage.tables import OutboxRow
from tests.bot.conftest import FakeClock, RunningBot, taken_elsewhere
from tests.bot.flows import agree_and_start, answer_steps, press

Stored = tuple[str, str, int, str | None, int | None]


async def _started(api: LocalBotApi, user_id: int, name: str) -> SimUser:
    """Return a resident who sent /start and got both answers, with nothing left in flight."""
    user = api.user(user_id, name)
    await user.send_command("/start")
    await user.wait_for_messages(2)
    await api.wait_until_idle(timeout=5)
    return user


async def _rows(bot: RunningBot, chat_id: int) -> list[Stored]:
    """Return each stored message of the chat: method, status, attempts, taker, Telegram id."""
    async with bot.runtime.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = await session.execute(
            select(
                OutboxRow.method,
                OutboxRow.status,
                OutboxRow.attempts,
                OutboxRow.claimed_by,
                OutboxRow.sent_message_id,
            )
            .where(OutboxRow.chat_id == chat_id)
            .order_by(OutboxRow.id)
        )
        return [tuple(row) for row in rows]


async def test_every_reply_is_recorded_as_sent_with_telegrams_message_id(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(811, "Thảo")
    await agree_and_start(user)
    await api.wait_until_idle(timeout=5)
    sender = bot.runtime.sender
    assert sender is not None
    await sender.record()

    rows = await _rows(bot, user.chat_id)
    sent_ids = [m.message_id for m in user.messages]
    assert rows and {status for _, status, *_ in rows} == {OutboxStatus.SENT.value}
    assert {(attempts, taker) for _, _, attempts, taker, _ in rows} == {(1, sender.name)}
    assert [tid for method, *_, tid in rows if method == "sendMessage"] == sent_ids


async def test_a_reply_waits_behind_a_message_queued_earlier_for_its_chat(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = await _started(api, 812, "Tâm")
    # A notice queued for the chat and not sent yet (its sender is busy elsewhere).
    async with bot.runtime.uow() as uow:
        await uow.outbox.add(
            OutgoingMessage(
                user.chat_id,
                "sendMessage",
                {"chat_id": user.chat_id, "text": "Thông báo trước"},
                bot.runtime.clock(),
            )
        )
        await uow.commit()

    await user.send_command("/help")
    notice, help_text = await user.wait_for_messages(2)

    assert notice.text == "Thông báo trước"
    assert "/nominate" in help_text.text


async def test_when_a_reply_fails_the_next_ones_of_the_turn_wait_and_go_in_order(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(813, "Uyên")
    await agree_and_start(user)
    await answer_steps(user, until="evidence")
    await api.wait_until_idle(timeout=5)
    # Skipping the photos answers with two calls: remove the buttons, then ask for the phone
    # (its reply keyboard cannot ride on an edit of the pressed question).
    api.fail_next("editMessageReplyMarkup", error_code=502, description="Bad Gateway")
    await user.press("Bỏ qua")
    question = await user.next_message(timeout=5)  # no sweep needed: a back-off of a second
    assert "Bước 9/10" in question.text
    calls = [
        (c.method, c.ok) for c in api.calls if c.method in ("editMessageReplyMarkup", "sendMessage")
    ]
    assert calls[-3:] == [
        ("editMessageReplyMarkup", False),
        ("editMessageReplyMarkup", True),  # the question waited for the failed call
        ("sendMessage", True),
    ]


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_a_reply_behind_a_message_another_process_sends_waits_for_it(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = await _started(api, 814, "Vinh")
    # Another process is sending a message to the chat right now.
    held = await taken_elsewhere(bot, user.chat_id, "Thư đang gửi")

    await user.send_command("/help")
    await asyncio.sleep(0.5)
    assert len(user.messages) == 2, "the reply waits for the message held elsewhere"
    async with bot.runtime.uow() as uow:  # the other process is done
        await uow.outbox.mark_sent_many([(held, None)], at=bot.runtime.clock())
        await uow.commit()

    help_text = await user.next_message(timeout=3)
    assert "/nominate" in help_text.text


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_a_reply_goes_out_when_the_other_process_finishes_between_two_looks(
    api: LocalBotApi,
    bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await _started(api, 816, "Yến")
    held = await taken_elsewhere(bot, user.chat_id, "Thư đang gửi")
    sendable, unsent = SqlOutboxRepository.sendable, SqlOutboxRepository.unsent
    looked, finished = False, False

    async def look(
        repository: SqlOutboxRepository, chat_id: int, **kwargs: Any
    ) -> Sequence[OutgoingMessage]:
        nonlocal looked
        found = await sendable(repository, chat_id, **kwargs)
        looked = looked or (chat_id == user.chat_id and not found)
        return found

    async def other_process_finishes_first(
        repository: SqlOutboxRepository, chat_id: int, **kwargs: Any
    ) -> list[int]:
        nonlocal finished
        if looked and not finished:  # between the sender's two looks, the held message goes
            finished = True
            async with bot.runtime.uow() as uow:
                await uow.outbox.mark_sent_many([(held, None)], at=bot.runtime.clock())
                await uow.commit()
        return await unsent(repository, chat_id, **kwargs)

    monkeypatch.setattr(SqlOutboxRepository, "sendable", look)
    monkeypatch.setattr(SqlOutboxRepository, "unsent", other_process_finishes_first)
    await user.send_command("/help")

    help_text = await user.next_message(timeout=3)
    assert finished, "the reply did wait behind the held message"
    assert "/nominate" in help_text.text


async def test_a_buttons_answer_goes_out_alongside_the_reply_not_before_it(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(815, "Xuân")
    await agree_and_start(user)
    await api.wait_until_idle(timeout=5)
    api.latency = 0.3
    api.clear_calls()
    await press(user, "👤 Cá nhân")

    answer = api.calls_for("answerCallbackQuery")[-1]
    edit = api.calls_for("editMessageText")[-1]
    # Made one after the other, the edit would be answered a whole latency after the answer.
    assert abs(edit.at - answer.at) < api.latency / 2
