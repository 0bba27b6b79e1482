"""The queue as files officers open in Excel: XLSX (openpyxl) and CSV (UTF-8 with a BOM).

Both hold what the page shows, row for row, as core gave it (a child nominee's initials to
whoever may not know the name). A cell that starts like a formula (``=``, ``+``, ``-``,
``@``) is written as text: a name typed by a resident never runs in someone's Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.desk.labels import KIND_LABELS, QUEUE_COLUMNS, STATUS_LABELS
from core.dates import format_date_vi
from core.nomination import Nomination

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "DD/MM/YYYY"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[str, str, str, str, str, date, date]
Translate = Callable[[str], str]


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


def headers(text: Translate) -> list[str]:
    """Return the queue's column headers in the reader's language."""
    return [text(title) for title, _ in QUEUE_COLUMNS]


def queue_xlsx(rows: Sequence[Row], *, text: Translate, sheet_title: str) -> bytes:
    """Return the rows as a workbook: headers frozen, the filter on, dates as dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    sheet.append(headers(text))
    for row in rows:
        sheet.append(list(row))
    for column, (_, width) in enumerate(QUEUE_COLUMNS, start=1):
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
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(QUEUE_COLUMNS))}{max(1, len(rows) + 1)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def queue_csv(rows: Sequence[Row], *, text: Translate) -> bytes:
    """Return the rows as CSV in UTF-8 with a BOM (Excel then reads the diacritics)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(text))
    for row in rows:
        writer.writerow(
            [format_date_vi(value) if isinstance(value, date) else _inert(value) for value in row]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _inert(value: str) -> str:
    """Return a text cell that a spreadsheet will not read as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
