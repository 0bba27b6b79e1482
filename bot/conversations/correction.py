"""``/suadulieu`` (``/correct``): a resident corrects what the bot keeps about them.

The menu offers their phone, the name the bot keeps for them, and each of their nominations
still being verified; a nomination offers its fields (the nominee's name, the deed, the
place, the phone). The new value is asked with the nomination's own question and checked by
its own rules (:func:`core.correction.clean_value`), then shown old → new to confirm before
anything is saved. Who may correct what, and the audit entry of each change, are
:mod:`core.correction`'s.

The dialog is a row like every other (opened beside a nomination draft, which it keeps and
gives back), so a restart continues it. Its buttons carry the dialog's token: a button of an
earlier step is stale. A case is named in a button by its id, inside data signed for this
chat; behind the signature, core checks the case is the presser's own at every step, and a
case that is not theirs is refused in the words used for one that does not exist.
"""

from __future__ import annotations

from typing import Any

from bot.conversations.cases import card_data, refuse_case
from bot.conversations.common import BACK, SKIP, Problem, cancel_button, nav_button, typed_text
from bot.conversations.dialogs import SUSPENDED, close_dialog, open_dialog
from bot.conversations.incoming import MAX_INPUT_CHARS, Incoming, button_data
from bot.conversations.nomination import STEP_LABELS
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, in_rows, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.correction import (
    CaseDecidedError,
    CaseField,
    CorrectionRefusedError,
    Value,
    case_to_correct,
    clean_value,
    correct_case,
    correct_display_name,
    correct_my_phone,
    own_cases,
    value_of,
    who_is_told,
)
from core.dialog import Dialog
from core.errors import DomainError
from core.nomination import GeoPoint, Nomination, NominationDraft, clean_name
from core.services import ConsentRequiredError

FLOW = "cr"
# Steps of the dialog.
MENU = "menu"
FIELDS = "fields"
VALUE = "value"
CONFIRM = "confirm"
# What is being corrected (``dialog.data["target"]``).
MY_PHONE = "phone"
MY_NAME = "name"
CASE = "case"
# The action of a button that opens the menu from elsewhere (``/dulieu``'s “✏️ Sửa”).
START = "start"

MY_PHONE_LABEL = N_("📞 Số điện thoại của tôi")
MY_NAME_LABEL = N_("👤 Tên hệ thống lưu cho tôi")
SAVE = N_("✅ Lưu thay đổi")
RETYPE = N_("✏️ Gõ lại")
# Longest nominee name shown on a case's button.
BUTTON_NAME_CHARS = 28


async def start(turn: Turn) -> None:
    """Open the correction menu (after consent: the new value is kept under it)."""
    try:
        mine = await own_cases(turn.uow, turn.user.id)
    except ConsentRequiredError:
        turn.say("correct/consent_first", keyboard=turn.main_menu())
        return
    dialog = await open_dialog(turn, FLOW, MENU, {})
    _menu(turn, dialog, mine.open, mine.past, mine.phones)


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """“✏️ Sửa” under ``/dulieu`` (no dialog open): open the menu; any other press is stale."""
    if incoming.action != START:
        stale_button(turn)
        return
    turn.answer_in_place(keep_text=True)  # the person's data stays readable above
    await start(turn)


