from __future__ import annotations

from datetime import date

from core.compliance import compliance
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.plan import AbsoluteDue, PlanTask, UnitRef


def _obligation(unit: str, task: int, *, lead: bool = True) -> Obligation:
    plan_task = PlanTask(
        task,
        "I",
        "Việc",
        (UnitRef.of_unit(unit),),
        (),
        "x",
        AbsoluteDue(date(2018, 1, 10), dossier=False),
    )
    return Obligation(ObligationKey("p", task, unit), lead, plan_task)


def _occurrence(obligation: Obligation, due: date) -> Occurrence:
    return Occurrence(obligation.key, "once", due, due, None)


def test_each_units_tasks_are_counted_on_time_late_overdue_and_pending() -> None:
    a1, a2, a3, a4 = (_obligation("a", n) for n in (1, 2, 3, 4))
    helper = _obligation("b", 1, lead=False)
    occurrences = {
        a1.key: [_occurrence(a1, date(2018, 1, 5))],
        a2.key: [_occurrence(a2, date(2018, 1, 5))],
        a3.key: [_occurrence(a3, date(2018, 1, 5))],
        a4.key: [_occurrence(a4, date(2018, 2, 5))],
        helper.key: [_occurrence(helper, date(2018, 1, 5))],
    }
    completed = {(a1.key, "once"): date(2018, 1, 5), (a2.key, "once"): date(2018, 1, 8)}
    rows = compliance(
        [a1, a2, a3, a4, helper],
        occurrences,
        completed,
        units=["a", "b"],
        today=date(2018, 1, 10),
        proposed={"a": 2},
        registered={"b"},
    )
    a, b = rows
    assert (a.on_time, a.late, a.overdue, a.pending) == (1, 1, 1, 1)
    assert (b.on_time, b.late, b.overdue, b.pending) == (0, 0, 0, 0)  # it only coordinates
    assert not a.below_quota and b.below_quota
    assert a.behind and b.behind and b.registered and not a.registered
