"""A press on a nomination's button costs two Bot API calls: its answer and one edit.

The pressed question is edited into the next one, its first line keeping what was chosen;
an edit Telegram refuses is sent as a new message instead, so no question is lost.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.local_api import LocalBotApi, SimUser
from bot.local_api.models import BotMessage
from core.outbox import OutboxStatus
from storage.tables import OutboxRow
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED, agree_and_start, answer_name, leave, press, say

IN_PLACE = ["answerCallbackQuery", "editMessageText"]


async def _press_counting(
    api: LocalBotApi, user: SimUser, label: str
) -> tuple[BotMessage, list[str]]:
    """Press ``label``; return the bot's answer and the Bot API calls it made for the press."""
    await api.wait_until_idle(timeout=5)
    before = len(api.calls)
    reply = await press(user, label)
    await api.wait_until_idle(timeout=5)
    return reply, sorted(c.method for c in api.calls[before:] if c.method != "getUpdates")


async def test_each_press_of_a_nomination_costs_two_bot_api_calls(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1901, "Hạnh")
    kind_question = await agree_and_start(user)

    reply, calls = await _press_counting(api, user, "👤 Cá nhân")
    assert calls == IN_PLACE
    assert reply.message_id == kind_question.message_id, "the question was edited in place"
    assert reply.text.startswith("✓ 👤 Cá nhân\n\nBước 2/10")
    assert len(user.messages) == 3, "no new message: welcome, notice and thanks, the question"

    await answer_name(user, "Nguyễn Văn Bình")
    reply, calls = await _press_counting(api, user, "Người dân")
    assert calls == IN_PLACE
    assert reply.text.startswith("✓ Người dân\n\nBước 4/10")
    await say(user, DEED)
    reply, calls = await _press_counting(api, user, "Hôm qua")
    assert calls == IN_PLACE
    assert reply.text.startswith("✓ Hôm qua\n\nBước 6/10")

    reply, calls = await _press_counting(api, user, "⬅️ Quay lại")  # back: the same way
    assert calls == IN_PLACE
    assert reply.text.startswith("✓ ⬅️ Quay lại\n\nBước 5/10")
    await say(user, DEED)
    reply, calls = await _press_counting(api, user, "Hôm qua")
    assert calls == IN_PLACE

    await say(user, "hoan kiem")
    await leave(user, "Bỏ qua")  # the place step's own keyboard: typed, a message
    reply, calls = await _press_counting(api, user, "Bỏ qua")
    # The phone question carries Telegram's own button on a reply keyboard, which no edit
    # can carry: the buttons are removed and the question sent.
    assert calls == ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]
    assert "Bước 9/10" in reply.text
    await leave(user, "Bỏ qua")

    summary, calls = await _press_counting(api, user, "Không cần")
    assert calls == IN_PLACE
    assert summary.text.startswith("✓ Không cần\n\n")
    assert "Nguyễn Văn Bình" in summary.text and "Hoàn Kiếm" in summary.text
    assert summary.buttons == [["✅ Gửi", "✏️ Sửa"], ["✖️ Hủy"]]

    submitted, calls = await _press_counting(api, user, "✅ Gửi")
    assert calls == IN_PLACE
    assert submitted.message_id == summary.message_id
    # The summary stays readable above what was chosen and the tracking code.
    assert "Nguyễn Văn Bình" in submitted.text and "Hoàn Kiếm" in submitted.text
    assert "✓ ✅ Gửi" in submitted.text and "Mã đề cử: NT-" in submitted.text
    assert submitted.buttons == []
    assert user.reply_keyboard is not None, "the main menu is still there"


async def test_cancel_pressed_replaces_the_question_with_the_goodbye(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1902, "Khoa")
    await agree_and_start(user)

    reply, calls = await _press_counting(api, user, "✖️ Hủy")

    assert calls == IN_PLACE
    assert reply.text.startswith("✓ ✖️ Hủy\n\nĐã hủy bản nháp đề cử.")
    assert reply.buttons == []


async def test_an_edit_telegram_refuses_is_sent_as_a_new_question(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1903, "Lan")
    kind_question = await agree_and_start(user)
    await api.wait_until_idle(timeout=5)
    api.fail_next(
        "editMessageText", error_code=400, description="Bad Request: message to edit not found"
    )

    question = await press(user, "👤 Cá nhân")

    assert question.message_id != kind_question.message_id, "a new message"
    assert question.text.startswith("✓ 👤 Cá nhân\n\nBước 2/10")
    # The question goes on from the new message: its buttons are signed and work.
    await answer_name(user, "Nguyễn Văn Bình")
    role = await press(user, "Người dân")
    assert "Bước 4/10" in role.text
    await api.wait_until_idle(timeout=5)
    sender = bot.runtime.sender
    assert sender is not None
    await sender.record()
    async with bot.runtime.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = await session.execute(
            select(OutboxRow.method, OutboxRow.status, OutboxRow.sent_message_id)
            .where(OutboxRow.chat_id == user.chat_id, OutboxRow.method == "editMessageText")
            .order_by(OutboxRow.id)
        )
        edits = [tuple(row) for row in rows]
    # The refused edit's row is recorded as sent, with the new message's id.
    assert ("editMessageText", OutboxStatus.SENT.value, question.message_id) in edits
