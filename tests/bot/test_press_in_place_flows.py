"""Outside the nomination too, a press costs two Bot API calls: its answer and one edit.

The pressed message turns into what follows (its first line what was chosen, below its own
text where that must stay readable: a case card, a question, an offer). Where a new message
is right, a press still costs three calls: the answer, the buttons removed, the message.
"""

from __future__ import annotations

from bot.local_api import LocalBotApi, SimUser
from bot.local_api.models import BotMessage
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say
from tests.bot.test_broadcast_chat import ALL, SEND_NOW
from tests.bot.test_officers import HANG_BAC, _grant, _nominate

IN_PLACE = ["answerCallbackQuery", "editMessageText"]
NEW_MESSAGE = ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]


async def _press(
    api: LocalBotApi, user: SimUser, label: str, on: BotMessage | None = None
) -> tuple[BotMessage, list[str]]:
    """Press ``label``; return the answer and the Bot API calls the press made in this chat.

    Notices to other chats (the nominator told of an officer's step) are not counted.
    """
    await api.wait_until_idle(timeout=5)
    before = len(api.calls)
    if on is None:
        reply = await user.press_for_reply(label)
    else:
        reply = await user.press_on_for_reply(on, label)
    await api.wait_until_idle(timeout=5)
    calls = [
        c.method
        for c in api.calls[before:]
        if c.method == "answerCallbackQuery" or c.params.get("chat_id") == user.chat_id
    ]
    return reply, sorted(calls)


async def test_a_residents_presses_outside_the_nomination_cost_two_calls(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1931, "Thảo")
    await user.send_command("/start")
    _welcome, notice = await user.wait_for_messages(2)

    thanks, calls = await _press(api, user, "✅ Tôi đồng ý")
    assert calls == IN_PLACE
    assert thanks.message_id == notice.message_id
    # What was agreed to stays readable above the thanks.
    assert "dữ liệu cá nhân" in thanks.text and "✓ ✅ Tôi đồng ý\n\nCảm ơn" in thanks.text
    assert thanks.buttons == [["📝 Đề cử người tốt, việc tốt"]]
    first, calls = await _press(api, user, "📝 Đề cử người tốt, việc tốt")
    assert calls == IN_PLACE
    assert first.text.startswith("✓ 📝 Đề cử người tốt, việc tốt\n\nBước 1/10")
    await say(user, "/huy")

    offer = await say(user, "/subscribe")
    done, calls = await _press(api, user, "🔔 Tất cả thông báo")
    assert calls == IN_PLACE
    assert done.message_id == offer.message_id and "✓ 🔔 Tất cả thông báo" in done.text
    assert "Anh/Chị muốn nhận thông báo nào?" in done.text, "the offer stays readable"
    assert done.buttons == []

    asked = await say(user, "/yeucau")
    question, calls = await _press(api, user, "Sửa thông tin đề cử đã có quyết định")
    assert calls == IN_PLACE
    assert question.message_id == asked.message_id and "gõ nội dung yêu cầu" in question.text
    assert question.buttons == [["✖️ Hủy"]]
    # The cancel brings the menu back: a reply keyboard comes only with a new message.
    cancelled, calls = await _press(api, user, "✖️ Hủy")
    assert calls == NEW_MESSAGE
    assert cancelled.message_id != asked.message_id

    asked = await say(user, "/xoadulieu")
    erased, calls = await _press(api, user, "🗑 Xóa dữ liệu của tôi")
    assert calls == IN_PLACE
    assert erased.message_id == asked.message_id and "Đã xóa" in erased.text


