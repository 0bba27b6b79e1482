"""``/yeucau``: a resident's request to the standing office, tracked against the law's clocks.

The resident picks the kind (a complaint, the correction of a decided case, something else)
and types the request; they are told its number and its two last days (acknowledged within
2 working days, done within 15 days: :mod:`core.requests` counts them). The secretariat is
told, each with “📥 Tiếp nhận” and “✅ Trả kết quả”; ``/xulyyeucau`` lists what is open with
its clocks. Acknowledging tells the resident at once; closing asks the officer for the
outcome (one step), which goes to the resident. Who may handle a request, and that each
step happens once, is :mod:`core.data_requests`'s to decide; the reminders before each clock
runs out are sent with the deadline notices (:mod:`bot.request_reminders`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import OFFICE
from bot.conversations.common import Problem, cancel_button, typed_text
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.data_requests import acknowledge, complete, file_request, open_requests, to_complete
from core.dialog import Dialog
from core.errors import DomainError
from core.requests import (
    MAX_OUTCOME,
    MAX_TEXT,
    AlreadyAcknowledgedError,
    DataRequest,
    RequestDoneError,
    RequestKind,
)
from core.review import actor_for
from core.roles import NotAllowedError
from core.services import ConsentRequiredError, has_consent

FLOW = "rq"
KIND = "kind"
TEXT = "text"
OUTCOME = "outcome"
ACK = "ack"
DONE = "done"
KIND_LABELS = {
    RequestKind.COMPLAINT: N_("Khiếu nại về việc xử lý dữ liệu"),
    RequestKind.CORRECTION: N_("Sửa thông tin đề cử đã có quyết định"),
    RequestKind.OTHER: N_("Yêu cầu khác về dữ liệu của tôi"),
}
ACK_LABEL = N_("📥 Tiếp nhận số %(number)s")
DONE_LABEL = N_("✅ Trả kết quả số %(number)s")
# Open requests listed in one message (each with its buttons); the count says how many more.
SHOWN = 10


async def start(turn: Turn) -> None:
    """Ask the resident what kind of request it is (after consent: it is personal data)."""
    if not await has_consent(turn.uow, turn.user.id):
        turn.say("requests/consent_first", keyboard=turn.main_menu())
        return
    dialog = await open_dialog(turn, FLOW, KIND, {})
    _ask(turn, dialog, problem=None)


async def on_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the kind pressed, the request or the outcome typed, or the cancel button."""
    if incoming.kind == "button":
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("requests/cancelled", keyboard=turn.main_menu(), draft_kept=kept)
        elif incoming.action in (ACK, DONE):
            await on_button(turn, incoming)  # another request, from another message
        elif _kind_pressed(dialog, incoming):
            dialog.data["kind"] = incoming.arg
            dialog.move_to(TEXT, turn.now)
            await turn.uow.dialogs.save(dialog)
            _ask(turn, dialog, problem=None)
        else:
            _ask(turn, dialog, problem="input.stale_button")
        return
    try:
        if dialog.step == KIND:
            raise Problem("input.use_buttons")
        if dialog.step == TEXT:
            await _take_request(turn, dialog, typed_text(incoming, MAX_TEXT))
        else:
            await _take_outcome(turn, dialog, typed_text(incoming, MAX_OUTCOME))
    except Problem as problem:
        _ask(turn, dialog, problem=problem.code, params=problem.params)
    except DomainError as error:
        _ask(turn, dialog, problem=error.code, params={"length": getattr(error, "length", 0)})


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """“📥 Tiếp nhận” or “✅ Trả kết quả” under a request: for whoever handles requests."""
    turn.answer_in_place(keep_text=True)  # the request stays readable above
    if incoming.action not in (ACK, DONE) or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    number = int(incoming.arg or 0)
    try:
        if incoming.action == ACK:
            request = await acknowledge(turn.uow, actor, number, now=turn.now)
        else:
            request = await to_complete(turn.uow, actor, number)
    except (AlreadyAcknowledgedError, RequestDoneError) as handled:
        turn.say("requests/already", request=handled.request)
        return
    except DomainError:  # not theirs to handle, or no such request: the same words
        turn.callback_notice = "⛔"
        turn.say("requests/not_allowed")
        return
    if incoming.action == DONE:
        data = {"id": request.id, "kind": request.kind.value, "text": request.text}
        dialog = await open_dialog(turn, FLOW, OUTCOME, data)
        _ask(turn, dialog, problem=None)
        return
    turn.say("requests/acknowledged", request=request, keyboard=_keyboard(turn, [request]))
    await turn.notify(request.user_id, "requests/acknowledged_to_resident", request=request)


