"""Who is late: per unit, tasks done on time or late, overdue, the monthly quota, registration."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from core.calendar import WorkingCalendar, month_of
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.nomination import NominationStatus
from core.org import Organisation, Unit
from core.ports import UnitOfWork
from core.review import secretariat_ids

# The plan's section II.2: each unit proposes at least one exemplar a month.
MONTHLY_QUOTA = 1


@dataclass(frozen=True, slots=True)
class UnitCompliance:
    """One unit's standing, as the secretariat's /compliance shows it."""

    unit_key: str
    on_time: int
    late: int
    overdue: int
    pending: int
    proposed: int
    quota: int
    registered: bool
    documents: int = 0
    """Documents the unit filed against the plan's tasks (:mod:`core.task_documents`)."""

    @property
    def below_quota(self) -> bool:
        """Tell whether the unit proposed fewer cases to the council this month than it must."""
        return self.proposed < self.quota

    @property
    def behind(self) -> bool:
        """Tell whether anything about the unit needs the secretariat's attention."""
        return self.overdue > 0 or self.below_quota or not self.registered


def compliance(
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    units: Sequence[str],
    today: date,
    proposed: Mapping[str, int],
    registered: Collection[str],
    quota: int = MONTHLY_QUOTA,
    documents: Mapping[str, int] | None = None,
    period: tuple[date, date] | None = None,
) -> list[UnitCompliance]:
    """Return each unit's standing on ``today``, in the order of ``units``.

    Only the obligations a unit leads count: coordinating units are informed, not accountable.
    ``period``: only the occurrences due from its first day up to (not including) its second
    count (a month at the desk); None counts the whole plan, as ``/compliance`` does.
    """
    counts = {unit: [0, 0, 0, 0] for unit in units}
    for obligation in obligations:
        tally = counts.get(obligation.key.unit_key)
        if tally is None or not obligation.lead:
            continue
        found = _tally(obligation, occurrences, completed, today=today, period=period)
        for index, count in enumerate(found):
            tally[index] += count
    return [
        UnitCompliance(
            unit,
            on_time=counts[unit][0],
            late=counts[unit][1],
            overdue=counts[unit][2],
            pending=counts[unit][3],
            proposed=proposed.get(unit, 0),
            quota=quota,
            registered=unit in registered,
            documents=(documents or {}).get(unit, 0),
        )
        for unit in units
    ]


def _tally(
    obligation: Obligation,
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    today: date,
    period: tuple[date, date] | None,
) -> list[int]:
    """Return an obligation's occurrences on time, late, overdue and pending on ``today``."""
    tally = [0, 0, 0, 0]
    for occurrence in occurrences.get(obligation.key, ()):
        if period is not None and not period[0] <= occurrence.due < period[1]:
            continue
        done_on = completed.get((obligation.key, occurrence.occurrence))
        if done_on is not None:
            tally[0 if done_on <= occurrence.due else 1] += 1
        elif occurrence.due < today:
            tally[2] += 1
        else:
            tally[3] += 1
    return tally


@dataclass(frozen=True, slots=True)
class TaskCompliance:
    """One unit's standing on one task of the plan it leads."""

    unit_key: str
    task_number: int
    first_due: date
    on_time: int
    late: int
    overdue: int
    pending: int

    @property
    def due(self) -> int:
        """Return every occurrence counted."""
        return self.on_time + self.late + self.overdue + self.pending


def compliance_by_task(
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    units: Sequence[str],
    today: date,
    period: tuple[date, date] | None = None,
) -> list[TaskCompliance]:
    """Return each unit's standing per task it leads, by the rule of :func:`compliance`.

    In the order of ``units``, then of the plan; a task with nothing due in ``period`` is left
    out.
    """
    order = {unit: index for index, unit in enumerate(units)}
    rows = []
    for obligation in obligations:
        if obligation.key.unit_key not in order or not obligation.lead:
            continue
        tally = _tally(obligation, occurrences, completed, today=today, period=period)
        dues = [
            o.due
            for o in occurrences.get(obligation.key, ())
            if period is None or period[0] <= o.due < period[1]
        ]
        if dues:
            key = obligation.key
            rows.append(TaskCompliance(key.unit_key, key.task_number, min(dues), *tally))
    return sorted(rows, key=lambda row: (order[row.unit_key], row.task_number))


def on_time_rate(row: UnitCompliance) -> float | None:
    """Return the share done on time of what was due by now (None: nothing was due yet).

    An overdue task counts against the rate as a late one does: it is late already.
    """
    due = row.on_time + row.late + row.overdue
    return row.on_time / due if due else None


PROPOSED: frozenset[NominationStatus] = frozenset(
    {
        NominationStatus.PROPOSED,
        NominationStatus.UNDER_REVIEW,
        NominationStatus.COMMENDED,
        NominationStatus.NOT_COMMENDED,
    }
)
"""The statuses of a case the unit proposed to the council, whatever the council decided."""


async def proposed_in_month(uow: UnitOfWork, day: date, tz: tzinfo) -> dict[str, int]:
    """Count each unit's cases proposed to the council in ``day``'s month, local time.

    What the quota counts (the plan: "đề xuất giới thiệu Quận khen thưởng ít nhất 01"):
    a case proposed that month and still in the council's hands or decided by it. A
    nomination a resident filed under the unit counts only once the unit proposes it;
    rejected, withdrawn and merged ones never count.
    """
    first, following = month_of(day)
    return await uow.nominations.count_proposed_by_unit(
        since=datetime.combine(first, time(0), tz),
        until=datetime.combine(following, time(0), tz),
        statuses=PROPOSED,
    )


@dataclass(frozen=True, slots=True)
class QuotaSummary:
    """The month's summary of the quota for one member of the secretariat, sent once per key.

    ``short``: the units still below the quota on the month's last working day. (A unit's
    own reminder is part of its officers' digest, :mod:`core.digest`.)
    """

    key: str
    user_id: int
    month: date
    quota: int
    short: tuple[Unit, ...] = ()


async def quota_summaries(
    uow: UnitOfWork,
    organisation: Organisation,
    calendar: WorkingCalendar,
    *,
    quota: int,
    today: date,
    tz: tzinfo,
) -> list[QuotaSummary]:
    """Return the month's quota summaries due today: on its last working day, to the secretariat."""
    units = organisation.active_units(today)
    if not units or quota == 0:
        return []
    first, following = month_of(today)
    if today != calendar.previous_working_day(following - timedelta(days=1)):
        return []
    counts = await proposed_in_month(uow, today, tz)
    short = tuple(unit for unit in units if counts.get(unit.key, 0) < quota)
    return [
        QuotaSummary(f"quota-summary:{first:%Y-%m}", user_id, first, quota, short=short)
        for user_id in await secretariat_ids(uow, today)
    ]
