"""Staff file a case's dossier in chat: pick the item, send the file, confirm; or remove one.

Opened from the case's message (“📎 Nộp giấy tờ hồ sơ”). Core decides who may (the staff who
verify the case, never its nominator: :func:`core.dossiers.dossier_view` says ``may_attach``)
and what a dossier takes (PDF, DOCX and photos). A case with no award form yet is given one
first, since the form says which documents its dossier needs.

Steps: ``form`` → ``item`` → ``file`` → ``confirm``, and ``remove`` from ``item``. The choices
a step offers are kept in the dialog and its buttons name them by their place there.
"""

from __future__ import annotations

from typing import Any

from bot.conversations import review
from bot.conversations.cases import DOSSIER, refuse_case
from bot.conversations.common import BACK, Problem, cancel_button, nav_button
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.flows import stale_button
from bot.keyboards import Button, in_rows, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.awards import ItemState, check_file
from core.dialog import Dialog
from core.dossiers import (
    DossierView,
    attach_document,
    choose_award_form,
    dossier_view,
    remove_document,
)
from core.errors import DomainError
from core.nomination import Evidence, Nomination
from core.review import actor_for, find_case, visible_case
from core.roles import Actor

FLOW = DOSSIER
CONFIRM = N_("✅ Xác nhận")
REMOVE = N_("🗑 Gỡ tệp nộp nhầm")


async def start(turn: Turn, incoming: Incoming) -> None:
    """Open the dossier of the case whose “📎 Nộp giấy tờ hồ sơ” was pressed."""
    turn.answer_in_place(keep_text=True)  # the case card stays readable above
    if incoming.action != "start" or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    nomination = await visible_case(turn.uow, actor, int(incoming.arg or 0))
    view = await dossier_view(turn.uow, actor, nomination) if nomination else None
    if nomination is None or view is None or not view.may_attach:
        refuse_case(turn)
        return
    if view.form is None and not view.choices:
        turn.say("dossier/no_forms", code=str(nomination.code))
        return
    data: dict[str, Any] = {"id": nomination.id, "code": str(nomination.code)}
    _offer(data, view)
    dialog = await open_dialog(turn, FLOW, "form" if view.form is None else "item", data)
    _ask(turn, dialog, problem=None)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the form, the item, the file or the confirmation the dialog asked for."""
    if incoming.kind == "button":
        if incoming.action == "start":  # the button of another case's message
            await start(turn, incoming)
            return
        if incoming.token != dialog.token:
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            turn.callback_notice = turn.label(N_("Nút này thuộc một bước đã qua."))
            _ask(turn, dialog, problem="input.stale_button")
            return
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("officer/cancelled", draft_kept=kept)
            return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        done = await _take(turn, actor, dialog, incoming)
    except Problem as problem:
        _ask(turn, dialog, problem=problem.code, params=problem.params)
        return
    except DomainError:
        # The case was decided, or the actor's role ended, since the dialog began.
        await close_dialog(turn, dialog)
        refuse_case(turn)
        return
    if done is not None:
        await close_dialog(turn, dialog)
        notice = turn.rt.renderer.render(turn.locale, done[0], **done[1])
        await review.show_card(turn, actor, int(dialog.data["id"]), notice=notice)
        return
    dialog.move_to(dialog.step, turn.now)
    await turn.uow.dialogs.save(dialog)
    _ask(turn, dialog, problem=None)


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask the current question again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


async def _take(
    turn: Turn, actor: Actor, dialog: Dialog, incoming: Incoming
) -> tuple[str, dict[str, Any]] | None:
    """Act on the answer to the current step; return the notice to show when it is over."""
    data, step = dialog.data, dialog.step
    case_id = int(data["id"])
    if incoming.kind == "button" and incoming.action == "back":
        dialog.step = {"confirm": "file"}.get(step, "item")
        await _refresh(turn, actor, dialog)
        return None
    if step == "form":
        key, _name = _picked(data, "forms", incoming)
        await choose_award_form(turn.uow, actor, case_id, key)
        dialog.step = "item"
        await _refresh(turn, actor, dialog)
        return None
    if step == "item":
        if incoming.kind == "button" and incoming.action == "remove" and data.get("docs"):
            dialog.step = "remove"
            return None
        data["item"] = list(_picked(data, "items", incoming))
        dialog.step = "file"
        return None
    if step == "file":
        file = incoming.evidence
        if file is None:
            raise Problem("dossier.file_expected")
        try:
            check_file(file.kind, file.file_name, file.size)
        except DomainError as error:
            raise Problem(error.code) from error
        data["file"] = file.to_dict()
        dialog.step = "confirm"
        return None
    if step == "confirm":
        if not (incoming.kind == "button" and incoming.action == "confirm"):
            raise Problem("input.use_buttons")
        item_key, item_name = data["item"]
        file = Evidence.from_dict(data["file"])
        await attach_document(turn.uow, actor, case_id, item_key, file, now=turn.now)
        return "dossier/attached", {"item": item_name, "file": file.file_name}
    if step == "remove":
        document_id, label = _picked(data, "docs", incoming)
        removed = await remove_document(turn.uow, actor, case_id, int(document_id))
        return "dossier/removed", {"file": label, "gone": removed is None}
    raise Problem("input.use_buttons")


def _picked(data: dict[str, Any], choices: str, incoming: Incoming) -> tuple[str, str]:
    """Return the choice whose button was pressed: a [key, label] pair kept in the dialog."""
    offered = data.get(choices) or []
    arg = incoming.arg or ""
    if incoming.kind != "button" or incoming.action != "pick" or not arg.isdigit():
        raise Problem("input.use_buttons")
    if int(arg) >= len(offered):
        raise Problem("input.stale_button")
    key, label = offered[int(arg)]
    return str(key), str(label)


async def _refresh(turn: Turn, actor: Actor, dialog: Dialog) -> None:
    """Read the dossier again (a form chosen, a file attached) for the next question."""
    nomination: Nomination = await find_case(turn.uow, int(dialog.data["id"]))
    view = await dossier_view(turn.uow, actor, nomination)
    if view is None or not view.may_attach:
        raise DomainError("the dossier is no longer the actor's to file")
    _offer(dialog.data, view)


def _offer(data: dict[str, Any], view: DossierView) -> None:
    """Keep in the dialog what its steps offer: the forms, the items with their state, the files."""
    data["forms"] = [[form.key, form.name] for form in view.choices]
    data["form"] = view.form.name if view.form is not None else None
    data["items"] = [
        [line.item.key, line.item.name] for line in view.lines if not line.item.generated
    ]
    data["done"] = [line.item.key for line in view.lines if line.state is ItemState.ATTACHED]
    data["docs"] = [[str(doc.id), _file_label(doc.file_name, doc.size)] for doc in view.documents]


def _file_label(name: str | None, size: int | None) -> str:
    """Return how a file is named on a button: its name, or a photo's size."""
    if name:
        return name[:40]
    return f"📷 {round((size or 0) / 1024)} KB"


