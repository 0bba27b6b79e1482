"""Every text a user reads is rendered here: Jinja2 templates, gettext catalogs, Telegram HTML."""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.dates import format_date_vi
from core.deadlines import due_note
from core.people import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
TEMPLATES_DIR = LOCALES_DIR / "templates"
DOMAIN = "messages"
# Telegram refuses longer texts; a message is cut here rather than lost.
MAX_TEXT_CHARS = 4096
ELLIPSIS = "…"
_TAG = re.compile(r"<[^>]*>")


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogs; it is translated when rendered."""
    return message


@functools.lru_cache(maxsize=8)
def load_translations(locale: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """Build the gettext translations of ``locale`` straight from its ``.po`` file.

    Reading the ``.po`` at start-up keeps compiled ``.mo`` files out of the repository and
    out of the install steps.
    """
    po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Renderer:
    """Renders message templates and labels in a user's language, escaped for Telegram HTML."""

    def __init__(
        self,
        *,
        timezone: ZoneInfo,
        default_locale: str = "vi",
        locales_dir: Path = LOCALES_DIR,
    ) -> None:
        self._timezone = timezone
        self._default_locale = default_locale
        self._translations: dict[str, NullTranslations] = {
            locale: load_translations(locale, locales_dir) for locale in SUPPORTED_LOCALES
        }
        self._envs = {locale: self._environment(locale) for locale in SUPPORTED_LOCALES}

    def _environment(self, locale: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            # Templates ship with the code: no file system check on every message.
            auto_reload=False,
        )
        env.install_gettext_translations(self._translations[locale], newstyle=True)  # type: ignore[attr-defined]
        env.filters["date"] = self._format_date
        env.filters["datetime"] = self._format_datetime
        env.filters["day"] = self._format_day
        env.filters["isodate"] = lambda value: format_date_vi(date.fromisoformat(value))
        env.globals["label"] = lambda msgid: self.text(locale, msgid)
        # Holidays' names come from core in Vietnamese and English: templates pick by this.
        env.globals["locale"] = locale
        # Any template showing a due day quotes the plan's words and why the day moved.
        env.globals["due_note"] = due_note
        return env

    def locale_or_default(self, locale: str | None) -> str:
        """Return ``locale`` if there is a catalog for it, else the default language."""
        return locale if locale in self._envs else self._default_locale

    def render(self, locale: str, template: str, **context: Any) -> str:
        """Render ``template`` (a name under ``locales/templates`` without ``.j2``).

        ``channel`` (a :class:`core.channels.Channel` value) lets a template say what differs
        where the reader is, Telegram unless given (Zalo has no ``/`` commands, for one).
        """
        context.setdefault("channel", "telegram")
        env = self._envs[self.locale_or_default(locale)]
        text = env.get_template(f"{template}.j2").render(**context).strip()
        return fit_telegram_text(text, template)

    def text(self, locale: str, msgid: str, params: Mapping[str, object] | None = None) -> str:
        """Translate a plain label (a button, a command description): not HTML."""
        translated = self._translations[self.locale_or_default(locale)].gettext(msgid)
        return translated % dict(params) if params else translated

    def translator(self, locale: str) -> Callable[[str], str]:
        """Return :meth:`text` for one reader's language: the labels of a file or a chart."""
        return functools.partial(self.text, locale)

    def _format_date(self, value: date) -> str:
        return format_date_vi(value)

    def _format_datetime(self, value: datetime) -> str:
        local = value.astimezone(self._timezone)
        return f"{local:%H:%M} {format_date_vi(local.date())}"

    def _format_day(self, value: datetime) -> str:
        return format_date_vi(value.astimezone(self._timezone).date())

    def render_document(self, locale: str, template: str, **context: Any) -> str:
        """Render a file's text (an HTML page, say): autoescaped, not cut to Telegram's limit."""
        env = self._envs[self.locale_or_default(locale)]
        return env.get_template(f"{template}.j2").render(**context)


def fit_telegram_text(text: str, what: str) -> str:
    """Cut a text to Telegram's limit, at a line break where possible, and say so in the log.

    Limits are counted in UTF-16 code units, as Telegram counts them.
    """
    if _utf16_len(text) <= MAX_TEXT_CHARS:
        return text
    log.warning("message %s is %d characters long: cut to fit Telegram", what, len(text))
    # A cut could split a tag pair, which Telegram refuses: drop the formatting, keep the words.
    cut = _TAG.sub("", text)
    while _utf16_len(cut) > MAX_TEXT_CHARS - 1:
        cut = cut[: len(cut) - max(1, (_utf16_len(cut) - MAX_TEXT_CHARS) // 2 + 1)]
    entity_at = cut.rfind("&")
    if entity_at != -1 and ";" not in cut[entity_at:]:
        cut = cut[:entity_at]
    return cut + ELLIPSIS


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
