"""Use cases of residents: meeting the bot, consenting, nominating, following, subscribing.

Each service takes plain values and an open unit of work. The caller (one Telegram update,
one CLI command) owns the transaction and commits it, so that an update's effects, its
replies and the mark that it was processed are kept or lost together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from rapidfuzz import fuzz

from core.codes import TrackingCode, new_tracking_code
from core.errors import DomainError
from core.nomination import Evidence, Nomination, NominationDraft, NominationStatus
from core.people import (
    PRIVACY_NOTICE_VERSION,
    SUPPORTED_LOCALES,
    Consent,
    ConsentPurpose,
    User,
)
from core.ports import UnitOfWork
from core.subscriptions import Scope, Subscription, UnknownTargetError
from core.support import Supporter
from core.text import fold

# 40 random bits make a collision rare; a few retries make it harmless.
_CODE_ATTEMPTS = 5
# Two reports of one nominee in one unit are likely the same deed when they happened within
# this many days of each other, or when their descriptions share most of their words
# (token_set_ratio on folded text: word order and extra words do not count against them).
DUPLICATE_DAYS = 14
DUPLICATE_DEED_SCORE = 60
# The newest open cases of the same nominee and unit compared with a new one: a deed many
# residents report (a rescue seen by a street) must not make each report read every earlier
# one (a bench of 1,000 residents nominating one person read 1,000 cases at each submit).
DUPLICATE_CANDIDATES = 50
_NOT_DUPLICATES = frozenset(
    {NominationStatus.WITHDRAWN, NominationStatus.REJECTED, NominationStatus.MERGED}
)


class ConsentRequiredError(DomainError):
    """Nothing about a person is collected before they agree to the privacy notice."""

    code = "consent.required"


class UnknownCodeError(DomainError):
    """No nomination has this tracking code."""

    code = "status.unknown_code"


class LookupThrottledError(DomainError):
    """The user typed too many codes that do not exist lately: lookups wait a while."""

    code = "status.throttled"

    def __init__(self, until: datetime, failures: int) -> None:
        super().__init__(f"{failures} failed lookups: throttled until {until.isoformat()}")
        self.until = until
        self.failures = failures


class CodeSpaceExhaustedError(DomainError):
    """Could not draw an unused tracking code; practically impossible."""

    code = "nomination.code_collision"


class CannotSupportError(DomainError):
    """The nomination cannot be supported: decided, one's own, or supported already."""

    code = "support.not_possible"


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
    update_id: int | None = None,
) -> User:
    """Return the user as this turn knows them, keeping only what answering needs.

    Until the person agrees to the privacy notice (or holds a role, where their name is how
    colleagues know them), the stored row has their id and language only, what a reply
    needs: the name Telegram gives serves this turn and is kept from :func:`give_consent`
    on, and the stored update ``update_id`` (the turn's own) keeps its id and times but not
    what it said. A stored name is refreshed when Telegram gives another, unless the person
    corrected it (:func:`core.correction.correct_display_name`): then it is the name they
    chose, kept and used, whatever Telegram says.
    """
    stored = await uow.users.get(user_id)
    user = stored or User(user_id, "", language_code, None, now)
    if user.name_chosen_at is not None:
        seen = replace(user, language_code=language_code)
        if seen != stored:
            await uow.users.save(seen)
        return seen
    kept = bool(user.display_name) or bool(await uow.roles.grants_of(user_id))
    if not kept and update_id is not None:  # the stored update says who they are: not kept
        await uow.inbound.forget_payload(update_id)
    seen = replace(user, display_name=display_name if kept else "", language_code=language_code)
    if seen != stored:
        await uow.users.save(seen)
    return replace(seen, display_name=display_name)


async def choose_locale(uow: UnitOfWork, user: User, locale: str) -> User:
    """Remember the language the user chose (and nothing else they have not agreed to keep)."""
    if locale not in SUPPORTED_LOCALES:
        raise UnsupportedLocaleError(locale)
    stored = await uow.users.get(user.id)
    await uow.users.save(replace(stored or user, locale=locale))
    return replace(user, locale=locale)