def _ask(
    turn: Turn, dialog: Dialog, *, problem: str | None, params: dict[str, Any] | None = None
) -> None:
    data, step, token = dialog.data, dialog.step, dialog.token
    rows: list[list[Button]] = []
    if step == "form":
        rows += in_rows(
            [
                Button(name, button_data(FLOW, token, "pick", str(index)))
                for index, (_key, name) in enumerate(data["forms"])
            ],
            1,
        )
    elif step == "item":
        done = set(data["done"])
        rows += in_rows(
            [
                Button(
                    f"{'✅' if key in done else '⬜'} {name}",
                    button_data(FLOW, token, "pick", str(index)),
                )
                for index, (key, name) in enumerate(data["items"])
            ],
            1,
        )
        if data["docs"]:
            rows.append([Button(turn.label(REMOVE), button_data(FLOW, token, "remove"))])
    elif step == "remove":
        rows += in_rows(
            [
                Button(f"🗑 {label}", button_data(FLOW, token, "pick", str(index)))
                for index, (_id, label) in enumerate(data["docs"])
            ],
            1,
        )
    elif step == "confirm":
        rows.append([Button(turn.label(CONFIRM), button_data(FLOW, token, "confirm"))])
    if step in ("file", "confirm", "remove"):
        rows.append([nav_button(turn, FLOW, token, BACK, "back")])
    rows.append([cancel_button(turn, FLOW, token)])
    file = Evidence.from_dict(data["file"]) if step == "confirm" else None
    turn.say(
        "dossier/ask",
        keyboard=inline_keyboard(rows),
        step=step,
        code=data["code"],
        form=data.get("form"),
        item=data["item"][1] if step in ("file", "confirm") else None,
        file=file,
        problem=problem,
        params=params or {},
    )
