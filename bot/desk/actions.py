"""The case page's actions: what the buttons of the chat's card do, from a form of the desk.

The page offers exactly the actions core's card offers the officer (``CaseView.actions``),
one form each, asking what the chat's dialog would ask: the note of a question or a refusal
(as long as chat allows), the case to merge into, the award form, the council's decision.
Taking one is the chat's own path: :func:`core.review.act` in the page's transaction, then
the notices of :func:`bot.conversations.review.notify_nominator` (and the question to
publish, after a commendation), queued in the outbox by a :class:`~bot.runtime.Turn` of this
request: one input processed, as a chat turn is. Once the transaction is committed, the
running senders send them (:func:`send_queued`): the nominator hears it on Telegram or Zalo.

Every form carries the case's version (:func:`bot.conversations.cases.version`), as the
card's buttons do: a form of a page shown before the case changed takes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.conversations import publicity
from bot.conversations.cases import version
from bot.conversations.review import DECISION_MAX_AGE_YEARS, NOTE_MAX, notify_nominator
from bot.failures import describe
from bot.runtime import Runtime, Turn
from core.awards import AwardForm, DossierIncompleteError
from core.channels import Channel
from core.codes import parse_tracking_code
from core.dates import check_deed_date
from core.dossiers import choose_award_form, decision_forms, proposable_forms
from core.errors import DomainError
from core.identity import channel_of_chat
from core.nomination import Nomination
from core.outbox import OutgoingMessage
from core.people import User
from core.ports import UnitOfWork
from core.review import act, visible_case
from core.roles import Actor
from core.text import clean_text
from core.workflow import TRANSITIONS, Action, Award, ClaimedByOtherError, Requirement

log = logging.getLogger(__name__)

# What a decision's form name and number may be, as the chat's dialog keeps them.
AWARD_NAME_MAX = 100
DECISION_NUMBER_MAX = 50


class Asks(StrEnum):
    """What an action's form asks besides the press."""

    NOTE = "note"  # the question to the nominator, or why the case is refused
    TARGET = "target"  # the code of the case this one is merged into
    FORM = "form"  # the award form the case is proposed for (a plan with award forms)
    AWARD = "award"  # the council's decision: the form, its number and date


class Problem(StrEnum):
    """Why an action was not taken; the page says it, and keeps what was typed."""

    STALE = "stale"  # the case changed since the page was shown
    HELD = "held"  # another officer is handling the case
    NOTE_MISSING = "note_missing"
    NOTE_TOO_LONG = "note_too_long"
    BAD_TARGET = "bad_target"  # no such case, or one the officer may not see
    BAD_FORM = "bad_form"
    BAD_DECISION = "bad_decision"  # the decision's number or date missing or wrong
    DOSSIER_INCOMPLETE = "dossier_incomplete"


@dataclass(frozen=True, slots=True)
class ActionForm:
    """One action the page offers: what its form asks, the award forms it offers."""

    action: Action
    asks: Asks | None = None
    forms: tuple[tuple[str, str], ...] = ()  # (key, name), the case's own first


@dataclass
class Outcome:
    """What a press came to: done, or the problem; the turn whose notices wait to go."""

    action: Action | None
    problem: Problem | None = None
    missing: tuple[str, ...] = ()  # the dossier's items not attached yet
    turn: Turn | None = None

    @property
    def done(self) -> bool:
        """Tell whether the action was taken."""
        return self.problem is None and self.action is not None


async def action_forms(
    uow: UnitOfWork, actor: Actor, nomination: Nomination, actions: Sequence[Action]
) -> list[ActionForm]:
    """Return the forms of ``actions`` (the card's, as core built it for ``actor``)."""
    forms: list[ActionForm] = []
    for action in actions:
        requirement = TRANSITIONS[action].requires
        if requirement in (Requirement.REASON, Requirement.QUESTION):
            forms.append(ActionForm(action, Asks.NOTE))
        elif requirement is Requirement.TARGET:
            forms.append(ActionForm(action, Asks.TARGET))
        elif requirement is Requirement.AWARD:
            offered = await decision_forms(uow, nomination)
            forms.append(ActionForm(action, Asks.AWARD, _pairs(offered, nomination)))
        elif action is Action.PROPOSE:
            offered = await proposable_forms(uow, actor, nomination)
            asks = Asks.FORM if offered else None
            forms.append(ActionForm(action, asks, _pairs(offered, nomination)))
        else:
            forms.append(ActionForm(action))
    return forms


def _pairs(forms: Sequence[AwardForm], nomination: Nomination) -> tuple[tuple[str, str], ...]:
    pairs = [(form.key, form.name) for form in forms]
    return tuple(sorted(pairs, key=lambda pair: pair[0] != nomination.award_form_key))


