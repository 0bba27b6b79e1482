"""The table of name syllables (``core/data/name_syllables.tsv``), read once per process."""

from __future__ import annotations

import functools
from importlib import resources

from core.names import NameTable


@functools.cache
def name_table() -> NameTable:
    """Return the table the name step restores diacritics with (:mod:`core.names`)."""
    text = resources.files("core").joinpath("data/name_syllables.tsv").read_text("utf-8")
    return NameTable.parse(text)