async def office_list(turn: Turn) -> None:
    """``/xulyyeucau``: the open requests, oldest first, with their clocks and buttons."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        found = await open_requests(turn.uow, actor)
    except NotAllowedError:
        turn.say("requests/not_allowed")
        return
    shown = list(found[:SHOWN])
    turn.say(
        "requests/list",
        keyboard=_keyboard(turn, shown) if shown else None,
        requests=shown,
        total=len(found),
        today=turn.today,
    )


async def _take_request(turn: Turn, dialog: Dialog, text: str) -> None:
    kind = _kind(dialog.data.get("kind"))
    assert kind is not None
    try:
        request, readers = await file_request(
            turn.uow,
            turn.user.id,
            kind,
            text,
            now=turn.now,
            calendar=turn.rt.calendar,
            timezone=turn.rt.settings.tz,
        )
    except ConsentRequiredError:
        await close_dialog(turn, dialog)
        turn.say("requests/consent_first", keyboard=turn.main_menu())
        return
    kept = await close_dialog(turn, dialog)
    turn.say("requests/filed", keyboard=turn.main_menu(), request=request, draft_kept=kept)
    for reader in readers:
        await turn.notify(
            reader,
            "requests/new",
            request=request,
            name=turn.user.display_name,
            keyboard=_keyboard(turn, [request]),
        )


async def _take_outcome(turn: Turn, dialog: Dialog, text: str) -> None:
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        done = await complete(turn.uow, actor, int(dialog.data["id"]), text, now=turn.now)
    except RequestDoneError as handled:
        await close_dialog(turn, dialog)
        turn.say("requests/already", request=handled.request)
        return
    except NotAllowedError:  # the role was revoked meanwhile
        await close_dialog(turn, dialog)
        turn.say("requests/not_allowed")
        return
    await close_dialog(turn, dialog)
    turn.say("requests/done", request=done)
    await turn.notify(done.user_id, "requests/done_to_resident", request=done)


def _kind_pressed(dialog: Dialog, incoming: Incoming) -> bool:
    """Tell whether a kind was pressed on the step that asks it (not on an earlier message)."""
    return (
        dialog.step == KIND
        and incoming.action == KIND
        and incoming.token == dialog.token
        and _kind(incoming.arg) is not None
    )


def _kind(value: object) -> RequestKind | None:
    return next((kind for kind in RequestKind if kind.value == value), None)


def _keyboard(turn: Turn, requests: Sequence[DataRequest]) -> dict[str, object] | None:
    """Return each open request's buttons: acknowledge (until it is), and give the outcome."""
    rows = []
    for request in requests:
        if request.is_done or request.id is None:
            continue
        number = str(request.id)
        row = [Button(turn.label(DONE_LABEL, number=number), button_data(FLOW, 0, DONE, number))]
        if not request.is_acknowledged:
            label = turn.label(ACK_LABEL, number=number)
            row.insert(0, Button(label, button_data(FLOW, 0, ACK, number)))
        rows.append(row)
    return inline_keyboard(rows) if rows else None


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask the dialog's question again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


def _ask(
    turn: Turn, dialog: Dialog, *, problem: str | None, params: dict[str, object] | None = None
) -> None:
    rows = []
    if dialog.step == KIND:
        rows = [
            [Button(turn.label(label), button_data(FLOW, dialog.token, KIND, kind.value))]
            for kind, label in KIND_LABELS.items()
        ]
    rows.append([cancel_button(turn, FLOW, dialog.token)])
    turn.say(
        f"requests/ask_{dialog.step}",
        keyboard=inline_keyboard(rows),
        data=dialog.data,
        problem=problem,
        params=params or {},
    )


def flow() -> Flow:
    """Return the flow of residents' requests and the office's handling of them."""
    return Flow(
        "requests",
        key=FLOW,
        commands=(
            Command(("yeucau", "request"), start, N_("Gửi yêu cầu, khiếu nại về dữ liệu của tôi")),
            Command(
                ("xulyyeucau", "requests"),
                office_list,
                N_("Yêu cầu của người dân đang chờ xử lý"),
                roles=OFFICE,
            ),
        ),
        on_button=on_button,
        on_input=on_input,
        ask_again=ask_again,
    )
