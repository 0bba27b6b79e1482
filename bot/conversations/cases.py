"""The buttons every flow that shows a case uses, built here once, and the refusal about a case.

A case card's buttons (``k``: open it, see its files; ``ds``: open its dossier) carry no
version; an action's buttons (``r``) carry the case's version, so a button of a card that
changed since is refused.
"""

from __future__ import annotations

from bot.conversations.incoming import button_data
from bot.runtime import Turn
from core.nomination import Nomination, NominationStatus
from core.workflow import Action

CARD = "k"
ACT = "r"
DOSSIER = "ds"
_STATES = tuple(NominationStatus)


def version(nomination: Nomination) -> int:
    """Return a short number that changes whenever the case changes state.

    The state itself is part of it, so two changes within one millisecond still differ.
    """
    millis = int(nomination.status_changed_at.timestamp() * 1000) % 10**8
    return millis * 16 + _STATES.index(nomination.status)


def card_data(nomination_id: int | None, what: str = "open") -> str:
    """Return the data of a button that opens the case card (``what``: "open" or "files")."""
    assert nomination_id is not None, "a stored case has an id"
    return button_data(CARD, 0, what, str(nomination_id))


def action_data(nomination: Nomination, action: Action) -> str:
    """Return the data of a button that takes ``action`` on the case as it is now."""
    assert nomination.id is not None
    return button_data(ACT, version(nomination), action.value, str(nomination.id))


def dossier_data(nomination_id: int) -> str:
    """Return the data of the button that opens the case's dossier to attach documents."""
    return button_data(DOSSIER, 0, "start", str(nomination_id))


def refuse_case(turn: Turn) -> None:
    """Refuse a request about a case, in words that are the same whether it exists or not."""
    turn.callback_notice = "⛔"
    turn.say("access/refused")
