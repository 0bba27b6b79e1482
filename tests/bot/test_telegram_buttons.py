"""Telegram's own buttons at the place and phone steps: the user's location and number."""

from __future__ import annotations

from typing import Any

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from tests.bot.conftest import RunningBot
from tests.bot.flows import agree_and_start, answer_steps, left, press, say

SHARE_PHONE = "📱 Gửi số điện thoại của tôi"
SHARE_LOCATION = "📍 Gửi vị trí hiện tại"
MENU = "📝 Đề cử người tốt, việc tốt"


def _button(user: SimUser, label: str) -> dict[str, Any]:
    markup = user.reply_keyboard_markup
    assert markup is not None, "no reply keyboard shown"
    return next(b for row in markup["keyboard"] for b in row if b["text"] == label)


async def _to_phone(user: SimUser) -> None:
    await answer_steps(user, "phone")


async def test_the_phone_step_offers_the_users_own_number_and_the_menu_comes_back(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7101, "Thảo", phone_number="84912345678")
    await agree_and_start(user)
    await _to_phone(user)
    ask = user.last_message
    assert "Số điện thoại" in ask.text and SHARE_PHONE in ask.text
    assert user.reply_keyboard == [[SHARE_PHONE], ["Bỏ qua"], ["⬅️ Quay lại", "✖️ Hủy"]]
    assert _button(user, SHARE_PHONE) == {"text": SHARE_PHONE, "request_contact": True}
    markup = user.reply_keyboard_markup
    assert markup is not None and markup["one_time_keyboard"] and markup["resize_keyboard"]
    assert markup["input_field_placeholder"] == "Gõ số điện thoại, hoặc bấm nút bên dưới"

    await user.tap(SHARE_PHONE)
    question = await left(user)
    taken = user.messages[-2]
    assert "Số điện thoại: +84912345678" in taken.text
    assert user.reply_keyboard is not None and [MENU] in user.reply_keyboard
    assert "Giữ kín" in question.text or "giữ kín" in question.text
    summary = await press(user, "Không cần")
    assert "+84912345678" in summary.text


async def test_someone_elses_contact_is_refused_and_the_step_asked_again(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7102, "Quân")
    await agree_and_start(user)
    await _to_phone(user)
    await user.send_contact("0987 654 321", own=False, user_id=7999)  # forwarded from contacts
    refused = await user.next_message()
    assert "không phải số điện thoại của chính Anh/Chị" in refused.text
    assert "Số điện thoại" in refused.text  # the question again, with its button
    assert _button(user, SHARE_PHONE)["request_contact"] is True
    await user.send_contact("0987 654 321", own=False)  # a contact with no Telegram account
    assert "không phải số điện thoại" in (await user.next_message()).text
    await user.send_text("0912 345 678")  # typing stays possible
    taken, _question = await user.wait_for_messages(2)
    assert "+84912345678" in taken.text and "0987654321" not in taken.text


async def test_the_place_step_takes_the_current_location_or_a_typed_address(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7103, "Nga")
    await agree_and_start(user)
    ask = await answer_steps(user, "place")
    assert SHARE_LOCATION in ask.text
    assert _button(user, SHARE_LOCATION) == {"text": SHARE_LOCATION, "request_location": True}
    await user.tap(SHARE_LOCATION, latitude=21.0245, longitude=105.8562)
    evidence = await left(user)
    assert "Đã nhận vị trí" in user.messages[-2].text
    assert "ảnh hoặc tài liệu" in evidence.text
    assert user.reply_keyboard is not None and [MENU] in user.reply_keyboard
    again = await press(user, "⬅️ Quay lại")  # back at the place: its keyboard again
    assert "Địa điểm" in again.text and _button(user, SHARE_LOCATION)
    wrong = await say(user, SHARE_LOCATION)  # the button's words typed are not an address
    assert "gõ địa chỉ hoặc gửi vị trí" in wrong.text
    await user.send_text("Chợ Đồng Xuân")
    await left(user)
    assert "Địa điểm: Chợ Đồng Xuân" in user.messages[-2].text
    await press(user, "Bỏ qua")  # evidence
    await press(user, "Bỏ qua")  # phone: «Bỏ qua» tapped on the reply keyboard
    summary_or_anonymous = user.messages[-1]
    assert "Đã bỏ qua: Số điện thoại." in summary_or_anonymous.text


async def test_typed_skip_back_and_cancel_work_at_a_keyboard_step(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7104, "Khoa")
    await agree_and_start(user)
    await answer_steps(user, "unit")
    await user.send_command("/lang")
    await user.next_message()
    await press(user, "🇬🇧 English")
    await say(user, "hoan kiem")
    assert user.reply_keyboard is not None and ["📍 Send my current location"] in (
        user.reply_keyboard
    )
    await user.send_text("skip")
    question = await left(user)
    assert "Skipped: Place." in user.messages[-2].text
    assert "evidence" in question.text or "photos" in question.text
    await press(user, "Skip")  # evidence
    await user.send_text("back")  # typed at the phone step
    await left(user)
    assert "Back to the previous step." in user.messages[-2].text
    await press(user, "Skip")
    cancelled = await say(user, "✖️ Cancel")
    assert "cancel" in cancelled.text.lower()
    assert user.reply_keyboard is not None and ["📝 Nominate a good deed"] in user.reply_keyboard
