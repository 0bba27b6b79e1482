"""Who learns who nominated: every viewer of a case, every view, anonymous or named.

The rule (``core.workflow.may_know_nominator``): the officers who verify the case (its
unit's officers, the secretariat, admins) always know who reported it; when the nominator
asked to stay anonymous, nobody else does, council members included. A named nominator is
known to whoever may see the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.review import grant_role, revoke_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, fill_nomination, press, say

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
HANG_BAC = "phuong-hoan-kiem"  # Hàng Bạc's area since 1/7/2025
NOMINATOR = "Lê Thị Ẩn"
SUPPORTER = "Phan Ủng Hộ"
QUESTION = "Anh/Chị có ảnh chụp lúc trả ví không?"
ANSWER = "Có, tôi gửi ảnh chụp ở chợ."

# Who is who: (user id, display name, role, unit).
VIEWERS: dict[str, tuple[int, str, Role | None, str | None]] = {
    "nominator": (1101, NOMINATOR, None, None),
    "supporter": (1102, SUPPORTER, None, None),
    "resident": (1103, "Dân Khác", None, None),
    "officer": (1104, "Cán bộ Bạc", Role.OFFICER, HANG_BAC),
    "other_officer": (1105, "Cán bộ Gai", Role.OFFICER, "phuong-cua-nam-2025"),
    "secretariat": (1106, "Thư ký", Role.SECRETARIAT, None),
    "council_member": (1107, "Ủy viên", Role.COUNCIL_MEMBER, None),
    "admin": (1108, "Quản trị", Role.ADMIN, None),
}
VERIFYING_STAFF = {"officer", "secretariat", "admin"}
# Who sees the nominator's name on the card: the verifying staff always; whoever may open
# the card too (the council, once the case is proposed) unless the nominator is anonymous.
# Residents and other units' officers see the status only, which names nobody.
KNOWS = {True: VERIFYING_STAFF, False: VERIFYING_STAFF | {"council_member"}}


@dataclass
class Seen:
    """What one viewer was shown, view by view."""

    views: dict[str, list[str]] = field(default_factory=dict)

    def add(self, view: str, text: str) -> None:
        self.views.setdefault(view, []).append(text)

    def shows(self, view: str, text: str) -> bool:
        return any(text in shown for shown in self.views.get(view, []))


async def _grant(
    bot: RunningBot, clock: FakeClock, user: SimUser, role: Role, unit: str | None
) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, Actor.operator(), user_id=user.id, role=role, unit_key=unit, now=clock()
        )
        await uow.commit()


async def _nominate(user: SimUser, *, anonymous: bool) -> str:
    await agree_and_start(user)
    await fill_nomination(user, name="Nguyễn Văn Bình", ward="hoan kiem")
    if anonymous:
        await press(user, "✏️ Sửa")
        await press(user, "Giữ kín danh tính")
        summary = await press(user, "🔒 Có, giữ kín")
        assert "Giữ kín danh tính: có" in summary.text
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def _support(user: SimUser, code: str) -> None:
    await agree_and_start(user)
    await fill_nomination(user, name="nguyen van binh", ward="hoan kiem")
    offer = await press(user, "✅ Gửi")
    assert code in offer.text
    thanks = await press(user, f"🤝 Cùng đề cử {code}")
    assert "Cảm ơn" in thanks.text


async def _review_with_a_question(users: dict[str, SimUser], code: str) -> None:
    """Verify, ask the nominator, have them answer with a photo, propose to the council."""
    officer, nominator = users["officer"], users["nominator"]
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await press(officer, "❓ Yêu cầu bổ sung")
    await say(officer, QUESTION)
    await nominator.wait_until(lambda chat: any(QUESTION in m.text for m in chat.messages))
    await nominator.press("✍️ Trả lời cán bộ")
    await nominator.wait_until(lambda chat: "Gửi trả lời" in str(chat.last_message.buttons))
    await nominator.send_text(ANSWER)
    await nominator.wait_until(lambda chat: ANSWER in chat.last_message.text)
    await nominator.send_photo(file_size=300_000)
    await nominator.wait_until(lambda chat: "1 ảnh" in chat.last_message.text)
    await nominator.press("✅ Gửi trả lời")
    await officer.wait_until(lambda chat: any(ANSWER in m.text for m in chat.messages))
    officer.skip_pending()
    await say(officer, f"/status {code}")
    proposed = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert "Đã đề xuất lên Hội đồng" in proposed.text


async def _look(user: SimUser, code: str, seen: Seen) -> None:
    """Open every view a user can ask for, keeping what each showed."""
    user.skip_pending()
    card = await say(user, f"/status {code}")
    seen.add("card", card.text)
    if "Lịch sử" in card.text:
        seen.add("history", card.text.split("Lịch sử", 1)[1].split("Số người cùng đề cử", 1)[0])
    files = [label for row in card.buttons for label in row if label.startswith("📎")]
    if files:
        await user.press_on(card, files[0])
        for message in await user.wait_for_messages(1):
            assert message.kind == "photo"
            seen.add("files", message.text)
    seen.add("queue", (await say(user, "/queue")).text)
    seen.add("find", (await say(user, "/find nguyen van binh")).text)


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
async def test_every_viewer_sees_the_nominator_only_where_the_rule_allows(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock, anonymous: bool
) -> None:
    users = {key: api.user(user_id, name) for key, (user_id, name, _, _) in VIEWERS.items()}
    for key, (_, _, role, unit) in VIEWERS.items():
        if role is not None:
            await _grant(bot, clock, users[key], role, unit)
    code = await _nominate(users["nominator"], anonymous=anonymous)
    await _support(users["supporter"], code)
    marks = {key: len(user.messages) for key, user in users.items()}

    await _review_with_a_question(users, code)

    seen = {key: Seen() for key in users}
    for key, user in users.items():
        # Notices: whatever reached the viewer during the review that was not a case card.
        for message in user.messages[marks[key] :]:
            if f"Hồ sơ {code} · " not in message.text:
                seen[key].add("notices", message.text)
        await _look(user, code, seen[key])

    knows = KNOWS[anonymous]
    for key in users:
        views = seen[key]
        assert views.shows("card", NOMINATOR) == (key in knows), (key, views.views["card"])
        assert views.shows("history", NOMINATOR) == (key in knows), (key, views.views)
        for view in ("notices", "files", "queue", "find"):
            assert not views.shows(view, NOMINATOR), (key, view, views.views.get(view))
        # Supporters are named to the officers who verify the case, and to nobody else.
        assert views.shows("card", SUPPORTER) == (key in VERIFYING_STAFF), (key, views.views)

    member = seen["council_member"]
    assert member.shows("history", "Người đề cử đã bổ sung thông tin: " + ANSWER)
    assert member.shows("files", "") and member.shows("card", "Nguyễn Văn Bình")
    if anonymous:
        assert member.shows("history", "🔒 Người đề cử · Người đề cử đã bổ sung thông tin")
        assert member.shows("card", "giữ kín danh tính")
    for key in VERIFYING_STAFF:
        assert seen[key].shows(
            "history", f"{NOMINATOR} · Người đề cử đã bổ sung thông tin: {ANSWER}"
        )
    # The officers are told that the nominator answered, never by whom.
    assert seen["officer"].shows("notices", ANSWER)
    # Residents and other units' officers see a status, not the case.
    for key in ("supporter", "resident", "other_officer"):
        assert not seen[key].shows("card", "Nguyễn Văn Bình"), (key, seen[key].views)


async def test_an_officer_whose_grant_was_revoked_is_not_told_the_nominators_answer(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    nominator = api.user(1201, NOMINATOR)
    asking, colleague = api.user(1202, "Cán bộ Cũ"), api.user(1203, "Cán bộ Mới")
    await _grant(bot, clock, asking, Role.OFFICER, HANG_BAC)
    code = await _nominate(nominator, anonymous=True)
    await say(asking, f"/status {code}")
    await press(asking, "🔍 Tiếp nhận, xác minh")
    await press(asking, "❓ Yêu cầu bổ sung")
    await say(asking, QUESTION)
    # The officer who asked moves to another post; a colleague takes over the unit.
    async with bot.runtime.uow() as uow:
        (grant,) = await uow.roles.grants_of(asking.id)
        assert grant.id is not None
        assert await revoke_role(uow, Actor.operator(), grant.id, now=clock())
        await uow.commit()
    await _grant(bot, clock, colleague, Role.OFFICER, HANG_BAC)
    asking.skip_pending()

    await nominator.wait_until(lambda chat: any(QUESTION in m.text for m in chat.messages))
    await nominator.press("✍️ Trả lời cán bộ")
    await nominator.wait_until(lambda chat: "Gửi trả lời" in str(chat.last_message.buttons))
    await nominator.send_text(ANSWER)
    await nominator.wait_until(lambda chat: ANSWER in chat.last_message.text)
    await nominator.press("✅ Gửi trả lời")

    told = await colleague.next_message()
    assert ANSWER in told.text and NOMINATOR not in told.text
    await api.wait_until_idle(timeout=5)
    assert not any(ANSWER in m.text for m in asking.all_messages)
