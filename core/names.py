"""A person's name typed without diacritics, given back its most likely written form.

"nguyen van binh" → "Nguyễn Văn Bình": each syllable is looked up by its place in the name
(the family name first, the given name last, middle names between) in a table of common
name syllables (``core/data/name_syllables.tsv``, read at the edge and parsed here), and the
most frequent written form of that place wins. A middle name that marks a gender ("Văn",
"Thị") picks among the given names of that gender: "nguyen thi dung" → Dung, "nguyen van
dung" → Dũng. A name with a diacritic anywhere, or a syllable the table does not know, gets
no suggestion: then the resident's own spelling is the only sensible one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from core.text import fold

MAX_WORDS = 7


class Position(StrEnum):
    """Where a syllable stands in a Vietnamese full name."""

    FAMILY = "family"
    MIDDLE = "middle"
    GIVEN = "given"


@dataclass(frozen=True, slots=True)
class Syllable:
    """One written form of a name syllable at a position, with its gender and weight."""

    written: str
    gender: str  # "m", "f" or "-" (either)
    weight: int


@dataclass(slots=True)
class NameTable:
    """Written forms of name syllables by position and by their folded key ("binh")."""

    forms: dict[Position, dict[str, list[Syllable]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameTable:
        """Read the table's text: ``position<TAB>written<TAB>gender<TAB>weight`` lines.

        Lines starting with ``#`` and blank lines are skipped; a form listed twice at a
        position keeps its higher weight.
        """
        table = cls({position: {} for position in Position})
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4 or parts[2] not in ("m", "f", "-") or not parts[3].isdigit():
                raise ValueError(f"line {number}: expected position, form, gender, weight")
            position, written = Position(parts[0]), unicodedata.normalize("NFC", parts[1])
            table.add(position, Syllable(written, parts[2], int(parts[3])))
        return table

    def add(self, position: Position, syllable: Syllable) -> None:
        """Add a written form (the higher weight wins if it is there already)."""
        forms = self.forms.setdefault(position, {}).setdefault(fold(syllable.written), [])
        same = next((s for s in forms if s.written == syllable.written), None)
        if same is not None:
            if same.weight >= syllable.weight:
                return
            forms.remove(same)
        forms.append(syllable)
        forms.sort(key=lambda s: -s.weight)

    def best(self, key: str, position: Position, gender: str | None = None) -> Syllable | None:
        """Return the likeliest written form of ``key`` at ``position``, else at any position.

        ``gender`` ("m"/"f") prefers the forms of that gender or of either.
        """
        for where in (position, *(p for p in Position if p is not position)):
            forms = self.forms.get(where, {}).get(key)
            if not forms:
                continue
            if gender is not None:
                fitting = [s for s in forms if s.gender in (gender, "-")]
                if fitting:
                    return fitting[0]
            return forms[0]
        return None


def has_diacritics(text: str) -> bool:
    """Tell whether ``text`` carries any Vietnamese diacritic (or đ)."""
    return any(
        unicodedata.category(c) == "Mn" or c in "đĐ" for c in unicodedata.normalize("NFD", text)
    )


def restore_diacritics(typed: str, table: NameTable) -> str | None:
    """Return the likeliest written form of a name typed without diacritics, or None.

    None when the name has a diacritic already, has fewer than two or more than
    :data:`MAX_WORDS` words, has a word that is not plain letters, has a syllable the table
    does not know, or would come back exactly as typed.
    """
    words = typed.split()
    if not 2 <= len(words) <= MAX_WORDS or has_diacritics(typed):
        return None
    if not all(word.isascii() and word.isalpha() for word in words):
        return None
    keys = [word.lower() for word in words]
    positions = [
        Position.FAMILY if i == 0 else Position.GIVEN if i == len(keys) - 1 else Position.MIDDLE
        for i in range(len(keys))
    ]
    restored: list[Syllable] = []
    for key, position in zip(keys[:-1], positions[:-1], strict=True):
        syllable = table.best(key, position)
        if syllable is None:
            return None
        restored.append(syllable)
    given = table.best(keys[-1], Position.GIVEN, _gender(restored[1:]))
    if given is None:
        return None
    written = " ".join(s.written for s in [*restored, given])
    return None if written == " ".join(words) else written


def _gender(middles: list[Syllable]) -> str | None:
    """Return the gender the middle names mark ("Văn": m, "Thị": f), the strongest one."""
    marked = [s for s in middles if s.gender != "-"]
    return max(marked, key=lambda s: s.weight).gender if marked else None
