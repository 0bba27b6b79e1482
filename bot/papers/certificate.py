"""The certificate: one A4 landscape page to print, drawn with fpdf2 in DejaVu Serif.

The fonts ship with the package (``fonts/``, with their licence), so a machine without
DejaVu still writes every Vietnamese letter; fpdf2 embeds only the glyphs a page uses.
Text is drawn as text, never read as markup: a name holding "<b>" prints those three
characters. Long names and deeds are made smaller, then cut with "…", so that a certificate
is always one page: a second page would print as a blank sheet or a torn certificate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from fpdf import FPDF

from bot.papers.layout import MOTTO, NATION, clean
from bot.papers.typeface import FONTS
from core.papers import Certificate
from core.text import fold

FAMILY = "DejaVuSerif"
_FACES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
_HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

# A4 landscape in millimetres, and the frame's double rule.
WIDTH, HEIGHT = 297.0, 210.0
_FRAME_OUTER, _FRAME_INNER = 8.0, 11.5
_LEFT, _RIGHT = 24.0, WIDTH - 24.0
_RED = (150, 22, 22)
_BLUE = (18, 42, 120)
_BLACK = (0, 0, 0)
# Millimetres per point, and the line height as a multiple of the font size.
_MM = 25.4 / 72
_LEADING = 1.3
# The signer's block: the right half, from the date line down.
_SIGN_LEFT, _SIGN_TOP = 158.0, 142.0


def certificate_pdf(certificate: Certificate) -> bytes:
    """Return ``certificate`` as a one-page PDF, A4 landscape, ready to print."""
    return certificates_pdf([certificate])


def certificates_pdf(certificates: Iterable[Certificate]) -> bytes:
    """Return the certificates as one PDF, a page each, to print a decision's at once."""
    pages = list(certificates)
    if not pages:
        raise ValueError("no certificate to print")
    pdf = _new_pdf(pages[0])
    for certificate in pages:
        _draw(pdf, certificate)
    return bytes(pdf.output())


def _new_pdf(first: Certificate) -> FPDF:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(_LEFT, _FRAME_INNER, WIDTH - _RIGHT)
    pdf.c_margin = 0
    for style, file in _FACES.items():
        pdf.add_font(FAMILY, style, FONTS / file)
    pdf.set_lang("vi-VN")
    pdf.set_title(clean(f"{first.heading} {first.form}"))
    pdf.set_author(clean(first.issuer.name))
    pdf.set_creator("ntvt-bot")
    # The decision's day, not the clock's: the same certificate gives the same file.
    pdf.set_creation_date(datetime.combine(first.decision_date, time(), _HANOI))
    return pdf


@dataclass(frozen=True, slots=True)
class _Block:
    """Text fitted to a width: its lines, the face and size they are drawn in."""

    lines: list[str]
    style: str
    size: float
    colour: tuple[int, int, int] = _BLACK
    space_before: float = 0

    @property
    def height(self) -> float:
        return self.space_before + len(self.lines) * self.size * _MM * _LEADING


