"""Forged, replayed and foreign button presses: nobody learns about a case that is not theirs.

Button data is signed for the chat it was sent to; a press whose signature is missing or
wrong is refused like a stale button, before any handler reads it. Behind the signature,
every handler still checks the presser's right to the case first, and refuses the same way
whether the case exists or not (a role revoked since the button was sent, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.broadcasting import create as create_broadcast
from core.broadcasts import Audience, Broadcast, BroadcastStatus
from core.people import ConsentPurpose
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say
from tests.security.people import (
    CODE,
    ERROR_MARKS,
    HANG_BAC,
    HANG_GAI,
    NOMINEE,
    audit_actions,
    case_id,
    grant,
    nominate,
    started,
)

STALE = "Nút này không còn hiệu lực"


def signed(bot: RunningBot, user: SimUser, data: str) -> str:
    """Return ``data`` as the bot would have signed it for the user's chat.

    What a handler does behind the signature is tested with data the bot itself signed: a
    button sent before a role was revoked, or a key that leaked.
    """
    buttons = getattr(bot.runtime, "buttons", None)
    return buttons.sign(user.chat_id, data) if buttons is not None else data


async def test_a_forged_button_never_names_another_residents_code(
    api: LocalBotApi, bot: RunningBot
) -> None:
    """Issue 11, item 3: ``r:1:verify:1`` and ``a:0:start:1`` answered with case 1's code."""
    victim, attacker = api.user(30_001, "Nạn nhân"), api.user(30_002, "Kẻ dò")
    code = await nominate(victim)
    number = await case_id(bot, code)
    notice = await started(attacker)
    for data in (
        f"r:1:verify:{number}",
        f"r:0:withdraw:{number}",
        f"a:0:start:{number}",
        f"k:0:open:{number}",
        f"k:0:files:{number}",
        f"m:0:show:{code}",
        "pd:0:copy",
        "pd:0:files",
    ):
        await attacker.send_callback(data, notice)
        reply = await attacker.next_message()
        assert not CODE.search(reply.text) and NOMINEE not in reply.text, (data, reply.text)
        assert STALE in reply.text, (data, reply.text)
    assert await audit_actions(bot, code) == []


