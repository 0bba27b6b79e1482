"""Use cases of residents: meeting the bot, consenting, nominating, following a nomination.

Each service takes plain values and an open unit of work. The caller (one Telegram update,
one CLI command) owns the transaction and commits it, so that an update's effects, its
replies and the mark that it was processed are kept or lost together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.codes import TrackingCode, new_tracking_code
from core.errors import DomainError
from core.nomination import Nomination, NominationDraft, NominationStatus
from core.people import (
    PRIVACY_NOTICE_VERSION,
    SUPPORTED_LOCALES,
    Consent,
    ConsentPurpose,
    User,
)
from core.ports import UnitOfWork

# 40 random bits make a collision rare; a few retries make it harmless.
_CODE_ATTEMPTS = 5


class ConsentRequiredError(DomainError):
    """Nothing about a person is collected before they agree to the privacy notice."""

    code = "consent.required"


class UnknownCodeError(DomainError):
    """No nomination has this tracking code."""

    code = "status.unknown_code"


class CodeSpaceExhaustedError(DomainError):
    """Could not draw an unused tracking code; practically impossible."""

    code = "nomination.code_collision"


class UnsupportedLocaleError(DomainError):
    """A language the bot has no catalog for."""

    code = "locale.unsupported"


async def meet_user(
    uow: UnitOfWork,
    *,
    user_id: int,
    display_name: str,
    language_code: str | None,
    now: datetime,
) -> User:
    """Return the user, creating them or refreshing what Telegram says about them."""
    user = await uow.users.get(user_id)
    if user is None:
        user = User(user_id, display_name, language_code, None, now)
        await uow.users.save(user)
    elif (user.display_name, user.language_code) != (display_name, language_code):
        user = replace(user, display_name=display_name, language_code=language_code)
        await uow.users.save(user)
    return user


async def choose_locale(uow: UnitOfWork, user: User, locale: str) -> User:
    """Remember the language the user chose."""
    if locale not in SUPPORTED_LOCALES:
        raise UnsupportedLocaleError(locale)
    chosen = replace(user, locale=locale)
    await uow.users.save(chosen)
    return chosen


async def give_consent(uow: UnitOfWork, user_id: int, *, now: datetime) -> Consent:
    """Record the user's tap on "I agree" to the current privacy notice."""
    consent = Consent(user_id, ConsentPurpose.NOMINATION, PRIVACY_NOTICE_VERSION, now)
    await uow.consents.add(consent)
    return consent


async def has_consent(uow: UnitOfWork, user_id: int) -> bool:
    """Tell whether the user agreed to the current version of the privacy notice."""
    latest = await uow.consents.latest(user_id, ConsentPurpose.NOMINATION)
    return latest is not None and latest.notice_version == PRIVACY_NOTICE_VERSION


async def submit_nomination(
    uow: UnitOfWork,
    draft: NominationDraft,
    *,
    user_id: int,
    now: datetime,
    new_code: Callable[[], TrackingCode] = new_tracking_code,
) -> Nomination:
    """File a complete draft as a nomination with a fresh tracking code."""
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    for _ in range(_CODE_ATTEMPTS):
        code = new_code()
        if not await uow.nominations.code_exists(code):
            break
    else:
        raise CodeSpaceExhaustedError(f"{_CODE_ATTEMPTS} codes in a row were taken")
    nomination = draft.to_nomination(code=code, nominator_user_id=user_id, now=now)
    return await uow.nominations.add(nomination)


@dataclass(frozen=True, slots=True)
class StatusView:
    """What a person may see of a nomination.

    The nominator sees everything they filed; anybody else holding the code sees only the code,
    the status and the date of the status, because a nominee is a third party whose name and
    deed are published only after approval.
    """

    code: TrackingCode
    status: NominationStatus
    status_changed_at: datetime
    nomination: Nomination | None

    @property
    def is_full(self) -> bool:
        """Tell whether the viewer may see the whole nomination."""
        return self.nomination is not None


async def look_up_status(uow: UnitOfWork, code: TrackingCode, *, viewer_id: int) -> StatusView:
    """Return what ``viewer_id`` may see of the nomination with ``code``."""
    nomination = await uow.nominations.get_by_code(code)
    if nomination is None:
        raise UnknownCodeError(str(code))
    visible = nomination if nomination.is_nominated_by(viewer_id) else None
    return StatusView(nomination.code, nomination.status, nomination.status_changed_at, visible)


async def my_nominations(uow: UnitOfWork, user_id: int, *, limit: int = 10) -> Sequence[Nomination]:
    """Return the resident's own nominations, newest first."""
    return await uow.nominations.list_by_nominator(user_id, limit=limit)
