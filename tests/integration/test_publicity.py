"""Public comment's rules on both backends: the window's length, and its cases' forms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.plans import TODAY_PLAN, load_plan, read_plan_file
from core.calendar import WorkingCalendar
from core.publicity import closing_day, forms_comment_days
from core.roles import Role
from storage.uow import Database
from tests.integration.council import case_under_review, grant

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
OFFICE = 5


async def test_the_window_lasts_what_the_cases_forms_set_the_longest(database: Database) -> None:
    await load_plan(database, read_plan_file(TODAY_PLAN))
    async with database.uow() as uow:
        await grant(uow, OFFICE, Role.SECRETARIAT, now=NOW)
        short = await case_under_review(uow, nominator=1, office=OFFICE, name="Lê Mai", now=NOW)
        other = await case_under_review(uow, nominator=2, office=OFFICE, name="Vũ An", now=NOW)
        case = await uow.nominations.get(other)
        assert case is not None
        await uow.nominations.save(replace(case, award_form_key="nguoi-tot-viec-tot"))
        await uow.commit()
    async with database.uow() as uow:
        cases = [await uow.nominations.get(case_id) for case_id in (short, other)]
        simplified_only = await forms_comment_days(uow, [c for c in cases[:1] if c])
        both = await forms_comment_days(uow, [c for c in cases if c])
    assert (simplified_only, both) == (0, 5)  # the "Người tốt, việc tốt" certificate: 5 days


def test_a_window_counts_working_days_after_the_day_it_opens() -> None:
    calendar = WorkingCalendar()
    assert closing_day(date(2026, 11, 20), 10, calendar) == date(2026, 12, 7)  # over 24/11
    assert closing_day(date(2026, 11, 20), 1, calendar) == date(2026, 11, 23)  # a Monday
