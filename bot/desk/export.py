"""The desk's tables as files officers open in Excel: XLSX (openpyxl) and CSV (UTF-8, BOM).

Each holds what its page shows, row for row, as core gave it (a child nominee's initials to
whoever may not know the name). A cell that starts like a formula (``=``, ``+``, ``-``,
``@``) is written as text: a name typed by a resident never runs in someone's Excel.

A table is its columns (a header's message id and its width in characters) and its rows;
:func:`table_xlsx` writes one sheet, :func:`workbook_xlsx` several (``/baocao``'s report).
openpyxl is imported when a workbook is first made: most processes never make one, and it
costs ~10 MB and a tenth of a second at start.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.arenas import release_freed_memory
from bot.desk.labels import KIND_LABELS, QUEUE_COLUMNS, STATUS_LABELS
from core.dates import format_date_vi
from core.nomination import Nomination

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "DD/MM/YYYY"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | date | None
Row = tuple[str, str, str, str, str, date, date]
Columns = Sequence[tuple[str, int]]
Translate = Callable[[str], str]


def attachment(name: str) -> dict[str, str]:
    """Return the headers that make a browser save a file under ``name`` (ASCII)."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet of a workbook: its title (translated), columns and rows."""

    title: str
    columns: Columns
    rows: Sequence[Sequence[Cell]]


def queue_rows(
    items: Sequence[Nomination], *, unit_name: Callable[[str], str], tz: ZoneInfo, text: Translate
) -> list[Row]:
    """Return the queue's rows: code, nominee, kind, unit, state, deed day, day filed."""
    return [
        (
            str(item.code),
            item.nominee.name,
            text(KIND_LABELS[item.nominee.kind]),
            unit_name(item.unit_key),
            text(STATUS_LABELS.get(item.status.value, item.status.value)),
            item.deed_date,
            item.created_at.astimezone(tz).date(),
        )
        for item in items
    ]


def headers(text: Translate, columns: Columns = QUEUE_COLUMNS) -> list[str]:
    """Return a table's column headers in the reader's language (the queue's by default)."""
    return [text(title) for title, _ in columns]


def write_sheet(sheet: Worksheet, table: Table, *, text: Translate) -> None:
    """Fill ``sheet`` with ``table``: headers bold and frozen, the filter on, dates as dates."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.title = table.title[:31]
    sheet.append(headers(text, table.columns))
    for row in table.rows:
        sheet.append(list(row))
    for column, (_, width) in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, str) and cell.value.startswith(_FORMULA_STARTS):
                cell.data_type = "s"  # text, not a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(table.columns))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(table.rows) + 1)}"


def workbook_xlsx(tables: Sequence[Table], *, text: Translate) -> bytes:
    """Return a workbook with a sheet per table, in order."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    for index, table in enumerate(tables):
        write_sheet(first if index == 0 else workbook.create_sheet(), table, text=text)
    buffer = io.BytesIO()
    workbook.save(buffer)
    del workbook
    release_freed_memory()
    return buffer.getvalue()


def table_xlsx(table: Table, *, text: Translate) -> bytes:
    """Return one table as a workbook of one sheet."""
    return workbook_xlsx([table], text=text)


def queue_xlsx(rows: Sequence[Row], *, text: Translate, sheet_title: str) -> bytes:
    """Return the queue's rows as a workbook: headers frozen, the filter on, dates as dates."""
    return table_xlsx(Table(sheet_title, QUEUE_COLUMNS, rows), text=text)


def table_csv(columns: Columns, rows: Sequence[Sequence[Cell]], *, text: Translate) -> bytes:
    """Return a table as CSV in UTF-8 with a BOM (Excel then reads the diacritics)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(text, columns))
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def queue_csv(rows: Sequence[Row], *, text: Translate) -> bytes:
    """Return the queue's rows as CSV in UTF-8 with a BOM."""
    return table_csv(QUEUE_COLUMNS, rows, text=text)


def _csv_cell(value: Cell) -> str:
    if isinstance(value, date):
        return format_date_vi(value)
    if value is None:
        return ""
    return _inert(value) if isinstance(value, str) else str(value)


def _inert(value: str) -> str:
    """Return a text cell that a spreadsheet will not read as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
