"""The desk's plan side: deadlines due soon, the plan as a calendar, broadcasts, the quarter.

Each use case asks first whether the actor may see what it returns: the deadlines and the
calendar cover the units the actor may see (:func:`core.desk_services.compliance_units`,
the rule of ``/compliance``); broadcasts are for whoever may broadcast
(:func:`core.broadcasts.may_broadcast`: the secretariat, admins); the quarter's report to
the level above is for whoever sees every unit (:func:`core.reporting.may_see_every_unit`).
A refusal is :class:`NotAllowedError`, and an unknown broadcast is refused as one the actor
may not see would be, so a page says nothing of what exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from core.broadcasting import recent
from core.broadcasts import UnknownBroadcastError, may_broadcast
from core.calendar import DayOff, WorkingCalendar, month_of
from core.compliance import compliance, compliance_by_task, proposed_in_month
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.delivery import BroadcastLine, DeliveryReport, lines_of, per_channel, tally
from core.desk import EVERY_STATE, CaseFilter
from core.desk_services import CaseSearch, MonthCompliance, compliance_units, export_cases
from core.nomination import Nomination, NominationStatus
from core.ports import UnitOfWork
from core.reporting import check_sees_every_unit
from core.roles import Actor, NotAllowedError

# The overview's deadlines: those due from today on, this many days.
WEEK = 7
# How many broadcasts the list shows, and failed recipients a report lists.
LISTED_BROADCASTS = 100
LISTED_FAILURES = 500
QUARTER_MONTHS = 3

# --- deadlines --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueTask:
    """One deadline of a task for the viewer's units: who did it and who has not yet."""

    due: date
    task_number: int
    occurrence: str
    done: tuple[str, ...]
    pending: tuple[str, ...]

    @property
    def units(self) -> int:
        """Return how many of the viewer's units owe it."""
        return len(self.done) + len(self.pending)


def due_between(
    actor: Actor,
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    first: date,
    following: date,
) -> list[DueTask]:
    """Return the deadlines due from ``first`` up to ``following`` of the actor's units.

    Only the units that lead a task owe it (coordinating units are informed, as in
    ``/compliance``); one line per task and occurrence, by due day then task.
    """
    units = set(compliance_units(actor, obligations))
    found: dict[tuple[date, int, str], tuple[list[str], list[str]]] = {}
    for obligation in obligations:
        key = obligation.key
        if not obligation.lead or key.unit_key not in units:
            continue
        for occurrence in occurrences.get(key, ()):
            if not first <= occurrence.due < following:
                continue
            done, pending = found.setdefault(
                (occurrence.due, key.task_number, occurrence.occurrence), ([], [])
            )
            (done if (key, occurrence.occurrence) in completed else pending).append(key.unit_key)
    return [
        DueTask(due, number, name, tuple(done), tuple(pending))
        for (due, number, name), (done, pending) in sorted(found.items())
    ]


def week_deadlines(
    actor: Actor,
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    today: date,
) -> list[DueTask]:
    """Return the deadlines of the actor's units due today and in the next six days."""
    return due_between(
        actor,
        obligations,
        occurrences,
        completed,
        first=today,
        following=today + timedelta(days=WEEK),
    )


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One cell of the month's grid: the day, whether it is off and why, what falls due."""

    day: date
    in_month: bool
    day_off: DayOff | None
    due: tuple[DueTask, ...]


@dataclass(frozen=True, slots=True)
class MonthCalendar:
    """The plan's deadlines of one month as weeks of seven days, Monday first.

    ``month``: its first day. Days of the weeks' ends outside the month list nothing.
    """

    month: date
    weeks: tuple[tuple[CalendarDay, ...], ...]

    @property
    def due(self) -> int:
        """Return how many deadlines fall in the month."""
        return sum(len(day.due) for week in self.weeks for day in week)


def month_calendar(
    actor: Actor,
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    calendar: WorkingCalendar,
    month: date,
) -> MonthCalendar:
    """Return ``month``'s grid of working days and days off, each with the deadlines due."""
    first, following = month_of(month)
    due = due_between(actor, obligations, occurrences, completed, first=first, following=following)
    by_day: dict[date, list[DueTask]] = {}
    for task in due:
        by_day.setdefault(task.due, []).append(task)
    start = first - timedelta(days=first.weekday())
    last = following - timedelta(days=1)
    end = last + timedelta(days=6 - last.weekday())
    days = [
        CalendarDay(
            day,
            first <= day < following,
            calendar.day_off(day),
            tuple(by_day.get(day, ())) if first <= day < following else (),
        )
        for day in (start + timedelta(days=n) for n in range((end - start).days + 1))
    ]
    weeks = tuple(tuple(days[n : n + 7]) for n in range(0, len(days), 7))
    return MonthCalendar(first, weeks)


# --- broadcasts -------------------------------------------------------------------------


def _check_broadcasts(actor: Actor) -> None:
    if not may_broadcast(actor):
        raise NotAllowedError(f"user {actor.user_id} may not follow broadcasts")