async def give_consent(
    uow: UnitOfWork, user_id: int, *, now: datetime, display_name: str | None = None
) -> Consent:
    """Record the user's tap on "I agree" to the current privacy notice; keep their name now."""
    stored = await uow.users.get(user_id)
    chosen = stored is not None and stored.name_chosen_at is not None
    if stored is not None and display_name and stored.display_name != display_name and not chosen:
        await uow.users.save(replace(stored, display_name=display_name))
    consent = Consent(user_id, ConsentPurpose.NOMINATION, PRIVACY_NOTICE_VERSION, now)
    await uow.consents.add(consent)
    return consent


async def has_consent(uow: UnitOfWork, user_id: int) -> bool:
    """Tell whether the user agreed to the current version of the privacy notice, and still does."""
    latest = await uow.consents.latest(user_id, ConsentPurpose.NOMINATION)
    return latest is not None and latest.in_force


async def consent_to_renew(uow: UnitOfWork, user_id: int, *, today: date) -> Consent | None:
    """Return the resident's consent if it is to an earlier privacy notice: ask them again.

    A new version of the notice is shown, with “Tôi đồng ý”, at the person's next
    interaction, whatever it is. Not to someone who withdrew (nothing rests on their consent
    any more), nor who never agreed (they are shown the notice where something needs it),
    nor to a member of staff holding a role today: their work with the bot rests on their
    role, not on this consent, and they are asked again only where a nomination, a
    subscription or a question of their own needs it (:func:`has_consent`).
    """
    latest = await uow.consents.latest(user_id, ConsentPurpose.NOMINATION)
    if latest is None or latest.withdrawn_at is not None or latest.in_force:
        return None
    if any(grant.in_force(today) for grant in await uow.roles.grants_of(user_id)):
        return None
    return latest


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What withdrawing consent stopped: subscriptions, a draft, contact about open cases."""

    subscriptions: int
    draft_dropped: bool
    open_cases: int


# How many of a person's own nominations withdrawal looks at to count the open ones.
_OWN_CASES_LOOKED_AT = 1000


async def withdraw_consent(
    uow: UnitOfWork, user_id: int, *, chat_id: int, now: datetime
) -> Withdrawal | None:
    """Take back the consent: stop every processing that rested on it; None if none was given.

    The consent's record stays (withdrawn ``now``), as the proof of what was agreed and when
    it ended. Subscriptions end, the draft in the person's chat is dropped, and the cases
    they filed are no longer verified with them: nobody is told to ask them, and they are
    told nothing more (:func:`core.review.who_hears`). Nothing filed is erased here; erasure
    is a request of its own.
    """
    latest = await uow.consents.latest(user_id, ConsentPurpose.NOMINATION)
    if latest is None or latest.withdrawn_at is not None:
        return None
    await uow.consents.withdraw(user_id, ConsentPurpose.NOMINATION, at=now)
    ended = await uow.subscriptions.end_all(user_id, at=now)
    dialog = await uow.dialogs.get(chat_id)
    dropped = dialog is not None and dialog.user_id == user_id
    if dropped:
        await uow.dialogs.delete(chat_id)
    own = await uow.nominations.list_by_nominator(user_id, limit=_OWN_CASES_LOOKED_AT)
    open_cases = sum(1 for item in own if not item.status.is_final)
    return Withdrawal(ended, dropped, open_cases)


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


# Guessing codes: this many codes not found within the window, then lookups wait.
LOOKUP_FAILURES = 10
LOOKUP_WINDOW = timedelta(hours=1)


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


async def look_up_code(
    uow: UnitOfWork, code: TrackingCode, *, viewer_id: int, now: datetime
) -> StatusView:
    """Return what ``viewer_id`` may see of the nomination with ``code``, guessing throttled.

    Each code not found counts against the viewer; after ``LOOKUP_FAILURES`` within
    ``LOOKUP_WINDOW`` their lookups raise :class:`LookupThrottledError` until the oldest of
    them is an hour old. Meanwhile a right code is refused like a wrong one, or the refusal
    would tell them apart; only what the viewer may see whole (their own nomination) is
    still shown. The count is in the database, shared by every process and kept across
    restarts; what left the window is deleted as new failures are written.
    """
    failures = await uow.failed_lookups.since(viewer_id, now - LOOKUP_WINDOW)
    until = failures[-LOOKUP_FAILURES] + LOOKUP_WINDOW if len(failures) >= LOOKUP_FAILURES else None
    try:
        view = await look_up_status(uow, code, viewer_id=viewer_id)
    except UnknownCodeError:
        if until is not None:
            raise LookupThrottledError(until, len(failures)) from None
        await uow.failed_lookups.purge(before=now - LOOKUP_WINDOW)
        await uow.failed_lookups.add(viewer_id, now)
        raise
    if until is not None and not view.is_full:
        raise LookupThrottledError(until, len(failures))
    return view


async def my_nominations(uow: UnitOfWork, user_id: int, *, limit: int = 10) -> Sequence[Nomination]:
    """Return the resident's own nominations, newest first."""
    return await uow.nominations.list_by_nominator(user_id, limit=limit)


