"""The review of a nomination as a state machine: who may move it where, and what it takes.

    submitted → verifying → needs_info ⇄ verifying → proposed → under_review
    under_review → commended | not_commended
    submitted, verifying, needs_info → rejected (at the unit, with a reason)
    anything not decided → withdrawn (by the nominator)
    submitted, verifying, needs_info → merged (into another nomination)

Every transition produces an :class:`AuditEntry`, stored in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from core.errors import DomainError
from core.nomination import Nomination, NominationStatus as S
from core.roles import Actor, NotAllowedError, Role

# A claim lapses when its holder has not acted for this long, so a case is never stuck
# behind an officer who went on leave.
CLAIM_TTL = timedelta(hours=8)
NOTE_MAX_CHARS = 1000


class Action(StrEnum):
    """What can be done to a nomination."""

    VERIFY = "verify"
    ASK_INFO = "ask_info"
    ANSWER_INFO = "answer_info"
    PROPOSE = "propose"
    START_REVIEW = "start_review"
    COMMEND = "commend"
    DECLINE = "decline"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    # Not a transition: the nominator corrected what they wrote, the state stays
    # (core.correction; no arrow of TRANSITIONS names it).
    CORRECT = "correct"


class Party(StrEnum):
    """Who may make a transition."""

    NOMINATOR = "nominator"
    OFFICER = "officer"  # an officer of the nomination's unit (or the secretariat)
    SECRETARIAT = "secretariat"


class Requirement(StrEnum):
    """What a transition needs besides permission."""

    REASON = "reason"  # a public note saying why (reject, decline)
    QUESTION = "question"  # the question relayed to the nominator
    AWARD = "award"  # award form, decision number and date
    TARGET = "target"  # the nomination merged into


@dataclass(frozen=True, slots=True)
class Transition:
    """One arrow of the state machine."""

    action: Action
    sources: frozenset[S]
    target: S
    by: frozenset[Party]
    requires: Requirement | None = None


_UNDECIDED = frozenset({S.SUBMITTED, S.VERIFYING, S.NEEDS_INFO, S.PROPOSED, S.UNDER_REVIEW})
_AT_UNIT = frozenset({S.SUBMITTED, S.VERIFYING, S.NEEDS_INFO})
_STAFF = frozenset({Party.OFFICER, Party.SECRETARIAT})

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.VERIFY, frozenset({S.SUBMITTED}), S.VERIFYING, _STAFF),
        Transition(
            Action.ASK_INFO, frozenset({S.VERIFYING}), S.NEEDS_INFO, _STAFF, Requirement.QUESTION
        ),
        Transition(
            Action.ANSWER_INFO,
            frozenset({S.NEEDS_INFO}),
            S.VERIFYING,
            frozenset({Party.NOMINATOR}),
        ),
        Transition(Action.PROPOSE, frozenset({S.VERIFYING}), S.PROPOSED, _STAFF),
        Transition(
            Action.START_REVIEW,
            frozenset({S.PROPOSED}),
            S.UNDER_REVIEW,
            frozenset({Party.SECRETARIAT}),
        ),
        Transition(
            Action.COMMEND,
            frozenset({S.UNDER_REVIEW}),
            S.COMMENDED,
            frozenset({Party.SECRETARIAT}),
            Requirement.AWARD,
        ),
        Transition(
            Action.DECLINE,
            frozenset({S.UNDER_REVIEW}),
            S.NOT_COMMENDED,
            frozenset({Party.SECRETARIAT}),
            Requirement.REASON,
        ),
        Transition(Action.REJECT, _AT_UNIT, S.REJECTED, _STAFF, Requirement.REASON),
        Transition(Action.WITHDRAW, _UNDECIDED, S.WITHDRAWN, frozenset({Party.NOMINATOR})),
        Transition(Action.MERGE, _AT_UNIT, S.MERGED, _STAFF, Requirement.TARGET),
    )
}


class TransitionError(DomainError):
    """The nomination is not in a state this action applies to."""

    code = "workflow.not_now"


class RequirementMissingError(DomainError):
    """The action needs a reason, a question, an award or a target that was not given."""

    code = "workflow.requirement"

    def __init__(self, requirement: Requirement) -> None:
        super().__init__(f"{requirement.value} is required")
        self.requirement = requirement


class ClaimedByOtherError(DomainError):
    """Another officer is handling the case."""

    code = "workflow.claimed"

    def __init__(self, holder_id: int, since: datetime) -> None:
        super().__init__(f"handled by {holder_id} since {since.isoformat()}")
        self.holder_id = holder_id
        self.since = since


@dataclass(frozen=True, slots=True)
class Award:
    """The council's decision to commend: the form of award, the decision's number and date.

    ``form`` is the form's name as the decision writes it; ``form_key`` the plan's award form
    (:mod:`core.awards`) it is, None for a form typed that the plan does not list.
    """

    form: str
    decision_number: str
    decision_date: date
    form_key: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A transition as it happened: who, when, from, to, and the notes.

    ``public_note`` is told to the nominator; ``private_note`` stays with the officers.
    """

    nomination_id: int
    action: Action
    from_status: S
    to_status: S
    actor_id: int
    at: datetime
    public_note: str | None = None
    private_note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def parties(nomination: Nomination, actor: Actor) -> frozenset[Party]:
    """Return in which capacities ``actor`` may act on ``nomination``."""
    found: set[Party] = set()
    if nomination.is_nominated_by(actor.user_id):
        found.add(Party.NOMINATOR)
    if actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN):
        found.update({Party.SECRETARIAT, Party.OFFICER})
    elif actor.has(Role.OFFICER) and actor.acts_for(nomination.unit_key):
        found.add(Party.OFFICER)
    return frozenset(found)


