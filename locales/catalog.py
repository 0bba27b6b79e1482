"""Keeps the gettext catalogs in step with the templates and the code.

``python -m locales.catalog`` extracts every message from ``locales/templates`` and the
``N_("...")`` labels in ``bot/`` and updates ``vi`` and ``en``: new messages are added (in
Vietnamese, the source language, ``msgstr`` starts equal to ``msgid``; in English it starts
empty and a test fails until it is translated), obsolete ones dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
DOMAIN = "messages"
SOURCE_LOCALE = "vi"
LOCALES = ("vi", "en")

_METHODS = [("**.py", "python")]
_TEMPLATE_METHODS = [("**.j2", "jinja2.ext:babel_extract")]
_TEMPLATE_OPTIONS = {"**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
_KEYWORDS = {"N_": None, "_": None, "gettext": None}


def extract() -> dict[str, list[tuple[str, int]]]:
    """Return every message id with the places it comes from."""
    found: dict[str, list[tuple[str, int]]] = {}
    sources = [
        (LOCALES_DIR / "templates", _TEMPLATE_METHODS, _TEMPLATE_OPTIONS, "locales/templates"),
        (ROOT / "bot", _METHODS, {}, "bot"),
    ]
    for folder, methods, options, prefix in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder), methods, options, keywords=_KEYWORDS, strip_comment_tags=True
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{prefix}/{filename}", lineno))
    return found


def po_path(locale: str) -> Path:
    """Return where the catalog of ``locale`` lives."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    """Read a locale's catalog (empty if it does not exist yet)."""
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN)
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale, domain=DOMAIN)


def update() -> dict[str, int]:
    """Bring both catalogs in step with the sources; return how many messages each lacks."""
    messages = extract()
    untranslated: dict[str, int] = {}
    for locale in LOCALES:
        old = read_catalog(locale)
        new = Catalog(locale=locale, domain=DOMAIN, project="ntvt-bot", fuzzy=False)
        for msgid, locations in sorted(messages.items()):
            previous = old.get(msgid)
            translation = previous.string if previous is not None and previous.string else ""
            if locale == SOURCE_LOCALE and not translation:
                translation = msgid
            new.add(msgid, translation, locations=sorted(set(locations)))
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po_file:
            write_po(po_file, new, width=100, omit_header=False, sort_output=True)
        untranslated[locale] = sum(1 for m in new if m.id and not m.string)
    return untranslated


if __name__ == "__main__":
    missing = update()
    for locale, count in missing.items():
        print(f"{locale}: {count} untranslated")
    sys.exit(1 if any(missing.values()) else 0)
