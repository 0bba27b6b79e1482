"""Who is late: per unit, tasks done on time or late, overdue, the monthly quota, registration."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from core.deadlines import Obligation, ObligationKey, Occurrence

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
