"""Commands above one's role: refused politely, with nobody else's data in the answer."""

from __future__ import annotations

from bot.local_api import LocalBotApi
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import say
from tests.security.people import ERROR_MARKS, HANG_GAI, NOMINEE, audit_actions, grant, nominate

NOT_STAFF = "dành cho cán bộ"
NOT_ALLOWED = "không có quyền"
SECRETARIAT_ONLY = "dành cho Cơ quan thường trực"

# command → what a resident is told
ABOVE_A_RESIDENT = {
    "/queue": NOT_STAFF,
    "/hoso": NOT_STAFF,
    "/find binh": NOT_STAFF,
    "/timkiem nguyen van binh": NOT_STAFF,
    "/invite officer hoan kiem": NOT_ALLOWED,
    "/invite admin": NOT_ALLOWED,
    "/broadcast": SECRETARIAT_ONLY,
    "/thongbao": SECRETARIAT_ONLY,
    "/broadcasts": SECRETARIAT_ONLY,
    "/launch": SECRETARIAT_ONLY,
    "/phatdong": SECRETARIAT_ONLY,
    "/compliance": NOT_ALLOWED,
    "/tiendo": NOT_ALLOWED,
    "/event 20 15/03/2027": NOT_ALLOWED,
    "/register Cờ thi đua": NOT_ALLOWED,
    "/dossier Giấy khen": NOT_ALLOWED,
}


async def test_commands_above_ones_role_are_refused_and_show_no_case(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    victim = api.user(32_001, "Nạn nhân Hoa")
    code = await nominate(victim)
    resident, stranger = api.user(32_002, "Cư dân"), api.user(32_003, "Người lạ")
    member = api.user(32_004, "Ủy viên")
    await grant(bot, clock, member, Role.COUNCIL_MEMBER)
    await nominate(resident, name="Trần Thị Lan")
    for user in (resident, stranger, member):
        for command, refusal in ABOVE_A_RESIDENT.items():
            reply = await say(user, command)
            assert refusal in reply.text, (user.first_name, command, reply.text)
            assert code not in reply.text and NOMINEE not in reply.text
            assert not any(mark in reply.text for mark in ERROR_MARKS)
    assert await audit_actions(bot, code) == []
    async with bot.runtime.uow() as uow:
        assert list(await uow.broadcasts.recent(limit=5)) == []
        assert await uow.roles.grants_of(resident.id) == ()
        assert await uow.roles.grants_of(stranger.id) == ()
        assert len(await uow.roles.grants_of(member.id)) == 1
        for user in (resident, stranger, member):
            assert await uow.dialogs.get(user.chat_id) is None


async def test_an_officer_of_another_ward_finds_and_queues_nothing_of_this_one(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    victim, officer = api.user(32_011, "Nạn nhân Hoa"), api.user(32_012, "Cán bộ Gai")
    await grant(bot, clock, officer, Role.OFFICER, HANG_GAI)
    code = await nominate(victim)
    queue = await say(officer, "/queue")
    assert code not in queue.text and NOMINEE not in queue.text
    for query in ("nguyen van binh", code, "hoan kiem"):
        found = await say(officer, f"/find {query}")
        assert "Không tìm thấy" in found.text and NOMINEE not in found.text, found.text
        assert not found.inline_keyboard
    for command in ("/compliance", "/invite officer hoan kiem", "/broadcast"):
        reply = await say(officer, command)
        assert NOT_ALLOWED in reply.text or SECRETARIAT_ONLY in reply.text, reply.text
    public = await say(officer, f"/status {code}")
    assert code in public.text and NOMINEE not in public.text
    assert "Nạn nhân Hoa" not in public.text
    assert await audit_actions(bot, code) == []
