"""Vietnamese text: one stored form (NFC) and one matching key (folded).

Keyboards send the same word in several Unicode forms (the Windows keyboard sends a
precomposed vowel plus a combining tone mark), and many people type without diacritics.
Store :func:`nfc`; compare :func:`fold`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Invisible characters that copy-paste and some keyboards leave inside words; they would
# also block NFC from composing a vowel with the tone mark that follows it. (An emoji
# joined by ZWJ falls apart into its parts: still readable, and it never matters to a key.)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Đ has no decomposition, so dropping marks leaves it alone. Ð (U+00D0, Icelandic eth)
# looks identical and turns up from some fonts and keyboards.
_D_WITH_STROKE = str.maketrans({"đ": "d", "Đ": "D", "Ð": "D"})
# Onsets written two ways for one sound (c/k, gh/g, ngh/ng, ph/f), and the Northern
# mergers (tr/ch, s/x) that Hà Nội residents spell either way. Longest first; "ch" and
# "kh" map to themselves so that "c" does not take their first letter. d/gi/r are NOT
# merged: folding has already made đ a d, and đ sounds unlike gi or r.
_ONSETS = (
    ("ngh", "ng"),
    ("gh", "g"),
    ("ph", "f"),
    ("tr", "ch"),
    ("ch", "ch"),
    ("kh", "kh"),
    ("c", "k"),
    ("s", "x"),
)
_VOWELS = frozenset("aeiouy")
# After qu- the glide makes i and y one sound, and both spellings are in use ("quý"/"quí",
# "quýt"/"quít"): the key writes y, the spelling of today's dictionaries.
_QU_I = re.compile(r"\bqui")


def _drop_controls(s: str) -> str:
    # NUL and other control characters break storage (PostgreSQL refuses NUL in text).
    return "".join(c for c in s if c.isspace() or unicodedata.category(c) != "Cc")


def nfc(s: str) -> str:
    """Return ``s`` in NFC, without invisible characters, with whitespace runs as one space."""
    visible = _drop_controls(s.translate(_INVISIBLE))
    return " ".join(unicodedata.normalize("NFC", visible).split())


def fold(s: str) -> str:
    """Return the matching key of ``s``: no diacritics, đ→d, lower case, words only.

    Punctuation becomes a space, so "P. Hàng Bạc", "p hang bac" and "P.HÀNG-BẠC" give
    the same key "p hang bac". Old and new tone placement ("hoà"/"hòa") fold equal, and
    so do the two spellings after qu- ("quý"/"quí" give "quy").
    """
    decomposed = unicodedata.normalize("NFD", nfc(s))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    lowered = bare.translate(_D_WITH_STROKE).casefold()
    words = " ".join("".join(c if c.isalnum() else " " for c in lowered).split())
    return _QU_I.sub("quy", words)


def sound_key(s: str) -> str:
    """Return the folded text with spellings of the same sound made equal.

    "hang bak" and "Hàng Bạc" give "hang bak"; "Lý" and "Lí" give "li". For ranking
    near misses only: two different names can share a sound key.
    """
    return " ".join(_sound_of_word(word) for word in fold(s).split())


def _sound_of_word(word: str) -> str:
    for written, sound in _ONSETS:
        if word.startswith(written):
            word = sound + word[len(written) :]
            break
    if word.endswith("c") and not word.endswith("ch"):
        word = word[:-1] + "k"  # coda c sounds k: "bạc" is often typed "bak"
    if len(word) >= 2 and word[-1] == "y" and word[-2] not in _VOWELS:
        word = word[:-1] + "i"  # "Lý"/"Lí", "kỹ"/"kĩ": two spellings in use
    return word


@dataclass(frozen=True, slots=True)
class CleanedText:
    """Text in NFC with its length in characters (code points), checked against a limit."""

    text: str
    length: int
    max_len: int

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing visible is left."""
        return self.length == 0

    @property
    def too_long(self) -> bool:
        """Tell whether the text exceeds ``max_len``."""
        return self.length > self.max_len


def clean_text(s: str, *, max_len: int, multiline: bool = False) -> CleanedText:
    """Normalise ``s`` with :func:`nfc` and report its length against ``max_len``.

    With ``multiline``, line breaks survive: each line is normalised on its own and runs
    of blank lines shrink to one, so a deed's paragraphs stay paragraphs.
    """
    text = _clean_lines(s) if multiline else nfc(s)
    return CleanedText(text=text, length=len(text), max_len=max_len)


def _clean_lines(s: str) -> str:
    kept: list[str] = []
    for line in (nfc(raw) for raw in s.splitlines()):
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")
