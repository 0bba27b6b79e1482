"""``/lienhe``: a resident's question to the ward, and the standing office's answer, in chat.

The resident types the question (one step); the secretariat is told, each with a
“✍️ Trả lời” button; whoever presses it first types the answer (one step), which goes
back to the resident. Who may answer, and that a question is answered once, is
:mod:`core.contact`'s to decide.
"""

from __future__ import annotations

from bot.conversations.common import Problem, cancel_button, typed_text
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.contact import answer, ask, to_answer
from core.dialog import Dialog
from core.errors import DomainError
from core.inquiries import MAX_ANSWER, MAX_QUESTION, AlreadyAnsweredError
from core.review import actor_for
from core.roles import NotAllowedError
from core.services import ConsentRequiredError, has_consent

FLOW = "h"
QUESTION = "question"
ANSWER = "answer"
REPLY = N_("✍️ Trả lời")


async def start(turn: Turn) -> None:
    """Ask the resident for their question (after consent: it is personal data)."""
    if not await has_consent(turn.uow, turn.user.id):
        turn.say("contact/consent_first", keyboard=turn.main_menu())
        return
    dialog = await open_dialog(turn, FLOW, QUESTION, {})
    _ask(turn, dialog, problem=None)


async def on_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the question or the answer typed, or the cancel button."""
    if incoming.kind == "button":
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("contact/cancelled", keyboard=turn.main_menu(), draft_kept=kept)
        elif incoming.action == "reply":
            await on_button(turn, incoming)  # another question, from another notice
        else:
            _ask(turn, dialog, problem="input.stale_button")
        return
    try:
        if dialog.step == QUESTION:
            await _take_question(turn, dialog, typed_text(incoming, MAX_QUESTION))
        else:
            await _take_answer(turn, dialog, typed_text(incoming, MAX_ANSWER))
    except Problem as problem:
        _ask(turn, dialog, problem=problem.code, params=problem.params)
    except DomainError as error:
        _ask(turn, dialog, problem=error.code, params={"length": getattr(error, "length", 0)})


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """“✍️ Trả lời” under a question: open the answer for whoever may give it."""
    turn.answer_in_place(keep_text=True)  # the question stays readable above
    if incoming.action != "reply" or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        inquiry = await to_answer(turn.uow, actor, int(incoming.arg or 0))
    except AlreadyAnsweredError as done:
        turn.say("contact/already_answered", number=done.inquiry.id)
        return
    except DomainError:  # not theirs to answer, or no such question: the same words
        turn.callback_notice = "⛔"
        turn.say("contact/not_allowed")
        return
    dialog = await open_dialog(turn, FLOW, ANSWER, {"id": inquiry.id, "question": inquiry.question})
    _ask(turn, dialog, problem=None)


async def _take_question(turn: Turn, dialog: Dialog, text: str) -> None:
    try:
        inquiry, readers = await ask(turn.uow, turn.user.id, text, now=turn.now, today=turn.today)
    except ConsentRequiredError:
        await close_dialog(turn, dialog)
        turn.say("contact/consent_first", keyboard=turn.main_menu())
        return
    kept = await close_dialog(turn, dialog)
    turn.say("contact/sent", keyboard=turn.main_menu(), number=inquiry.id, draft_kept=kept)
    assert inquiry.id is not None
    for reader in readers:
        await turn.notify(
            reader,
            "contact/new",
            number=inquiry.id,
            name=turn.user.display_name,
            question=inquiry.question,
            keyboard=inline_keyboard(
                [[Button(turn.label(REPLY), button_data(FLOW, 0, "reply", str(inquiry.id)))]]
            ),
        )


async def _take_answer(turn: Turn, dialog: Dialog, text: str) -> None:
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        answered = await answer(turn.uow, actor, int(dialog.data["id"]), text, now=turn.now)
    except AlreadyAnsweredError as done:
        await close_dialog(turn, dialog)
        turn.say("contact/already_answered", number=done.inquiry.id)
        return
    except NotAllowedError:  # the role was revoked meanwhile
        await close_dialog(turn, dialog)
        turn.say("contact/not_allowed")
        return
    await close_dialog(turn, dialog)
    turn.say("contact/answered", number=answered.id)
    await turn.notify(
        answered.user_id,
        "contact/reply",
        number=answered.id,
        question=answered.question,
        answer=answered.answer,
    )


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask the dialog's question again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


def _ask(
    turn: Turn, dialog: Dialog, *, problem: str | None, params: dict[str, object] | None = None
) -> None:
    turn.say(
        "contact/ask_question" if dialog.step == QUESTION else "contact/ask_answer",
        keyboard=inline_keyboard([[cancel_button(turn, FLOW, dialog.token)]]),
        number=dialog.data.get("id"),
        question=dialog.data.get("question"),
        problem=problem,
        params=params or {},
    )


def flow() -> Flow:
    """Return the flow of residents' questions to the ward."""
    return Flow(
        "contact",
        key=FLOW,
        commands=(Command(("lienhe", "contact"), start, N_("Hỏi Văn phòng thường trực")),),
        on_button=on_button,
        on_input=on_input,
        ask_again=ask_again,
    )
