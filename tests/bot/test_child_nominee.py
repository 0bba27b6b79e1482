"""A student nominee is asked about (under 16?); a child's name is then shown in full only to
the nominator and the officers handling the case, and as initials everywhere else."""

from __future__ import annotations

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.personal_data import personal_data
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import STUDENT, agree_and_start, answer_steps, fill_nomination, press, say
from tests.security.people import CODE, HANG_BAC, grant

NAME = "Trần Thu Hà"
INITIALS = "T.T.H."


async def _nominate_student(user: SimUser, *, under_16: bool) -> str:
    await agree_and_start(user)
    summary = await fill_nomination(user, name=NAME, role=STUDENT, under_16=under_16)
    assert f"Dưới 16 tuổi: {'có' if under_16 else 'không'}" in summary.text
    done = await press(user, "✅ Gửi")
    assert NAME in done.text  # the nominator is told the name they gave
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def _support(user: SimUser, code: str) -> None:
    await agree_and_start(user)
    await fill_nomination(user, name="tran thu ha")
    offer = await press(user, "✅ Gửi")
    await press(user, f"🤝 Cùng đề cử {code}")
    assert code in offer.text


async def test_the_age_is_asked_of_a_student_only_and_says_why(
    api: LocalBotApi, bot: RunningBot
) -> None:
    student = api.user(2101, "Hạnh")
    await agree_and_start(student)
    age = await answer_steps(student, "age", role=STUDENT)

    assert "Bước 4/11" in age.text and "dưới 16 tuổi" in age.text
    assert "91/2025/QH15" in age.text and "356/2025" in age.text
    assert "từ đủ 7 tuổi" in age.text and "người đại diện" in age.text
    assert ["Có, dưới 16 tuổi", "Không, từ 16 tuổi trở lên"] in age.buttons
    assert not any("Bỏ qua" in row for row in age.buttons)  # it must be answered
    deed = await press(student, "Có, dưới 16 tuổi")
    assert "Bước 5/11" in deed.text

    resident = api.user(2102, "Khánh")
    await agree_and_start(resident)
    after_role = await answer_steps(resident, "deed")
    assert "Bước 4/10" in after_role.text and "16 tuổi" not in after_role.text


async def test_choosing_student_when_editing_the_role_asks_the_age_before_the_summary(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(2103, "Lộc")
    await agree_and_start(user)
    summary = await fill_nomination(user, name=NAME)
    assert "Dưới 16 tuổi" not in summary.text

    await press(user, "✏️ Sửa")
    await press(user, "Đối tượng")
    age = await press(user, STUDENT)
    assert "dưới 16 tuổi" in age.text
    summary = await press(user, "Có, dưới 16 tuổi")

    assert "Xin Anh/Chị kiểm tra lại đề cử" in summary.text
    assert "Dưới 16 tuổi: có" in summary.text


async def test_a_childs_name_is_hidden_from_everyone_but_the_nominator_and_handling_officers(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    nominator, supporter = api.user(2111, "Mẹ Bình"), api.user(2112, "Cô giáo")
    officer, member = api.user(2113, "Cán bộ Bạc"), api.user(2114, "Ủy viên")
    stranger = api.user(2115, "Người lạ")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await grant(bot, clock, member, Role.COUNCIL_MEMBER)
    code = await _nominate_student(nominator, under_16=True)
    await _support(supporter, code)
    nominator.skip_pending()
    supporter.skip_pending()
    # What the supporter is told from here on (before, the name step offered "Trần Thu Hà"
    # for the "tran thu ha" they typed themselves: their own words, not the case's).
    supported = len(supporter.messages)

    card = await say(officer, f"/status {code}")
    assert NAME in card.text  # the officer handling the case needs the full name
    await press(officer, "🔍 Tiếp nhận, xác minh")
    proposed = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert NAME in proposed.text
    queue = await say(officer, "/queue")
    assert NAME in queue.text

    await nominator.wait_until(lambda chat: "đề xuất lên Hội đồng" in chat.last_message.text)
    await supporter.wait_until(lambda chat: "đề xuất lên Hội đồng" in chat.last_message.text)
    told_nominator = "\n".join(message.text for message in nominator.messages)
    told_supporter = "\n".join(message.text for message in supporter.messages[supported:])
    assert f"{code} về {NAME} đã được cán bộ tiếp nhận" in told_nominator
    assert f"{code} về {INITIALS} đã được cán bộ tiếp nhận" in told_supporter
    assert NAME not in told_supporter

    council_card = await say(member, f"/status {code}")
    assert f"Người được đề cử: {INITIALS}" in council_card.text
    assert NAME not in council_card.text

    looked_up = await say(stranger, f"/status {code}")
    assert NAME not in looked_up.text and INITIALS not in looked_up.text

    async with bot.runtime.uow() as uow:
        theirs = await personal_data(uow, nominator.id, chat_id=nominator.id)
        backed = await personal_data(uow, supporter.id, chat_id=supporter.id)
    assert theirs is not None and backed is not None
    filed = theirs.as_json(now=clock())["nominations"][0]["nominee"]
    assert filed == {"kind": "individual", "name": NAME, "role": "student", "under_16": True}
    (supported,) = backed.as_json(now=clock())["supported_nominations"]
    assert supported["nominee"]["name"] == INITIALS
    shown = await say(supporter, "/dulieu")
    assert INITIALS in shown.text and NAME not in shown.text


async def test_a_student_of_16_or_older_is_named_as_anyone_else(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    nominator, officer = api.user(2121, "Bố Bình"), api.user(2122, "Cán bộ Bạc")
    member = api.user(2123, "Ủy viên")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await grant(bot, clock, member, Role.COUNCIL_MEMBER)
    code = await _nominate_student(nominator, under_16=False)
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await press(officer, "📤 Đề xuất lên Hội đồng")

    council_card = await say(member, f"/status {code}")

    assert f"Người được đề cử: {NAME}" in council_card.text
    async with bot.runtime.uow() as uow:
        stored = await uow.nominations.get_by_code(TrackingCode(code))
    assert stored is not None and stored.nominee.under_16 is False
