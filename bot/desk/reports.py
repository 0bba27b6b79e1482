"""The desk's compliance tables as rows, for the page's exports and ``/baocao``'s workbook.

The counts are core's (:func:`core.desk_services.month_compliance`); here they only become
cells: names for keys, a percentage for a rate, a word for a registration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from bot.desk.charts import Bars, StackedMonths
from bot.desk.export import Cell, Table, Translate
from bot.desk.labels import (
    COMPLIANCE_TASK_COLUMNS,
    COMPLIANCE_UNIT_COLUMNS,
    NOT_REGISTERED,
    REGISTERED,
    STATUS_LABELS,
)
from bot.rendering import N_
from core.compliance import on_time_rate
from core.desk_services import MonthCompliance

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
