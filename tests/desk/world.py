"""The desk's test world: two old wards of Hoàn Kiếm, their cases, a ward officer, the office.

The demo plan's wards existed until 30/6/2025: the clock stands in November 2024, when
Phường Hàng Bạc and Phường Hàng Đào were both in service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.desk.links import link_token, signin_url
from bot.runtime import Runtime
from core.desk_services import issue_link
from core.nomination import NominationDraft, NomineeKind, NomineeRole
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
class Seeded:
    codes: dict[str, str]  # nominee's name -> tracking code


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
        await uow.commit()
    return Seeded(codes)


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
