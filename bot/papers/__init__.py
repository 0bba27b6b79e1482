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
"""

from bot.papers.certificate import (
    certificate_pdf as certificate_pdf,
    certificates_pdf as certificates_pdf,
)
from bot.papers.decision import decision_docx as decision_docx
from bot.papers.minutes import minutes_docx as minutes_docx
from bot.papers.names import file_name as file_name
from bot.papers.proposal import proposal_docx as proposal_docx
