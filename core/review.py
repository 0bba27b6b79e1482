"""Use cases of officers: invitations, roles, the queue, the case card, and transitions.

Every service checks who is acting (an :class:`~core.roles.Actor` built from the grants in
force today), so each entry point, chat or command line, gets the same refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from core.codes import TrackingCode
from core.errors import DomainError
from core.nomination import Evidence, Nomination, NominationStatus
from core.org import Validity
from core.ports import UnitOfWork
from core.roles import (
    Actor,
    Invitation,
    NotAllowedError,
    Role,
    RoleGrant,
    hash_invitation_code,
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
    claim,
    claim_holder,
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


class UnknownNominationError(DomainError):
    """No nomination with this id or code (or none the actor may see)."""

    code = "nomination.unknown"


async def actor_for(uow: UnitOfWork, user_id: int, today: date) -> Actor:
    """Return the user with the grants in force today."""
    return Actor.of(user_id, await uow.roles.grants_of(user_id), today)


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
    *,
    role: Role,
    unit_key: str | None,
    days: int,
    now: datetime,
    created_by: int | None,
) -> tuple[str, Invitation]:
    """Create a single-use invitation; return its code (shown once) and the stored record."""
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
        created_by=created_by,
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
    *,
    user_id: int,
    role: Role,
    unit_key: str | None,
    now: datetime,
    granted_by: int | None,
    valid_from: date | None = None,
) -> RoleGrant:
    """Grant a role directly (the first admin, from the command line), from today or a day."""
    if role is Role.OFFICER and not unit_key:
        raise UnknownUnitError("an officer needs a unit")
    grant = RoleGrant(
        user_id=user_id,
        role=role,
        unit_key=unit_key if role is Role.OFFICER else None,
        validity=Validity(valid_from=valid_from or now.date()),
        granted_at=now,
        granted_by=granted_by,
    )
    return await uow.roles.add(grant)


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
class CaseView:
    """A case as an officer sees it: the nomination, its history, who holds it, what they may do."""

    nomination: Nomination
    history: Sequence[AuditEntry]
    actions: list[Action]
    holder_id: int | None


async def find_case(uow: UnitOfWork, code: TrackingCode | int) -> Nomination:
    """Return a nomination by code or id, or raise :class:`UnknownNominationError`."""
    if isinstance(code, TrackingCode):
        nomination = await uow.nominations.get_by_code(code)
    else:
        nomination = await uow.nominations.get(code)
    if nomination is None:
        raise UnknownNominationError(str(code))
    return nomination


async def case_view(
    uow: UnitOfWork, actor: Actor, code: TrackingCode | int, *, now: datetime
) -> CaseView:
    """Return the case card's content, if the actor may see the case."""
    nomination = await find_case(uow, code)
    if not can_view(nomination, actor):
        raise NotAllowedError(f"user {actor.user_id} may not see {nomination.code}")
    assert nomination.id is not None
    history = await uow.audit.history(nomination.id)
    # The nominator answers a question through the relayed message, not from a card.
    actions: list[Action] = [
        a for a in allowed_actions(nomination, actor) if a != Action.ANSWER_INFO
    ]
    return CaseView(nomination, history, actions, claim_holder(nomination, now))


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
) -> tuple[Nomination, AuditEntry]:
    """Make a transition and write its audit entry, in the caller's transaction."""
    nomination = await _locked(uow, nomination_id)
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


async def _locked(uow: UnitOfWork, nomination_id: int) -> Nomination:
    nomination = await uow.nominations.get(nomination_id, for_update=True)
    if nomination is None:
        raise UnknownNominationError(str(nomination_id))
    return nomination