async def test_a_refusal_reads_the_same_whether_the_case_exists_or_not(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    """Behind a valid signature, each case button checks the presser's right first."""
    victim, attacker = api.user(30_011, "Chủ hồ sơ"), api.user(30_012, "Người lạ")
    officer_elsewhere = api.user(30_013, "Cán bộ Hàng Gai")
    await grant(bot, clock, officer_elsewhere, Role.OFFICER, HANG_GAI)
    code = await nominate(victim)
    number, missing = await case_id(bot, code), 10**9
    for user in (attacker, officer_elsewhere):
        notice = await started(user)
        for template in ("r:{v}:verify:{id}", "a:0:start:{id}", "k:0:open:{id}", "k:0:files:{id}"):
            answers = []
            for target in (number, missing):
                data = template.format(v=1, id=target)
                await user.send_callback(signed(bot, user, data), notice)
                answers.append((await user.next_message()).text)
            existing, unknown = answers
            assert existing == unknown, (user.first_name, template, answers)
            assert code not in existing and NOMINEE not in existing
    assert await audit_actions(bot, code) == []


async def test_an_officers_button_pressed_in_another_chat_is_refused(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(30_021, "Thu"), api.user(30_022, "Cán bộ Bạc")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await nominate(resident)
    card = await say(officer, f"/status {code}")
    verify = next(d for row in card.callback_data for d in row if d and ":verify:" in d)
    await resident.send_callback(verify, resident.last_message)
    refused = await resident.next_message()
    assert STALE in refused.text
    assert resident.callback_answers[-1].text == "Nút này đã hết hiệu lực."
    assert await audit_actions(bot, code) == []


async def test_a_replayed_action_button_acts_once_and_then_says_the_card_changed(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(30_031, "Hạnh"), api.user(30_032, "Cán bộ Bạc")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await nominate(resident)
    card = await say(officer, f"/status {code}")
    verify = next(d for row in card.callback_data for d in row if d and ":verify:" in d)
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()
    await officer.send_callback(verify, card)
    again = await officer.next_message()
    assert "đã thay đổi" in again.text
    assert await audit_actions(bot, code) == ["verify"]


# Every kind of button the bot sends, with data about the victim's objects where it has any.
EVERY_KIND = (
    "c:0:yes:n",
    "c:0:no",
    "l:0:pick:en",
    "m:0:show:{code}",
    "s:1:cancel",
    "a:0:start:{id}",
    "a:1:send",
    "k:0:open:{id}",
    "k:0:files:{id}",
    "ds:0:start:{id}",
    "ds:1:pick:0",
    "r:1:verify:{id}",
    "r:1:ask_info:{id}",
    "r:1:reject:{id}",
    "r:1:withdraw:{id}",
    "r:1:merge:{id}",
    "rv:1:confirm",
    "rv:1:pick:0",
    "q:0:page:0",
    "f:0:binh",
    "n:1:pick:individual",
    "n:1:send",
    "n:1:support:{id}",
    "bc:1:send",
    "bc:1:kind:all",
    "bs:0:stop:{broadcast}",
    "sub:0:all",
    "sub:0:c:{campaign}",
    "sub:0:w:" + HANG_BAC,
    "sub:0:stop",
    "d:1:2018:{unit}",
    "rq:0:ack:{id}",
    "rq:0:done:{id}",
)


@dataclass
class Scene:
    """A victim's case, a scheduled announcement and the people trying buttons on them."""

    code: str
    values: dict[str, object]
    actors: list[SimUser]


async def _scene(api: LocalBotApi, bot: RunningBot, clock: FakeClock, base: int) -> Scene:
    victim = api.user(base, "Nạn nhân Hoa")
    code = await nominate(victim)
    resident, officer_elsewhere = api.user(base + 1, "Cư dân"), api.user(base + 2, "Cán bộ Gai")
    member, stranger = api.user(base + 3, "Ủy viên"), api.user(base + 4, "Người lạ")
    await grant(bot, clock, officer_elsewhere, Role.OFFICER, HANG_GAI)
    await grant(bot, clock, member, Role.COUNCIL_MEMBER)
    await nominate(resident, name="Trần Thị Lan")
    rt = bot.runtime
    async with rt.uow() as uow:
        scheduled = await create_broadcast(
            uow,
            Broadcast(
                "Thông báo hẹn giờ",
                Audience.parse("all"),
                clock(),
                send_at=clock() + timedelta(days=30),
            ),
            actor=Actor.operator(),
            today=rt.today(),
        )
        await uow.commit()
    organisation = rt.directory.organisation
    campaign = organisation.campaigns[0].key if organisation and organisation.campaigns else "x"
    values = {
        "code": code,
        "id": await case_id(bot, code),
        "broadcast": scheduled.id,
        "campaign": campaign,
        "unit": rt.directory.unit_index(HANG_BAC),
    }
    for user in (officer_elsewhere, member, stranger):
        await say(user, "/help")
    return Scene(code, values, [resident, officer_elsewhere, member, stranger])


async def _nothing_changed(bot: RunningBot, scene: Scene) -> None:
    assert await audit_actions(bot, scene.code) == []
    async with bot.runtime.uow() as uow:
        broadcast = await uow.broadcasts.get(int(str(scene.values["broadcast"])))
        assert broadcast is not None and broadcast.status is BroadcastStatus.SCHEDULED
        plan = bot.runtime.directory.plan
        assert plan is not None and await uow.deadlines.completions(plan.key) == {}
        for user in scene.actors:
            assert await uow.subscriptions.active_of(user.id) == []
            person = await uow.users.get(user.id)
            assert person is not None and person.locale is None
            assert await uow.dialogs.get(user.chat_id) is None
        stranger = scene.actors[-1]
        assert await uow.consents.latest(stranger.id, ConsentPurpose.NOMINATION) is None


async def test_forged_data_of_every_button_kind_is_refused_by_everyone_and_changes_nothing(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    scene = await _scene(api, bot, clock, 30_100)
    for user in scene.actors:
        for template in EVERY_KIND:
            data = template.format(**scene.values)
            await user.send_callback(data, user.last_message)
            reply = await user.next_message()
            assert STALE in reply.text, (user.first_name, data, reply.text)
            assert scene.code not in reply.text and NOMINEE not in reply.text
    await _nothing_changed(bot, scene)


async def test_behind_the_signature_every_handler_refuses_what_is_not_the_pressers(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    """Data the bot signed (a role revoked since, a key leaked) still opens nothing."""
    scene = await _scene(api, bot, clock, 30_200)
    for user in scene.actors:
        for template in EVERY_KIND:
            if template.startswith(("c:", "l:", "m:", "sub:")):
                continue  # one's own consent, language and subscriptions: no one else's data
            data = template.format(**scene.values)
            await user.send_callback(signed(bot, user, data), user.last_message)
            reply = await user.next_message()
            assert scene.code not in reply.text and NOMINEE not in reply.text, (data, reply.text)
            assert "Nạn nhân Hoa" not in reply.text
            assert not any(mark in reply.text for mark in ERROR_MARKS), (data, reply.text)
    await _nothing_changed(bot, scene)