async def take_action(
    rt: Runtime,
    uow: UnitOfWork,
    actor: Actor,
    nomination: Nomination,
    fields: Mapping[str, str],
    *,
    user: User,
) -> Outcome:
    """Take the action a form of the case page asks for, as the chat's card would.

    ``nomination``: the case as :func:`core.review.visible_case` gave it to ``actor`` (asked
    before this); ``user``: the officer, whose language labels the notices' buttons as in
    chat. Nothing is changed unless the outcome is done, but for a proposal whose dossier
    is incomplete: its award form stays chosen, as in chat, so the checklist follows it.
    """
    assert nomination.id is not None
    try:
        action = Action(fields.get("action", ""))
    except ValueError:
        return Outcome(None, Problem.STALE)
    if action not in TRANSITIONS or fields.get("v") != str(version(nomination)):
        return Outcome(action, Problem.STALE)
    (form,) = await action_forms(uow, actor, nomination, [action])
    note: str | None = None
    award: Award | None = None
    form_key: str | None = None
    target = None
    if form.asks is Asks.NOTE:
        cleaned = clean_text(fields.get("note", ""), max_len=NOTE_MAX, multiline=True)
        if cleaned.too_long:
            return Outcome(action, Problem.NOTE_TOO_LONG)
        if not cleaned.text.strip():
            return Outcome(action, Problem.NOTE_MISSING)
        note = cleaned.text
    elif form.asks is Asks.TARGET:
        target = parse_tracking_code(fields.get("target", ""))
        # The case to merge into is refused like any other case one may not see.
        if target is None or await visible_case(uow, actor, target) is None:
            return Outcome(action, Problem.BAD_TARGET)
    elif form.asks is Asks.FORM:
        form_key = fields.get("award_form", "")
        if form_key not in dict(form.forms):
            return Outcome(action, Problem.BAD_FORM)
    elif form.asks is Asks.AWARD:
        award = _award(form, fields, today=rt.today())
        if award is None:
            return Outcome(action, Problem.BAD_DECISION)
    now = rt.clock()
    try:
        changed, entry = await act(
            uow,
            actor,
            nomination.id,
            action,
            now=now,
            public_note=note,
            award=award,
            merged_into=target,
            award_form_key=form_key,
        )
    except DossierIncompleteError as incomplete:
        # The form stays chosen, as in chat: the case's checklist shows what to attach.
        await choose_award_form(uow, actor, nomination.id, incomplete.form.key)
        return Outcome(action, Problem.DOSSIER_INCOMPLETE, incomplete.names)
    except ClaimedByOtherError:
        return Outcome(action, Problem.HELD)
    except DomainError:
        # Not in this state any more, or not theirs now (a role ended, consent withdrawn).
        return Outcome(action, Problem.STALE)
    turn = Turn(rt, None, uow, user, now, user.id)
    await notify_nominator(turn, changed, entry, target_code=str(target) if target else None)
    if action is Action.COMMEND:
        await publicity.ask_to_publish(turn, changed)
    return Outcome(action, turn=turn)


def _award(form: ActionForm, fields: Mapping[str, str], *, today: date) -> Award | None:
    """Return the council's decision the form gives, or None if a part is missing or wrong."""
    key: str | None = None
    if form.forms:
        key = fields.get("award_form", "")
        name = dict(form.forms).get(key)
    else:
        name = " ".join(fields.get("award_name", "").split())[:AWARD_NAME_MAX] or None
    number = " ".join(fields.get("decision_number", "").split())[:DECISION_NUMBER_MAX]
    try:
        day = date.fromisoformat(fields.get("decision_date", ""))
        check_deed_date(day, today, max_age_years=DECISION_MAX_AGE_YEARS)
    except (ValueError, DomainError):
        return None
    if not name or not number:
        return None
    return Award(name, number, day, form_key=key)


@dataclass(frozen=True, slots=True)
class Queued:
    """The notices a press wrote to the outbox: those taken for this process's sender."""

    turn: Turn
    taken: Sequence[OutgoingMessage]


async def queue_notices(outcome: Outcome) -> Queued | None:
    """Write the outcome's notices to the outbox, in the page's transaction."""
    if outcome.turn is None:
        return None
    return Queued(outcome.turn, await outcome.turn.queue_replies())


async def send_queued(rt: Runtime, queued: Queued | None) -> None:
    """Send what a committed press queued, as a chat turn's replies are sent.

    What fails here stays in the outbox for the sender's sweep: it is only logged.
    """
    if queued is None:
        return
    try:
        for then in queued.turn.committed:  # wakes the sender of another channel (Zalo)
            then()
        sender = rt.sender
        if sender is None:
            return
        await sender.deliver(queued.taken)
        sent = {message.chat_id for message in queued.taken}
        for chat_id in sorted({reply.chat_id for reply in queued.turn.replies} - sent):
            if channel_of_chat(chat_id) is Channel.TELEGRAM:
                await sender.flush_chat(chat_id)
    except Exception as error:  # the sweep sends what is left
        log.warning("a desk action's notices wait for the sweep: %s", describe(error))
