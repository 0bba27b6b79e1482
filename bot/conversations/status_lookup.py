"""Looking up a nomination by its tracking code: ``/status <code>`` or a one-step dialog."""

from __future__ import annotations

import math

from bot.conversations import review
from bot.conversations.cases import action_data, refuse_case
from bot.conversations.common import cancel_button
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.keyboards import Button, inline_keyboard
from bot.labels import ACTION_LABELS
from bot.rendering import N_
from bot.runtime import Turn
from core.codes import parse_tracking_code
from core.dialog import Dialog
from core.review import actor_for, stop_contact
from core.roles import NotAllowedError
from core.services import LookupThrottledError, UnknownCodeError, look_up_code
from core.workflow import Action, allowed_actions

FLOW = "s"
STOP_ACTION = "quiet"
STOP_CONTACT = N_("🔕 Không liên hệ tôi về đề cử này nữa")
STEP = "code"


async def start(turn: Turn) -> None:
    """Ask for the tracking code."""
    dialog = await open_dialog(turn, FLOW, STEP, {})  # a draft in progress is kept aside
    _ask(turn, dialog, problem=None)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the code typed, or the cancel button."""
    if incoming.kind == "button":
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("status/cancelled", keyboard=turn.main_menu(), draft_kept=kept)
            return
    if incoming.kind != "text" or not incoming.text:
        _ask(turn, dialog, problem="input.text_expected")
        return
    if parse_tracking_code(incoming.text) is None:
        _ask(turn, dialog, problem="status.bad_code")
        return
    await close_dialog(turn, dialog)
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
    rows: list[list[Button]] = []
    if nomination is not None and Action.WITHDRAW in allowed_actions(nomination, actor):
        rows.append(
            [
                Button(
                    "↩️ " + turn.label(ACTION_LABELS[Action.WITHDRAW]),
                    action_data(nomination, Action.WITHDRAW),
                )
            ]
        )
    if (
        nomination is not None
        and nomination.id is not None
        and nomination.contact_stopped_at is None
        and not nomination.status.is_final
    ):
        rows.append(
            [
                Button(
                    turn.label(STOP_CONTACT),
                    button_data(FLOW, 0, STOP_ACTION, str(nomination.id)),
                )
            ]
        )
    keyboard = inline_keyboard(rows) if rows else None
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


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """“Không liên hệ tôi về hồ sơ này nữa”: the nominator objects to more contact about it."""
    turn.answer_in_place(keep_text=True)  # the case's status stays readable above
    if incoming.action != STOP_ACTION or not (incoming.arg or "").isdigit():
        refuse_case(turn)
        return
    stopped = await stop_contact(turn.uow, turn.user.id, int(incoming.arg or 0), now=turn.now)
    if stopped is None:
        refuse_case(turn)
        return
    turn.say("status/contact_stopped", code=str(stopped.code), at=stopped.contact_stopped_at)


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the code again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


def _ask(turn: Turn, dialog: Dialog, *, problem: str | None) -> None:
    keyboard = inline_keyboard([[cancel_button(turn, FLOW, dialog.token)]])
    turn.say("status/ask_code", keyboard=keyboard, problem=problem)
