"""The desk's tables as files officers open in Excel: XLSX (openpyxl) and CSV (UTF-8, BOM).

Each holds what its page shows, row for row, as core gave it (a child nominee's initials to
whoever may not know the name). A cell that starts like a formula (``=``, ``+``, ``-``,
``@``) is written as text: a name typed by a resident never runs in someone's Excel.

A table is its columns (a header's message id and its width in characters) and its rows;
:func:`table_xlsx` writes one sheet, :func:`workbook_xlsx` several (``/baocao``'s report).
The workbook's XML is written here, with the standard library: openpyxl (tests read the files
with it) would cost the serving process 10-20 MB when first imported, over its 200 MB budget
(``bench/memory.py``), to write a few cells of text, numbers and dates.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from bot.arenas import release_freed_memory
from bot.desk.labels import KIND_LABELS, QUEUE_COLUMNS, STATUS_LABELS
from core.dates import format_date_vi
from core.nomination import Nomination

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


def workbook_xlsx(tables: Sequence[Table], *, text: Translate) -> bytes:
    """Return a workbook with a sheet per table, in order.

    Each sheet as :func:`_sheet_xml` writes it: headers bold and frozen, the filter on,
    widths set, dates as dates in ``DD/MM/YYYY``, every text as text (never a formula).
    """
    strings: dict[str, int] = {}
    sheets = [_sheet_xml(table, text, strings) for table in tables]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(tables))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/sharedStrings.xml", _shared_strings(strings))
        for number, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", sheet)
    del sheets, strings
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


# --- SpreadsheetML, the few parts a workbook of plain tables needs ---------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
    f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
# Cell styles: 0 plain, 1 bold (the headers), 2 a date as DD/MM/YYYY.
_BOLD, _DATE = 1, 2
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
    "</fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# Excel's day 0 (its 1900 leap-year bug included: serials count from 30/12/1899).
_EPOCH = datetime(1899, 12, 30)
# Characters XML 1.0 cannot hold (control characters but tab, line feed, carriage return).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A sheet's name: at most 31 characters, none of these.
_SHEET_NAME_BANNED = re.compile(r"[\\/*?:\[\]]")


def _column_letter(number: int) -> str:
    """Return the letters of a 1-based column: 1 is A, 27 is AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _sheet_name(title: str) -> str:
    return _SHEET_NAME_BANNED.sub(" ", title)[:31] or "Sheet"


def _cell(reference: str, value: Cell, strings: dict[str, int], style: int = 0) -> str:
    """Return one cell's XML: a text is a shared string, never a formula; a date a serial."""
    styled = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{reference}"{styled}/>' if style else ""
    if isinstance(value, str):
        index = strings.setdefault(_ILLEGAL.sub("", value), len(strings))
        return f'<c r="{reference}" t="s"{styled}><v>{index}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"{styled}><v>{int(value)}</v></c>'
    if isinstance(value, date):
        if isinstance(value, datetime):
            moment = value.replace(tzinfo=None)
        else:
            moment = datetime(value.year, value.month, value.day)
        serial = (moment - _EPOCH).total_seconds() / 86_400
        return f'<c r="{reference}" s="{_DATE}"><v>{serial:.10g}</v></c>'
    return f'<c r="{reference}"{styled}><v>{value!r}</v></c>'


def _sheet_xml(table: Table, text: Translate, strings: dict[str, int]) -> str:
    """Return a sheet: bold headers frozen above the rows, the widths, the filter over all."""
    last = _column_letter(max(1, len(table.columns)))
    widths = "".join(
        f'<col min="{number}" max="{number}" width="{width}" customWidth="1"/>'
        for number, (_, width) in enumerate(table.columns, start=1)
    )
    rows = [
        '<row r="1">'
        + "".join(
            _cell(f"{_column_letter(number)}1", header, strings, _BOLD)
            for number, header in enumerate(headers(text, table.columns), start=1)
        )
        + "</row>"
    ]
    for line, row in enumerate(table.rows, start=2):
        cells = "".join(
            _cell(f"{_column_letter(number)}{line}", value, strings)
            for number, value in enumerate(row, start=1)
        )
        rows.append(f'<row r="{line}">{cells}</row>')
    return (
        f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{widths}</cols>" if widths else "")
        + f"<sheetData>{''.join(rows)}</sheetData>"
        + f'<autoFilter ref="A1:{last}{max(1, len(table.rows) + 1)}"/>'
        + "</worksheet>"
    )


def _workbook(tables: Sequence[Table]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(_sheet_name(table.title))} sheetId="{number}" r:id="rId{number}"/>'
        for number, table in enumerate(tables, start=1)
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(sheets: int) -> str:
    parts = [
        f'<Relationship Id="rId{number}" Type="{_RELS}/worksheet" '
        f'Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheets + 1)
    ]
    parts.append(f'<Relationship Id="rId{sheets + 1}" Type="{_RELS}/styles" Target="styles.xml"/>')
    parts.append(
        f'<Relationship Id="rId{sheets + 2}" Type="{_RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/>'
    )
    return f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELS}">{"".join(parts)}</Relationships>'


def _content_types(sheets: int) -> str:
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
        f'ContentType="{office}.worksheet+xml"/>'
        for number in range(1, sheets + 1)
    )
    return (
        f"{_DECLARATION}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
        f"{overrides}</Types>"
    )


def _shared_strings(strings: dict[str, int]) -> str:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return (
        f'{_DECLARATION}<sst xmlns="{_MAIN}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{items}</sst>'
    )