async def on_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take a press or the new value typed, at whatever step the dialog is."""
    if incoming.kind == "button":
        if incoming.action == START:
            turn.answer_in_place(keep_text=True)  # the person's data stays readable above
            await start(turn)
        elif incoming.token != dialog.token:
            turn.callback_notice = turn.label(N_("Nút này thuộc một bước đã qua."))
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            await _ask(turn, dialog, problem="input.stale_button")
        else:
            turn.answer_in_place()
            await _pressed(turn, dialog, incoming)
        return
    if dialog.step != VALUE:
        await _ask(turn, dialog, problem="input.use_buttons")
        return
    try:
        await _propose(turn, dialog, _typed_value(turn, dialog, incoming))
    except Problem as problem:
        await _ask(turn, dialog, problem=problem.code, params=problem.params)
    except DomainError as error:
        await _ask(turn, dialog, problem=error.code)


async def on_cancel(turn: Turn, dialog: Dialog) -> None:
    """``/cancel``: nothing is changed; a nomination draft set aside comes back."""
    kept = await close_dialog(turn, dialog)
    turn.say("correct/cancelled", keyboard=turn.main_menu(), draft_kept=kept)


async def _pressed(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Apply a press of this step's buttons."""
    action, arg = incoming.action, incoming.arg or ""
    if action == "cancel":
        await on_cancel(turn, dialog)
    elif action == "back":
        await _back(turn, dialog)
    elif dialog.step == MENU and action == "mine" and arg in (MY_PHONE, MY_NAME):
        dialog.data = {**_kept(dialog), "target": arg}
        await _go(turn, dialog, VALUE)
    elif dialog.step == MENU and action == "case" and arg.isdigit():
        await _open_case(turn, dialog, int(arg))
    elif dialog.step == FIELDS and action == "field" and arg in set(CaseField):
        dialog.data["field"] = arg
        await _go(turn, dialog, VALUE)
    elif dialog.step == VALUE and action == "skip" and _optional(dialog):
        await _propose(turn, dialog, None)
    elif dialog.step == CONFIRM and action == "save":
        await _save(turn, dialog)
    elif dialog.step == CONFIRM and action == "retype":
        await _go(turn, dialog, VALUE)
    else:
        await _ask(turn, dialog, problem="input.use_buttons")


async def _open_case(turn: Turn, dialog: Dialog, nomination_id: int) -> None:
    """Go to the fields of a case, if it is the presser's own and still being verified."""
    if await _case(turn, dialog, nomination_id) is None:
        return
    dialog.data = {**_kept(dialog), "target": CASE, "id": nomination_id}
    await _go(turn, dialog, FIELDS)


async def _case(turn: Turn, dialog: Dialog, nomination_id: int) -> Nomination | None:
    """Return the case if core lets the presser correct it; else say why and end the dialog."""
    try:
        return await case_to_correct(turn.uow, turn.user.id, nomination_id)
    except CaseDecidedError as decided:
        await close_dialog(turn, dialog)
        turn.say(
            "correct/decided",
            keyboard=turn.main_menu(),
            code=str(decided.nomination.code),
            status=decided.nomination.status.value,
        )
    except ConsentRequiredError:
        await close_dialog(turn, dialog)
        turn.say("correct/consent_first", keyboard=turn.main_menu())
    except CorrectionRefusedError:
        await close_dialog(turn, dialog)
        refuse_case(turn)
    return None


def _typed_value(turn: Turn, dialog: Dialog, incoming: Incoming) -> Value:
    """Read the new value as the nomination's step reads it, and check it by its rules."""
    target, field = dialog.data.get("target"), _field(dialog)
    if target == MY_NAME:
        return clean_name(typed_text(incoming, MAX_INPUT_CHARS))
    if field is CaseField.PHONE:
        if incoming.kind == "contact" and incoming.phone:
            if not incoming.contact_is_own:
                raise Problem("phone.not_own")
            return clean_value(field, incoming.phone)
        return clean_value(field, typed_text(incoming, 50))
    if field is CaseField.PLACE and incoming.kind == "location" and incoming.location:
        return clean_value(field, incoming.location)
    expected = "input.place_expected" if field is CaseField.PLACE else "input.text_expected"
    assert field is not None
    return clean_value(field, typed_text(incoming, MAX_INPUT_CHARS, expected=expected))


async def _propose(turn: Turn, dialog: Dialog, new: Value) -> None:
    """Keep the new value in the dialog and show old → new, or say it is the same."""
    if dialog.data.get("target") == MY_PHONE:
        mine = await own_cases(turn.uow, turn.user.id)
        same = all(case.nominator.phone == new for case in mine.open)
    else:
        old = await _old_value(turn, dialog)
        if old is _GONE:
            return
        same = old == new
    if same:
        await _ask(turn, dialog, problem="correction.unchanged")
        return
    dialog.data["new"] = _stored(new)
    await _go(turn, dialog, CONFIRM)