def _draw(pdf: FPDF, certificate: Certificate) -> None:
    pdf.add_page()
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(1.4)
    pdf.rect(_FRAME_OUTER, _FRAME_OUTER, WIDTH - 2 * _FRAME_OUTER, HEIGHT - 2 * _FRAME_OUTER)
    pdf.set_line_width(0.4)
    pdf.rect(_FRAME_INNER, _FRAME_INNER, WIDTH - 2 * _FRAME_INNER, HEIGHT - 2 * _FRAME_INNER)

    width = _RIGHT - _LEFT
    top = [
        _fit(pdf, NATION, "B", (13,), width),
        _fit(pdf, MOTTO, "BU", (13,), width),
        _fit(pdf, certificate.issuer.name.upper(), "B", (14, 13, 12, 11), width, gap=3),
        _fit(pdf, certificate.heading.upper(), "B", (34, 30, 26), width, colour=_RED, gap=4),
    ]
    if fold(certificate.form) != fold(certificate.heading):
        top.append(_fit(pdf, certificate.form.upper(), "B", (18, 16, 14, 12), width, colour=_RED))
    y = _place(pdf, top, _LEFT, width, 17.0)

    # The one who is commended and the deed, centred in the room left above the signatures.
    middle = [_fit(pdf, certificate.name, "B", (30, 28, 26, 24, 22, 20), width, 2, colour=_BLUE)]
    if certificate.unit:
        middle.append(_fit(pdf, certificate.unit, "I", (14, 13, 12, 11), width, gap=1))
    deed = f"Đã có thành tích: {certificate.deed}"
    middle.append(_fit(pdf, deed, "", (15, 14, 13, 12), width, 4, gap=3))
    room = _SIGN_TOP - 4 - y
    _place(pdf, middle, _LEFT, width, y + max(0.0, room - sum(b.height for b in middle)) / 2)

    reference = (
        f"Quyết định số {certificate.decision_number} ngày {certificate.decision_date:%d/%m/%Y}"
    )
    left = _SIGN_LEFT - _LEFT - 6
    _place(pdf, [_fit(pdf, reference, "I", (12, 11, 10), left, 2)], _LEFT, left, _SIGN_TOP)

    signer = certificate.signer
    block = _RIGHT - _SIGN_LEFT
    dated = certificate.issuer.dated(certificate.decision_date)
    capacity = [_fit(pdf, dated, "I", (13, 12, 11), block)]
    if signer.on_behalf:
        capacity.append(_fit(pdf, signer.on_behalf.upper(), "B", (13, 12, 11), block))
    capacity.append(_fit(pdf, signer.title.upper(), "B", (13, 12, 11), block))
    _place(pdf, capacity, _SIGN_LEFT, block, _SIGN_TOP)
    name = _fit(pdf, signer.name, "B", (15, 14, 13, 12), block)
    _place(pdf, [name], _SIGN_LEFT, block, HEIGHT - _FRAME_INNER - 12)


def _fit(
    pdf: FPDF,
    text: str,
    style: str,
    sizes: tuple[float, ...],
    width: float,
    lines: int = 1,
    *,
    colour: tuple[int, int, int] = _BLACK,
    gap: float = 0,
) -> _Block:
    """Fit ``text`` in ``width`` on at most ``lines`` lines, at the first of ``sizes`` it fits.

    At the last size, what does not fit is cut with "…".
    """
    text = clean(text).strip()
    for size in sizes:
        pdf.set_font(FAMILY, style, size)
        wrapped = _wrap(pdf, text, width)
        if len(wrapped) <= lines:
            break
    else:
        wrapped = wrapped[:lines]
        wrapped[-1] = _cut(pdf, wrapped[-1] + " …", width)
    return _Block(wrapped, style, size, colour, gap)


def _place(pdf: FPDF, blocks: list[_Block], x: float, width: float, y: float) -> float:
    """Draw ``blocks`` one under another, centred in ``width`` from ``x``; return the y below."""
    for block in blocks:
        y += block.space_before
        pdf.set_font(FAMILY, block.style, block.size)
        pdf.set_text_color(*block.colour)
        height = block.size * _MM * _LEADING
        for line in block.lines:
            pdf.set_xy(x, y)
            pdf.cell(w=width, h=height, text=line, align="C")
            y += height
    return y


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break ``text`` at spaces into lines no wider than ``width``; cut a word that is wider."""
    wrapped: list[str] = []
    line = ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if pdf.get_string_width(trial) <= width:
            line = trial
            continue
        if line:
            wrapped.append(line)
        line = word if pdf.get_string_width(word) <= width else _cut(pdf, word, width)
    wrapped.append(line)
    return wrapped


def _cut(pdf: FPDF, text: str, width: float) -> str:
    """Return ``text`` shortened until it fits ``width``, ending with "…"."""
    while pdf.get_string_width(text) > width and len(text) > 1:
        text = text[:-2].rstrip() + "…"
    return text
