"""The shape Decree 30/2020/NĐ-CP gives an administrative paper, built with python-docx.

A4, margins 2 cm top and bottom, 3 cm left, 2 cm right; Times New Roman (Word substitutes a
metric twin where it is missing). The header is a borderless table of two columns: the
issuing body and the paper's number on the left, the national name ("Quốc hiệu") and motto
("Tiêu ngữ", underlined) and the place and date (italics) on the right. The title is bold
upper case, centred; the body is justified; the signer's block sits bottom right (title in
upper case, name in bold) beside "Nơi nhận:" in small italics bottom left.

Every piece of text goes in through :func:`add_run`, as the text of a run: python-docx
writes it as XML character data, so "<", "&" and "{{" stay themselves, and nothing in a
value is ever read as markup or as a template.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from core.papers import CaseLine, Issuer, Signer

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(12)
TEXT_WIDTH = Cm(16)  # A4's 21 cm less the 3 cm and 2 cm margins
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
LEFT = WD_ALIGN_PARAGRAPH.LEFT

# Characters XML 1.0 cannot hold (C0 controls but tab and newline, lone surrogates,
# U+FFFE/U+FFFF): lxml refuses them, so a stray one in a name would stop the paper.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Return ``text`` in NFC, fit for XML, with each run of whitespace made one space."""
    return _SPACES.sub(" ", _NOT_XML.sub("", unicodedata.normalize("NFC", text)))


@dataclass(frozen=True, slots=True)
class Look:
    """How a run of text looks; ``size`` None keeps the paragraph style's."""

    bold: bool = False
    italic: bool = False
    underline: bool = False
    size: Length | None = None


PLAIN = Look()
BOLD = Look(bold=True)
ITALIC = Look(italic=True)


def new_document(title: str, author: str, day: date) -> DocxDocument:
    """Return an empty A4 document in the administrative style, titled and dated ``day``."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)

    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT)
    # Word's proofing and hyphenation then read the text as Vietnamese.
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().append(language)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15

    properties = document.core_properties
    properties.title = clean(title)
    properties.author = properties.last_modified_by = clean(author)
    properties.comments = ""  # the template's own says python-docx made it
    # The paper's date, not the clock's (the template's default is python-docx's own).
    properties.created = properties.modified = datetime.combine(day, time(), UTC)
    return document


def add_run(paragraph: Paragraph, text: str, look: Look = PLAIN) -> None:
    """Append ``text`` to ``paragraph`` as literal text, looking as ``look`` says."""
    run = paragraph.add_run(clean(text))
    run.bold = look.bold or None
    run.italic = look.italic or None
    run.underline = look.underline or None
    if look.size is not None:
        run.font.size = look.size


def add_line(
    container: DocxDocument | _Cell,
    text: str = "",
    look: Look = PLAIN,
    *,
    align: WD_ALIGN_PARAGRAPH = CENTER,
    space_before: float = 0,
    space_after: float = 0,
    first_indent: Length | None = None,
) -> Paragraph:
    """Add a paragraph holding ``text`` to ``container``; return it for more runs."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    form = paragraph.paragraph_format
    form.space_before, form.space_after = Pt(space_before), Pt(space_after)
    if first_indent is not None:
        form.first_line_indent = first_indent
    if text:
        add_run(paragraph, text, look)
    return paragraph


def add_body(document: DocxDocument, text: str, look: Look = PLAIN) -> Paragraph:
    """Add a paragraph of the body: justified, first line indented, 6 pt after."""
    return add_line(document, text, look, align=JUSTIFY, space_after=6, first_indent=Cm(1))


def _first_paragraph(cell: _Cell, text: str, look: Look) -> Paragraph:
    paragraph: Paragraph = cell.paragraphs[0]
    paragraph.alignment = CENTER
    add_run(paragraph, text, look)
    return paragraph


def _borderless(rows: int, widths: Sequence[Length], document: DocxDocument) -> Table:
    table: Table = document.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    return table


def _keep_whole(table: Table) -> None:
    """Keep each row of ``table`` on one page: a signer's block is never split."""
    for row in table.rows:
        whole = OxmlElement("w:cantSplit")
        whole.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(whole)


def add_header(document: DocxDocument, issuer: Issuer, number: str, day: date) -> None:
    """Add the two-sided header: issuer and number left; nation, motto, place and date right."""
    table = _borderless(2, (Cm(6.5), Cm(9.5)), document)
    body = table.cell(0, 0)
    size = Pt(13)
    if issuer.superior:
        _first_paragraph(body, issuer.superior.upper(), Look(size=size))
        add_line(body, issuer.name.upper(), Look(bold=True, size=size))
    else:
        _first_paragraph(body, issuer.name.upper(), Look(bold=True, size=size))
    add_line(body, "―――――", Look(size=Pt(8)))  # the short rule under the body's name

    nation = table.cell(0, 1)
    _first_paragraph(nation, NATION, Look(bold=True, size=Pt(12)))
    add_line(nation, MOTTO, Look(bold=True, underline=True, size=size))

    _first_paragraph(table.cell(1, 0), f"Số: {number}", Look(size=size))
    _first_paragraph(table.cell(1, 1), issuer.dated(day), Look(italic=True, size=size))
    add_line(document, space_after=6)


