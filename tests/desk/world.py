"""The desk's test world: two old wards of Hoàn Kiếm, their cases, a ward officer, the office.

The demo plan's wards existed until 30/6/2025: the clock stands in November 2024, when
Phường Hàng Bạc and Phường Hàng Đào were both in service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bot.desk.links import link_token, signin_url
from bot.runtime import Runtime
from core.broadcasting import create
from core.broadcasts import Audience, Broadcast, BroadcastStatus
from core.desk_services import issue_link
from core.identity import MINTED_ID_BASE
from core.nomination import NominationDraft, NomineeKind, NomineeRole
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork
from core.review import act, actor_for, grant_role
from core.roles import Actor, Role
from core.services import give_consent, meet_user, submit_nomination
from core.workflow import Action

# Wednesday 20/11/2024, 09:00 in Hà Nội.
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
HANG_BAC = "phuong-hang-bac"
HANG_DAO = "phuong-hang-dao"
WARD_OFFICER = 7101  # an officer of Hàng Bạc only
OFFICE = 7102  # the standing office: every unit
RESIDENT = 7103
DESK_URL = "http://desk.test"
LINK = re.compile(r"https?://\S+/desk/signin/[A-Za-z0-9_=-]+")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Case:
    name: str
    unit_key: str
    deed: str
    days_ago: int
    actions: tuple[Action, ...] = ()
    under_16: bool | None = None


CASES = (
    Case("Nguyễn Văn Bình", HANG_BAC, "Anh Bình trả lại chiếc ví có 5 triệu đồng.", 3),
    Case(
        "Trần Thị Mai",
        HANG_BAC,
        "Chị Mai dìu cụ bà qua phố ngập nước.",
        6,
        (Action.VERIFY,),
    ),
    Case("Lê Minh Tuấn", HANG_DAO, "Anh Tuấn cứu cháu bé ngã xuống hồ.", 20, (Action.VERIFY,)),
    Case("Phạm Thu Hà", HANG_DAO, "Chị Hà mở lớp học miễn phí buổi tối.", 40),
    Case("Đỗ Gia Huy", HANG_BAC, "Em Huy nhặt được điện thoại và trả lại.", 10, under_16=True),
)


@dataclass(frozen=True)
class Sent:
    """A broadcast as seeded: its text, state, when it goes, and each recipient's outcome."""

    text: str
    status: BroadcastStatus
    hours_ago: int  # when it started (or, scheduled, is to go: negative)
    outcomes: tuple[tuple[int, str], ...] = ()  # (chat, "sent" / "pending" / "waiting" / a failure)


ZALO_CHAT = MINTED_ID_BASE + 11
BROADCASTS = (
    Sent(
        "Mời các đơn vị đăng ký thi đua năm nay.",
        BroadcastStatus.DONE,
        120,
        (
            (8001, "sent"),
            (8002, "sent"),
            (8003, "sent"),
            (8004, "blocked"),
            (ZALO_CHAT, "outside_window"),
        ),
    ),
    Sent(
        "Nhắc: hạn nộp báo cáo tháng là thứ Sáu.",
        BroadcastStatus.SENDING,
        1,
        (
            (8001, "sent"),
            (8002, "sent"),
            (8005, "chat_not_found"),
            (8006, "pending"),
            (ZALO_CHAT, "waiting"),
        ),
    ),
    Sent("Lễ tuyên dương gương người tốt, việc tốt sáng thứ Hai.", BroadcastStatus.SCHEDULED, -24),
)


@dataclass(frozen=True)
class Seeded:
    codes: dict[str, str]  # nominee's name -> tracking code
    broadcasts: tuple[int, ...] = ()  # the ids of BROADCASTS, in order


