"""The desk's compliance tables as rows, for the page's exports and ``/baocao``'s workbook.

The counts are core's (:func:`core.desk_services.month_compliance`); here they only become
cells: names for keys, a percentage for a rate, a word for a registration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.desk.charts import Bars, StackedMonths
from bot.desk.export import Cell, Table, Translate, queue_rows
from bot.desk.labels import (
    COMPLIANCE_TASK_COLUMNS,
    COMPLIANCE_UNIT_COLUMNS,
    NOT_REGISTERED,
    QUEUE_COLUMNS,
    REGISTERED,
    STATUS_LABELS,
)
from bot.notices import load_deadlines
from bot.rendering import N_
from bot.runtime import Runtime
from core.calendar import month_of
from core.compliance import on_time_rate
from core.desk import EVERY_STATE, CaseFilter
from core.desk_services import MonthCompliance, export_cases, month_compliance, unit_exemplars
from core.ports import UnitOfWork
from core.roles import Actor

UNITS_SHEET = N_("Theo đơn vị")
TASKS_SHEET = N_("Theo nhiệm vụ")


def percent(rate: float | None) -> int | None:
    """Return a rate as a whole percentage (None: nothing was due)."""
    return None if rate is None else round(rate * 100)


def unit_rows(
    standing: MonthCompliance, *, unit_name: Callable[[str], str], text: Translate
) -> list[list[Cell]]:
    """Return a row per unit: its counts, on-time rate, proposals against the quota."""
    return [
        [
            unit_name(row.unit_key),
            row.on_time,
            row.late,
            row.overdue,
            row.pending,
            percent(on_time_rate(row)),
            row.proposed,
            row.quota,
            text(REGISTERED if row.registered else NOT_REGISTERED),
        ]
        for row in standing.units
    ]


def task_rows(
    standing: MonthCompliance, *, unit_name: Callable[[str], str], tasks: Mapping[int, str]
) -> list[list[Cell]]:
    """Return a row per unit and task due in the month: the task, its first due day, counts."""
    return [
        [
            unit_name(row.unit_key),
            row.task_number,
            tasks.get(row.task_number, ""),
            row.first_due,
            row.on_time,
            row.late,
            row.overdue,
            row.pending,
        ]
        for row in standing.tasks
    ]


def compliance_tables(
    standing: MonthCompliance,
    *,
    unit_name: Callable[[str], str],
    tasks: Mapping[int, str],
    text: Translate,
) -> list[Table]:
    """Return the month's compliance as two tables: per unit, then per unit and task."""
    return [
        Table(
            text(UNITS_SHEET),
            COMPLIANCE_UNIT_COLUMNS,
            unit_rows(standing, unit_name=unit_name, text=text),
        ),
        Table(
            text(TASKS_SHEET),
            COMPLIANCE_TASK_COLUMNS,
            task_rows(standing, unit_name=unit_name, tasks=tasks),
        ),
    ]


# --- the charts -------------------------------------------------------------------------

EXEMPLARS_TITLE = N_("Gương người tốt, việc tốt theo đơn vị")
EXEMPLARS_AXIS = N_("Số trường hợp được khen thưởng")
MONTHLY_TITLE = N_("Hồ sơ gửi mỗi tháng, theo trạng thái hiện nay")
MONTHLY_AXIS = N_("Số hồ sơ")
ON_TIME_TITLE = N_("Tỉ lệ nhiệm vụ đúng hạn theo đơn vị, tháng %(month)s")
ON_TIME_AXIS = N_("Đúng hạn trên số nhiệm vụ đã đến hạn (%)")


def exemplars_chart(
    exemplars: Sequence[tuple[str, int]], *, unit_name: Callable[[str], str], text: Translate
) -> Bars:
    """Return the chart of exemplars per unit."""
    return Bars(
        text(EXEMPLARS_TITLE),
        [unit_name(unit) for unit, _ in exemplars],
        [count for _, count in exemplars],
        text(EXEMPLARS_AXIS),
    )


def monthly_chart(
    filed: Sequence[tuple[date, Mapping[str, int]]], *, text: Translate
) -> StackedMonths:
    """Return the chart of cases filed per month, stacked by their state (the queue's order)."""
    series = [
        (text(STATUS_LABELS[state]), [counts.get(state, 0) for _, counts in filed])
        for state in STATUS_LABELS
        if any(counts.get(state, 0) for _, counts in filed)
    ]
    return StackedMonths(
        text(MONTHLY_TITLE), [month for month, _ in filed], series, text(MONTHLY_AXIS)
    )


def on_time_chart(
    standing: MonthCompliance, *, unit_name: Callable[[str], str], text: Translate
) -> Bars:
    """Return the chart of the on-time rate per unit in the month (units with something due)."""
    rated = [(row.unit_key, on_time_rate(row)) for row in standing.units]
    shown = [(unit, rate) for unit, rate in rated if rate is not None]
    return Bars(
        text(ON_TIME_TITLE) % {"month": f"{standing.month:%m/%Y}"},
        [unit_name(unit) for unit, _ in shown],
        [rate for _, rate in shown],
        text(ON_TIME_AXIS),
        percent=True,
    )


# --- the month's report (/baocao) -------------------------------------------------------

QUEUE_SHEET = N_("Hồ sơ trong tháng")
EXEMPLARS_SHEET = N_("Gương điển hình")
EXEMPLAR_COLUMNS = ((N_("Đơn vị"), 30), (N_("Số trường hợp được khen thưởng"), 18))


@dataclass(frozen=True, slots=True)
class MonthReport:
    """What ``/baocao`` sends: the month's chart and the workbook's tables."""

    month: date
    chart: Bars
    tables: Sequence[Table]


async def month_report(
    uow: UnitOfWork, rt: Runtime, actor: Actor, *, month: date, locale: str
) -> MonthReport | None:
    """Return the month's report for ``actor``'s units, or None without a plan.

    Every figure comes from the desk's core services, under the actor's scope.
    """
    deadlines = await load_deadlines(uow, rt, rt.calendar)
    if deadlines is None:
        return None
    settings = rt.settings

    text = rt.renderer.translator(locale)

    standing = await month_compliance(
        uow,
        actor,
        deadlines.obligations,
        deadlines.occurrences,
        deadlines.completed,
        year=deadlines.plan.year,
        month=month,
        today=rt.today(),
        tz=settings.tz,
        quota=settings.monthly_quota,
    )
    first, following = month_of(month)
    filters = CaseFilter(state=EVERY_STATE, filed_from=first, filed_to=following - timedelta(1))
    items = await export_cases(uow, actor, filters, search=rt.search, tz=settings.tz)
    units = [unit.key for unit in rt.directory.units_on(rt.today())]
    exemplars = await unit_exemplars(uow, actor, units=units)
    unit_name = rt.directory.unit_name
    tasks = {task.number: task.content for task in deadlines.plan.tasks}
    tables = [
        *compliance_tables(standing, unit_name=unit_name, tasks=tasks, text=text),
        Table(
            text(QUEUE_SHEET),
            QUEUE_COLUMNS,
            queue_rows(items, unit_name=unit_name, tz=settings.tz, text=text),
        ),
        Table(
            text(EXEMPLARS_SHEET),
            EXEMPLAR_COLUMNS,
            [[unit_name(unit), count] for unit, count in exemplars],
        ),
    ]
    return MonthReport(first, on_time_chart(standing, unit_name=unit_name, text=text), tables)