def add_title(document: DocxDocument, title: str, subject: str | None = None) -> None:
    """Add the paper's name in bold upper case, and its subject ("Về việc ...") under it."""
    add_line(document, title.upper(), BOLD, space_before=6)
    if subject:
        add_line(document, subject, BOLD)
    add_line(document, "――――――", Look(size=Pt(8)), space_after=6)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a ruled table: its heading, its width, and whether its cells are centred."""

    heading: str
    width: Length
    centred: bool = False


def add_grid(
    document: DocxDocument, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> Table:
    """Add a ruled table: bold headings repeated on each page, one row per entry."""
    table: Table = document.add_table(rows=1 + len(rows), cols=len(columns), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    _keep_whole(table)
    for column, spec in zip(table.columns, columns, strict=True):
        column.width = spec.width
        for cell in column.cells:
            cell.width = spec.width
    for cell, spec in zip(header.cells, columns, strict=True):
        _first_paragraph(cell, spec.heading, Look(bold=True, size=TABLE_SIZE))
    for row, values in zip(table.rows[1:], rows, strict=True):
        for cell, spec, value in zip(row.cells, columns, values, strict=True):
            paragraph = _first_paragraph(cell, value, Look(size=TABLE_SIZE))
            if not spec.centred:
                paragraph.alignment = LEFT
    add_line(document, space_after=6)
    return table


def add_signatures(
    document: DocxDocument, left: Sequence[tuple[str, Look]], signer: Signer
) -> None:
    """Add the closing row: ``left``'s lines bottom left, the signer's block bottom right."""
    table = _borderless(1, (Cm(7.5), Cm(8.5)), document)
    _keep_whole(table)
    left_cell, right_cell = table.cell(0, 0), table.cell(0, 1)
    for index, (text, look) in enumerate(left):
        paragraph = left_cell.paragraphs[0] if index == 0 else left_cell.add_paragraph()
        paragraph.alignment = LEFT
        add_run(paragraph, text, look)
    sign_block(right_cell, signer)


def sign_block(cell: _Cell, signer: Signer) -> None:
    """Write the signer's block in ``cell``: capacity and title in bold upper case, the name."""
    if signer.on_behalf:
        _first_paragraph(cell, signer.on_behalf.upper(), BOLD)
        add_line(cell, signer.title.upper(), BOLD)
    else:
        _first_paragraph(cell, signer.title.upper(), BOLD)
    # Room for the signature and the seal.
    add_line(cell, space_before=60)
    add_line(cell, signer.name, BOLD)


def recipients_lines(recipients: Sequence[str]) -> list[tuple[str, Look]]:
    """Return "Nơi nhận:" and its lines, each "- ...;" and the last "- ...." (Decree 30)."""
    heading = ("Nơi nhận:", Look(bold=True, italic=True, size=Pt(12)))
    small = Look(size=Pt(11))  # Decree 30: the heading bold italic 12, the lines upright 11
    return [heading, *((f"- {line}", small) for line in with_end(recipients, ";", "."))]


def docx_bytes(document: DocxDocument) -> bytes:
    """Return ``document`` saved as a .docx file's bytes."""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def whom(cases: Sequence[CaseLine]) -> str:
    """Name the kinds among ``cases``: "cá nhân", "tập thể", or "tập thể và cá nhân"."""
    kinds = {case.collective for case in cases}
    if kinds == {True}:
        return "tập thể"
    if kinds == {False}:
        return "cá nhân"
    return "tập thể và cá nhân"


def counted(cases: Sequence[CaseLine]) -> str:
    """Count ``cases`` as a paper does: "01 tập thể và 02 cá nhân"."""
    collectives = sum(case.collective for case in cases)
    individuals = len(cases) - collectives
    parts = [
        f"{n:02d} {kind}" for n, kind in ((collectives, "tập thể"), (individuals, "cá nhân")) if n
    ]
    return " và ".join(parts)


def case_rows(cases: Sequence[CaseLine]) -> list[list[str]]:
    """Return the rows of a list of cases: number, name, unit, award form, deed."""
    return [
        [str(index), case.name, case.unit or "", case.award_form, case.deed]
        for index, case in enumerate(cases, start=1)
    ]


CASE_COLUMNS = (
    Column("STT", Cm(1.3), centred=True),
    Column("Tên cá nhân, tập thể", Cm(3.7)),
    Column("Đơn vị", Cm(3.2)),
    Column("Hình thức khen thưởng", Cm(2.8)),
    Column("Thành tích", Cm(5.0)),
)


def with_end(lines: Sequence[str], between: str, last: str) -> list[str]:
    """Return ``lines`` each ending with ``between``, the last with ``last`` (";" and ".")."""
    ends = [between] * (len(lines) - 1) + [last]
    return [
        f"{clean(line).strip().rstrip(';.,')}{end}" for line, end in zip(lines, ends, strict=False)
    ]


def add_two_signers(document: DocxDocument, left: Signer, right: Signer) -> None:
    """Add two signers' blocks side by side, as minutes are signed (secretary, chair)."""
    table = _borderless(1, (Cm(8), Cm(8)), document)
    _keep_whole(table)
    sign_block(table.cell(0, 0), left)
    sign_block(table.cell(0, 1), right)
