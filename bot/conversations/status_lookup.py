"""Looking up a nomination by its tracking code: ``/status <code>`` or a one-step dialog."""

from __future__ import annotations

import math

from bot.conversations import review
from bot.conversations.cases import action_data
from bot.conversations.common import cancel_button
from bot.conversations.incoming import Incoming
from bot.keyboards import Button, inline_keyboard
from bot.labels import ACTION_LABELS
from bot.runtime import Turn
from core.codes import parse_tracking_code
from core.dialog import Dialog
from core.review import actor_for
from core.roles import NotAllowedError
from core.services import LookupThrottledError, UnknownCodeError, look_up_code
from core.workflow import Action, allowed_actions

FLOW = "s"
STEP = "code"


async def start(turn: Turn) -> None:
    """Ask for the tracking code."""
    dialog = Dialog(turn.chat_id, turn.user.id, FLOW, STEP, {}, 0, turn.now)
    dialog.move_to(STEP, turn.now)
    await turn.uow.dialogs.save(dialog)
    _ask(turn, dialog, problem=None)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the code typed, or the cancel button."""
    if incoming.kind == "button":
        turn.clear_buttons()
        if incoming.action == "cancel":
            await turn.uow.dialogs.delete(turn.chat_id)
            turn.say("status/cancelled", keyboard=turn.main_menu())
            return
    if incoming.kind != "text" or not incoming.text:
        _ask(turn, dialog, problem="input.text_expected")
        return
    if parse_tracking_code(incoming.text) is None:
        _ask(turn, dialog, problem="status.bad_code")
        return
    await turn.uow.dialogs.delete(turn.chat_id)
    await show(turn, incoming.text)


async def show(turn: Turn, text: str) -> None:
    """Show what the user may see of the nomination whose code is in ``text``."""
    code = parse_tracking_code(text)
    if code is None:
        turn.say("status/bad_code", typed=text[:40])
        return
    try:
        view = await look_up_code(turn.uow, code, viewer_id=turn.user.id, now=turn.now)
    except LookupThrottledError as error:
        minutes = math.ceil((error.until - turn.now).total_seconds() / 60)
        turn.say(
            "status/throttled", count=error.failures, until=error.until, minutes=max(1, minutes)
        )
        return
    except UnknownCodeError:
        turn.say("status/unknown_code", code=str(code))
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if actor.grants and (
        view.nomination is None or not view.nomination.is_nominated_by(actor.user_id)
    ):
        try:
            await review.show_card(turn, actor, code)
            return
        except NotAllowedError:
            pass  # an officer of another unit sees only what anybody sees
    nomination = view.nomination
    directory = turn.rt.directory
    keyboard = None
    if nomination is not None and Action.WITHDRAW in allowed_actions(nomination, actor):
        keyboard = inline_keyboard(
            [
                [
                    Button(
                        "↩️ " + turn.label(ACTION_LABELS[Action.WITHDRAW]),
                        action_data(nomination, Action.WITHDRAW),
                    )
                ]
            ]
        )
    turn.say(
        "status/view",
        keyboard=keyboard,
        view=view,
        nomination=nomination,
        unit=directory.unit_name(nomination.unit_key) if nomination else None,
        campaign=(
            directory.campaign_title(nomination.campaign_key)
            if nomination and nomination.campaign_key
            else None
        ),
    )


def _ask(turn: Turn, dialog: Dialog, *, problem: str | None) -> None:
    keyboard = inline_keyboard([[cancel_button(turn, FLOW, dialog.token)]])
    turn.say("status/ask_code", keyboard=keyboard, problem=problem)
