"""The decision documents: proposal letter, minutes, decision (DOCX) and certificates (PDF).

Each paper is built from a :mod:`core.papers` value and returned as bytes, to be sent in
chat and stored with the meeting, under :func:`file_name`; nothing here touches chat,
storage or the clock. Rendering is synchronous and CPU-bound (a DOCX takes milliseconds, a
certificate some 70 ms, most of it reading the fonts: ``bench/papers.py``), so a caller on
the event loop runs it with ``asyncio.to_thread``, and prints a decision's certificates
with :func:`certificates_pdf`, one file, a page each, which reads the fonts once.

Libraries, and why:

* **python-docx** writes the Word papers. Their layout (Decree 30/2020/NĐ-CP's two-sided
  header, Quốc hiệu and Tiêu ngữ, the signer's block beside "Nơi nhận") is built in code,
  one module per paper holding that paper's fixed Vietnamese words in order
  (:mod:`~bot.papers.proposal`, :mod:`~bot.papers.minutes`, :mod:`~bot.papers.decision`) on
  the shared shapes of :mod:`~bot.papers.layout`. docxtpl was the other choice: it renders
  Jinja2 inside a .docx made in Word, which suits papers that a clerk restyles; but every
  value would then pass through a template engine (autoescape to remember, tags such as
  ``{%p`` and run-split placeholders to debug in binary files), it brings docxcompose
  besides, and nobody here edits papers in Word yet. With python-docx a value is only
  ever a run's text, which lxml escapes, so "<b>&{{x}}" is printed as itself by
  construction. If clerks later want their own letterhead, a .docx of styles can be loaded
  in :func:`~bot.papers.layout.new_document` without changing the papers' modules.
* **fpdf2** draws the certificates: pure Python (its dependencies fontTools, Pillow,
  defusedxml all have wheels), Unicode TrueType fonts subset into the file, no system
  libraries such as Cairo or Pango that WeasyPrint would need. DejaVu Serif (regular, bold,
  and italic for the place and date line) ships in ``fonts/`` with its licence: a serif
  looks like the Times of administrative papers, and DejaVu covers every Vietnamese letter.

The libraries are imported when a paper is first made, not with this package: fpdf2 and
python-docx cost ~30 MB and a quarter of a second that most processes never use (the bot
imports this package at start to name its papers).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.papers.names import file_name as file_name
from core.papers import Certificate, Decision, Minutes, ProposalLetter


def certificate_pdf(certificate: Certificate) -> bytes:
    """Return ``certificate`` as a one-page PDF, A4 landscape, ready to print."""
    from bot.papers.certificate import certificate_pdf as make

    return make(certificate)


def certificates_pdf(certificates: Iterable[Certificate]) -> bytes:
    """Return the certificates as one PDF, a page each (the fonts read once)."""
    from bot.papers.certificate import certificates_pdf as make

    return make(certificates)


def decision_docx(decision: Decision) -> bytes:
    """Return the decision as a .docx file's bytes."""
    from bot.papers.decision import decision_docx as make

    return make(decision)


def minutes_docx(minutes: Minutes) -> bytes:
    """Return the minutes of the council's meeting as a .docx file's bytes."""
    from bot.papers.minutes import minutes_docx as make

    return make(minutes)


def proposal_docx(letter: ProposalLetter) -> bytes:
    """Return the proposal letter as a .docx file's bytes."""
    from bot.papers.proposal import proposal_docx as make

    return make(letter)
