"""How often the name step's first suggestion restores a name typed without diacritics.

    .venv/bin/python bench/names.py [--show-misses]

Takes the 500 full names of ``bench/data/names_500.txt`` (with their diacritics; how the
list was made is in its header), strips every diacritic ("Nguyễn Văn Bình" → "Nguyen Van
Binh"), asks :func:`core.names.restore_diacritics` with the syllable table of
``core/data/name_syllables.tsv``, and counts the suggestions equal to the name as written.
A name with no suggestion (a syllable the table does not know) counts as not right.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.names import name_table  # noqa: E402
from core.names import restore_diacritics  # noqa: E402

NAMES = ROOT / "bench" / "data" / "names_500.txt"


def strip_diacritics(name: str) -> str:
    """Return ``name`` as typed on a keyboard with no Vietnamese layout."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="list the names missed")
    args = parser.parse_args()
    names = [
        unicodedata.normalize("NFC", line.strip())
        for line in NAMES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    table = name_table()
    right = offered = 0
    misses: list[tuple[str, str | None]] = []
    for name in names:
        suggestion = restore_diacritics(strip_diacritics(name), table)
        offered += suggestion is not None
        if suggestion == name:
            right += 1
        else:
            misses.append((name, suggestion))
    total = len(names)
    print(f"names: {total} ({NAMES.relative_to(ROOT)})")
    print(f"a suggestion offered: {offered}/{total} ({100 * offered / total:.1f} %)")
    print(f"first suggestion right: {right}/{total} ({100 * right / total:.1f} %)")
    if offered:
        print(f"right when offered: {right}/{offered} ({100 * right / offered:.1f} %)")
    if args.show_misses:
        for name, suggestion in misses:
            print(f"  {name}: {suggestion or '(none)'}")


if __name__ == "__main__":
    main()
