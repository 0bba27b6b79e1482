"""What residents can do outside a guided step: start, consent, language, status, their list."""

from __future__ import annotations

from bot.conversations import nomination, status_lookup
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, Step, stale_button
from bot.handlers import officer
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import MENU_HELP, MENU_MINE, MENU_NOMINATE, MENU_STATUS, Turn
from core.codes import parse_tracking_code
from core.people import PRIVACY_NOTICE_VERSION, SUPPORTED_LOCALES, Consent
from core.review import actor_for
from core.services import (
    choose_locale,
    consent_to_renew,
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
# The consent buttons' argument when the notice was shown because its version changed.
RENEWED = "r"
# The action of the button under the thanks: what to do next (nominate).
NEXT = "next"


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
    """Explain what the bot does and the commands this person is shown, by role."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    shown = turn.rt.commands.shown_to(actor)
    turn.say(
        "start/help",
        keyboard=turn.main_menu(),
        everyone=[item for item in shown if not item.for_staff],
        staff=[item for item in shown if item.for_staff],
    )


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


async def outside_dialog(turn: Turn, incoming: Incoming) -> None:
    """Answer a message sent while no dialog is open: a typed code, or the menu again."""
    if incoming.kind == "text" and incoming.text and parse_tracking_code(incoming.text):
        await status_lookup.show(turn, incoming.text)
    else:
        turn.say("start/unknown_input", keyboard=turn.main_menu())


def menu_action(turn: Turn, text: str) -> Step | None:
    """Return what a main-menu label typed or tapped stands for, if it is one."""
    msgid = turn.rt.menu_labels.get(fold(text))
    return _MENU_ACTIONS.get(msgid) if msgid else None


async def _language_pick(turn: Turn, incoming: Incoming) -> None:
    if incoming.arg not in SUPPORTED_LOCALES:
        stale_button(turn)
        return
    # Not in place: the menu must come again in the new language, and a reply keyboard
    # comes only with a new message.
    turn.clear_buttons()
    turn.user = await choose_locale(turn.uow, turn.user, incoming.arg)
    turn.say("start/language_set", keyboard=turn.main_menu())


async def _show_mine(turn: Turn, incoming: Incoming) -> None:
    if incoming.action != "show" or not incoming.arg:
        stale_button(turn)
        return
    await status_lookup.show(turn, incoming.arg)


async def renew_consent(turn: Turn) -> bool:
    """Show the new privacy notice first to a resident who agreed to an earlier one.

    Return True if it was shown: then what the person sent is not acted on (their open
    dialog stays as it was) and the notice asks them to send it again once they agreed.
    Every command, press and message asks this once, before its step (:class:`bot.flows.Flows`);
    core decides who is asked (:func:`core.services.consent_to_renew`).
    """
    earlier = await consent_to_renew(turn.uow, turn.user.id, today=turn.today)
    if earlier is None:
        return False
    if turn.pressed:
        # The pressed message keeps its buttons: the same press works once they agreed.
        turn.callback_notice = turn.label(N_("Xin Anh/Chị xem thông báo mới trước."))
    _privacy_notice(turn, then=RENEWED, earlier=earlier)
    return True


async def _consent_answer(turn: Turn, incoming: Incoming) -> None:
    # The notice stays readable above the answer: what was agreed to (a reply that brings the
    # menu back is a new message all the same).
    turn.answer_in_place(keep_text=incoming.action != NEXT)
    if incoming.action == NEXT:
        await nominate(turn)  # the thanks' button: the menu's first action
        return
    renewing = incoming.arg == RENEWED
    if incoming.action != "yes":
        turn.say("consent/declined", keyboard=turn.main_menu(), renewing=renewing)
        return
    if not await has_consent(turn.uow, turn.user.id):
        await give_consent(
            turn.uow, turn.user.id, now=turn.now, display_name=turn.user.display_name
        )
    if renewing:
        await _go_on(turn)
        return
    if incoming.arg == nomination.FLOW:
        turn.say("consent/thanks", next_step=False)
        await nominate(turn)
        return
    # Never a dead end: what to do next, the menu's first action as a button.
    first = Button(turn.label(MENU_NOMINATE), button_data(CONSENT, 0, NEXT))
    turn.say("consent/thanks", keyboard=inline_keyboard([[first]]), next_step=True)


async def _go_on(turn: Turn) -> None:
    """After agreeing to a new notice: thank, and ask the open dialog's question again.

    Nothing of the dialog was lost while the notice waited; the person sends again what
    they had sent (the nomination's question is asked anew, with its buttons).
    """
    dialog = await turn.uow.dialogs.get(turn.chat_id)
    turn.say("consent/renewed", dialog=dialog is not None, keyboard=turn.main_menu())
    if dialog is not None and dialog.flow == nomination.FLOW:
        await nomination.ask_again(turn, dialog)


def _privacy_notice(turn: Turn, *, then: str, earlier: Consent | None = None) -> None:
    """Show the privacy notice; ``earlier``: the consent to an older version it replaces."""
    arg = then or None
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(AGREE), button_data(CONSENT, 0, "yes", arg)),
                Button(turn.label(DISAGREE), button_data(CONSENT, 0, "no", arg)),
            ]
        ]
    )
    settings = turn.rt.settings
    # The council of today, never an abolished one: after the district level ended the
    # district's council controls nothing, and the notice names no one rather than it.
    organisation = turn.rt.directory.organisation
    council = organisation.council_on(turn.today) if organisation else None
    secretariat = organisation.secretariat_on(turn.today) if organisation else None
    turn.say(
        "consent/notice",
        keyboard=keyboard,
        version=PRIVACY_NOTICE_VERSION,
        earlier=earlier,
        pressed=turn.pressed,
        controller=settings.privacy_controller,
        council=council.name if council else None,
        secretariat=secretariat.name if secretariat else None,
        contact=settings.privacy_contact,
        phone=settings.privacy_phone,
        email=settings.privacy_email,
        address=settings.privacy_address,
        retention_years=settings.retention_years,
    )


_MENU_ACTIONS: dict[str, Step] = {
    MENU_NOMINATE: nominate,
    MENU_MINE: mine,
    MENU_STATUS: status,
    MENU_HELP: show_help,
}


def flows() -> list[Flow]:
    """Return the resident's flows: start, consent, nomination, status, their list, language."""
    return [
        Flow(
            "start",
            commands=(
                Command(
                    ("start", "batdau"), start, N_("Bắt đầu, xem thông báo về dữ liệu cá nhân")
                ),
                Command(("help", "huongdan", "menu"), show_help, N_("Hướng dẫn sử dụng")),
            ),
            before_renewal=True,  # /start shows the new notice itself
        ),
        Flow("consent", key=CONSENT, on_button=_consent_answer, before_renewal=True),
        Flow(
            "nomination",
            key=nomination.FLOW,
            commands=(
                Command(
                    ("nominate", "decu"),
                    nominate,
                    N_("Đề cử người tốt, việc tốt"),
                    before_renewal=True,  # it shows the new notice itself, then goes on
                ),
            ),
            on_input=nomination.handle,
            ask_again=nomination.ask_again,
            cancelled="nominate/cancelled",
        ),
        Flow(
            "status",
            key=status_lookup.FLOW,
            commands=(
                Command(
                    ("status", "tracuu"), status, N_("Tra cứu đề cử theo mã"), N_("[MÃ_ĐỀ_CỬ]")
                ),
            ),
            on_input=status_lookup.handle,
            on_button=status_lookup.on_button,
            ask_again=status_lookup.ask_again,
        ),
        Flow(
            "mine",
            key=MINE,
            commands=(Command(("my", "cuatoi"), mine, N_("Các đề cử của tôi")),),
            on_button=_show_mine,
        ),
        Flow(
            "language",
            key=LANGUAGE,
            commands=(Command(("lang",), choose_language, N_("Đổi ngôn ngữ")),),
            on_button=_language_pick,
            before_renewal=True,  # to read the new notice in one's own language
        ),
    ]
