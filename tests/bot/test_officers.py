"""Officers in chat: invitations, the queue, the review with its notices, and refusals."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.review import grant_role, invite
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, fill_nomination, press, say

OPERATOR = Actor.operator()

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
HANG_BAC = "phuong-hoan-kiem"  # Hàng Bạc's area since 1/7/2025


async def _invitation(bot: RunningBot, clock: FakeClock, role: Role, unit: str | None) -> str:
    async with bot.runtime.uow() as uow:
        code, _ = await invite(uow, OPERATOR, role=role, unit_key=unit, days=7, now=clock())
        await uow.commit()
    return code


async def _grant(
    bot: RunningBot, clock: FakeClock, user: SimUser, role: Role, unit: str | None = None
) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(uow, OPERATOR, user_id=user.id, role=role, unit_key=unit, now=clock())
        await uow.commit()


async def _nominate(user: SimUser, *, anonymous: bool = False) -> str:
    await agree_and_start(user)
    summary = await fill_nomination(user, name="Nguyễn Văn Bình", ward="hoan kiem")
    if anonymous:
        await press(user, "✏️ Sửa")
        await press(user, "Giữ kín danh tính")
        summary = await press(user, "🔒 Có, giữ kín")
    assert "Phường Hoàn Kiếm" in summary.text
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None
    return found.group(0)


async def test_an_invitation_link_makes_the_opener_the_wards_officer_once(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    code = await _invitation(bot, clock, Role.OFFICER, HANG_BAC)
    officer, other = api.user(901, "Cán bộ An"), api.user(902, "Người khác")
    welcome = await say(officer, f"/start {code}")
    assert "cán bộ của Phường Hoàn Kiếm" in welcome.text
    reused = await say(other, f"/start {code}")
    assert "không còn hiệu lực" in reused.text
    queue = await say(other, "/queue")
    assert "dành cho cán bộ" in queue.text


async def test_an_expired_invitation_is_refused(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    code = await _invitation(bot, clock, Role.OFFICER, HANG_BAC)
    clock.now += timedelta(days=8)
    reply = await say(api.user(903, "Muộn"), f"/start {code}")
    assert "không còn hiệu lực" in reply.text


async def test_an_officer_reviews_a_case_to_commended_and_the_nominator_hears_each_step(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident = api.user(904, "Lan")
    officer, secretary = api.user(905, "Cán bộ Bạc"), api.user(906, "Thư ký")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await _grant(bot, clock, secretary, Role.SECRETARIAT)
    code = await _nominate(resident)

    queue = await say(officer, "/queue")
    assert code in queue.text and "Đã tiếp nhận: 1" in queue.text
    card = await press(officer, f"{code} · Nguyễn Văn Bình")
    assert "Nguyễn Văn Bình" in card.text and "Lan" in card.text
    assert ["🔍 Tiếp nhận, xác minh"] in card.buttons

    verified = await press(officer, "🔍 Tiếp nhận, xác minh")
    assert "Đang xác minh" in verified.text
    notice = await resident.next_message()
    assert code in notice.text and "đang được xác minh" in notice.text

    await press(officer, "❓ Yêu cầu bổ sung")
    asked = await say(officer, "Anh/Chị có ảnh chụp lúc trả ví không?")
    assert "Cần bổ sung thông tin" in asked.text
    question = await resident.next_message()
    assert "Anh/Chị có ảnh chụp lúc trả ví không?" in question.text

    await press(resident, "✍️ Trả lời cán bộ")
    await say(resident, "Có, tôi gửi ảnh ạ.")
    await resident.send_photo(file_size=500_000)
    await resident.next_message()
    sent = await press(resident, "✅ Gửi trả lời")
    assert "Đã gửi câu trả lời" in sent.text
    relayed = await officer.next_message()
    assert "Có, tôi gửi ảnh ạ." in relayed.text and "1 ảnh" in relayed.text

    card = await say(officer, f"/status {code}")
    assert "Đang xác minh" in card.text and "Ảnh, tài liệu: 1 tệp" in card.text
    proposed = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert "Đã đề xuất lên Hội đồng" in proposed.text
    assert "đề xuất lên Hội đồng" in (await resident.next_message()).text

    await say(secretary, f"/status {code}")
    await press(secretary, "🏛 Đưa ra Hội đồng xét")
    assert "đang xét" in (await resident.next_message()).text
    # The 2018 plan lists no award forms: the decision's form is typed.
    asked = await press(secretary, "🏅 Khen thưởng")
    assert "gõ hình thức khen thưởng" in asked.text
    await say(secretary, "Giấy khen")
    await say(secretary, "45/QĐ-UBND")
    final = await say(secretary, "18/11/2026")
    assert "Được khen thưởng" in final.text
    commended = await resident.next_message()
    assert "Chúc mừng" in commended.text and "45/QĐ-UBND" in commended.text
    assert "18/11/2026" in commended.text and "Giấy khen" in commended.text

    history = await say(secretary, f"/status {code}")
    for step in (
        "Tiếp nhận, xác minh",
        "Yêu cầu bổ sung",
        "Người đề cử đã bổ sung thông tin",
        "Đề xuất lên Hội đồng",
        "Đưa ra Hội đồng xét",
        "Khen thưởng",
    ):
        assert step in history.text
    assert not [c for c in api.calls if not c.ok and c.method != "getUpdates"]


async def test_rejecting_needs_a_reason_that_reaches_the_nominator(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(907, "Hồng"), api.user(908, "Cán bộ")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await _nominate(resident)
    await say(officer, f"/status {code}")
    ask = await press(officer, "⛔ Không tiếp nhận")
    assert "gõ lý do" in ask.text
    await say(officer, "Việc này đã được khen thưởng năm 2025.")
    notice = await resident.next_message()
    assert "không được tiếp nhận" in notice.text
    assert "Việc này đã được khen thưởng năm 2025." in notice.text


async def test_an_officer_of_another_ward_sees_only_the_status(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, stranger_officer = api.user(909, "Mai"), api.user(910, "Cán bộ Gai")
    await _grant(bot, clock, stranger_officer, Role.OFFICER, "phuong-cua-nam-2025")
    code = await _nominate(resident)
    view = await say(stranger_officer, f"/status {code}")
    assert "Nguyễn Văn Bình" not in view.text and "Đã tiếp nhận" in view.text
    queue = await say(stranger_officer, "/queue")
    assert code not in queue.text


async def test_forged_and_stale_action_buttons_are_refused(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(911, "Thu"), api.user(912, "Cán bộ")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await _nominate(resident)
    card = await say(officer, f"/status {code}")
    verify_data = next(d for row in card.callback_data for d in row if d and ":verify:" in d)

    # Signed for the officer's chat: in the resident's it is no button of the bot's.
    await resident.send_callback(verify_data, resident.messages[-1])
    refused = await resident.next_message()
    assert "không còn hiệu lực" in refused.text and code not in refused.text

    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()
    await officer.send_callback(verify_data, card)
    stale = await officer.next_message()
    assert "đã thay đổi" in stale.text
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        assert [e.action for e in await uow.audit.history(case.id)] == ["verify"]


async def test_an_anonymous_nominator_is_hidden_from_the_council(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer, member = (
        api.user(913, "Kín"),
        api.user(914, "Cán bộ"),
        api.user(915, "Ủy viên"),
    )
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await _grant(bot, clock, member, Role.COUNCIL_MEMBER)
    code = await _nominate(resident, anonymous=True)
    officer_card = await say(officer, f"/status {code}")
    assert "Kín" in officer_card.text
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await press(officer, "📤 Đề xuất lên Hội đồng")
    member_card = await say(member, f"/status {code}")
    assert "Nguyễn Văn Bình" in member_card.text
    assert "Kín" not in member_card.text and "giữ kín danh tính" in member_card.text
    assert member_card.buttons == [["🔄 Làm mới"]]


async def test_a_second_officer_sees_who_holds_the_case(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident = api.user(916, "Tâm")
    first, second = api.user(917, "Cán bộ Một"), api.user(918, "Cán bộ Hai")
    for officer in (first, second):
        await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await _nominate(resident)
    await say(first, f"/status {code}")
    await press(first, "🔍 Tiếp nhận, xác minh")
    card = await say(second, f"/status {code}")
    assert "Đang được Cán bộ Một xử lý" in card.text
    refused = await press(second, "📤 Đề xuất lên Hội đồng")
    assert "Cán bộ Một" in refused.text and "đang được" in refused.text.lower()


async def test_the_nominator_can_withdraw_before_a_decision(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident = api.user(919, "Rút")
    code = await _nominate(resident)
    await say(resident, f"/status {code}")
    ask = await press(resident, "↩️ Rút đề cử")
    assert "chắc chắn" in ask.text
    done = await press(resident, "✅ Xác nhận")
    assert code in done.text
    view = await say(resident, f"/status {code}")
    assert "Đã rút" in view.text


async def test_an_admin_invites_an_officer_in_chat_and_others_cannot(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    admin, resident, newcomer = api.user(920, "Admin"), api.user(921, "Dân"), api.user(922, "Mới")
    await _grant(bot, clock, admin, Role.ADMIN)
    refused = await say(resident, "/invite officer hoan kiem")
    assert "không có quyền" in refused.text
    usage = await say(admin, "/invite king")
    assert "/invite cán bộ hoan kiem" in usage.text
    assert "Vai trò: cán bộ, thường trực, thành viên hội đồng, quản trị" in usage.text
    assert "officer" not in usage.text
    council = await say(admin, "/invite thanh vien hoi dong")
    assert "Lời mời vai trò thành viên hội đồng" in council.text
    reply = await say(admin, "/invite Cán bộ hoan kiem")
    link = re.search(r"https://t\.me/ntvt_test_bot\?start=(\S+)", reply.text)
    assert link is not None and "Phường Hoàn Kiếm" in reply.text
    welcome = await say(newcomer, f"/start {link.group(1)}")
    assert "cán bộ của Phường Hoàn Kiếm" in welcome.text


async def test_find_puts_the_right_case_first_despite_typos_and_missing_accents(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    officer, outsider = api.user(930, "Cán bộ Tìm"), api.user(931, "Cán bộ Gai")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await _grant(bot, clock, outsider, Role.OFFICER, "phuong-cua-nam-2025")
    codes = {}
    for user_id, name in (
        (932, "Nguyễn Văn Bình"),
        (933, "Nguyễn Văn Minh"),
        (934, "Trần Thị Bình"),
    ):
        resident = api.user(user_id, "Dân")
        await agree_and_start(resident)
        await fill_nomination(resident, name=name, ward="hoan kiem")
        done = await press(resident, "✅ Gửi")
        if "Đã có đề cử" in done.text:
            done = await press(resident, "📨 Vẫn gửi đề cử mới")
        codes[name] = CODE.search(done.text).group(0)  # type: ignore[union-attr]

    found = await say(officer, "/find nguyen van bihn hoan kiem")
    assert found.buttons[0][0].startswith(codes["Nguyễn Văn Bình"])
    # What the index ranked is shown as the database holds it: code, name and ward.
    shown = f"{codes['Nguyễn Văn Bình']} · Nguyễn Văn Bình · Phường Hoàn Kiếm"
    assert shown in found.text
    by_code = await say(officer, f"/find {codes['Trần Thị Bình'].lower()}")
    assert by_code.buttons[0][0].startswith(codes["Trần Thị Bình"])
    opened = await press(officer, by_code.buttons[0][0])
    assert "Trần Thị Bình" in opened.text

    nothing = await say(outsider, "/find nguyen van binh")
    assert "Không tìm thấy" in nothing.text
    usage = await say(officer, "/find x")
    assert "Cách dùng" in usage.text
    refused = await say(api.user(935, "Dân"), "/find binh")
    assert "dành cho cán bộ" in refused.text
