"""The desk's plan side in core, without storage: deadlines grouped, the month's grid, tallies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.calendar import DayOffKind, WorkingCalendar
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.delivery import DeliveryCount, tally
from core.desk_plan import due_between, month_calendar, quarter_of
from core.org import Validity
from core.plan import AbsoluteDue, PlanTask, UnitRef
from core.roles import Actor, NotAllowedError, Role, RoleGrant

GRANTED = datetime(2018, 1, 1, tzinfo=UTC)


def _obligation(unit: str, task: int, *, lead: bool = True) -> Obligation:
    plan_task = PlanTask(
        task, "I", "Việc", (UnitRef.of_unit(unit),), (), "x", AbsoluteDue(date(2018, 1, 10))
    )
    return Obligation(ObligationKey("p", task, unit), lead, plan_task)


def _actor(role: Role, unit: str | None = None) -> Actor:
    grant = RoleGrant(1, role, unit, Validity(date(2018, 1, 1), None), GRANTED)
    return Actor(1, (grant,))


def _world() -> tuple[list[Obligation], dict[ObligationKey, list[Occurrence]]]:
    a1, b1, a2, helper = (
        _obligation("a", 1),
        _obligation("b", 1),
        _obligation("a", 2),
        _obligation("c", 2, lead=False),
    )
    day = date(2018, 1, 10)
    occurrences = {o.key: [Occurrence(o.key, "once", day, day, None)] for o in (a1, b1, a2, helper)}
    return [a1, b1, a2, helper], occurrences


def test_deadlines_are_grouped_by_task_with_the_viewers_lead_units_done_and_pending() -> None:
    obligations, occurrences = _world()
    completed = {(obligations[0].key, "once"): date(2018, 1, 9)}
    window = {"first": date(2018, 1, 8), "following": date(2018, 1, 15)}

    office = due_between(_actor(Role.SECRETARIAT), obligations, occurrences, completed, **window)
    ward = due_between(_actor(Role.OFFICER, "b"), obligations, occurrences, completed, **window)

    assert [(d.task_number, d.done, d.pending) for d in office] == [
        (1, ("a",), ("b",)),
        (2, (), ("a",)),  # the coordinating unit owes nothing
    ]
    assert [(d.task_number, d.done, d.pending, d.units) for d in ward] == [(1, (), ("b",), 1)]
    with pytest.raises(NotAllowedError):
        due_between(Actor(1, ()), obligations, occurrences, completed, **window)


def test_the_months_grid_starts_on_monday_and_marks_the_new_years_day_off() -> None:
    obligations, occurrences = _world()

    grid = month_calendar(
        _actor(Role.SECRETARIAT),
        obligations,
        occurrences,
        {},
        calendar=WorkingCalendar(),
        month=date(2018, 1, 17),
    )

    days = [day for week in grid.weeks for day in week]
    assert days[0].day == date(2018, 1, 1) and days[-1].day == date(2018, 2, 4)
    assert all(len(week) == 7 for week in grid.weeks) and len(grid.weeks) == 5
    assert days[0].day_off is not None and days[0].day_off.kind is DayOffKind.HOLIDAY
    assert days[5].day_off is not None and days[5].day_off.kind is DayOffKind.WEEKEND
    assert [task.task_number for task in days[9].due] == [1, 2] and grid.due == 2
    assert not days[-1].in_month and days[-1].due == ()


def test_a_tally_splits_the_failed_by_reason_and_keeps_waiting_apart() -> None:
    counts = [
        DeliveryCount(1, "telegram", "sent", None, 5),
        DeliveryCount(1, "telegram", "failed", "blocked", 2),
        DeliveryCount(1, "telegram", "expired", "expired", 1),
        DeliveryCount(1, "zalo", "failed", "outside_window", 3),
        DeliveryCount(1, "zalo", "waiting", None, 1),
        DeliveryCount(1, "telegram", "sending", None, 1),
        DeliveryCount(1, "telegram", "cancelled", None, 4),
    ]

    counted = tally(counts)

    assert (counted.sent, counted.failed, counted.waiting, counted.pending) == (5, 6, 1, 1)
    assert counted.cancelled == 4 and counted.total == 17
    assert list(counted.reasons.items()) == [("outside_window", 3), ("blocked", 2), ("expired", 1)]


def test_a_quarter_is_read_as_written_or_else_todays() -> None:
    today = date(2018, 5, 2)
    assert quarter_of("2018-Q4", today) == (date(2018, 10, 1), date(2019, 1, 1))
    assert quarter_of("2018-q1", today) == (date(2018, 1, 1), date(2018, 4, 1))
    assert (
        quarter_of("2018-Q5", today)
        == quarter_of(None, today)
        == (
            date(2018, 4, 1),
            date(2018, 7, 1),
        )
    )
