"""A resident nominates a good deed end to end through the real PTB stack."""

from __future__ import annotations

import re

from bot.local_api import LocalBotApi
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED, agree_and_start, fill_nomination, press, say

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def test_resident_completes_a_nomination_and_gets_a_tracking_code(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(501, "Lan", language_code="vi")
    first = await agree_and_start(user)
    assert "Bước 1/10" in first.text
    assert first.buttons[-1] == ["✖️ Hủy"]

    summary = await fill_nomination(user, name="nguyễn văn bình", ward="hoan kiem")
    assert "Xin Anh/Chị kiểm tra lại đề cử" in summary.text
    assert "nguyễn văn bình" in summary.text
    assert "Phường Hoàn Kiếm" in summary.text  # Hàng Bạc's area since 01/07/2025
    assert "19/11/2026" in summary.text  # "Hôm qua" on 20/11/2026, Hà Nội time
    assert DEED in summary.text

    done = await press(user, "✅ Gửi")
    code = CODE.search(done.text)
    assert code is not None, done.text
    assert "Cảm ơn" in done.text

    status = await say(user, f"/status {code.group(0).lower()}")
    assert "Đã tiếp nhận" in status.text
    assert DEED in status.text


async def test_every_step_shows_where_the_resident_is(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(502, "Minh")
    await agree_and_start(user)
    steps = [(await press(user, "👤 Cá nhân")).text]
    steps.append((await say(user, "Trần Thị Mai")).text)
    steps.append((await press(user, "Bỏ qua")).text)
    assert [re.search(r"Bước (\d+)/10", s).group(1) for s in steps] == ["2", "3", "4"]  # type: ignore[union-attr]


async def test_ward_typed_without_diacritics_resolves(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(503, "Hoa")
    await agree_and_start(user)
    summary = await fill_nomination(user, ward="phuong hong ha")
    assert "Phường Hồng Hà" in summary.text


async def test_a_misspelled_ward_is_offered_for_confirmation(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(504, "Tuấn")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    await say(user, "Lê Văn Tám")
    await press(user, "Bỏ qua")
    await say(user, DEED)
    await press(user, "Hôm nay")
    offer = await say(user, "hoan kim")
    assert offer.buttons[0] == ["Phường Hoàn Kiếm"]
    place = await press(user, "Phường Hoàn Kiếm")
    assert "Địa điểm" in place.text


async def test_collective_nominee_skips_the_role_step(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(505, "Hà")
    await agree_and_start(user)
    ask_name = await press(user, "👥 Tập thể")
    assert "Bước 2/9" in ask_name.text and "tên tập thể" in ask_name.text
    ask_deed = await say(user, "Tổ dân phố số 5")
    assert "Bước 3/9" in ask_deed.text and "việc tốt" in ask_deed.text


async def test_back_returns_to_the_previous_question(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(506, "Nam")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    back = await press(user, "⬅️ Quay lại")
    assert "Bước 1/10" in back.text


async def test_cancel_drops_the_draft(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(507, "Bình")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    cancelled = await press(user, "✖️ Hủy")
    assert "Đã hủy bản nháp" in cancelled.text
    await user.send_command("/nominate")
    fresh = await user.next_message()
    assert "Bước 1/10" in fresh.text


async def test_edit_from_the_summary_changes_one_field_and_returns(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(508, "Quang")
    await agree_and_start(user)
    await fill_nomination(user)
    menu = await press(user, "✏️ Sửa")
    assert ["Loại đề cử", "Tên người được đề cử"] in menu.buttons
    await press(user, "Tên người được đề cử")
    summary = await say(user, "Phạm Thị Thu")
    assert "Xin Anh/Chị kiểm tra lại đề cử" in summary.text
    assert "Phạm Thị Thu" in summary.text


async def test_nothing_is_collected_before_consent(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(509, "Sơn")
    await user.send_command("/nominate")
    notice = await user.next_message()
    assert "Thông báo về xử lý dữ liệu cá nhân" in notice.text
    declined = await press(user, "Không đồng ý")
    assert "không lưu" in declined.text
    async with bot.runtime.uow() as uow:
        assert await uow.dialogs.get(user.chat_id) is None


async def test_consent_from_the_nominate_command_continues_into_the_nomination(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(510, "Yến")
    await user.send_command("/nominate")
    notice = await user.next_message()
    await user.press("✅ Tôi đồng ý")
    first = await user.next_message()
    thanks = notice  # below the notice, in its place; the first question follows
    assert "dữ liệu cá nhân" in thanks.text and "Cảm ơn" in thanks.text
    assert "Bước 1/10" in first.text


async def test_english_speakers_are_answered_in_english(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(511, "John", language_code="en")
    await user.send_command("/start")
    welcome, notice = await user.wait_for_messages(2)
    assert "Hello John" in welcome.text
    assert "Notice on the processing of personal data" in notice.text


async def test_lang_switches_the_language(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(512, "Anna", language_code="vi")
    await user.send_command("/lang")
    await user.next_message()
    switched = await press(user, "🇬🇧 English")
    assert switched.text == "Switched to English."
    assert user.reply_keyboard is not None and ["📝 Nominate a good deed"] in user.reply_keyboard


async def test_commands_are_registered_in_both_languages(api: LocalBotApi, bot: RunningBot) -> None:
    vi = {c["command"]: c["description"] for c in api.commands()}
    en = {c["command"]: c["description"] for c in api.commands(language_code="en")}
    assert vi["nominate"] == "Đề cử người tốt, việc tốt"
    assert en["nominate"] == "Nominate a good deed"


async def test_start_offers_to_resume_an_unfinished_draft(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(513, "Khánh")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    await say(user, "Đặng Văn Lâm")
    await user.send_command("/start")
    _welcome, offer = await user.wait_for_messages(2)
    assert "bước 3/10" in offer.text and "Đặng Văn Lâm" in offer.text
    resumed = await press(user, "▶️ Tiếp tục")
    assert "Bước 3/10" in resumed.text


async def test_every_bot_call_was_accepted_by_the_bot_api(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(514, "Trang")
    await agree_and_start(user)
    await fill_nomination(user)
    await press(user, "✅ Gửi")
    refused = [c for c in api.calls if not c.ok and c.method != "getUpdates"]
    assert refused == []
