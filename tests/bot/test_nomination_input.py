"""The date and unit steps read what residents type (issue 15): "tuần trước", loose unit names."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.local_api import LocalBotApi
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import (
    DEED,
    agree_and_start,
    answer_steps,
    fill_nomination,
    leave,
    press,
    say,
)

# NOW in conftest is Friday 20/11/2026, 09:00 in Hà Nội: the seven days before it.
LAST_WEEK = [
    ["Thứ Năm 19/11", "Thứ Tư 18/11"],
    ["Thứ Ba 17/11", "Thứ Hai 16/11"],
    ["Chủ nhật 15/11", "Thứ Bảy 14/11"],
    ["Thứ Sáu 13/11"],
    ["⬅️ Quay lại", "✖️ Hủy"],
]
UNIT_QUESTION = "Việc này diễn ra ở"


async def test_last_week_asks_which_day_with_the_last_seven_days_as_buttons(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(561, "Hằng")
    await agree_and_start(user)
    await answer_steps(user, until="date")
    which = await say(user, "tuần trước")
    assert "ngày nào" in which.text
    assert which.buttons == LAST_WEEK
    assert all(len((data or "").encode()) <= 64 for row in which.callback_data for data in row)

    unit = await press(user, "Thứ Hai 16/11")
    assert "Bước 6/10" in unit.text
    assert UNIT_QUESTION in unit.text


async def test_a_day_of_last_week_pressed_is_the_deed_date(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(562, "Phong")
    await agree_and_start(user)
    await fill_nomination(user)
    await press(user, "✏️ Sửa")
    await press(user, "Thời gian")
    which = await say(user, "tuan truoc")  # without diacritics
    assert which.buttons == LAST_WEEK
    summary = await press(user, "Thứ Bảy 14/11")
    assert "Xin Anh/Chị kiểm tra lại đề cử" in summary.text
    assert "14/11/2026" in summary.text


async def test_last_week_is_counted_from_the_day_in_ha_noi(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 01:30 on Saturday in Hà Nội
    user = api.user(563, "Khánh")
    await agree_and_start(user)
    await answer_steps(user, until="date")
    which = await say(user, "tuần trước")
    assert which.buttons[0] == ["Thứ Sáu 20/11", "Thứ Năm 19/11"]


async def test_last_week_in_english(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(564, "Anna", language_code="en")
    await user.send_command("/start")
    await user.wait_for_messages(2)
    await press(user, "✅ I agree")
    await user.send_command("/nominate")
    await user.next_message()
    await press(user, "👤 Person")
    await say(user, "John Smith")
    await press(user, "Resident")
    await say(user, DEED)
    which = await say(user, "last week")
    assert which.buttons[0] == ["Thursday 19/11", "Wednesday 18/11"]
    assert "last seven days" in which.text


async def test_a_unit_typed_without_diacritics_is_shown_back_with_back_to_change_it(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(565, "Tâm")
    await agree_and_start(user)
    await answer_steps(user, until="unit")
    place = await say(user, "hoan kiem")
    assert "Đơn vị: Phường Hoàn Kiếm" in place.text
    assert "Bước 7/10" in place.text
    # The place step's keyboard is Telegram's reply keyboard (with 📍), ⬅️ Quay lại on it.
    assert "⬅️ Quay lại" in [label for row in user.reply_keyboard or [] for label in row]

    again = await leave(user, "⬅️ Quay lại")
    assert UNIT_QUESTION in again.text
    assert "Bước 6/10" in again.text
    place = await say(user, "Phường Hoàn Kiếm")  # as written: nothing to show back
    assert "Bước 7/10" in place.text
    assert "Đơn vị:" not in place.text


async def test_a_unit_typed_in_telex_is_shown_back(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(566, "Bảo")
    await agree_and_start(user)
    await answer_steps(user, until="unit")
    place = await say(user, "Hoanf Kieems")
    assert "Đơn vị: Phường Hoàn Kiếm" in place.text
