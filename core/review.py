"""Use cases of officers: invitations, roles, the queue, the case card per viewer, transitions.

Every service checks who is acting (an :class:`~core.roles.Actor` built from the grants in
force today), so each entry point, chat or command line, gets the same refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.access import Access, Opened
from core.awards import UnknownAwardFormError
from core.codes import TrackingCode
from core.dossiers import DossierView, dossier_view, form_for_proposal
from core.errors import DomainError
from core.nomination import Evidence, Nomination, NominationStatus
from core.org import Validity
from core.people import Consent, ConsentPurpose
from core.ports import UnitOfWork
from core.reporting import may_see_every_unit
from core.roles import (
    Actor,
    Invitation,
    NotAllowedError,
    Role,
    RoleGrant,
    hash_invitation_code,
    may_manage_roles,
    new_invitation_code,
)
from core.support import Supporter
from core.workflow import (
    Action,
    AuditEntry,
    Award,
    allowed_actions,
    apply,
    can_view,
    check_may,
    claim,
    claim_holder,
    may_contact_nominator,
    may_know_nominator,
    may_know_nominee,
    may_know_supporters,
    verifies,
)

# The states an officer's queue shows: what still needs someone to act.
OPEN_STATES = frozenset(
    {
        NominationStatus.SUBMITTED,
        NominationStatus.VERIFYING,
        NominationStatus.NEEDS_INFO,
        NominationStatus.PROPOSED,
        NominationStatus.UNDER_REVIEW,
    }
)
MAX_INVITATION_DAYS = 90


class InvitationInvalidError(DomainError):
    """The invitation does not exist, has expired, or was used already."""

    code = "invitation.invalid"


class UnknownUnitError(DomainError):
    """An invitation or grant names a unit the organisation does not have."""

    code = "unit.unknown"


class ConsentWithdrawnError(DomainError):
    """The nominator withdrew their consent: the case is no longer verified with them."""

    code = "consent.withdrawn"


class ContactStoppedError(DomainError):
    """The nominator asked not to be contacted about this case any more."""

    code = "contact.stopped"


class UnknownNominationError(DomainError):
    """No nomination with this id or code (or none the actor may see)."""

    code = "nomination.unknown"


async def actor_for(uow: UnitOfWork, user_id: int, today: date) -> Actor:
    """Return the user with the grants in force today."""
    return Actor.of(user_id, await uow.roles.grants_of(user_id), today)


async def unit_officers(uow: UnitOfWork, unit_key: str, on: date) -> list[int]:
    """Return the unit's officers in force on ``on``: who is told of what the unit owes."""
    return sorted({g.user_id for g in await uow.roles.holders(unit_key=unit_key) if g.in_force(on)})


async def secretariat_ids(uow: UnitOfWork, on: date) -> list[int]:
    """Return the secretariat's officers in force on ``on``: who is told of units' reports."""
    return sorted(
        {
            g.user_id
            for g in await uow.roles.holders(unit_key=None)
            if g.role is Role.SECRETARIAT and g.in_force(on)
        }
    )


async def invite(
    uow: UnitOfWork,
    actor: Actor,
    *,
    role: Role,
    unit_key: str | None,
    days: int,
    now: datetime,
) -> tuple[str, Invitation]:
    """Create a single-use invitation; return its code (shown once) and the stored record."""
    _check_manages_roles(actor)
    if role is Role.OFFICER and not unit_key:
        raise UnknownUnitError("an officer invitation needs a unit")
    if unit_key is not None:
        organisation = await uow.organisation.load()
        if organisation is None or organisation.find_unit(unit_key) is None:
            raise UnknownUnitError(unit_key)
    days = max(1, min(days, MAX_INVITATION_DAYS))
    code = new_invitation_code()
    invitation = Invitation(
        code_hash=hash_invitation_code(code),
        role=role,
        unit_key=unit_key if role is Role.OFFICER else None,
        created_at=now,
        expires_at=now + timedelta(days=days),
        created_by=actor.recorded_id,
    )
    return code, await uow.invitations.add(invitation)