async def _save(turn: Turn, dialog: Dialog) -> None:
    """Save the value confirmed, through core; say what changed."""
    target, new = dialog.data.get("target"), _loaded(dialog.data.get("new"))
    try:
        if target == MY_NAME:
            assert isinstance(new, str)
            user = await correct_display_name(turn.uow, turn.user.id, new, now=turn.now)
            context: dict[str, Any] = {"changed": user is not None, "name": new}
        elif target == MY_PHONE:
            assert new is None or isinstance(new, str)
            done = await correct_my_phone(turn.uow, turn.user.id, new, now=turn.now)
            codes = [str(item.nomination.code) for item in done]
            for item in done:
                await _tell_officer(turn, item.nomination, CaseField.PHONE)
            context = {"changed": bool(done), "codes": codes, "phone": new}
        else:
            field = _field(dialog)
            assert field is not None
            case = await correct_case(
                turn.uow, turn.user.id, int(dialog.data["id"]), field, new, now=turn.now
            )
            context = {
                "changed": case is not None,
                "code": str(case.nomination.code) if case is not None else None,
                "field": field.value,
            }
            if case is not None:
                await _tell_officer(turn, case.nomination, field)
    except (CaseDecidedError, ConsentRequiredError, CorrectionRefusedError):
        await _case(turn, dialog, int(dialog.data.get("id") or 0))  # says why, ends the dialog
        return
    kept = await close_dialog(turn, dialog)
    turn.callback_notice = "✅"
    turn.say("correct/saved", keyboard=turn.main_menu(), target=target, draft_kept=kept, **context)


async def _tell_officer(turn: Turn, nomination: Nomination, field: CaseField) -> None:
    """Tell the officer handling the case which field its nominator corrected (not how)."""
    for officer_id in await who_is_told(turn.uow, nomination, now=turn.now, today=turn.today):
        await turn.notify(
            officer_id,
            "correct/told",
            code=str(nomination.code),
            field=field.value,
            keyboard=inline_keyboard(
                [[Button("📂 " + turn.label(N_("Mở hồ sơ")), card_data(nomination.id))]]
            ),
        )


async def _back(turn: Turn, dialog: Dialog) -> None:
    """Go one step back: confirm → value → fields (of a case) → menu."""
    if dialog.step == CONFIRM:
        await _go(turn, dialog, VALUE)
    elif dialog.step == VALUE and dialog.data.get("target") == CASE:
        dialog.data.pop("field", None)
        await _go(turn, dialog, FIELDS)
    else:
        dialog.data = _kept(dialog)
        await _go(turn, dialog, MENU)


async def _go(turn: Turn, dialog: Dialog, step: str) -> None:
    dialog.move_to(step, turn.now)
    await turn.uow.dialogs.save(dialog)
    await _ask(turn, dialog)


# --- questions -----------------------------------------------------------------------------


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask what the dialog's step asks again, after explaining ``problem``."""
    await _ask(turn, dialog, problem=problem)


async def _ask(
    turn: Turn, dialog: Dialog, *, problem: str | None = None, params: dict[str, Any] | None = None
) -> None:
    """Ask what the dialog's step asks, after explaining a problem if any."""
    if dialog.step == MENU:
        try:
            mine = await own_cases(turn.uow, turn.user.id)
        except ConsentRequiredError:
            await close_dialog(turn, dialog)
            turn.say("correct/consent_first", keyboard=turn.main_menu())
            return
        _menu(turn, dialog, mine.open, mine.past, mine.phones, problem=problem)
        return
    case = None
    if dialog.data.get("target") == CASE:
        case = await _case(turn, dialog, int(dialog.data.get("id") or 0))
        if case is None:
            return
    token = dialog.token
    nav = [nav_button(turn, FLOW, token, BACK, "back"), cancel_button(turn, FLOW, token)]
    common: dict[str, Any] = {"problem": problem, "params": params or {}, "case": case}
    if dialog.step == FIELDS:
        assert case is not None
        fields = [
            Button(turn.label(STEP_LABELS[f.value]), button_data(FLOW, token, "field", f.value))
            for f in CaseField
        ]
        turn.say(
            "correct/fields",
            keyboard=inline_keyboard([*in_rows(fields, 2), nav]),
            unit=turn.rt.directory.unit_name(case.unit_key),
            **common,
        )
        return
    target, field = dialog.data.get("target"), _field(dialog)
    common["old"] = _old_of(turn, dialog, case)
    common["target"] = target
    common["field"] = field.value if field is not None else None
    phone_cases = await own_cases(turn.uow, turn.user.id) if target == MY_PHONE else None
    common["phones"] = phone_cases.phones if phone_cases is not None else ()
    if dialog.step == VALUE:
        rows = [[nav_button(turn, FLOW, token, SKIP, "skip")]] if _optional(dialog) else []
        kind = case.nominee.kind if case is not None else None
        turn.say(
            "correct/ask_value",
            keyboard=inline_keyboard([*rows, nav]),
            # What the nomination's own question reads: no step count, the nominee's kind.
            step=None,
            total=None,
            draft=NominationDraft(nominee_kind=kind),
            **common,
        )
        return
    confirm = [
        Button(turn.label(SAVE), button_data(FLOW, token, "save")),
        Button(turn.label(RETYPE), button_data(FLOW, token, "retype")),
    ]
    turn.say(
        "correct/confirm",
        keyboard=inline_keyboard([confirm, nav]),
        new=_loaded(dialog.data.get("new")),
        cases=[str(c.code) for c in phone_cases.open] if phone_cases is not None else [],
        **common,
    )


