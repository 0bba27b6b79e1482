"""Keeps the gettext catalogs in step with the templates and the code.

``python -m locales.catalog`` extracts every message from ``locales/templates`` and the
``N_("...")`` labels in ``bot/`` and updates ``vi`` and ``en``: new messages are added (in
Vietnamese, the source language, ``msgstr`` starts equal to ``msgid``; in English it starts
empty and a test fails until it is translated), obsolete ones dropped.

Counted messages come from ``ngettext(singular, plural, n, ...)`` in templates: their id is
the pair, and each catalog holds as many forms as its ``Plural-Forms`` says (Vietnamese one,
English two).
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
_KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}

MessageId = str | tuple[str, str]
"""A message's id: its text, or the singular and plural of a counted message."""


def extract() -> dict[MessageId, list[tuple[str, int]]]:
    """Return every message id with the places it comes from."""
    found: dict[MessageId, list[tuple[str, int]]] = {}
    sources = [
        (LOCALES_DIR / "templates", _TEMPLATE_METHODS, _TEMPLATE_OPTIONS, "locales/templates"),
        (ROOT / "bot", _METHODS, {}, "bot"),
    ]
    for folder, methods, options, prefix in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder), methods, options, keywords=_KEYWORDS, strip_comment_tags=True
        ):
            if isinstance(message, tuple) and len(message) == 2 and all(message):
                singular, plural = message
                found.setdefault((singular, plural), []).append((f"{prefix}/{filename}", lineno))
            elif isinstance(message, str) and message:
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


def is_translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    """Tell whether a message's translation has every form it needs."""
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def update() -> dict[str, int]:
    """Bring both catalogs in step with the sources; return how many messages each lacks."""
    messages = extract()
    untranslated: dict[str, int] = {}
    for locale in LOCALES:
        old = read_catalog(locale)
        new = Catalog(locale=locale, domain=DOMAIN, project="ntvt-bot", fuzzy=False)
        forms = new.num_plurals
        for msgid, locations in sorted(messages.items(), key=lambda item: _sort_key(item[0])):
            previous = old.get(msgid)
            translation: str | tuple[str, ...] = ""
            if previous is not None and is_translated(previous.string):
                kept = previous.string
                translation = kept if isinstance(kept, str) else tuple(kept or ())
            if isinstance(msgid, tuple):
                translation = _plural_forms(msgid, translation, forms, locale == SOURCE_LOCALE)
            elif locale == SOURCE_LOCALE and not translation:
                translation = msgid
            new.add(msgid, translation, locations=sorted(set(locations)))
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po_file:
            write_po(po_file, new, width=100, omit_header=False, sort_output=True)
        untranslated[locale] = sum(1 for m in new if m.id and not is_translated(m.string))
    return untranslated


def _sort_key(msgid: MessageId) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _plural_forms(
    msgid: tuple[str, str], previous: str | tuple[str, ...], forms: int, source: bool
) -> tuple[str, ...]:
    """Return a counted message's forms: the earlier ones if right in number, else blanks.

    In the source language every form starts as the singular (Vietnamese has one form).
    """
    if isinstance(previous, tuple) and len(previous) == forms:
        return previous
    if source:
        return (msgid[0],) * forms
    return ("",) * forms


if __name__ == "__main__":
    missing = update()
    for locale, count in missing.items():
        print(f"{locale}: {count} untranslated")
    sys.exit(1 if any(missing.values()) else 0)
