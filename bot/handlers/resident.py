"""What residents can do outside a guided step: start, consent, language, status, their list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversations import answer, broadcast, nomination, review, status_lookup
from bot.conversations.incoming import Incoming, button_data
from bot.handlers import broadcasts, deadlines, officer, subscriptions
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import MENU_HELP, MENU_MINE, MENU_NOMINATE, MENU_STATUS, Runtime, Turn
from core.codes import parse_tracking_code
from core.errors import DomainError
from core.people import SUPPORTED_LOCALES
from core.services import (
    choose_locale,
    give_consent,
    has_consent,
    my_nominations,
)
from core.text import fold

CONSENT = "c"
LANGUAGE = "l"
MINE = "m"
AGREE = N_("✅ Tôi đồng ý")
DISAGREE = N_("Không đồng ý")
LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}
MY_LIMIT = 10


async def start(turn: Turn) -> None:
    """Welcome the resident; show the privacy notice or offer to resume a draft.

    ``/start <invitation>`` (from an invitation link) makes the user an officer instead.
    """
    payload = turn.command_args
    if officer.is_invitation(payload):
        await officer.redeem(turn, payload)
        return
    turn.say("start/welcome", keyboard=turn.main_menu(), name=turn.user.display_name)
    if not await has_consent(turn.uow, turn.user.id):
        _privacy_notice(turn, then="")
        return
    dialog = await turn.uow.dialogs.get(turn.chat_id)
    if dialog is not None and dialog.flow == nomination.FLOW:
        nomination.offer_resume(turn, dialog)


async def show_help(turn: Turn) -> None:
    """Explain what the bot does and its commands."""
    turn.say("start/help", keyboard=turn.main_menu())


async def nominate(turn: Turn) -> None:
    """Start a nomination, after consent, or offer to resume the one in progress."""
    if not await has_consent(turn.uow, turn.user.id):
        _privacy_notice(turn, then=nomination.FLOW)
        return
    dialog = await turn.uow.dialogs.get(turn.chat_id)
    if dialog is not None and dialog.flow == nomination.FLOW:
        nomination.offer_resume(turn, dialog)
        return
    await nomination.start(turn)


async def cancel(turn: Turn) -> None:
    """Drop whatever dialog is open."""
    dialog = await turn.uow.dialogs.get(turn.chat_id)
    if dialog is None:
        turn.say("start/nothing_to_cancel", keyboard=turn.main_menu())
        return
    if dialog.flow == broadcast.FLOW:
        await broadcast.cancel(turn, dialog)
        return
    await turn.uow.dialogs.delete(turn.chat_id)
    template = "nominate/cancelled" if dialog.flow == nomination.FLOW else "status/cancelled"
    turn.say(template, keyboard=turn.main_menu())


async def status(turn: Turn) -> None:
    """Show a nomination's status from ``/status <code>``, or ask for the code."""
    args = turn.command_args
    if args:
        await status_lookup.show(turn, args)
        return
    await status_lookup.start(turn)


async def mine(turn: Turn) -> None:
    """List the resident's own nominations, newest first."""
    items = await my_nominations(turn.uow, turn.user.id, limit=MY_LIMIT)
    if not items:
        turn.say("status/mine_empty", keyboard=turn.main_menu())
        return
    buttons = [
        [Button(str(item.code), button_data(MINE, 0, "show", str(item.code)))] for item in items
    ]
    turn.say(
        "status/mine",
        keyboard=inline_keyboard(buttons),
        items=items,
        unit_name=turn.rt.directory.unit_name,
        limit=MY_LIMIT,
    )


async def choose_language(turn: Turn) -> None:
    """Offer the languages the bot speaks."""
    buttons = [
        Button(name, button_data(LANGUAGE, 0, "pick", code))
        for code, name in LANGUAGE_NAMES.items()
    ]
    turn.say("start/language", keyboard=inline_keyboard([buttons]))


async def on_button(turn: Turn) -> None:
    """Route a button press to the flow it belongs to; refuse one the bot did not sign."""
    incoming = turn.incoming
    if incoming.flow is None:
        stale_button(turn)
    elif incoming.flow == CONSENT:
        await _consent_answer(turn, incoming)
    elif incoming.flow == LANGUAGE and incoming.arg in SUPPORTED_LOCALES:
        turn.clear_buttons()
        turn.user = await choose_locale(turn.uow, turn.user, incoming.arg)
        turn.say("start/language_set", keyboard=turn.main_menu())
    elif incoming.flow == MINE and incoming.action == "show" and incoming.arg:
        await status_lookup.show(turn, incoming.arg)
    elif incoming.flow == deadlines.DONE:
        await deadlines.on_done(turn, incoming)
    elif incoming.flow == broadcasts.STOP:
        await broadcasts.on_stop(turn, incoming)
    elif incoming.flow == subscriptions.FLOW:
        await subscriptions.on_button(turn, incoming)
    elif not await officer.on_officer_button(turn, incoming):
        await _dialog_input(turn, incoming)


