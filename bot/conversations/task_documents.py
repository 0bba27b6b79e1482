"""A unit's document filed with a task marked done, and the secretariat's copy of them all.

“📎 Gửi kèm văn bản” under the confirmation of “✅ Đã hoàn thành” opens a one-step dialog
that takes one file (PDF, DOCX or a photo); the secretariat is told. “📎 Xem văn bản đã
nộp” under ``/compliance`` sends the secretariat the plan's filed documents again, by their
file ids. Who may do either is :mod:`core.task_documents`'s to decide.
"""

from __future__ import annotations

from typing import Any

from bot.conversations.common import Problem, cancel_button
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.dialog import Dialog
from core.errors import DomainError
from core.nomination import EvidenceKind
from core.review import actor_for, secretariat_ids
from core.roles import NotAllowedError
from core.task_documents import check_may_file_document, file_task_document, filed_documents

FLOW = "td"
FILE = "file"
ATTACH = N_("📎 Gửi kèm văn bản")
VIEW = N_("📎 Xem văn bản đã nộp")


def attach_button(turn: Turn, unit_key: str, task_number: int, occurrence: str) -> Button:
    """Build “📎 Gửi kèm văn bản” for a unit's occurrence of a task, as “done” names it."""
    where = f"{task_number}:{occurrence}:{turn.rt.directory.unit_index(unit_key)}"
    return Button(turn.label(ATTACH), button_data(FLOW, 0, "attach", where))


def view_button(turn: Turn) -> Button:
    """Build “📎 Xem văn bản đã nộp”, under ``/compliance``."""
    return Button(turn.label(VIEW), button_data(FLOW, 0, "view"))


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """“📎 Gửi kèm văn bản” opens the dialog; “📎 Xem văn bản đã nộp” sends the files."""
    if incoming.action == "attach":
        await _start(turn, incoming.arg or "")
    elif incoming.action == "view":
        await _send_filed(turn)
    else:
        stale_button(turn)


async def on_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the file sent, or the cancel button."""
    if incoming.kind == "button":
        if incoming.action == "cancel" and incoming.token == dialog.token:
            turn.answer_in_place()
            kept = await close_dialog(turn, dialog)
            turn.say("officer/cancelled", draft_kept=kept)
        elif incoming.action in ("attach", "view"):
            await on_button(turn, incoming)  # from another message
        else:
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            _ask(turn, dialog, problem="input.stale_button")
        return
    try:
        await _take_file(turn, dialog, incoming)
    except Problem as problem:
        _ask(turn, dialog, problem=problem.code)
    except NotAllowedError:  # the role ended since the dialog began
        await close_dialog(turn, dialog)
        turn.say("officer/not_allowed")
    except DomainError as error:  # not a PDF, DOCX or photo, or too large
        _ask(turn, dialog, problem=error.code)


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the file again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


async def _start(turn: Turn, where: str) -> None:
    """Open the dialog for the occurrence the button names, if core lets the actor file."""
    turn.answer_in_place(keep_text=True)  # what was done stays readable above
    parts = where.split(":")
    plan = turn.rt.directory.plan
    valid = len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit()
    unit = turn.rt.directory.unit_at(int(parts[2])) if valid else None
    if unit is None or plan is None or not parts[1]:
        stale_button(turn)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        check_may_file_document(actor, unit.key)
    except NotAllowedError:
        turn.callback_notice = "⛔"
        turn.say("officer/not_allowed")
        return
    data = {
        "plan": plan.key,
        "task": int(parts[0]),
        "occurrence": parts[1],
        "unit": unit.key,
    }
    dialog = await open_dialog(turn, FLOW, FILE, data)
    _ask(turn, dialog, problem=None)


async def _take_file(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """File the document sent; tell the secretariat; close the dialog."""
    file = incoming.evidence
    if file is None:
        raise Problem("task_document.file_expected")
    data = dialog.data
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    document = await file_task_document(
        turn.uow,
        actor,
        plan_key=str(data["plan"]),
        task_number=int(data["task"]),
        occurrence=str(data["occurrence"]),
        unit_key=str(data["unit"]),
        file=file,
        now=turn.now,
    )
    kept = await close_dialog(turn, dialog)
    unit = turn.rt.directory.unit_name(document.unit_key)
    turn.say(
        "task_documents/filed", document=document, unit=unit, draft_kept=kept, number=data["task"]
    )
    for user_id in await secretariat_ids(turn.uow, turn.today):
        if user_id != turn.user.id:
            await turn.notify(
                user_id,
                "task_documents/told",
                document=document,
                unit=unit,
                by=turn.user.display_name,
            )


async def _send_filed(turn: Turn) -> None:
    """Send the secretariat the plan's filed documents: the list, then each file."""
    turn.answer_in_place(keep_text=True)  # the notice stays readable above the list
    plan = turn.rt.directory.plan
    if plan is None:
        turn.say("deadlines/none")
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        documents, total = await filed_documents(turn.uow, actor, plan.key)
    except NotAllowedError:
        turn.callback_notice = "⛔"
        turn.say("officer/not_allowed")
        return
    turn.say(
        "task_documents/list",
        documents=documents,
        total=total,
        unit_name=turn.rt.directory.unit_name,
        year=plan.year,
    )
    for document in documents:
        if document.kind is EvidenceKind.PHOTO:
            turn.send_file("sendPhoto", "photo", document.file_id)
        else:
            turn.send_file("sendDocument", "document", document.file_id)


def _ask(turn: Turn, dialog: Dialog, *, problem: str | None) -> None:
    data: dict[str, Any] = dialog.data
    turn.say(
        "task_documents/ask",
        keyboard=inline_keyboard([[cancel_button(turn, FLOW, dialog.token)]]),
        number=data["task"],
        unit=turn.rt.directory.unit_name(str(data["unit"])),
        problem=problem,
        params={},
    )


def flow() -> Flow:
    """Return the flow of the documents units file with their tasks done."""
    return Flow(
        "task documents",
        key=FLOW,
        on_button=on_button,
        on_input=on_input,
        ask_again=ask_again,
    )