async def broadcasts_in_flight(uow: UnitOfWork, actor: Actor) -> list[BroadcastLine] | None:
    """Return the broadcasts scheduled or being sent with their counts; None if not the actor's.

    The overview shows them to whoever may broadcast; for anyone else there is no such
    section at all (None), not an empty one.
    """
    if not may_broadcast(actor):
        return None
    running = await uow.deliveries.in_flight()
    return lines_of(running, await uow.deliveries.counts([b.id for b in running if b.id]))


async def broadcast_list(
    uow: UnitOfWork, actor: Actor, *, limit: int = LISTED_BROADCASTS
) -> list[BroadcastLine]:
    """Return the latest broadcasts, newest first, with their counts (who may broadcast)."""
    _check_broadcasts(actor)
    latest = await recent(uow, actor, limit=limit)
    return lines_of(latest, await uow.deliveries.counts([b.id for b in latest if b.id]))


async def delivery_report(
    uow: UnitOfWork, actor: Actor, broadcast_id: int, *, failures: int = LISTED_FAILURES
) -> DeliveryReport:
    """Return what became of a broadcast's messages: in all, per channel, who it failed.

    Refused (:class:`NotAllowedError`) to whoever may not broadcast, before anything is
    read; :class:`UnknownBroadcastError` for a number that is no broadcast.
    """
    _check_broadcasts(actor)
    broadcast = await uow.deliveries.broadcast(broadcast_id)
    if broadcast is None:
        raise UnknownBroadcastError(f"broadcast {broadcast_id}")
    counts = list(await uow.deliveries.counts([broadcast_id]))
    failed = await uow.deliveries.failures(broadcast_id, limit=failures)
    return DeliveryReport(broadcast, tally(counts), per_channel(counts), failed)


# --- the quarter's report ---------------------------------------------------------------


def quarter_of(text: str | None, today: date) -> tuple[date, date]:
    """Return the first day of the quarter ``YYYY-Qn`` and of the next (today's if unread)."""
    year, number = today.year, (today.month - 1) // QUARTER_MONTHS + 1
    written = text or ""
    readable = len(written) == 7 and written[4:6].upper() == "-Q" and written[:4].isdigit()
    if readable and written[6] in "1234" and 1 <= int(written[:4]) < date.max.year:
        year, number = int(written[:4]), int(written[6])
    first = date(year, (number - 1) * QUARTER_MONTHS + 1, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, number * 3 + 1, 1)
    return first, following


@dataclass(frozen=True, slots=True)
class QuarterReport:
    """The quarter's report to the level above, every figure core's.

    ``standing``: compliance per unit and per unit and task of the deadlines due in the
    quarter (``month`` its first day; proposals are the quarter's, against three months'
    quota). ``cases``: filed in the quarter. ``exemplars``: those of them commended, per
    unit. ``broadcasts``: those that went (or are to go) in the quarter.
    """

    first: date
    following: date
    standing: MonthCompliance
    cases: Sequence[Nomination]
    exemplars: Sequence[tuple[str, int]]
    broadcasts: Sequence[BroadcastLine]

    @property
    def name(self) -> str:
        """Return the quarter as ``YYYY-Qn``."""
        return f"{self.first.year}-Q{(self.first.month - 1) // QUARTER_MONTHS + 1}"


async def quarter_report(
    uow: UnitOfWork,
    actor: Actor,
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    year: int,
    quarter: tuple[date, date],
    today: date,
    tz: tzinfo,
    quota: int,
    search: CaseSearch,
    units: Sequence[str] = (),
) -> QuarterReport:
    """Return the quarter's report for the office; refused to whoever does not see every unit.

    ``units``: units to list even without a case (today's, in the plan's order).
    """
    check_sees_every_unit(actor)
    first, following = quarter
    plan_units = compliance_units(actor, obligations)
    proposed: dict[str, int] = {}
    month = first
    while month < following:
        for unit, count in (await proposed_in_month(uow, month, tz)).items():
            proposed[unit] = proposed.get(unit, 0) + count
        month = month_of(month)[1]
    registered = set(await uow.deadlines.registrations(year))
    period = (first, following)
    rows = compliance(
        obligations,
        occurrences,
        completed,
        units=plan_units,
        today=today,
        proposed=proposed,
        registered=registered,
        quota=quota * QUARTER_MONTHS,
        period=period,
    )
    tasks = compliance_by_task(
        obligations, occurrences, completed, units=plan_units, today=today, period=period
    )
    filters = CaseFilter(
        state=EVERY_STATE, filed_from=first, filed_to=following - timedelta(days=1)
    )
    cases = await export_cases(uow, actor, filters, search=search, tz=tz)
    commended: dict[str, int] = {}
    for case in cases:
        if case.status is NominationStatus.COMMENDED:
            commended[case.unit_key] = commended.get(case.unit_key, 0) + 1
    listed = dict.fromkeys([*units, *sorted({case.unit_key for case in cases})])
    exemplars = [(unit, commended.get(unit, 0)) for unit in listed]
    since = datetime.combine(first, time(0), tz)
    before = datetime.combine(following, time(0), tz)
    went = await uow.deliveries.between(since, before)
    lines = lines_of(went, await uow.deliveries.counts([b.id for b in went if b.id]))
    return QuarterReport(
        first, following, MonthCompliance(first, rows, tasks), cases, exemplars, lines
    )