async def redeem_invitation(
    uow: UnitOfWork, code: str, *, user_id: int, now: datetime
) -> RoleGrant:
    """Turn an invitation into a role for the user who opened it; it works once."""
    invitation = await uow.invitations.by_hash(hash_invitation_code(code))
    if invitation is None or invitation.id is None or not invitation.usable(now):
        raise InvitationInvalidError("unknown, expired or used invitation")
    if not await uow.invitations.mark_used(invitation.id, by=user_id, at=now):
        raise InvitationInvalidError("invitation used concurrently")
    grant = RoleGrant(
        user_id=user_id,
        role=invitation.role,
        unit_key=invitation.unit_key,
        validity=Validity(valid_from=now.date()),
        granted_at=now,
        granted_by=invitation.created_by,
    )
    return await uow.roles.add(grant)


async def grant_role(
    uow: UnitOfWork,
    actor: Actor,
    *,
    user_id: int,
    role: Role,
    unit_key: str | None,
    now: datetime,
    valid_from: date | None = None,
) -> RoleGrant:
    """Grant a role directly (the first admin, from the command line), from today or a day."""
    _check_manages_roles(actor)
    if role is Role.OFFICER and not unit_key:
        raise UnknownUnitError("an officer needs a unit")
    grant = RoleGrant(
        user_id=user_id,
        role=role,
        unit_key=unit_key if role is Role.OFFICER else None,
        validity=Validity(valid_from=valid_from or now.date()),
        granted_at=now,
        granted_by=actor.recorded_id,
    )
    return await uow.roles.add(grant)


async def revoke_role(uow: UnitOfWork, actor: Actor, grant_id: int, *, now: datetime) -> bool:
    """Revoke a grant; return False if there was no active grant with that id."""
    _check_manages_roles(actor)
    return await uow.roles.revoke(grant_id, at=now)


async def all_grants(uow: UnitOfWork, actor: Actor) -> Sequence[RoleGrant]:
    """Return every grant ever made, revoked ones included."""
    _check_manages_roles(actor)
    return await uow.roles.all()


def _check_manages_roles(actor: Actor) -> None:
    if not may_manage_roles(actor):
        raise NotAllowedError(f"user {actor.user_id} may not manage roles")


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of an officer's queue, with counts per state for their units."""

    items: Sequence[Nomination]
    counts: dict[str, int]
    page: int
    pages: int