async def likely_duplicates(
    uow: UnitOfWork, draft: NominationDraft, *, limit: int = 3
) -> list[Nomination]:
    """Return nominations that probably report the same deed as ``draft``, newest first."""
    if not draft.nominee_name or not draft.unit_key:
        return []
    same = await uow.nominations.same_nominee(
        name_key=fold(draft.nominee_name),
        unit_key=draft.unit_key,
        excluding=_NOT_DUPLICATES,
        limit=DUPLICATE_CANDIDATES,
    )
    deed = fold(draft.deed or "")
    found = []
    for other in same:
        close_in_time = draft.deed_date is not None and (
            abs((other.deed_date - draft.deed_date).days) <= DUPLICATE_DAYS
        )
        if close_in_time or fuzz.token_set_ratio(deed, fold(other.deed)) >= DUPLICATE_DEED_SCORE:
            found.append(other)
    return found[:limit]


async def support(
    uow: UnitOfWork,
    nomination_id: int,
    *,
    user_id: int,
    account: str | None,
    evidence: tuple[Evidence, ...],
    now: datetime,
) -> tuple[Nomination, Supporter]:
    """Back an existing nomination with one's own account and evidence instead of a copy."""
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    # Locked, so a merge running at the same moment cannot leave this supporter behind.
    nomination = await uow.nominations.get(nomination_id, for_update=True)
    if nomination is None or nomination.status.is_final or nomination.is_nominated_by(user_id):
        raise CannotSupportError(f"nomination {nomination_id} cannot be supported by {user_id}")
    added = await uow.supporters.add(Supporter(nomination_id, user_id, account, evidence, now))
    if added is None:
        raise CannotSupportError(f"user {user_id} already supports {nomination_id}")
    return nomination, added


async def subscribe(
    uow: UnitOfWork, user_id: int, scope: Scope, target: str | None, *, now: datetime
) -> bool:
    """Opt in to ``scope``; return False if the resident already was."""
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    if scope is not Scope.ALL:
        organisation = await uow.organisation.load()
        known = (
            organisation is not None
            and target is not None
            and (
                organisation.find_unit(target) is not None
                if scope is Scope.WARD
                else organisation.find_campaign(target) is not None
            )
        )
        if not known:
            raise UnknownTargetError(f"{scope.value} {target!r}")
    return await uow.subscriptions.add(
        Subscription(user_id, scope, target if scope is not Scope.ALL else None, now)
    )


async def unsubscribe(uow: UnitOfWork, user_id: int, *, now: datetime) -> int:
    """End every subscription of the resident; return how many ended."""
    return await uow.subscriptions.end_all(user_id, at=now)


async def subscriptions_of(uow: UnitOfWork, user_id: int) -> Sequence[Subscription]:
    """Return the resident's active subscriptions, oldest first."""
    return await uow.subscriptions.active_of(user_id)


async def note_blocked(uow: UnitOfWork, user_id: int, *, blocked: bool, now: datetime) -> None:
    """Remember that the user blocked the bot (no bulk message goes to them) or came back."""
    await uow.subscriptions.set_blocked(user_id, at=now if blocked else None)
