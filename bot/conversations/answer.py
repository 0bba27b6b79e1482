"""The nominator answers an officer's question: text and photos, relayed to the case."""

from __future__ import annotations

from bot.conversations.cases import card_data, refuse_case
from bot.conversations.common import cancel_button
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.dialog import Dialog
from core.errors import DomainError
from core.nomination import MAX_EVIDENCE, MAX_EVIDENCE_BYTES, Evidence, NominationStatus
from core.review import answer_info, answer_readers, find_case, own_case
from core.text import clean_text

FLOW = "a"
STEP = "collect"
SEND = N_("✅ Gửi trả lời")
ANSWER_MAX = 2000


def start_data(nomination_id: int) -> str:
    """Return the data of the nominator's “answer the officer” button for a case."""
    return button_data(FLOW, 0, "start", str(nomination_id))


async def start(turn: Turn, nomination_id: int) -> None:
    """Open the answer dialog for a case that is waiting for the nominator."""
    turn.answer_in_place(keep_text=True)  # the officer's question stays readable above
    nomination = await own_case(turn.uow, turn.user.id, nomination_id)
    if nomination is None:
        refuse_case(turn)
        return
    if nomination.status is not NominationStatus.NEEDS_INFO:
        turn.say("answer/not_waiting", code=str(nomination.code))
        return
    dialog = await open_dialog(turn, FLOW, STEP, {"id": nomination_id, "text": "", "files": []})
    _ask(turn, dialog, code=str(nomination.code), problem=None)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Collect text and files until the nominator presses send."""
    data = dialog.data
    code = str((await find_case(turn.uow, int(data["id"]))).code)
    if incoming.kind == "button":
        if incoming.token != dialog.token:
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            _ask(turn, dialog, code=code, problem="input.stale_button")
            return
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("answer/cancelled", draft_kept=kept)
            return
        if incoming.action == "send":
            await _send(turn, dialog, code)
            return
    problem, params = _collect(data, incoming)
    if problem is None:  # taken: the buttons shown so far are of an earlier state
        dialog.move_to(dialog.step, turn.now)
        await turn.uow.dialogs.save(dialog)
    _ask(turn, dialog, code=code, problem=problem, params=params)


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the answer again (what was collected so far kept), after ``problem``."""
    code = str((await find_case(turn.uow, int(dialog.data["id"]))).code)
    _ask(turn, dialog, code=code, problem=problem)


def _collect(data: dict[str, object], incoming: Incoming) -> tuple[str | None, dict[str, object]]:
    """Add the text or file to the answer; return the problem, if any, and its details."""
    files = data["files"]
    assert isinstance(files, list)
    if incoming.evidence is not None:
        if (incoming.evidence.size or 0) > MAX_EVIDENCE_BYTES:
            return "nomination.evidence_size", {}
        if len(files) >= MAX_EVIDENCE:
            return "nomination.evidence_count", {}
        files.append(incoming.evidence.to_dict())
        return None, {}
    if incoming.kind == "text" and incoming.text:
        text = f"{data['text']}\n{incoming.text}".strip()
        cleaned = clean_text(text, max_len=ANSWER_MAX, multiline=True)
        if cleaned.too_long:
            return "input.too_long", {"length": cleaned.length}
        data["text"] = text
        return None, {}
    return "answer.text_or_files", {}


async def _send(turn: Turn, dialog: Dialog, code: str) -> None:
    data = dialog.data
    files = [Evidence.from_dict(item) for item in data["files"]]
    if not data["text"] and not files:
        _ask(turn, dialog, code=code, problem="answer.text_or_files")
        return
    try:
        nomination, _entry = await answer_info(
            turn.uow,
            turn.user.id,
            int(data["id"]),
            text=data["text"] or None,
            evidence=files,
            now=turn.now,
        )
    except DomainError:
        await close_dialog(turn, dialog)
        turn.say("answer/not_waiting", code=code)
        return
    kept = await close_dialog(turn, dialog)
    turn.say("answer/sent", code=code, draft_kept=kept)
    for officer_id in await answer_readers(turn.uow, nomination, turn.today):
        await turn.notify(
            officer_id,
            "notices/answered",
            code=code,
            text=data["text"],
            files=len(files),
            keyboard=inline_keyboard(
                [
                    [
                        Button(
                            "📂 " + turn.label(N_("Mở hồ sơ")),
                            card_data(nomination.id),
                        )
                    ]
                ]
            ),
        )


def _ask(
    turn: Turn,
    dialog: Dialog,
    *,
    code: str,
    problem: str | None,
    params: dict[str, object] | None = None,
) -> None:
    data = dialog.data
    rows = [
        [Button(turn.label(SEND), button_data(FLOW, dialog.token, "send"))],
        [cancel_button(turn, FLOW, dialog.token)],
    ]
    turn.say(
        "answer/ask",
        keyboard=inline_keyboard(rows),
        code=code,
        text=data["text"],
        files=len(data["files"]),
        problem=problem,
        params=params or {},
    )