def _menu(
    turn: Turn,
    dialog: Dialog,
    cases: tuple[Nomination, ...],
    past: int,
    phones: tuple[str, ...],
    *,
    problem: str | None = None,
) -> None:
    """Show what can be corrected: my phone (if a case holds one), my name, each open case."""
    token = dialog.token
    rows: list[list[Button]] = []
    mine = [Button(turn.label(MY_NAME_LABEL), button_data(FLOW, token, "mine", MY_NAME))]
    if cases:
        mine.insert(
            0, Button(turn.label(MY_PHONE_LABEL), button_data(FLOW, token, "mine", MY_PHONE))
        )
    rows.append(mine)
    for case in cases:
        assert case.id is not None
        name = case.nominee.name
        if len(name) > BUTTON_NAME_CHARS:
            name = name[: BUTTON_NAME_CHARS - 1] + "…"
        rows.append(
            [Button(f"✏️ {case.code} · {name}", button_data(FLOW, token, "case", str(case.id)))]
        )
    rows.append([cancel_button(turn, FLOW, token)])
    turn.say(
        "correct/menu",
        keyboard=inline_keyboard(rows),
        name=turn.user.display_name,
        cases=cases,
        past=past,
        phones=phones,
        problem=problem,
        params={},
    )


# --- the dialog's data ---------------------------------------------------------------------

_GONE = object()  # the case could not be read again: the refusal was said


async def _old_value(turn: Turn, dialog: Dialog) -> Value | object:
    """Return what the bot holds now for the target, or ``_GONE`` (the refusal was said)."""
    case = None
    if dialog.data.get("target") == CASE:
        case = await _case(turn, dialog, int(dialog.data.get("id") or 0))
        if case is None:
            return _GONE
    return _old_of(turn, dialog, case)


def _old_of(turn: Turn, dialog: Dialog, case: Nomination | None) -> Value:
    """Return the value held now: the case's field, the name kept, or the phones' one number."""
    target, field = dialog.data.get("target"), _field(dialog)
    if case is not None and field is not None:
        return value_of(case, field)
    if target == MY_NAME:
        return turn.user.display_name
    return None  # my phone: the menu and the confirmation name the numbers and cases


def _field(dialog: Dialog) -> CaseField | None:
    target = dialog.data.get("target")
    if target == MY_PHONE:
        return CaseField.PHONE
    field = dialog.data.get("field")
    return CaseField(field) if target == CASE and field in set(CaseField) else None


def _optional(dialog: Dialog) -> bool:
    field = _field(dialog)
    return field is not None and field.optional


def _kept(dialog: Dialog) -> dict[str, Any]:
    """Return the part of the data the dialog keeps whatever the step: a draft set aside."""
    return {key: value for key, value in dialog.data.items() if key == SUSPENDED}


def _stored(value: Value) -> Any:
    """Return a value as JSON keeps it in the dialog row."""
    if isinstance(value, GeoPoint):
        return {"latitude": value.latitude, "longitude": value.longitude}
    return value


def _loaded(stored: Any) -> Value:
    if isinstance(stored, dict):
        return GeoPoint(float(stored["latitude"]), float(stored["longitude"]))
    return stored if stored is None else str(stored)


def flow() -> Flow:
    """Return the flow of the right to correct."""
    return Flow(
        "correction",
        key=FLOW,
        commands=(
            Command(("suadulieu", "correct"), start, N_("Sửa số điện thoại, tên, đề cử của tôi")),
        ),
        on_button=on_button,
        on_input=on_input,
        on_cancel=on_cancel,
        ask_again=ask_again,
    )
