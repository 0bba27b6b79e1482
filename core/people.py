"""People who use the bot and the consent they gave before anything about them is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Who a kept record names once the person it named erased their data: no Telegram user has
# this id (theirs are positive), and the users row of this id holds nothing.
ERASED_PERSON = 0

# Bump when the privacy notice's text changes: a consent proves agreement to one version only.
PRIVACY_NOTICE_VERSION = "2026-12-04b"

SUPPORTED_LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"


class ConsentPurpose(StrEnum):
    """What a consent is for; the law asks for one consent per purpose."""

    NOMINATION = "nomination"


@dataclass(frozen=True, slots=True)
class User:
    """A Telegram user as the bot knows them.

    ``locale`` is the language they chose with /lang; until they choose, the language their
    Telegram app reports (``language_code``) decides. ``name_chosen_at``: when the person
    corrected the name the bot keeps (:mod:`core.correction`); from then on it is theirs, and
    the name Telegram gives no longer replaces it.
    """

    id: int
    display_name: str
    language_code: str | None
    locale: str | None
    created_at: datetime
    name_chosen_at: datetime | None = None

    def resolved_locale(self, default: str = DEFAULT_LOCALE) -> str:
        """Return the language to talk to this user in."""
        if self.locale in SUPPORTED_LOCALES:
            return self.locale
        code = (self.language_code or "").split("-")[0].lower()
        return code if code in SUPPORTED_LOCALES else default


@dataclass(frozen=True, slots=True)
class Consent:
    """An explicit agreement, by tap, to one version of the privacy notice.

    ``withdrawn_at``: when the person took it back (``/rutdongy``); the record stays, as the
    proof of what was agreed and when it ended. Agreeing again is a new consent.
    """

    user_id: int
    purpose: ConsentPurpose
    notice_version: str
    given_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def token(self) -> int:
        """Return a short number naming this consent (its second), for a button bound to it."""
        return int(self.given_at.timestamp()) % 10**8

    @property
    def in_force(self) -> bool:
        """Tell whether the consent still covers processing: the current notice, not withdrawn."""
        return self.withdrawn_at is None and self.notice_version == PRIVACY_NOTICE_VERSION
