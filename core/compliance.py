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
            proposed=proposed.get(unit, 0),
            quota=quota,
            registered=unit in registered,
            documents=(documents or {}).get(unit, 0),
        )
        for unit in units
    ]


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
