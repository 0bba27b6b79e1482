"""Officers' side of a case: the card, its actions, and the short dialogs some actions need.

Action buttons carry the case's version (from the time of its last change): a button of a
card that is no longer current is refused and the fresh card is shown instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.conversations import answer, publicity
from bot.conversations.cases import action_data, card_data, dossier_data, refuse_case, version
from bot.conversations.common import Problem, cancel_button, typed_text
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.keyboards import Button, in_rows, inline_keyboard
from bot.labels import ACTION_ICONS, ACTION_LABELS, DOSSIER_ATTACH
from bot.rendering import N_
from bot.runtime import Turn
from core.access import Opened
from core.awards import AwardForm, DossierIncompleteError
from core.codes import parse_tracking_code
from core.dates import parse_deed_date
from core.dialog import Dialog
from core.dossiers import choose_award_form, decision_forms, proposable_forms
from core.errors import DomainError
from core.nomination import EvidenceKind, Nomination
from core.publicity import comments_on
from core.review import Hears, act, actor_for, case_view, find_case, visible_case, who_hears
from core.roles import Actor
from core.text import clean_text
from core.workflow import TRANSITIONS, Action, AuditEntry, Award, Requirement, claim

FLOW = "rv"
REFRESH = N_("🔄 Làm mới")
FILES = N_("📎 Xem ảnh, tài liệu")
CONFIRM = N_("✅ Xác nhận")
NOTE_MAX = 1000
# How far back a council's decision date may be typed.
DECISION_MAX_AGE_YEARS = 2


async def show_card(turn: Turn, actor: Actor, code: Any, *, notice: str | None = None) -> None:
    """Show the case card, as core built it for this viewer, with the actions they may take."""
    view = await case_view(turn.uow, actor, code, now=turn.now)
    nomination = view.nomination
    assert nomination.id is not None
    rows: list[list[Button]] = [
        [
            Button(
                f"{ACTION_ICONS.get(action, '')} {turn.label(ACTION_LABELS[action])}".strip(),
                action_data(nomination, action),
            )
        ]
        for action in view.actions
    ]
    if view.dossier is not None and view.dossier.may_attach:
        rows.append([Button(turn.label(DOSSIER_ATTACH), dossier_data(nomination.id))])
    extra = [Button(turn.label(REFRESH), card_data(nomination.id))]
    if nomination.evidence or (view.dossier is not None and view.dossier.documents):
        extra.insert(0, Button(turn.label(FILES), card_data(nomination.id, "files")))
    rows.append(extra)
    turn.say(
        "officer/card",
        keyboard=inline_keyboard(rows),
        view=view,
        nomination=nomination,
        unit=turn.rt.directory.unit_name(nomination.unit_key),
        notice=notice,
        comments=await comments_on(turn.uow, actor, nomination),
    )


async def send_files(turn: Turn, actor: Actor, nomination_id: int) -> None:
    """Re-send a case's photos and documents by their Telegram file ids, the dossier's after.

    The dossier's files only to whom core shows them (never the nominator).
    """
    view = await case_view(turn.uow, actor, nomination_id, now=turn.now, opening=Opened.FILES)
    files = [(item.kind, item.file_id) for item in view.nomination.evidence]
    if view.dossier is not None:
        files += [(doc.kind, doc.file_id) for doc in view.dossier.documents]
    for kind, file_id in files:
        if kind is EvidenceKind.PHOTO:
            turn.send_file("sendPhoto", "photo", file_id)
        else:
            turn.send_file("sendDocument", "document", file_id)


async def on_action(turn: Turn, incoming: Incoming) -> None:
    """Handle an action button of a case card (or of a nominator's status view)."""
    turn.answer_in_place(keep_text=True)  # the card stays readable above what it asks
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    nomination = await visible_case(turn.uow, actor, int(incoming.arg or 0))
    if nomination is None:
        refuse_case(turn)
        return
    try:
        action: Action | None = Action(incoming.action or "")
    except ValueError:
        action = None
    # A correction (Action.CORRECT) is no transition an officer's button can make.
    if action is None or action not in TRANSITIONS or incoming.token != version(nomination):
        turn.callback_notice = turn.label(N_("Hồ sơ đã thay đổi. Xin xem thông tin mới nhất."))
        _card_follows(turn, actor, nomination)
        await _after(turn, actor, nomination, "officer/stale")
        return
    requirement = TRANSITIONS[action].requires
    forms: tuple[AwardForm, ...] = ()
    if action is Action.PROPOSE:
        forms = await proposable_forms(turn.uow, actor, nomination)
        if forms:
            claim(nomination, actor, turn.now)  # another officer's case: refused before asking
    elif action is Action.COMMEND:
        forms = await decision_forms(turn.uow, nomination)
    if requirement is None and action is not Action.WITHDRAW and not forms:
        _card_follows(turn, actor, nomination)
        await _apply(turn, actor, nomination, action, {})
        return
    step = {
        Requirement.REASON: "note",
        Requirement.QUESTION: "note",
        Requirement.AWARD: "award_form",
        Requirement.TARGET: "target",
        None: "propose_form" if action is Action.PROPOSE else "confirm",
    }[requirement]
    data: dict[str, Any] = {
        "id": nomination.id,
        "action": action.value,
        "v": version(nomination),
        "award": {},
        # The forms offered, as [key, name], the case's own first: a press names one by its
        # place here, so a plan reloaded meanwhile cannot make it name another.
        "forms": [
            [form.key, form.name]
            for form in sorted(forms, key=lambda form: form.key != nomination.award_form_key)
        ],
        "own_form": nomination.award_form_key,
    }
    dialog = await open_dialog(turn, FLOW, step, data)
    _ask(turn, dialog, problem=None)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the note, award details or target code an action asked for."""
    if incoming.kind == "button":
        if incoming.token != dialog.token:
            turn.callback_notice = turn.label(N_("Nút này thuộc một bước đã qua."))
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            _ask(turn, dialog, problem="input.stale_button")
            return
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("officer/cancelled", draft_kept=kept)
            return
    data = dialog.data
    try:
        done = _take(turn, dialog, incoming)
    except Problem as problem:
        _ask(turn, dialog, problem=problem.code)
        return
    if not done:
        dialog.move_to(dialog.step, turn.now)
        await turn.uow.dialogs.save(dialog)
        _ask(turn, dialog, problem=None)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    nomination = await find_case(turn.uow, int(data["id"]))
    await close_dialog(turn, dialog)
    if version(nomination) != data["v"]:
        await _after(turn, actor, nomination, "officer/stale")
        return
    await _apply(turn, actor, nomination, Action(data["action"]), data)


def _take(turn: Turn, dialog: Dialog, incoming: Incoming) -> bool:
    """Store the answer to the current step; return True when nothing more is needed."""
    data, step = dialog.data, dialog.step
    if step == "confirm":
        if incoming.kind == "button" and incoming.action == "confirm":
            return True
        raise Problem("input.use_buttons")
    if step == "propose_form":
        data["award_form_key"] = _picked_form(data, incoming)[0]
        return True
    if step == "award_form" and incoming.kind == "button" and incoming.action == "pick":
        key, name = _picked_form(data, incoming)
        data["award"]["form"] = name
        data["award"]["form_key"] = key
        dialog.step = "decision_number"
        return False
    text = _text(incoming)
    if step == "note":
        data["note"] = text
        return True
    if step == "award_form":
        data["award"]["form"] = text[:100]
        dialog.step = "decision_number"
        return False
    if step == "decision_number":
        data["award"]["number"] = text[:50]
        dialog.step = "decision_date"
        return False
    if step == "decision_date":
        try:
            day = parse_deed_date(text, turn.today, max_age_years=DECISION_MAX_AGE_YEARS)
        except DomainError as error:
            raise Problem(error.code) from error
        data["award"]["date"] = day.isoformat()
        return True
    if step == "target":
        code = parse_tracking_code(text)
        if code is None:
            raise Problem("status.bad_code")
        data["target"] = str(code)
        return True
    raise Problem("input.use_buttons")


def _picked_form(data: dict[str, Any], incoming: Incoming) -> tuple[str, str]:
    """Return the [key, name] of the form whose button was pressed."""
    forms = data.get("forms") or []
    arg = incoming.arg or ""
    if incoming.kind != "button" or incoming.action != "pick" or not arg.isdigit():
        raise Problem("input.use_buttons")
    if int(arg) >= len(forms):
        raise Problem("input.stale_button")
    key, name = forms[int(arg)]
    return str(key), str(name)


def _text(incoming: Incoming) -> str:
    cleaned = clean_text(typed_text(incoming), max_len=NOTE_MAX, multiline=True)
    if cleaned.too_long:
        raise Problem("officer.note_too_long")
    return cleaned.text


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the note, award detail or code again, after explaining ``problem``."""
    _ask(turn, dialog, problem=problem)


def _ask(turn: Turn, dialog: Dialog, *, problem: str | None) -> None:
    token = dialog.token
    rows: list[list[Button]] = []
    forms = dialog.data.get("forms") or []
    own = dialog.data.get("own_form")
    if dialog.step in ("award_form", "propose_form"):
        buttons = [
            Button(
                f"✔️ {name}" if key == own else name,
                button_data(FLOW, token, "pick", str(index)),
            )
            for index, (key, name) in enumerate(forms)
        ]
        rows.extend(in_rows(buttons, 1))
    if dialog.step == "confirm":
        rows.append([Button(turn.label(CONFIRM), button_data(FLOW, token, "confirm"))])
    rows.append([cancel_button(turn, FLOW, token)])
    turn.say(
        "officer/ask",
        keyboard=inline_keyboard(rows),
        step=dialog.step,
        action=dialog.data["action"],
        problem=problem,
        params={},
        forms=len(forms),
        own_form=next((name for key, name in forms if key == own), None),
    )


async def _apply(
    turn: Turn, actor: Actor, nomination: Nomination, action: Action, data: dict[str, Any]
) -> None:
    assert nomination.id is not None
    award = None
    if action is Action.COMMEND:
        details = data["award"]
        award = Award(
            details["form"],
            details["number"],
            date.fromisoformat(details["date"]),
            form_key=details.get("form_key"),
        )
    target = parse_tracking_code(data["target"]) if data.get("target") else None
    # The case to merge into is refused like any other case one may not see.
    if target is not None and await visible_case(turn.uow, actor, target) is None:
        refuse_case(turn)
        return
    form_key = data.get("award_form_key")
    try:
        changed, entry = await act(
            turn.uow,
            actor,
            nomination.id,
            action,
            now=turn.now,
            public_note=data.get("note"),
            award=award,
            merged_into=target,
            award_form_key=form_key,
        )
    except DossierIncompleteError as incomplete:
        # The form stays chosen, so the case's message shows its checklist to complete.
        await choose_award_form(turn.uow, actor, nomination.id, incomplete.form.key)
        notice = turn.rt.renderer.render(
            turn.locale,
            "officer/dossier_incomplete",
            code=str(nomination.code),
            form=incomplete.form.name,
            items=incomplete.names,
        )
        await show_card(turn, actor, nomination.id, notice=notice)
        return
    await notify_nominator(turn, changed, entry, target_code=str(target) if target else None)
    if action is Action.COMMEND:
        await publicity.ask_to_publish(turn, changed)
    await _after(turn, actor, changed, "officer/done", action=action.value)


def _card_follows(turn: Turn, actor: Actor, nomination: Nomination) -> None:
    """Let the fresh card an officer sees next replace the pressed one, its old text gone.

    Keeping the pressed card's text above it would show the case twice; a nominator, who
    sees no card but a message (:func:`_after`), keeps their view's text above it.
    """
    if _sees_card(actor, nomination):
        turn.answer_in_place()


def _sees_card(actor: Actor, nomination: Nomination) -> bool:
    return actor.is_staff and actor.acts_for(nomination.unit_key)


async def _after(
    turn: Turn, actor: Actor, nomination: Nomination, template: str, **context: Any
) -> None:
    """Confirm to whoever acted: the officer sees the fresh card, the nominator a message."""
    if _sees_card(actor, nomination):
        notice = turn.rt.renderer.render(
            turn.locale, template, code=str(nomination.code), **context
        )
        await show_card(turn, actor, nomination.id, notice=notice)
    else:
        turn.say(template, code=str(nomination.code), **context)


async def notify_nominator(
    turn: Turn, nomination: Nomination, entry: AuditEntry, *, target_code: str | None
) -> None:
    """Tell the nominator and the supporters what was done and why, each in their language."""
    assert nomination.id is not None
    keyboard = None
    if entry.action is Action.ASK_INFO:
        keyboard = inline_keyboard(
            [
                [
                    Button(
                        "✍️ " + turn.label(N_("Trả lời cán bộ")),
                        answer.start_data(nomination.id),
                    )
                ]
            ]
        )
    context: dict[str, Any] = {
        "code": str(nomination.code),
        "entry": entry,
        "target_code": target_code,
    }
    for notice in await who_hears(turn.uow, nomination, entry):
        # Core names the nominee as each may know them (a child's initials to a supporter).
        if notice.hears is Hears.NOMINATOR:
            await turn.notify(
                notice.user_id,
                "notices/transition",
                keyboard=keyboard,
                nominee=notice.nominee,
                **context,
            )
        elif notice.hears is Hears.SUPPORTER:
            await turn.notify(
                notice.user_id,
                "notices/transition",
                supporter=True,
                nominee=notice.nominee,
                **context,
            )
        else:
            await turn.notify(
                notice.user_id,
                "notices/merged_in",
                code=str(notice.case.code),
                merged=str(nomination.code),
            )
