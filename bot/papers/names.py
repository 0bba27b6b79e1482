"""File names for the papers: the paper's kind and number, without diacritics.

"Tờ trình" number "12/TTr-HĐTĐKT" is saved as ``to-trinh-12-TTr-HDTDKT.docx``: plain ASCII
survives every mail client, phone and zip tool, and the number keeps its case so that it
reads as the register writes it.
"""

from __future__ import annotations

import re
import unicodedata

from core.papers import Certificate, Decision, Minutes, ProposalLetter
from core.text import fold

_D_WITH_STROKE = str.maketrans({"đ": "d", "Đ": "D"})
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")
_LONGEST_WORDS = 60


def file_name(paper: ProposalLetter | Minutes | Decision | Certificate) -> str:
    """Return the name to save ``paper`` under: ``quyet-dinh-45-QD-UBND.docx``."""
    match paper:
        case ProposalLetter():
            return _name("Tờ trình", paper.number, "docx")
        case Minutes():
            return _name("Biên bản", paper.number, "docx")
        case Decision():
            return _name("Quyết định", paper.number, "docx")
        case Certificate():
            return _name(f"{paper.heading} {paper.name}", paper.decision_number, "pdf")


def _name(kind: str, number: str, extension: str) -> str:
    words = fold(kind).split()
    # A collective's long name would make a name some systems refuse: keep whole words.
    while len(words) > 2 and len("-".join(words)) > _LONGEST_WORDS:
        words.pop()
    return f"{'-'.join(words)}-{_ascii(number)}.{extension}"


def _ascii(text: str) -> str:
    """Return ``text`` without diacritics, case kept, each run of other characters one "-"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_WITH_STROKE))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _NOT_WORD.sub("-", bare).strip("-") or "0"