async def seed(rt: Runtime, now: datetime) -> Seeded:
    """File the officers, the resident and the cases through the core services."""
    today = now.astimezone(rt.settings.tz).date()
    codes: dict[str, str] = {}
    async with rt.uow() as uow:
        for user_id, name, role, unit in (
            (WARD_OFFICER, "Cán bộ Hàng Bạc", Role.OFFICER, HANG_BAC),
            (OFFICE, "Văn phòng Nội vụ", Role.SECRETARIAT, None),
        ):
            await grant_role(
                uow, Actor.operator(), user_id=user_id, role=role, unit_key=unit, now=now
            )
            await meet_user(uow, user_id=user_id, display_name=name, language_code="vi", now=now)
        await meet_user(uow, user_id=RESIDENT, display_name="Lan", language_code="vi", now=now)
        await give_consent(uow, RESIDENT, now=now, display_name="Lan")
        for case in CASES:
            student = case.under_16 is not None
            draft = NominationDraft(
                nominee_kind=NomineeKind.INDIVIDUAL,
                nominee_name=case.name,
                nominee_role=NomineeRole.STUDENT if student else NomineeRole.RESIDENT,
                nominee_under_16=case.under_16,
                unit_key=case.unit_key,
                deed=case.deed,
                deed_date=today - timedelta(days=case.days_ago),
                anonymous=False,
            )
            filed = now - timedelta(days=max(0, case.days_ago - 1))
            nomination = await submit_nomination(uow, draft, user_id=RESIDENT, now=filed)
            assert nomination.id is not None
            officer = await actor_for(uow, OFFICE, today)
            for action in case.actions:
                await act(uow, officer, nomination.id, action, now=now)
            codes[case.name] = str(nomination.code)
        broadcasts = [await seed_broadcast(uow, sent, now=now, today=today) for sent in BROADCASTS]
        await uow.commit()
    return Seeded(codes, tuple(broadcasts))


async def seed_broadcast(uow: UnitOfWork, sent: Sent, *, now: datetime, today: date) -> int:
    """Write a broadcast by the office and its messages, each at its outcome; return its id."""
    office = await actor_for(uow, OFFICE, today)
    goes = now - timedelta(hours=sent.hours_ago)
    written = await create(
        uow,
        Broadcast(sent.text, Audience.parse("all"), created_at=min(now, goes), send_at=goes),
        actor=office,
        today=today,
    )
    assert written.id is not None
    rows = [
        OutgoingMessage(chat, "sendMessage", {"chat_id": chat, "text": sent.text}, goes)
        for chat, _ in sent.outcomes
    ]
    added = await uow.outbox.add_bulk(written.id, rows)
    for chat, outcome in sent.outcomes:
        message_id = (await uow.outbox.recent(chat, limit=1))[0].id
        assert message_id is not None
        at = goes + timedelta(minutes=5)
        if outcome == "sent":
            await uow.outbox.mark_sent_many([(message_id, 1)], at=at)
        elif outcome == "waiting":
            await uow.outbox.hold(message_id, at=at, error="outside the window")
        elif outcome != "pending":
            await uow.outbox.mark_undeliverable(message_id, at=at, failure=outcome, error=outcome)
    if sent.status is not BroadcastStatus.SCHEDULED:
        finished = goes + timedelta(minutes=5) if sent.status is BroadcastStatus.DONE else None
        started = replace(
            written, status=sent.status, recipients=added, started_at=goes, finished_at=finished
        )
        await uow.broadcasts.save(started)
    return written.id


async def sign_in_link(rt: Runtime, user_id: int, now: datetime) -> str:
    """Return a sign-in link for ``user_id`` as /web makes it (without the chat)."""
    async with rt.uow() as uow:
        actor = await actor_for(uow, user_id, now.astimezone(rt.settings.tz).date())
        secret, _ = await issue_link(uow, actor, now=now)
        await uow.commit()
    base = rt.settings.desk_url
    assert base is not None
    return signin_url(base, link_token(rt.buttons, user_id, secret))


def deed_day(days_ago: int) -> date:
    return (NOW + timedelta(hours=7)).date() - timedelta(days=days_ago)