async def queue(uow: UnitOfWork, actor: Actor, *, page: int, page_size: int) -> QueuePage:
    """Return what waits for the actor's units, oldest first."""
    if not actor.is_staff:
        raise NotAllowedError(f"user {actor.user_id} has no queue")
    units = actor.unit_keys
    counts = await uow.nominations.count_by_status(unit_keys=units)
    total = sum(counts.get(state.value, 0) for state in OPEN_STATES)
    pages = max(1, -(-total // page_size))
    page = min(max(0, page), pages - 1)
    items = await uow.nominations.queue(
        unit_keys=units, statuses=OPEN_STATES, limit=page_size, offset=page * page_size
    )
    return QueuePage(items, counts, page, pages)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a case names, as its viewer may know them.

    ``name`` is None when the viewer may not know who this is: the case's anonymous
    nominator (``is_nominator``), shown as "the nominator".
    """

    name: str | None
    is_nominator: bool = False


@dataclass(frozen=True, slots=True)
class NominatorView:
    """Who reported the case, for a viewer who may know; ``phone`` only for who may call."""

    name: str
    phone: str | None
    anonymous: bool
    # They erased their data: the case is kept (the council's record) without them.
    erased: bool = False


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One transition of the case and who made it, as the viewer may know them."""

    entry: AuditEntry
    author: Person


@dataclass(frozen=True, slots=True)
class SupporterLine:
    """A supporter's account; ``name`` only for the staff who verify the case."""

    name: str | None
    account: str | None
    evidence: int


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as one viewer may see it: built here, so no entry point can show more.

    ``nomination`` carries the nominator's phone only for a viewer who may call them, and a
    child nominee's full name only for the nominator and the staff who verify the case (the
    initials for anyone else, a council member say: :meth:`Nomination.as_public`);
    ``nominator`` is None for a viewer who may not know who reported the case.
    """

    nomination: Nomination
    nominator: NominatorView | None
    history: Sequence[HistoryLine]
    supporters: Sequence[SupporterLine]
    actions: list[Action]
    holder: Person | None
    # The award form and its checklist, as the viewer may see them (core.dossiers): None
    # for the nominator, and wherever the plan has no award forms.
    dossier: DossierView | None = None


async def find_case(uow: UnitOfWork, code: TrackingCode | int) -> Nomination:
    """Return a nomination by code or id, or raise :class:`UnknownNominationError`."""
    if isinstance(code, TrackingCode):
        nomination = await uow.nominations.get_by_code(code)
    else:
        nomination = await uow.nominations.get(code)
    if nomination is None:
        raise UnknownNominationError(str(code))
    return nomination


async def visible_case(
    uow: UnitOfWork, actor: Actor, case: TrackingCode | int
) -> Nomination | None:
    """Return the case if ``actor`` may see it; None alike if it does not exist or they may not.

    Every request about a case asks this before anything else, so that a refusal tells
    nothing about the case.
    """
    if isinstance(case, TrackingCode):
        nomination = await uow.nominations.get_by_code(case)
    else:
        nomination = await uow.nominations.get(case)
    return nomination if nomination is not None and can_view(nomination, actor) else None


async def own_case(uow: UnitOfWork, user_id: int, nomination_id: int) -> Nomination | None:
    """Return the case if ``user_id`` nominated it; None alike if it does not exist."""
    nomination = await uow.nominations.get(nomination_id)
    return nomination if nomination is not None and nomination.is_nominated_by(user_id) else None


async def stop_contact(
    uow: UnitOfWork, user_id: int, nomination_id: int, *, now: datetime
) -> Nomination | None:
    """Record the nominator's objection: no more contact about this case (None: not theirs).

    From now on nobody asks them anything or tells them anything about it, and their phone
    is not shown on its card; the case itself goes on. Asking twice keeps the first moment.
    """
    # Locked: the row is written whole, and an officer may be changing the case right now.
    nomination = await uow.nominations.get(nomination_id, for_update=True)
    if nomination is None or not nomination.is_nominated_by(user_id):
        return None
    if nomination.contact_stopped_at is not None:
        return nomination
    stopped = replace(nomination, contact_stopped_at=now)
    await uow.nominations.save(stopped)
    return stopped


class Hears(StrEnum):
    """Why someone is told of a change to a case."""

    NOMINATOR = "nominator"  # they filed it
    SUPPORTER = "supporter"  # they back it
    MERGED_IN = "merged_in"  # a case was merged into theirs


@dataclass(frozen=True, slots=True)
class CaseNotice:
    """Someone to tell of a change; ``case`` is the case the notice is about, as they may see it.

    A supporter is told of someone else's report: a child nominee is named to them by the
    initials only (:meth:`Nomination.as_public`); the nominator by the name they gave.
    """

    user_id: int
    hears: Hears
    case: Nomination

    @property
    def nominee(self) -> str:
        """Return the nominee's name as this notice may tell it."""
        return self.case.nominee.name


async def who_hears(uow: UnitOfWork, nomination: Nomination, entry: AuditEntry) -> list[CaseNotice]:
    """Return who is told of ``entry``, the change just made to ``nomination``, and why.

    The nominator (unless they made it); after a merge, the nominator of the surviving case
    and nobody else (the supporters follow the survivor); after a question to the nominator,
    the nominator alone; else every supporter too. Nobody hears of their own action.
    """
    assert nomination.id is not None
    nominator_id = nomination.nominator.user_id
    notices = []
    if nominator_id != entry.actor_id:
        notices.append(CaseNotice(nominator_id, Hears.NOMINATOR, nomination))
    if entry.action is Action.MERGE:
        survivor = (
            await uow.nominations.get(nomination.merged_into_id)
            if nomination.merged_into_id is not None
            else None
        )
        if survivor is not None:
            notices.append(CaseNotice(survivor.nominator.user_id, Hears.MERGED_IN, survivor))
    elif entry.action is not Action.ASK_INFO:
        for supporter in await uow.supporters.of(nomination.id):
            if supporter.user_id not in (nominator_id, entry.actor_id):
                notices.append(
                    CaseNotice(supporter.user_id, Hears.SUPPORTER, nomination.as_public())
                )
    # Whoever withdrew their consent, or asked not to hear of this case, is told nothing more.
    return [
        notice
        for notice in notices
        if not (notice.hears is Hears.NOMINATOR and notice.case.contact_stopped_at is not None)
        and await still_agrees(uow, notice.user_id)
    ]


async def _why_not_asked(uow: UnitOfWork, nomination: Nomination) -> DomainError | None:
    """Return why the nominator may not be asked about the case, or None if they may be."""
    if nomination.contact_stopped_at is not None:
        return ContactStoppedError(f"the nominator of {nomination.code} asked not to be contacted")
    if not await still_agrees(uow, nomination.nominator.user_id):
        return ConsentWithdrawnError(f"the nominator of {nomination.code} withdrew consent")
    return None


async def still_agrees(uow: UnitOfWork, user_id: int) -> bool:
    """Tell whether the person consented and has not withdrawn it (an older notice still counts).

    What was filed under an earlier version of the notice goes on under it; only taking the
    consent back stops it.
    """
    return await consent_in_effect(uow, user_id) is not None


async def consent_in_effect(uow: UnitOfWork, user_id: int) -> Consent | None:
    """Return the person's consent if they gave one and have not withdrawn it."""
    latest = await uow.consents.latest(user_id, ConsentPurpose.NOMINATION)
    return latest if latest is not None and latest.withdrawn_at is None else None


async def case_view(
    uow: UnitOfWork,
    actor: Actor,
    code: TrackingCode | int,
    *,
    now: datetime,
    opening: Opened = Opened.CARD,
) -> CaseView:
    """Return the case card's content as ``actor`` may see it, if they may see the case.

    Someone other than the nominator opening it (``opening``: the card or its files) is
    written in the access log, in the same transaction.
    """
    nomination = await find_case(uow, code)
    if not can_view(nomination, actor):
        raise NotAllowedError(f"user {actor.user_id} may not see {nomination.code}")
    nomination_id = nomination.id
    assert nomination_id is not None
    contact_allowed = (
        may_contact_nominator(nomination, actor) and nomination.contact_stopped_at is None
    )
    if not nomination.is_nominated_by(actor.user_id):
        contact = contact_allowed and nomination.nominator.phone is not None
        await uow.access_log.add(Access(nomination_id, actor.user_id, opening, contact, now))
    names = _Names(uow, nomination, knows_nominator=may_know_nominator(nomination, actor))
    nominator = None
    if names.knows_nominator:
        nominator = NominatorView(
            await names.name_of(nomination.nominator.user_id),
            nomination.nominator.phone if contact_allowed else None,
            nomination.nominator.anonymous,
            nomination.nominator.erased,
        )
    if not contact_allowed:
        nomination = replace(nomination, nominator=replace(nomination.nominator, phone=None))
    if not may_know_nominee(nomination, actor):
        nomination = nomination.as_public()
    history = [
        HistoryLine(entry, await names.person(entry.actor_id))
        for entry in await uow.audit.history(nomination_id)
    ]
    named = may_know_supporters(nomination, actor)
    supporters = [
        SupporterLine(await names.name_of(s.user_id) if named else None, s.account, len(s.evidence))
        for s in await uow.supporters.of(nomination_id)
    ]
    # The nominator answers a question through the relayed message, not from a card, and is
    # asked nothing when they may not be.
    unasked = {Action.ANSWER_INFO}
    if await _why_not_asked(uow, nomination) is not None:
        unasked.add(Action.ASK_INFO)
    actions = [a for a in allowed_actions(nomination, actor) if a not in unasked]
    holder_id = claim_holder(nomination, now)
    holder = await names.person(holder_id) if holder_id is not None else None
    dossier = await dossier_view(uow, actor, nomination)
    return CaseView(nomination, nominator, history, supporters, actions, holder, dossier)


class _Names:
    """Display names of the people a case names, asked once each, the nominator's rule kept."""

    def __init__(self, uow: UnitOfWork, nomination: Nomination, *, knows_nominator: bool) -> None:
        self._uow = uow
        self._nominator_id = nomination.nominator.user_id
        self.knows_nominator = knows_nominator
        self._known: dict[int, str] = {}

    async def person(self, user_id: int) -> Person:
        """Return the user as the viewer may know them."""
        if user_id == self._nominator_id:
            name = await self.name_of(user_id) if self.knows_nominator else None
            return Person(name, is_nominator=True)
        return Person(await self.name_of(user_id))

    async def name_of(self, user_id: int) -> str:
        """Return the user's display name; ask :meth:`person` when it may be the nominator."""
        if user_id not in self._known:
            self._known[user_id] = await display_name(self._uow, user_id)
        return self._known[user_id]


@dataclass(frozen=True, slots=True)
class AccessLine:
    """One line of a case's access log as the standing office reads it."""

    access: Access
    viewer: str


# How many openings of a case the standing office is shown at once.
ACCESS_LINES = 30


async def who_saw(uow: UnitOfWork, actor: Actor, code: TrackingCode) -> list[AccessLine]:
    """Return who opened a case, newest first: for the standing office answering a resident."""
    if not may_see_every_unit(actor):
        raise NotAllowedError(f"user {actor.user_id} may not read the access log")
    nomination = await find_case(uow, code)
    assert nomination.id is not None
    entries = await uow.access_log.of_case(nomination.id, limit=ACCESS_LINES)
    return [AccessLine(entry, await display_name(uow, entry.viewer_id)) for entry in entries]


async def display_name(uow: UnitOfWork, user_id: int) -> str:
    """Return the name a user goes by in Telegram (``#id`` for someone the bot never met).

    For a case's people, use :func:`case_view`, which keeps an anonymous nominator unnamed.
    """
    person = await uow.users.get(user_id)
    return person.display_name if person else f"#{user_id}"


def search_scope(actor: Actor) -> frozenset[str] | None:
    """Return the units whose cases ``actor`` may search (None: every unit), or refuse."""
    if not actor.is_staff:
        raise NotAllowedError(f"user {actor.user_id} may not search cases")
    return actor.unit_keys


async def take_case(
    uow: UnitOfWork, actor: Actor, nomination_id: int, *, now: datetime
) -> Nomination:
    """Mark the case as handled by the actor (refused while another officer holds it)."""
    nomination = await _locked(uow, nomination_id)
    claimed = claim(nomination, actor, now)
    await uow.nominations.save(claimed)
    return claimed


async def act(
    uow: UnitOfWork,
    actor: Actor,
    nomination_id: int,
    action: Action,
    *,
    now: datetime,
    public_note: str | None = None,
    private_note: str | None = None,
    award: Award | None = None,
    merged_into: TrackingCode | None = None,
    award_form_key: str | None = None,
) -> tuple[Nomination, AuditEntry]:
    """Make a transition and write its audit entry, in the caller's transaction.

    Proposing to the council takes the case's award form (``award_form_key``, else the one
    chosen before) when the plan has award forms, and is refused while an item of its
    dossier is missing (:class:`~core.awards.DossierIncompleteError` names them). A
    commendation under a form of the plan (``award.form_key``) makes it the case's form.
    """
    nomination = await _locked(uow, nomination_id)
    # Asked before the target is looked up: a refusal must not tell whether a code exists.
    check_may(nomination, action, actor)
    if action is Action.ASK_INFO and (refusal := await _why_not_asked(uow, nomination)):
        raise refusal
    merged_into_id: int | None = None
    if merged_into is not None:
        target = await find_case(uow, merged_into)
        if not can_view(target, actor) or target.status.is_final:
            raise NotAllowedError(f"cannot merge into {target.code}")
        merged_into_id = target.id
    changed, entry = apply(
        nomination,
        action,
        actor,
        now=now,
        public_note=public_note,
        private_note=private_note,
        award=award,
        merged_into_id=merged_into_id,
    )
    if action is Action.PROPOSE:
        form = await form_for_proposal(uow, actor, nomination, award_form_key)
        if form is not None:
            changed = replace(changed, award_form_key=form.key)
            entry = replace(
                entry, data={**entry.data, "award_form_key": form.key, "award_form": form.name}
            )
    if award is not None and award.form_key is not None:
        if await uow.organisation.award_form(award.form_key) is None:
            raise UnknownAwardFormError(f"no plan has the award form {award.form_key}")
        changed = replace(changed, award_form_key=award.form_key)
    await uow.nominations.save(changed)
    if merged_into_id is not None:
        await _keep_merged_story(uow, changed, merged_into_id, now)
    return changed, await uow.audit.add(entry)


async def _keep_merged_story(
    uow: UnitOfWork, merged: Nomination, survivor_id: int, now: datetime
) -> None:
    """Keep the merged report's story: its nominator and supporters back the survivor."""
    assert merged.id is not None
    await uow.supporters.move(merged.id, survivor_id)
    survivor = await uow.nominations.get(survivor_id)
    if survivor is not None and not survivor.is_nominated_by(merged.nominator.user_id):
        await uow.supporters.add(
            Supporter(survivor_id, merged.nominator.user_id, merged.deed, merged.evidence, now)
        )


async def answer_info(
    uow: UnitOfWork,
    user_id: int,
    nomination_id: int,
    *,
    text: str | None,
    evidence: Sequence[Evidence],
    now: datetime,
) -> tuple[Nomination, AuditEntry]:
    """Relay the nominator's answer to the officers and put the case back under verification."""
    actor = Actor(user_id)
    nomination = await _locked(uow, nomination_id)
    kept = list(nomination.evidence)
    known = {item.file_unique_id for item in kept}
    kept.extend(item for item in evidence if item.file_unique_id not in known)
    changed, entry = apply(nomination, Action.ANSWER_INFO, actor, now=now, public_note=text)
    changed = replace(changed, evidence=tuple(kept))
    entry = replace(entry, data={"evidence": [item.to_dict() for item in evidence]})
    await uow.nominations.save(changed)
    return changed, await uow.audit.add(entry)


async def answer_readers(uow: UnitOfWork, nomination: Nomination, today: date) -> list[int]:
    """Return who is told of the nominator's answer.

    The officer handling the case, if they still verify it; else its unit's officers in
    force today. Nobody whose grant was revoked or has not started hears it.
    """
    holder = nomination.handler_id
    if holder is not None and verifies(nomination, await actor_for(uow, holder, today)):
        return [holder]
    grants = await uow.roles.holders(unit_key=nomination.unit_key)
    return sorted({grant.user_id for grant in grants if grant.in_force(today)})


async def _locked(uow: UnitOfWork, nomination_id: int) -> Nomination:
    nomination = await uow.nominations.get(nomination_id, for_update=True)
    if nomination is None:
        raise UnknownNominationError(str(nomination_id))
    return nomination
