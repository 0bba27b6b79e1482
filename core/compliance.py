"""Who is late: per unit, tasks done on time or late, overdue, the monthly quota, registration."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from core.calendar import WorkingCalendar, month_of
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.org import Organisation, Unit
from core.ports import UnitOfWork
from core.review import secretariat_ids, unit_officers

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
    nominations: int
    quota: int
    registered: bool

    @property
    def below_quota(self) -> bool:
        """Tell whether the unit proposed fewer exemplars this month than it must."""
        return self.nominations < self.quota

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
    nominations: Mapping[str, int],
    registered: Collection[str],
    quota: int = MONTHLY_QUOTA,
) -> list[UnitCompliance]:
    """Return each unit's standing on ``today``, in the order of ``units``.

    Only the obligations a unit leads count: coordinating units are informed, not accountable.
    """
    counts = {unit: [0, 0, 0, 0] for unit in units}
    for obligation in obligations:
        tally = counts.get(obligation.key.unit_key)
        if tally is None or not obligation.lead:
            continue
        for occurrence in occurrences.get(obligation.key, ()):
            done_on = completed.get((obligation.key, occurrence.occurrence))
            if done_on is not None:
                tally[0 if done_on <= occurrence.due else 1] += 1
            elif occurrence.due < today:
                tally[2] += 1
            else:
                tally[3] += 1
    return [
        UnitCompliance(
            unit,
            on_time=counts[unit][0],
            late=counts[unit][1],
            overdue=counts[unit][2],
            pending=counts[unit][3],
            nominations=nominations.get(unit, 0),
            quota=quota,
            registered=unit in registered,
        )
        for unit in units
    ]


async def nominations_in_month(uow: UnitOfWork, day: date, tz: tzinfo) -> dict[str, int]:
    """Count each unit's nominations submitted in ``day``'s month, local time."""
    first, following = month_of(day)
    return await uow.nominations.count_by_unit(
        since=datetime.combine(first, time(0), tz), until=datetime.combine(following, time(0), tz)
    )


@dataclass(frozen=True, slots=True)
class QuotaNotice:
    """A notice about the monthly quota, sent once per ``key`` and recipient.

    A unit's officers are reminded while it has proposed fewer exemplars than the quota
    (``unit``); the secretariat gets the month's summary with the units still short
    (``summary``, ``short``).
    """

    key: str
    user_id: int
    month: date
    quota: int
    unit: Unit | None = None
    short: tuple[Unit, ...] = ()

    @property
    def summary(self) -> bool:
        """Tell whether this is the secretariat's summary rather than a unit's reminder."""
        return self.unit is None


async def quota_notices(
    uow: UnitOfWork,
    organisation: Organisation,
    calendar: WorkingCalendar,
    *,
    quota: int,
    quota_day: int,
    today: date,
    tz: tzinfo,
) -> list[QuotaNotice]:
    """Return the monthly quota notices due today.

    Units still below the quota are reminded on the quota day (or the working day after
    it); the secretariat gets the month's summary on its last working day.
    """
    units = organisation.active_units(today)
    if not units or quota == 0:
        return []
    first, following = month_of(today)
    reminder_day = calendar.next_working_day(first.replace(day=quota_day))
    summary_day = calendar.previous_working_day(following - timedelta(days=1))
    if today not in (reminder_day, summary_day):
        return []
    counts = await nominations_in_month(uow, today, tz)
    short = tuple(unit for unit in units if counts.get(unit.key, 0) < quota)
    notices: list[QuotaNotice] = []
    if today == reminder_day:
        notices += [
            QuotaNotice(f"quota:{first:%Y-%m}:{unit.key}", user_id, first, quota, unit=unit)
            for unit in short
            for user_id in await unit_officers(uow, unit.key, today)
        ]
    if today == summary_day:
        notices += [
            QuotaNotice(f"quota-summary:{first:%Y-%m}", user_id, first, quota, short=short)
            for user_id in await secretariat_ids(uow, today)
        ]
    return notices
