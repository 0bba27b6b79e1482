"""A council and cases before it, made through the core services (storage and bot tests)."""

from __future__ import annotations

from datetime import date, datetime

from core.nomination import NominationDraft, NomineeKind
from core.ports import UnitOfWork
from core.review import act, actor_for, grant_role
from core.roles import Actor, Role
from core.services import give_consent, meet_user, submit_nomination, support
from core.workflow import Action
from tests.bot.flows import DEED

OPERATOR = Actor.operator()
WARD = "phuong-hoan-kiem"  # a unit of the organisation of today (bot.plans.TODAY_PLAN)


async def grant(uow: UnitOfWork, user_id: int, role: Role, *, now: datetime) -> None:
    """Grant a role with no unit (the standing office, a council member) from today."""
    await grant_role(uow, OPERATOR, user_id=user_id, role=role, unit_key=None, now=now)


async def case_under_review(
    uow: UnitOfWork,
    *,
    nominator: int,
    office: int,
    name: str,
    now: datetime,
    supporters: tuple[int, ...] = (),
) -> int:
    """File a case as ``nominator`` (backed by ``supporters``) and take it to the council."""
    for person in (nominator, *supporters):
        await meet_user(uow, user_id=person, display_name="", language_code="vi", now=now)
        await give_consent(uow, person, now=now)
    draft = NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name=name,
        unit_key=WARD,
        deed=DEED,
        deed_date=date(2026, 11, 19),
    )
    nomination = await submit_nomination(uow, draft, user_id=nominator, now=now)
    assert nomination.id is not None
    for person in supporters:
        await support(uow, nomination.id, user_id=person, account=None, evidence=(), now=now)
    staff = await actor_for(uow, office, now.date())
    for action in (Action.VERIFY, Action.PROPOSE, Action.START_REVIEW):
        await act(uow, staff, nomination.id, action, now=now)
    return nomination.id