async def on_message(turn: Turn) -> None:
    """Route a message: a menu label, an answer to the open dialog, or a code to look up."""
    incoming = turn.incoming
    if incoming.kind == "text" and incoming.text:
        menu_action = _menu_action(turn, incoming.text)
        if menu_action is not None:
            await menu_action(turn)
            return
    await _dialog_input(turn, incoming)


async def _dialog_input(turn: Turn, incoming: Incoming) -> None:
    dialog = await turn.uow.dialogs.get(turn.chat_id)
    if incoming.kind == "button" and (dialog is None or incoming.flow != dialog.flow):
        # A button of a dialog that is over (or of another one) must not act on this one.
        stale_button(turn)
    elif dialog is not None and dialog.flow == nomination.FLOW:
        await nomination.handle(turn, dialog, incoming)
    elif dialog is not None and dialog.flow == status_lookup.FLOW:
        await status_lookup.handle(turn, dialog, incoming)
    elif dialog is not None and dialog.flow == review.FLOW:
        try:
            await review.handle(turn, dialog, incoming)
        except DomainError as error:
            await officer.refuse(turn, error)
    elif dialog is not None and dialog.flow == answer.FLOW:
        await answer.handle(turn, dialog, incoming)
    elif dialog is not None and dialog.flow == broadcast.FLOW:
        await broadcast.handle(turn, dialog, incoming)
    elif incoming.kind == "text" and incoming.text and parse_tracking_code(incoming.text):
        await status_lookup.show(turn, incoming.text)
    else:
        turn.say("start/unknown_input", keyboard=turn.main_menu())


def stale_button(turn: Turn) -> None:
    """Say politely that the button pressed no longer works, and nothing else."""
    turn.clear_buttons()
    turn.callback_notice = turn.label(N_("Nút này đã hết hiệu lực."))
    turn.say("start/stale_button", keyboard=turn.main_menu())


async def _consent_answer(turn: Turn, incoming: Incoming) -> None:
    turn.clear_buttons()
    if incoming.action != "yes":
        turn.say("consent/declined", keyboard=turn.main_menu())
        return
    if not await has_consent(turn.uow, turn.user.id):
        await give_consent(turn.uow, turn.user.id, now=turn.now)
    turn.say("consent/thanks")
    if incoming.arg == nomination.FLOW:
        await nominate(turn)


def _privacy_notice(turn: Turn, *, then: str) -> None:
    arg = then or None
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(AGREE), button_data(CONSENT, 0, "yes", arg)),
                Button(turn.label(DISAGREE), button_data(CONSENT, 0, "no", arg)),
            ]
        ]
    )
    organisation = turn.rt.directory.organisation
    council = organisation.council if organisation else None
    secretariat = (
        organisation.find_unit(council.secretariat_key) if organisation and council else None
    )
    turn.say(
        "consent/notice",
        keyboard=keyboard,
        council=council.name if council else None,
        secretariat=secretariat.name if secretariat else None,
        contact=turn.rt.settings.privacy_contact,
        retention_years=turn.rt.settings.retention_years,
    )


def _menu_action(turn: Turn, text: str) -> Callable[[Turn], Awaitable[None]] | None:
    msgid = turn.rt.menu_labels.get(fold(text))
    return _MENU_ACTIONS.get(msgid) if msgid else None


_MENU_ACTIONS: dict[str, Callable[[Turn], Awaitable[None]]] = {
    MENU_NOMINATE: nominate,
    MENU_MINE: mine,
    MENU_STATUS: status,
    MENU_HELP: show_help,
}


async def _ignore(turn: Turn) -> None:
    """Nothing to say: the update is only marked processed."""


def handlers(rt: Runtime) -> list[BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]]:
    """Return the resident handlers, in the order PTB should try them."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", rt.handler(start), filters=private),
        CommandHandler("help", rt.handler(show_help), filters=private),
        CommandHandler("lang", rt.handler(choose_language), filters=private),
        CommandHandler(["nominate", "decu"], rt.handler(nominate), filters=private),
        CommandHandler(["status", "tracuu"], rt.handler(status), filters=private),
        CommandHandler(["my", "cuatoi"], rt.handler(mine), filters=private),
        CommandHandler(["cancel", "huy"], rt.handler(cancel), filters=private),
        *officer.handlers(rt),
        *subscriptions.handlers(rt),
        *broadcasts.handlers(rt),
        CallbackQueryHandler(rt.handler(on_button)),
        MessageHandler(private & ~filters.COMMAND, rt.handler(on_message)),
        MessageHandler(private & filters.COMMAND, rt.handler(_unknown_command)),
        TypeHandler(Update, rt.handler(_ignore)),
    ]


async def _unknown_command(turn: Turn) -> None:
    """Answer a command the bot does not know."""
    turn.say("start/unknown_command", keyboard=turn.main_menu())
