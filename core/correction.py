"""The right to correct: a resident fixes what the bot keeps about them, in the chat.

Three things can be corrected (Law 91/2025/QH15, the right to access and correct):

- the **name the bot keeps** for them (the users row): from then on it is the name they chose,
  and the name Telegram gives no longer replaces it (:func:`core.services.meet_user`);
- their **phone**, which the bot keeps only on the nominations they filed: every one of them
  still being verified gets the new number (or none);
- what they wrote in **one of their nominations still being verified**: the nominee's name,
  the deed, the place, the phone. Each value goes through the nomination's own validators
  (:func:`core.nomination.clean_name`, :func:`~core.nomination.clean_deed`,
  :func:`~core.nomination.clean_place`, :func:`core.phones.normalize_phone`).

**Which cases.** ``SUBMITTED``, ``VERIFYING`` and ``NEEDS_INFO``: the unit is still checking the
report, so a typo fixed now is checked with the rest. From ``PROPOSED`` on, the unit has put
the case to the council as it stood; changing it then would change what was proposed and is
being judged, and a decided case is a record of the administration. Those are corrected by
an officer, on a request (:class:`CaseDecidedError` says so).

**Who.** Only the nominator, with their consent in force (the new value is collected under
it). A case that is not theirs is refused in the same words as one that does not exist
(:class:`CorrectionRefusedError`); their own case past verification is named, which tells
them nothing they did not know.

**The audit trail.** Each change to a nomination is an :class:`~core.workflow.AuditEntry` of
:attr:`~core.workflow.Action.CORRECT`, written in the same transaction: who (the nominator),
when, the state it was in (unchanged) and which fields (``data["fields"]``), but neither the
old value nor the new one. The old value is what the person asked to have corrected: kept in
the history, the wrong data would outlive their correction for as long as the case is kept
(a wrong phone may be somebody else's number; a misspelt name is still the nominee's name).
The new value is the case itself. The officer handling the case sees in its history that the
report changed, which part, when and by whom, which is what checking it again needs; if one
holds the case now, they are told at once (:func:`who_is_told`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from core.errors import DomainError
from core.nomination import (
    GeoPoint,
    Nomination,
    NominationError,
    NominationStatus,
    clean_deed,
    clean_name,
    clean_place,
)
from core.people import User
from core.phones import normalize_phone
from core.ports import UnitOfWork
from core.review import actor_for
from core.services import ConsentRequiredError, has_consent
from core.workflow import Action, AuditEntry, claim_holder, verifies

# The states in which the unit is still verifying the report (see the module's docstring).
CORRECTABLE = frozenset(
    {NominationStatus.SUBMITTED, NominationStatus.VERIFYING, NominationStatus.NEEDS_INFO}
)
# How many of a person's own nominations are looked at (as withdrawing consent does).
_OWN_CASES_LOOKED_AT = 1000

Value = str | GeoPoint | None


class CaseField(StrEnum):
    """What a nominator may correct in their nomination (named as the nomination's steps)."""

    NAME = "name"
    DEED = "deed"
    PLACE = "place"
    PHONE = "phone"

    @property
    def optional(self) -> bool:
        """Tell whether the field may be left empty, as the nomination's step may be skipped."""
        return self in (CaseField.PLACE, CaseField.PHONE)


class CorrectionRefusedError(DomainError):
    """Not the person's case to correct, or no such case: the same words either way."""

    code = "correction.refused"


class CaseDecidedError(DomainError):
    """The person's own case is past verification: an officer corrects it, on request."""

    code = "correction.decided"

    def __init__(self, nomination: Nomination) -> None:
        super().__init__(f"{nomination.code} is {nomination.status}")
        self.nomination = nomination


class RequiredFieldError(NominationError):
    """A field every nomination needs cannot be emptied."""

    code = "correction.required"


@dataclass(frozen=True, slots=True)
class OwnCases:
    """The person's nominations: those they may correct, and how many are past that."""

    open: tuple[Nomination, ...]
    past: int

    @property
    def phones(self) -> tuple[str, ...]:
        """Return the phones the open cases hold, each once, in the cases' order."""
        return tuple(dict.fromkeys(c.nominator.phone for c in self.open if c.nominator.phone))


@dataclass(frozen=True, slots=True)
class Correction:
    """A nomination as corrected, and the audit entry that records it."""

    nomination: Nomination
    entry: AuditEntry


def clean_value(field: CaseField, value: Value) -> Value:
    """Return ``value`` as the nomination keeps it, or raise the nomination's own error.

    The nominee's name, the deed, the place and the phone are checked by the very functions
    the nomination's steps use; a place may also be a point on the map; None empties an
    optional field.
    """
    if value is None:
        if not field.optional:
            raise RequiredFieldError(f"{field} cannot be emptied")
        return None
    if isinstance(value, GeoPoint):
        if field is not CaseField.PLACE:
            raise NominationError(f"{field} is not a place")
        return value
    if field is CaseField.NAME:
        return clean_name(value)
    if field is CaseField.DEED:
        return clean_deed(value)
    if field is CaseField.PLACE:
        return clean_place(value)
    return normalize_phone(value)


def value_of(nomination: Nomination, field: CaseField) -> Value:
    """Return what the nomination holds for ``field`` (a place typed, else a point, else None)."""
    if field is CaseField.NAME:
        return nomination.nominee.name
    if field is CaseField.DEED:
        return nomination.deed
    if field is CaseField.PLACE:
        return nomination.place if nomination.place is not None else nomination.location
    return nomination.nominator.phone


def with_value(nomination: Nomination, field: CaseField, value: Value) -> Nomination:
    """Return the nomination with ``field`` set to a cleaned ``value``.

    A place is one answer, typed or shared: the new one replaces both forms of the old.
    """
    if field is CaseField.NAME:
        assert isinstance(value, str)
        return replace(nomination, nominee=replace(nomination.nominee, name=value))
    if field is CaseField.DEED:
        assert isinstance(value, str)
        return replace(nomination, deed=value)
    if field is CaseField.PLACE:
        if isinstance(value, GeoPoint):
            return replace(nomination, place=None, location=value)
        return replace(nomination, place=value, location=None)
    assert value is None or isinstance(value, str)
    return replace(nomination, nominator=replace(nomination.nominator, phone=value))


async def own_cases(uow: UnitOfWork, user_id: int) -> OwnCases:
    """Return the person's nominations they may correct, newest first, and count the others."""
    await _check_consent(uow, user_id)
    own = await uow.nominations.list_by_nominator(user_id, limit=_OWN_CASES_LOOKED_AT)
    correctable = tuple(item for item in own if item.status in CORRECTABLE)
    return OwnCases(correctable, len(own) - len(correctable))


async def case_to_correct(
    uow: UnitOfWork, user_id: int, nomination_id: int, *, for_update: bool = False
) -> Nomination:
    """Return the person's own case if they may correct it now.

    Raises :class:`CorrectionRefusedError` alike whether the case does not exist or is not
    theirs, and :class:`CaseDecidedError` for their own case past verification.
    """
    await _check_consent(uow, user_id)
    nomination = await uow.nominations.get(nomination_id, for_update=for_update)
    if nomination is None or not nomination.is_nominated_by(user_id):
        raise CorrectionRefusedError(f"user {user_id} may not correct nomination {nomination_id}")
    if nomination.status not in CORRECTABLE:
        raise CaseDecidedError(nomination)
    return nomination


async def correct_case(
    uow: UnitOfWork,
    user_id: int,
    nomination_id: int,
    field: CaseField,
    value: Value,
    *,
    now: datetime,
) -> Correction | None:
    """Correct one field of the person's case and write it in its audit trail.

    Return None when the case already holds that value (nothing is written). The row is
    locked first: an officer may be changing the case at this moment.
    """
    nomination = await case_to_correct(uow, user_id, nomination_id, for_update=True)
    corrected = with_value(nomination, field, clean_value(field, value))
    if corrected == nomination:
        return None
    return await _record(uow, nomination, corrected, field, now)


async def correct_my_phone(
    uow: UnitOfWork, user_id: int, phone: str | None, *, now: datetime
) -> list[Correction]:
    """Put ``phone`` (None: no phone) on every case of the person still being verified.

    Each case changed gets its own audit entry; those holding that number already are left
    alone. Return the corrections made, newest case first.
    """
    cleaned = clean_value(CaseField.PHONE, phone)
    done = []
    for item in (await own_cases(uow, user_id)).open:
        assert item.id is not None
        locked = await uow.nominations.get(item.id, for_update=True)
        if locked is None or locked.status not in CORRECTABLE:
            continue  # decided meanwhile
        if locked.nominator.phone != cleaned:
            corrected = with_value(locked, CaseField.PHONE, cleaned)
            done.append(await _record(uow, locked, corrected, CaseField.PHONE, now))
    return done


async def correct_display_name(
    uow: UnitOfWork, user_id: int, name: str, *, now: datetime
) -> User | None:
    """Keep ``name`` as the person's name from now on; None if it is the name kept already.

    The name is checked as a nominee's name is (:func:`core.nomination.clean_name`). Once
    chosen, the name Telegram gives no longer replaces it; ``name_chosen_at`` says since when.
    """
    await _check_consent(uow, user_id)
    cleaned = clean_name(name)
    stored = await uow.users.get(user_id)
    if stored is None:  # consent is given by a user the bot met: not reached
        raise CorrectionRefusedError(f"user {user_id} is unknown")
    if stored.display_name == cleaned:
        return None
    chosen = replace(stored, display_name=cleaned, name_chosen_at=now)
    await uow.users.save(chosen)
    return chosen


async def _record(
    uow: UnitOfWork, before: Nomination, after: Nomination, field: CaseField, now: datetime
) -> Correction:
    """Store the corrected case and its audit entry: which field, not what it said."""
    assert before.id is not None
    await uow.nominations.save(after)
    entry = AuditEntry(
        nomination_id=before.id,
        action=Action.CORRECT,
        from_status=before.status,
        to_status=before.status,
        actor_id=before.nominator.user_id,
        at=now,
        data={"fields": [field.value]},
    )
    return Correction(after, await uow.audit.add(entry))


async def _check_consent(uow: UnitOfWork, user_id: int) -> None:
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")


async def who_is_told(
    uow: UnitOfWork, nomination: Nomination, *, now: datetime, today: date
) -> list[int]:
    """Return who is told of a correction of ``nomination``: the officer handling it.

    Only while their claim holds and they still verify the case; a case nobody holds is
    read again, history and all, when an officer opens it.
    """
    holder = claim_holder(nomination, now)
    if holder is None or not verifies(nomination, await actor_for(uow, holder, today)):
        return []
    return [holder]
