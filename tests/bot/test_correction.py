"""``/suadulieu``: a resident corrects their phone, their name, a nomination being verified.

The new value is asked with the nomination's own question and checked by its own rules,
shown old → new, and saved only when confirmed; a nomination's change is in its history,
which the officer handling it reads on the card. Only the nominator's own case, only while
the unit verifies it; a case that is not theirs is refused like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.roles import Role
from core.workflow import Action
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import DEED, fill_nomination, press, say
from tests.security.people import CODE, HANG_BAC, audit_actions, case_id, grant, nominate
from tests.security.test_buttons import STALE, signed

Starter = Callable[..., AbstractAsyncContextManager[Any]]
REFUSED = "Anh/Chị không mở được hồ sơ này"
NEW_DEED = DEED.replace("5 triệu", "7 triệu")


async def _nominate_again(user: SimUser, name: str) -> str:
    """Nominate once more (consent given already); return the tracking code."""
    await say(user, "/nominate")
    await fill_nomination(user, name=name)
    found = CODE.search((await press(user, "✅ Gửi")).text)
    assert found is not None
    return found.group(0)


async def _open_case(user: SimUser, code: str) -> None:
    menu = await say(user, "/suadulieu")
    label = next(label for row in menu.buttons for label in row if code in label)
    fields = await press(user, label)
    assert "Anh/Chị muốn sửa mục nào?" in fields.text, fields.text


async def test_a_resident_fixes_their_phone_on_every_case_being_verified(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(4101, "Hạnh")
    first = await nominate(user)
    second = await _nominate_again(user, "Lê Thị Hoa")

    data = await say(user, "/dulieu")
    assert ["✏️ Sửa"] in data.buttons
    menu = await press(user, "✏️ Sửa")
    assert "Sửa dữ liệu của Anh/Chị" in menu.text and "Đề cử đang xác minh: 2" in menu.text
    assert ["📞 Số điện thoại của tôi", "👤 Tên hệ thống lưu cho tôi"] in menu.buttons
    asked = await press(user, "📞 Số điện thoại của tôi")
    assert "<b>Số điện thoại</b> của Anh/Chị" in asked.html, "the nomination's own question"
    assert "Bước" not in asked.text and "Hiện hệ thống đang lưu: (để trống)" in asked.text

    wrong = await say(user, "12345")
    assert "Số điện thoại chưa đúng" in wrong.text, "re-asked with the reason"
    old = await say(user, "0168 123 4567")
    assert "Số 11 chữ số đã được chuyển sang 10 chữ số" in old.text
    confirm = await say(user, "0912 345 678")
    assert "Trước: (để trống)" in confirm.text and "Sau: +84912345678" in confirm.text
    assert first in confirm.text and second in confirm.text
    async with bot.runtime.uow() as uow:
        unsaved = await uow.nominations.get_by_code(TrackingCode(first))
    assert unsaved is not None and unsaved.nominator.phone is None, "nothing before confirming"

    saved = await press(user, "✅ Lưu thay đổi")
    assert "Đã cập nhật số điện thoại trên 2 đề cử" in saved.text
    for code in (first, second):
        async with bot.runtime.uow() as uow:
            case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.nominator.phone == "+84912345678"
        assert await audit_actions(bot, code) == ["correct"]
    async with bot.runtime.uow() as uow:
        assert await uow.dialogs.get(user.chat_id) is None


async def test_a_typo_in_a_nomination_is_fixed_and_its_officer_sees_it_in_the_history(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(4111, "Minh"), api.user(4112, "Cán bộ Phúc")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await nominate(resident, name="Nguyen Van Bihn")
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()  # told the case is being verified

    await _open_case(resident, code)
    asked = await press(resident, "Tên người được đề cử")
    assert "<b>họ và tên</b> người được đề cử" in asked.html, "the nomination's own question"
    assert "Hiện hệ thống đang lưu: Nguyen Van Bihn" in asked.text
    short = await say(resident, "B")
    assert "Tên cần có từ 2 đến 200 ký tự" in short.text
    same = await say(resident, "Nguyen Van Bihn")
    assert "giống hệt nội dung hệ thống đang lưu" in same.text
    confirm = await say(resident, "Nguyễn Văn Bình")
    assert "Trước: Nguyen Van Bihn" in confirm.text and "Sau: Nguyễn Văn Bình" in confirm.text
    saved = await press(resident, "✅ Lưu thay đổi")
    assert f"Đề cử {code}: đã sửa mục “Tên người được đề cử”" in saved.text
    told = await officer.next_message()
    assert f"Người đề cử vừa sửa mục “Tên người được đề cử” của hồ sơ {code}" in told.text
    assert "Bình" not in told.text and told.buttons == [["📂 Mở hồ sơ"]]

    card = await say(officer, f"/status {code}")
    assert "Người được đề cử: Nguyễn Văn Bình" in card.text
    assert "Người đề cử sửa thông tin: Tên người được đề cử" in card.text
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        history = await uow.audit.history(case.id)
    assert [entry.action for entry in history] == [Action.VERIFY, Action.CORRECT]
    assert history[-1].actor_id == resident.id and history[-1].at == clock()
    assert "Bihn" not in repr(history), "the corrected value is not kept in the history"


async def test_a_case_past_verification_is_refused_with_the_way_to_ask_an_officer(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(4121, "Ngân"), api.user(4122, "Cán bộ Quý")
    await grant(bot, clock, officer, Role.SECRETARIAT)
    code = await nominate(resident)
    menu = await say(resident, "/suadulieu")
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await press(officer, "📤 Đề xuất lên Hội đồng")
    await resident.wait_for_messages(2)  # told of both steps

    # The menu was shown before the case moved on: its button names the case still.
    data = next(d for row in menu.callback_data for d in row if d and ":case:" in d)
    await resident.send_callback(data, menu)
    refused = await resident.next_message()
    assert f"Đề cử {code} đang ở trạng thái “Đã đề xuất lên Hội đồng”" in refused.text
    assert "/lienhe" in refused.text
    again = await say(resident, "/suadulieu")
    assert not any(code in label for row in again.buttons for label in row)
    assert "1 đề cử khác đã qua bước xác minh" in again.text
    assert await audit_actions(bot, code) == ["verify", "propose"]


async def test_someone_elses_case_is_refused_like_one_that_does_not_exist(
    api: LocalBotApi, bot: RunningBot
) -> None:
    victim, attacker = api.user(4131, "Oanh"), api.user(4132, "Kẻ dò")
    code = await nominate(victim)
    number = await case_id(bot, code)
    shown = await say(victim, "/suadulieu")
    await nominate(attacker, name="Lê Thị Hoa")

    replies = []
    for target in (number, number + 1000):
        menu = await say(attacker, "/suadulieu")
        async with bot.runtime.uow() as uow:
            dialog = await uow.dialogs.get(attacker.chat_id)
        assert dialog is not None
        forged = signed(bot, attacker, f"cr:{dialog.token}:case:{target}")
        await attacker.send_callback(forged, menu)
        replies.append((await attacker.next_message()).text)
    assert REFUSED in replies[0] and replies[0] == replies[1]
    assert code not in replies[0] and "Bình" not in replies[0]

    victims_button = next(d for row in shown.callback_data for d in row if d and ":case:" in d)
    await attacker.send_callback(victims_button, attacker.messages[-1])
    assert STALE in (await attacker.next_message()).text, "signed for the victim's chat only"
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
    assert case is not None and case.deed == DEED
    assert await audit_actions(bot, code) == []


async def test_the_name_chosen_stays_whatever_telegram_calls_them(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(4141, "Lan 🌸")
    await nominate(user)
    await say(user, "/suadulieu")
    asked = await press(user, "👤 Tên hệ thống lưu cho tôi")
    assert "Hiện hệ thống đang lưu: Lan 🌸" in asked.text
    digits = await say(user, "12345")
    assert "Tên cần có từ 2 đến 200 ký tự và có chữ cái" in digits.text
    confirm = await say(user, "Trần Thị Lan")
    assert "Trước: Lan 🌸" in confirm.text and "Sau: Trần Thị Lan" in confirm.text
    saved = await press(user, "✅ Lưu thay đổi")
    assert "Từ nay hệ thống lưu tên của Anh/Chị là Trần Thị Lan" in saved.text

    await user.send_command("/start")
    welcome = await user.next_message()
    assert "Trần Thị Lan" in welcome.text and "Lan 🌸" not in welcome.text
    data = await say(user, "/dulieu")
    assert "Tên Anh/Chị chọn (sửa ngày 20/11/2026): Trần Thị Lan" in data.text
    async with bot.runtime.uow() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None and stored.display_name == "Trần Thị Lan"


async def test_a_correction_under_way_continues_after_a_restart(
    api: LocalBotApi, start_bot: Starter
) -> None:
    user = api.user(4151, "Phương")
    async with start_bot():
        code = await nominate(user)
        await _open_case(user, code)
        asked = await press(user, "Việc tốt")
        assert "Xin Anh/Chị kể lại <b>việc tốt</b>" in asked.html
    await user.send_text(NEW_DEED)  # arrives while no bot is running
    async with start_bot() as (_application, runtime):
        confirm = await user.next_message(timeout=10)
        assert "Sau: " + NEW_DEED in confirm.text
        saved = await press(user, "✅ Lưu thay đổi")
        assert "đã sửa mục “Việc tốt”" in saved.text
        async with runtime.uow() as uow:
            case = await uow.nominations.get_by_code(TrackingCode(code))
    assert case is not None and case.deed == NEW_DEED


async def test_cancel_changes_nothing_and_gives_back_a_draft_set_aside(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(4161, "Quyên")
    code = await nominate(user)
    await say(user, "/nominate")
    await press(user, "👤 Cá nhân")  # a draft at step 2
    await _open_case(user, code)
    await press(user, "Địa điểm")
    await say(user, "Số 5 Hàng Bạc")
    cancelled = await say(user, "/cancel")
    assert "Không có gì thay đổi" in cancelled.text and "/nominate" in cancelled.text
    resumed = await say(user, "/nominate")
    assert "bước 2/10" in resumed.text
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
    assert case is not None and case.place is None