def can_view(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may see the whole case (nominator, its officers, the council)."""
    if parties(nomination, actor):
        return True
    return actor.has(Role.COUNCIL_MEMBER) and nomination.status in (S.PROPOSED, S.UNDER_REVIEW)


# Who may learn who reported a case. The views of a case (core.review.case_view) apply these
# rules; no template or handler decides them.
#
# - The nominator, and the staff who verify the case (its unit's officers, the secretariat,
#   admins: Party.OFFICER), always know the nominator and may call them back: checking a
#   report needs its source.
# - An anonymous nominator is unknown to everybody else who may see the case: council
#   members judge the deed, not who told of it. Supporters and other residents see no case
#   at all, only its status.
# - A named nominator is known to whoever may see the case; their phone number stays with
#   the verifying staff.
# - Supporters are named to the verifying staff only (they gave no consent to more).
# - A child nominee (a student under 16, Nominee.is_child) is named in full to the nominator
#   and the verifying staff only; everybody else sees the initials (Nominee.public_name).


def verifies(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` is among the staff who verify ``nomination``."""
    return Party.OFFICER in parties(nomination, actor)


def may_know_nominator(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may learn who reported ``nomination`` (see the rules above)."""
    if nomination.is_nominated_by(actor.user_id) or verifies(nomination, actor):
        return True
    return not nomination.nominator.anonymous and can_view(nomination, actor)


def may_contact_nominator(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may see how to reach the nominator (their phone number)."""
    return nomination.is_nominated_by(actor.user_id) or verifies(nomination, actor)


def may_know_nominee(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may see the nominee's full name even where it is a child's.

    The nominator (they gave it) and the staff who verify the case (they must check who did
    the deed) do; everybody else, council members and supporters included, sees a child's
    initials (:meth:`Nomination.as_public`): beyond those who handle the case, a child's
    name is published nowhere.
    """
    return nomination.is_nominated_by(actor.user_id) or verifies(nomination, actor)


def may_know_supporters(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may learn who supports ``nomination``."""
    return verifies(nomination, actor)


def allowed_actions(nomination: Nomination, actor: Actor) -> list[Action]:
    """Return what ``actor`` may do to ``nomination`` now, in the order of the workflow."""
    who = parties(nomination, actor)
    return [
        action
        for action, transition in TRANSITIONS.items()
        if nomination.status in transition.sources and who & transition.by
    ]


def check_may(nomination: Nomination, action: Action, actor: Actor) -> None:
    """Raise :class:`NotAllowedError` unless ``actor`` is a party that may make ``action``.

    Whatever the case's state: asked first, so a refusal says nothing about the case.
    """
    if not parties(nomination, actor) & TRANSITIONS[action].by:
        raise NotAllowedError(f"user {actor.user_id} may not {action} {nomination.code}")


def claim_holder(nomination: Nomination, now: datetime) -> int | None:
    """Return the officer handling the case, unless their claim has lapsed."""
    if nomination.handler_id is None or nomination.handled_since is None:
        return None
    if now - nomination.handled_since >= CLAIM_TTL:
        return None
    return nomination.handler_id


def claim(nomination: Nomination, actor: Actor, now: datetime) -> Nomination:
    """Mark the case as handled by ``actor``; refuse if another officer holds it."""
    who = parties(nomination, actor)
    if not who & _STAFF:
        raise NotAllowedError(f"user {actor.user_id} cannot handle {nomination.code}")
    holder = claim_holder(nomination, now)
    if holder is not None and holder != actor.user_id:
        assert nomination.handled_since is not None
        raise ClaimedByOtherError(holder, nomination.handled_since)
    return replace(nomination, handler_id=actor.user_id, handled_since=now)


def apply(
    nomination: Nomination,
    action: Action,
    actor: Actor,
    *,
    now: datetime,
    public_note: str | None = None,
    private_note: str | None = None,
    award: Award | None = None,
    merged_into_id: int | None = None,
) -> tuple[Nomination, AuditEntry]:
    """Make a transition; return the changed nomination and its audit entry."""
    nomination_id = nomination.id
    assert nomination_id is not None
    transition = TRANSITIONS[action]
    check_may(nomination, action, actor)
    if nomination.status not in transition.sources:
        raise TransitionError(f"cannot {action} a nomination that is {nomination.status}")
    _check_requirement(transition.requires, public_note, award, merged_into_id, nomination)
    if transition.by & _STAFF:
        # Acting on a case takes it over, unless another officer is handling it.
        nomination = claim(nomination, actor, now)
    data: dict[str, Any] = {}
    if award is not None:
        data = {
            "award_form": award.form,
            "decision_number": award.decision_number,
            "decision_date": award.decision_date.isoformat(),
        }
        if award.form_key is not None:
            data["award_form_key"] = award.form_key
    if merged_into_id is not None:
        data["merged_into_id"] = merged_into_id
    changed = replace(
        nomination,
        status=transition.target,
        status_changed_at=now,
        merged_into_id=merged_into_id if merged_into_id is not None else nomination.merged_into_id,
    )
    if transition.target.is_final or transition.target is S.PROPOSED:
        # Handed over to the council, or decided: the unit officer's claim ends here.
        changed = replace(changed, handler_id=None, handled_since=None)
    entry = AuditEntry(
        nomination_id=nomination_id,
        action=action,
        from_status=nomination.status,
        to_status=transition.target,
        actor_id=actor.user_id,
        at=now,
        public_note=public_note,
        private_note=private_note,
        data=data,
    )
    return changed, entry


def _check_requirement(
    requirement: Requirement | None,
    public_note: str | None,
    award: Award | None,
    merged_into_id: int | None,
    nomination: Nomination,
) -> None:
    if requirement in (Requirement.REASON, Requirement.QUESTION) and not (
        public_note and public_note.strip()
    ):
        raise RequirementMissingError(requirement)
    if requirement is Requirement.AWARD and (
        award is None or not award.form.strip() or not award.decision_number.strip()
    ):
        raise RequirementMissingError(requirement)
    if requirement is Requirement.TARGET and (
        merged_into_id is None or merged_into_id == nomination.id
    ):
        raise RequirementMissingError(requirement)