async def test_an_officers_presses_on_a_card_and_its_dialog_cost_two_calls(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1932, "Lan"), api.user(1933, "Cán bộ Bạc")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await _nominate(resident)
    await say(officer, "/queue")
    card = await officer.press_for_reply(f"{code} · Nguyễn Văn Bình")

    verified, calls = await _press(api, officer, "🔍 Tiếp nhận, xác minh")
    assert calls == IN_PLACE
    # The fresh card replaces the pressed one: the case is shown once, not twice.
    assert verified.message_id == card.message_id
    assert verified.text.startswith("✓ 🔍 Tiếp nhận, xác minh\n\n")
    assert "Đang xác minh" in verified.text and verified.text.count("Nguyễn Văn Bình") == 1
    assert "đang được xác minh" in (await resident.next_message()).text

    asked, calls = await _press(api, officer, "❓ Yêu cầu bổ sung")
    assert calls == IN_PLACE
    # The card stays readable above the question it asks.
    assert asked.message_id == card.message_id and code in asked.text
    assert "✓ ❓ Yêu cầu bổ sung" in asked.text and asked.buttons == [["✖️ Hủy"]]
    cancelled, calls = await _press(api, officer, "✖️ Hủy")
    assert calls == IN_PLACE
    assert cancelled.message_id == card.message_id and cancelled.buttons == []


async def test_the_secretariats_presses_on_questions_requests_and_a_preview_cost_two_calls(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, secretary = api.user(1935, "Mai"), api.user(1936, "Thư ký Hà")
    await _grant(bot, clock, secretary, Role.SECRETARIAT)
    await resident.send_command("/start")
    await resident.wait_for_messages(2)
    await press(resident, "✅ Tôi đồng ý")

    await say(resident, "/lienhe")
    await say(resident, "Hồ sơ đề cử cần những giấy tờ gì ạ?")
    question = await secretary.next_message()
    opened, calls = await _press(api, secretary, "✍️ Trả lời")
    assert calls == IN_PLACE
    # The question stays readable above the answer asked for.
    assert opened.message_id == question.message_id and "cần những giấy tờ gì" in opened.text
    assert "✓ ✍️ Trả lời" in opened.text and "gõ câu trả lời" in opened.text
    await say(secretary, "Chỉ cần mô tả việc tốt.")
    await resident.next_message()

    await say(resident, "/yeucau")
    await press(resident, "Sửa thông tin đề cử đã có quyết định")
    await say(resident, "Tên tôi bị ghi sai.")
    request = await secretary.next_message()
    label = next(label for row in request.buttons for label in row if "Tiếp nhận" in label)
    taken, calls = await _press(api, secretary, label, on=request)
    assert calls == IN_PLACE
    assert taken.message_id == request.message_id and "Tên tôi bị ghi sai." in taken.text
    assert "Đã tiếp nhận" in taken.text

    await say(secretary, "/broadcast")
    await say(secretary, "Mời dự lễ tuyên dương.")
    # The preview shows the announcement first, as a new message: the summary follows it.
    await api.wait_until_idle(timeout=5)
    before = len(api.calls)
    await secretary.press(ALL)
    _announcement, summary = await secretary.wait_for_messages(2)
    await api.wait_until_idle(timeout=5)
    calls = sorted(c.method for c in api.calls[before:] if c.method != "getUpdates")
    assert calls == [*NEW_MESSAGE, "sendMessage"]
    before = len(api.calls)
    sent = await secretary.press_for_reply(SEND_NOW)
    await api.wait_until_idle(timeout=5)
    # The paced sender's word that sending began comes on its own, not from the press.
    started = "đang được gửi tới"
    calls = sorted(
        c.method
        for c in api.calls[before:]
        if c.method == "answerCallbackQuery"
        or (c.params.get("chat_id") == secretary.chat_id and started not in c.params["text"])
    )
    assert calls == IN_PLACE
    assert sent.message_id == summary.message_id and "Sẽ gửi tới" in sent.text
    assert f"✓ {SEND_NOW}" in sent.text


async def test_the_language_press_stays_at_three_calls_for_the_menu_in_the_new_language(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1934, "Anna")
    asked = await say(user, "/lang")

    answer, calls = await _press(api, user, "🇬🇧 English")

    # The menu must come in English, on a reply keyboard: only a new message carries it.
    assert calls == NEW_MESSAGE
    assert answer.message_id != asked.message_id and asked.buttons == []
    assert user.reply_keyboard is not None
    assert ["📝 Nominate a good deed"] in user.reply_keyboard
