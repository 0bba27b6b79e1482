"""The monthly quota counts cases proposed to the council; officers' digest times are kept.

On SQLite and PostgreSQL, with real nominations moved through the review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from core.compliance import proposed_in_month
from core.nomination import NominationDraft, NomineeKind
from core.review import act, actor_for, grant_role
from core.roles import Actor, Role
from core.services import give_consent, meet_user, submit_nomination
from core.workflow import Action, Award
from storage.uow import Database
from tests.bot.flows import DEED

HANOI = timezone(timedelta(hours=7))
JANUARY = datetime(2018, 1, 2, 3, 0, tzinfo=UTC)
MARCH = datetime(2018, 3, 5, 3, 0, tzinfo=UTC)
HANG_BAC = "phuong-hang-bac"
HANG_GAI = "phuong-hang-gai"
OFFICER, SECRETARY, NOMINATOR = 41, 42, 43


@pytest.fixture
async def organised(database: Database) -> Database:
    from bot.plans import DEMO_PLAN, load_plan, read_plan_file

    await load_plan(database, read_plan_file(DEMO_PLAN))
    async with database.uow() as uow:
        for user_id, role, unit in (
            (OFFICER, Role.OFFICER, HANG_BAC),
            (OFFICER, Role.OFFICER, HANG_GAI),
            (SECRETARY, Role.SECRETARIAT, None),
        ):
            await grant_role(
                uow, Actor.operator(), user_id=user_id, role=role, unit_key=unit, now=JANUARY
            )
        await meet_user(uow, user_id=NOMINATOR, display_name="Lan", language_code="vi", now=JANUARY)
        await give_consent(uow, NOMINATOR, now=JANUARY)
        await uow.commit()
    return database


async def _case(db: Database, unit: str, actions: list[tuple[Action, datetime]]) -> None:
    """File a nomination under ``unit`` and move it through ``actions``, each at its time."""
    async with db.uow() as uow:
        draft = NominationDraft(
            nominee_kind=NomineeKind.INDIVIDUAL,
            nominee_name="Nguyễn Văn Bình",
            unit_key=unit,
            deed=DEED,
            deed_date=date(2018, 2, 1),
        )
        nomination = await submit_nomination(uow, draft, user_id=NOMINATOR, now=JANUARY)
        assert nomination.id is not None
        for action, at in actions:
            by = {Action.WITHDRAW: NOMINATOR}.get(
                action, SECRETARY if action in _COUNCIL else OFFICER
            )
            actor = await actor_for(uow, by, at.date())
            extra: dict[str, object] = {}
            if action in (Action.REJECT, Action.DECLINE):
                extra["public_note"] = "Chưa đủ căn cứ."
            if action is Action.COMMEND:
                extra["award"] = Award("Giấy khen", "12/QĐ-UBND", date(2018, 3, 25))
            await act(uow, actor, nomination.id, action, now=at, **extra)  # type: ignore[arg-type]
        await uow.commit()


_COUNCIL = {Action.START_REVIEW, Action.COMMEND, Action.DECLINE}


def _at(day: int, month: int = 3) -> datetime:
    return datetime(2018, month, day, 9, 0, tzinfo=HANOI)


async def test_the_quota_counts_what_the_unit_proposed_that_month_not_what_was_filed(
    organised: Database,
) -> None:
    verify, propose = Action.VERIFY, Action.PROPOSE
    # Counted in March: proposed in March, whatever the council did with it since.
    await _case(organised, HANG_BAC, [(verify, _at(5)), (propose, _at(6))])
    await _case(
        organised,
        HANG_BAC,
        [(verify, _at(5)), (propose, _at(7)), (Action.START_REVIEW, _at(8))],
    )
    await _case(
        organised,
        HANG_GAI,
        [
            (verify, _at(5)),
            (propose, _at(9)),
            (Action.START_REVIEW, _at(12)),
            (Action.DECLINE, _at(20)),
        ],
    )
    # Not counted: filed only, rejected, withdrawn after being proposed, proposed in
    # February, proposed on 1 April at 00:30 Hà Nội time (still 31 March in UTC).
    await _case(organised, HANG_BAC, [])
    await _case(organised, HANG_BAC, [(verify, _at(5)), (Action.REJECT, _at(6))])
    await _case(
        organised, HANG_BAC, [(verify, _at(5)), (propose, _at(6)), (Action.WITHDRAW, _at(9))]
    )
    await _case(organised, HANG_GAI, [(verify, _at(26, 2)), (propose, _at(27, 2))])
    april = datetime(2018, 4, 1, 0, 30, tzinfo=HANOI)
    await _case(organised, HANG_GAI, [(verify, _at(5)), (propose, april)])

    async with organised.uow() as uow:
        march = await proposed_in_month(uow, date(2018, 3, 20), HANOI)
        february = await proposed_in_month(uow, date(2018, 2, 20), HANOI)
        later = await proposed_in_month(uow, date(2018, 4, 2), HANOI)
    assert march == {HANG_BAC: 2, HANG_GAI: 1}
    assert february == {HANG_GAI: 1}
    assert later == {HANG_GAI: 1}


async def test_an_officers_digest_time_is_kept_and_replaced(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.deadlines.digest_times() == {}
        await uow.deadlines.set_digest_time(OFFICER, time(7, 30), changed_at=MARCH)
        await uow.deadlines.set_digest_time(SECRETARY, time(14, 0), changed_at=MARCH)
        await uow.commit()
    async with database.uow() as uow:
        await uow.deadlines.set_digest_time(OFFICER, time(9, 15), changed_at=MARCH)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.deadlines.digest_times() == {OFFICER: time(9, 15), SECRETARY: time(14, 0)}
