"""The guided conversation in which a resident nominates a good deed, one step at a time.

The dialog (step, draft, button token) is a row in our database, written in the same
transaction as the step's effect and its replies: a restart, even ``kill -9``, resumes the
resident at the step they were on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.conversations.common import (
    BACK,
    CANCEL,
    SKIP,
    TODAY,
    Problem,
    cancel_button,
    nav_button,
    typed_text,
)
from bot.conversations.dialogs import DRAFT_FLOW
from bot.conversations.incoming import MAX_INPUT_CHARS, Incoming, button_data
from bot.keyboards import Button, in_rows, inline_keyboard, request_keyboard
from bot.names import name_table
from bot.rendering import N_
from bot.runtime import Turn
from core.dates import check_deed_date, parse_deed_date
from core.dialog import Dialog
from core.errors import DateWhichDayError, DomainError
from core.matching import written_as_named
from core.names import restore_diacritics
from core.nomination import (
    MAX_EVIDENCE,
    NominationDraft,
    NomineeKind,
    NomineeRole,
    clean_deed,
    clean_name,
    clean_place,
    looks_like_sentence,
)
from core.phones import normalize_phone
from core.services import likely_duplicates, submit_nomination, support
from core.text import fold

FLOW = DRAFT_FLOW
DRAFT = "draft"
EDITING = "editing"
# The name typed and questioned (a sentence, or a written form offered), kept for the press.
NAME_OFFER = "name_offer"

KIND_LABELS = {
    NomineeKind.INDIVIDUAL: N_("👤 Cá nhân"),
    NomineeKind.COLLECTIVE: N_("👥 Tập thể"),
}
ROLE_LABELS = {
    NomineeRole.RESIDENT: N_("Người dân"),
    NomineeRole.WORKER: N_("Công nhân, người lao động"),
    NomineeRole.CIVIL_SERVANT: N_("Cán bộ, công chức, viên chức"),
    NomineeRole.ARMED_FORCES: N_("Lực lượng vũ trang"),
    NomineeRole.STUDENT: N_("Học sinh, sinh viên"),
    NomineeRole.FOREIGNER: N_("Người nước ngoài"),
    NomineeRole.ENTERPRISE: N_("Doanh nghiệp, hộ kinh doanh"),
}
YESTERDAY = N_("Hôm qua")
# The days offered for "tuần trước", by weekday (Monday first, as date.weekday() counts).
WEEKDAY_LABELS = (
    N_("Thứ Hai %(date)s"),
    N_("Thứ Ba %(date)s"),
    N_("Thứ Tư %(date)s"),
    N_("Thứ Năm %(date)s"),
    N_("Thứ Sáu %(date)s"),
    N_("Thứ Bảy %(date)s"),
    N_("Chủ nhật %(date)s"),
)
DONE = N_("✅ Xong")
UNIT_LIST = N_("📋 Xem danh sách")
SEND = N_("✅ Gửi")
EDIT = N_("✏️ Sửa")
CONTINUE = N_("▶️ Tiếp tục")
RESTART = N_("🗑 Bắt đầu lại")
ANONYMOUS_YES = N_("🔒 Có, giữ kín")
ANONYMOUS_NO = N_("Không cần")
UNDER_16_YES = N_("Có, dưới 16 tuổi")
UNDER_16_NO = N_("Không, từ 16 tuổi trở lên")

STEP_LABELS = {
    "kind": N_("Loại đề cử"),
    "name": N_("Tên người được đề cử"),
    "role": N_("Đối tượng"),
    "age": N_("Dưới 16 tuổi"),
    "deed": N_("Việc tốt"),
    "date": N_("Thời gian"),
    "unit": N_("Đơn vị, phường"),
    "place": N_("Địa điểm"),
    "evidence": N_("Ảnh, tài liệu"),
    "campaign": N_("Phong trào thi đua"),
    "phone": N_("Số điện thoại"),
    "anonymous": N_("Giữ kín danh tính"),
}
STEPS = tuple(STEP_LABELS)
OPTIONAL = frozenset({"role", "place", "evidence", "campaign", "phone"})
SUMMARY = "summary"
EDIT_MENU = "edit"
DUPLICATES = "duplicates"
SUPPORT = N_("🤝 Cùng đề cử %(code)s")
SHARE_PHONE = N_("📱 Gửi số điện thoại của tôi")
SHARE_LOCATION = N_("📍 Gửi vị trí hiện tại")
PHONE_PLACEHOLDER = N_("Gõ số điện thoại, hoặc bấm nút bên dưới")
PLACE_PLACEHOLDER = N_("Gõ địa chỉ, hoặc bấm nút bên dưới")
# Steps that ask, in a private chat, with Telegram's own button on a reply keyboard: the
# user's number (request_contact), the place the phone is at (request_location). Their
# skip, back and cancel ride on the same keyboard (typed, they work too); the main menu
# comes back once the step is left.
KEYBOARD_STEPS = {
    "place": (SHARE_LOCATION, "location", PLACE_PLACEHOLDER),
    "phone": (SHARE_PHONE, "contact", PHONE_PLACEHOLDER),
}
_TYPED_NAVIGATION = {SKIP: "skip", BACK: "back", CANCEL: "cancel"}
NAME_IS_RIGHT = N_("✅ Đúng, giữ nguyên")
NAME_RETYPE = N_("✏️ Nhập lại")
NAME_AS_TYPED = N_("Giữ như đã gõ: %(name)s")
SEND_ANYWAY = N_("📨 Vẫn gửi đề cử mới")


@dataclass(frozen=True, slots=True)
class Matched:
    """The unit step took a unit matched without the resident's diacritics (or decoded).

    The next question names it back ("Đơn vị: Phường Hàng Bạc"), so a wrong guess is seen
    and changed with ⬅️ Quay lại before anything else is asked.
    """

    unit_key: str


@dataclass(frozen=True, slots=True)
class Stay:
    """The step took the answer but asks for more (another photo, a unit to confirm)."""

    template: str
    keyboard: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


def applicable_steps(turn: Turn, draft: NominationDraft) -> list[str]:
    """Return the steps this draft goes through: role only for a person, campaigns if any.

    The age ("under 16?") only for a student: a child's name is then kept from every
    public use (:attr:`core.nomination.Nominee.public_name`).
    """
    steps = list(STEPS)
    if draft.nominee_kind is NomineeKind.COLLECTIVE:
        steps.remove("role")
    if not draft.asks_age:
        steps.remove("age")
    if not turn.rt.directory.campaigns_on(draft.deed_date or turn.today):
        steps.remove("campaign")
    return steps


async def start(turn: Turn) -> None:
    """Begin a new nomination at the first step."""
    dialog = Dialog(turn.chat_id, turn.user.id, FLOW, STEPS[0], {DRAFT: {}}, 0, turn.now)
    dialog.move_to(STEPS[0], turn.now)
    await turn.uow.dialogs.save(dialog)
    ask(turn, dialog, NominationDraft())


def offer_resume(turn: Turn, dialog: Dialog) -> None:
    """Tell the resident a draft is waiting, and offer to continue it or start over."""
    draft = _draft(dialog)
    steps = applicable_steps(turn, draft)
    position = steps.index(dialog.step) + 1 if dialog.step in steps else len(steps)
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(CONTINUE), button_data(FLOW, dialog.token, "resume")),
                Button(turn.label(RESTART), button_data(FLOW, dialog.token, "restart")),
            ]
        ]
    )
    turn.say(
        "nominate/resume",
        keyboard=keyboard,
        step=position,
        total=len(steps),
        nominee=draft.nominee_name,
        updated_at=dialog.updated_at,
    )


async def ask_again(turn: Turn, dialog: Dialog, problem: str | None = None) -> None:
    """Ask the current step's question again (the dialog unchanged), with its buttons."""
    ask(turn, dialog, _draft(dialog), problem=problem)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Apply one input of the resident to their nomination dialog."""
    draft = _draft(dialog)
    if incoming.kind == "button":
        if incoming.token != dialog.token:
            turn.callback_notice = turn.label(N_("Nút này thuộc một bước đã qua."))
            turn.clear_buttons()
            ask(turn, dialog, draft, problem="input.stale_button")
            return
        # The pressed question becomes the next one: a press costs two Bot API calls.
        turn.answer_in_place()
        if await _navigate(turn, dialog, draft, incoming):
            return
    if dialog.step == SUMMARY:
        ask(turn, dialog, draft, problem="input.use_buttons")
        return
    typed_action = _typed_navigation(turn, dialog, incoming)
    if typed_action is not None:
        pressed = Incoming("button", flow=FLOW, token=dialog.token, action=typed_action)
        if await _navigate(turn, dialog, draft, pressed):
            return
    try:
        outcome = await _answer(turn, dialog, draft, incoming)
    except Problem as problem:
        ask(turn, dialog, draft, problem=problem.code, **problem.params)
        return
    except DomainError as error:
        ask(turn, dialog, draft, problem=error.code)
        return
    dialog.data[DRAFT] = draft.to_dict()
    if isinstance(outcome, Stay):
        dialog.move_to(dialog.step, turn.now)
        await turn.uow.dialogs.save(dialog)
        turn.say(outcome.template, keyboard=outcome.keyboard, **(outcome.context or {}))
        return
    shown_unit = outcome.unit_key if isinstance(outcome, Matched) else None
    await _advance(turn, dialog, draft, shown_unit=shown_unit)


async def _navigate(turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming) -> bool:
    """Handle the buttons every step shares; return False if the step itself must answer."""
    action = incoming.action
    if action == "cancel":
        await turn.uow.dialogs.delete(dialog.chat_id)
        turn.say("nominate/cancelled", keyboard=_main_menu(turn))
        return True
    if action in ("resume",):
        ask(turn, dialog, draft)
        return True
    if action == "restart":
        await start(turn)
        return True
    if action == "back":
        await _go_back(turn, dialog, draft)
        return True
    if action == "skip" and dialog.step in OPTIONAL:
        _clear(draft, dialog.step)
        dialog.data[DRAFT] = draft.to_dict()
        await _advance(turn, dialog, draft)
        return True
    if action == "send" and dialog.step in (SUMMARY, DUPLICATES):
        turn.answer_in_place(keep_text=True)  # what was sent stays readable above
        await _submit(turn, dialog, draft)
        return True
    if action == "support" and dialog.step == DUPLICATES and (incoming.arg or "").isdigit():
        await _support(turn, dialog, draft, int(incoming.arg or 0))
        return True
    if action == "name" and dialog.step == "name" and incoming.arg == "retype":
        dialog.data.pop(NAME_OFFER, None)
        await _go(turn, dialog, draft, "name")
        return True
    if action == "edit" and dialog.step == SUMMARY:
        await _go(turn, dialog, draft, EDIT_MENU)
        return True
    if action == "field" and dialog.step == EDIT_MENU and incoming.arg in STEPS:
        dialog.data[EDITING] = True
        await _go(turn, dialog, draft, incoming.arg)
        return True
    return False


def _typed_navigation(turn: Turn, dialog: Dialog, incoming: Incoming) -> str | None:
    """Return the navigation a reply-keyboard label stands for, typed or tapped, at its step."""
    if dialog.step not in KEYBOARD_STEPS or incoming.kind != "text" or not incoming.text:
        return None
    typed = fold(incoming.text)
    for label, action in _TYPED_NAVIGATION.items():
        if typed in (fold(label), fold(turn.label(label))):
            return action
    return None


async def _go(
    turn: Turn,
    dialog: Dialog,
    draft: NominationDraft,
    step: str,
    shown_unit: str | None = None,
    *,
    back: bool = False,
) -> None:
    left = dialog.step
    dialog.move_to(step, turn.now)
    await turn.uow.dialogs.save(dialog)
    if left in KEYBOARD_STEPS and step not in KEYBOARD_STEPS and _may_request(turn):
        _menu_back(turn, draft, left, back=back)
    ask(turn, dialog, draft, shown_unit=shown_unit)


def _main_menu(turn: Turn) -> dict[str, Any] | None:
    """Return the main menu to show as the dialog ends, None when it is shown already.

    A reply replacing a pressed question cannot carry it, and need not: only the place and
    phone steps put their own keyboard in its place, and those are left by typing or
    tapping, which :func:`_menu_back` answers with the menu.
    """
    return None if turn.in_place is not None else turn.main_menu()


def _may_request(turn: Turn) -> bool:
    """Tell whether the chat may have contact and location buttons (private chats only)."""
    return turn.private


def _menu_back(turn: Turn, draft: NominationDraft, step: str, *, back: bool) -> None:
    """Say what the keyboard step took, with the main menu back in place of its keyboard."""
    if back:
        taken = "back"
    elif step == "phone":
        taken = "phone" if draft.phone else "skipped"
    elif draft.location is not None:
        taken = "location"
    else:
        taken = "place" if draft.place else "skipped"
    turn.say(
        "nominate/step_taken",
        keyboard=turn.main_menu(),
        taken=taken,
        step_label=turn.label(STEP_LABELS[step]),
        draft=draft,
    )


async def _advance(
    turn: Turn, dialog: Dialog, draft: NominationDraft, *, shown_unit: str | None = None
) -> None:
    steps = applicable_steps(turn, draft)
    if dialog.step == "role" and "age" in steps and draft.nominee_under_16 is None:
        # A student's age is asked right after the role, also when the role was edited.
        await _go(turn, dialog, draft, "age")
        return
    if dialog.data.get(EDITING) or dialog.step not in steps:
        dialog.data.pop(EDITING, None)
        await _go(turn, dialog, draft, SUMMARY)  # the summary names the unit anyway
        return
    following = steps[steps.index(dialog.step) + 1 :]
    await _go(turn, dialog, draft, following[0] if following else SUMMARY, shown_unit)


async def _go_back(turn: Turn, dialog: Dialog, draft: NominationDraft) -> None:
    steps = applicable_steps(turn, draft)
    if dialog.step in (SUMMARY, EDIT_MENU, DUPLICATES) or dialog.data.get(EDITING):
        dialog.data.pop(EDITING, None)
        target = SUMMARY if dialog.step != SUMMARY else steps[-1]
    elif dialog.step in steps and steps.index(dialog.step) > 0:
        target = steps[steps.index(dialog.step) - 1]
    else:
        target = steps[0]
    await _go(turn, dialog, draft, target, back=True)


async def _submit(turn: Turn, dialog: Dialog, draft: NominationDraft) -> None:
    missing = draft.missing()
    if missing:
        await _go(turn, dialog, draft, next(s for s in STEPS if _field_of(s) in missing))
        return
    if dialog.step == SUMMARY:
        duplicates = await likely_duplicates(turn.uow, draft)
        if duplicates:
            dialog.data[DUPLICATES] = [
                {
                    "id": d.id,
                    "code": str(d.code),
                    "date": d.deed_date.isoformat(),
                    "status": d.status.value,
                }
                for d in duplicates
            ]
            await _go(turn, dialog, draft, DUPLICATES)
            return
    nomination = await submit_nomination(turn.uow, draft, user_id=turn.user.id, now=turn.now)
    await turn.uow.dialogs.delete(dialog.chat_id)
    turn.say(
        "nominate/submitted",
        keyboard=_main_menu(turn),
        code=str(nomination.code),
        nominee=nomination.nominee.name,
    )


async def _support(turn: Turn, dialog: Dialog, draft: NominationDraft, nomination_id: int) -> None:
    """Back the existing nomination with this draft's account and evidence, instead of a copy."""
    if nomination_id not in [d["id"] for d in dialog.data.get(DUPLICATES, [])]:
        ask(turn, dialog, draft, problem="input.stale_button")
        return
    nomination, _ = await support(
        turn.uow,
        nomination_id,
        user_id=turn.user.id,
        account=draft.deed,
        evidence=tuple(draft.evidence),
        now=turn.now,
    )
    await turn.uow.dialogs.delete(dialog.chat_id)
    turn.say("nominate/supported", keyboard=_main_menu(turn), code=str(nomination.code))


def _field_of(step: str) -> str:
    return {
        "kind": "nominee_kind",
        "name": "nominee_name",
        "date": "deed_date",
        "unit": "unit_key",
        "age": "nominee_under_16",
    }.get(step, step)


def _clear(draft: NominationDraft, step: str) -> None:
    if step == "role":
        draft.nominee_role = None
        draft.nominee_under_16 = None
    elif step == "place":
        draft.place, draft.location = None, None
    elif step == "evidence":
        draft.evidence.clear()
    elif step == "campaign":
        draft.campaign_key = None
    elif step == "phone":
        draft.phone = None


# --- answers -------------------------------------------------------------------------------


async def _answer(
    turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming
) -> Stay | Matched | None:
    step = dialog.step
    if step == "kind":
        kind = NomineeKind(_choice(turn, incoming, KIND_LABELS))
        if kind is NomineeKind.COLLECTIVE:
            draft.nominee_role, draft.nominee_under_16 = None, None
        draft.nominee_kind = kind
    elif step == "name":
        return _name(turn, dialog, draft, incoming)
    elif step == "role":
        role = NomineeRole(_choice(turn, incoming, ROLE_LABELS))
        if role is not draft.nominee_role:
            draft.nominee_under_16 = None  # asked again of a student, forgotten otherwise
        draft.nominee_role = role
    elif step == "age":
        answer = _choice(turn, incoming, {"yes": UNDER_16_YES, "no": UNDER_16_NO})
        draft.nominee_under_16 = answer == "yes"
    elif step == "deed":
        draft.deed = clean_deed(typed_text(incoming, MAX_INPUT_CHARS))
    elif step == "date":
        return _date(turn, dialog, draft, incoming)
    elif step == "unit":
        return _unit(turn, dialog, draft, incoming)
    elif step == "place":
        if incoming.kind == "location" and incoming.location is not None:
            draft.place, draft.location = None, incoming.location  # one answer replaces another
        else:
            typed = typed_text(incoming, MAX_INPUT_CHARS, expected="input.place_expected")
            if fold(typed) in (fold(SHARE_LOCATION), fold(turn.label(SHARE_LOCATION))):
                raise Problem("input.place_expected")  # the button's words, sent as text
            draft.place, draft.location = clean_place(typed), None
    elif step == "evidence":
        return _evidence(turn, dialog, draft, incoming)
    elif step == "campaign":
        campaigns = turn.rt.directory.campaigns_on(draft.deed_date or turn.today)
        draft.campaign_key = _choice(turn, incoming, {c.key: c.title for c in campaigns})
    elif step == "phone":
        draft.phone = _phone(incoming)
    elif step == "anonymous":
        answer = _choice(turn, incoming, {"yes": ANONYMOUS_YES, "no": ANONYMOUS_NO})
        draft.anonymous = answer == "yes"
    elif step == EDIT_MENU:
        raise Problem("input.use_buttons")
    return None


def _name(turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming) -> Stay | None:
    """Take the nominee's name, after one question when it reads as a sentence or lacks accents.

    A sentence (:func:`core.nomination.looks_like_sentence`) is asked about once: confirmed,
    or typed again as it was, it is taken. A person's name typed without any diacritic is
    offered its likeliest written form (:mod:`core.names`) next to the form typed.
    """
    offer: dict[str, str] = dialog.data.pop(NAME_OFFER, None) or {}
    if incoming.kind == "button":
        chosen = {"keep": offer.get("typed"), "suggested": offer.get("suggested")}
        name = chosen.get(incoming.arg or "") if incoming.action == "name" else None
        if name is None:
            raise Problem("input.use_buttons")
        draft.nominee_name = name
        return None
    name = clean_name(typed_text(incoming, MAX_INPUT_CHARS))
    asked_already = offer.get("typed") == name  # typed again as it was: the resident insists
    token = dialog.token + 1  # the reply is shown after the dialog moves on
    if looks_like_sentence(name) and not asked_already:
        dialog.data[NAME_OFFER] = {"typed": name}
        buttons = [
            Button(turn.label(NAME_IS_RIGHT), button_data(FLOW, token, "name", "keep")),
            Button(turn.label(NAME_RETYPE), button_data(FLOW, token, "name", "retype")),
        ]
        return Stay(
            "nominate/name_sentence",
            inline_keyboard([buttons, _nav_row(turn, token, back=True)]),
            {"typed": name, "collective": draft.nominee_kind is NomineeKind.COLLECTIVE},
        )
    suggested = None
    if draft.nominee_kind is not NomineeKind.COLLECTIVE and not asked_already:
        suggested = restore_diacritics(name, name_table())
    if suggested is not None:
        dialog.data[NAME_OFFER] = {"typed": name, "suggested": suggested}
        rows = [
            [Button(f"✅ {suggested}", button_data(FLOW, token, "name", "suggested"))],
            [
                Button(
                    turn.label(NAME_AS_TYPED, name=name),
                    button_data(FLOW, token, "name", "keep"),
                )
            ],
            _nav_row(turn, token, back=True),
        ]
        return Stay(
            "nominate/name_suggest",
            inline_keyboard(rows),
            {"typed": name, "suggested": suggested},
        )
    draft.nominee_name = name
    return None


def _choice(turn: Turn, incoming: Incoming, options: dict[Any, str]) -> str:
    """Return the value of the option pressed, or typed (accents and case do not matter)."""
    values = {str(value): value for value in options}
    if incoming.kind == "button" and incoming.action == "pick" and incoming.arg in values:
        return str(incoming.arg)
    if incoming.kind == "text" and incoming.text:
        typed = fold(incoming.text)
        for value, label in options.items():
            if typed in (fold(turn.label(label)), fold(label), fold(str(value))):
                return str(value)
    raise Problem("input.use_buttons")


def _date(turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming) -> Stay | None:
    """Take the deed's day: a button, or typed; "tuần trước" offers the last seven days."""
    if incoming.kind == "button" and incoming.action == "pick":
        offset = {"today": 0, "yesterday": 1}.get(incoming.arg or "")
        if offset is not None:
            draft.deed_date = turn.today - timedelta(days=offset)
            return None
        picked = _picked_day(incoming.arg)
        if picked is not None:
            check_deed_date(picked, turn.today)  # a day pressed long after it was offered
            draft.deed_date = picked
            return None
    try:
        draft.deed_date = parse_deed_date(typed_text(incoming, 100), turn.today)
    except DateWhichDayError as span:
        return Stay("nominate/date_which_day", _days_keyboard(turn, dialog, span.days))
    return None


def _picked_day(arg: str | None) -> date | None:
    try:
        return date.fromisoformat(arg or "")
    except ValueError:
        return None


def _days_keyboard(turn: Turn, dialog: Dialog, days: Sequence[date]) -> dict[str, Any]:
    """Return a button per day, "Thứ Năm 19/11", the latest first, under the next token."""
    token = dialog.token + 1
    buttons = [
        Button(
            turn.label(WEEKDAY_LABELS[day.weekday()], date=f"{day.day:02d}/{day.month:02d}"),
            button_data(FLOW, token, "pick", day.isoformat()),
        )
        for day in days
    ]
    return inline_keyboard([*in_rows(buttons, 2), _nav_row(turn, token, back=True)])


def _phone(incoming: Incoming) -> str:
    if incoming.kind == "contact" and incoming.phone:
        if not incoming.contact_is_own:
            raise Problem("phone.not_own")
        return normalize_phone(incoming.phone)
    return normalize_phone(typed_text(incoming, 50))


def _unit(
    turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming
) -> Stay | Matched | None:
    """Take the unit where the deed happened, among the units of the deed's day only.

    A unit abolished by then is named back with where its area went (its successors living
    that day, as buttons); no unit of another day is ever chosen silently. A unit matched
    on the folded key (typed without its diacritics, or in Telex) is named back in the
    next question.
    """
    day = draft.deed_date or turn.today
    directory = turn.rt.directory
    units = directory.units_on(day)
    keys = {unit.key for unit in units}
    words = _unit_words(turn, day)
    if not units:
        return Stay("nominate/unit_none", _unit_keyboard(turn, dialog, []), {"day": day})
    if incoming.kind == "button":
        if incoming.action == "pick" and incoming.arg in keys:
            draft.unit_key = incoming.arg
            return None
        if incoming.action == "list":
            return Stay(
                "nominate/unit_list", _unit_keyboard(turn, dialog, [u.key for u in units]), words
            )
        raise Problem("input.use_buttons")
    typed = typed_text(incoming, 200)
    found = directory.find(typed, day)
    result = found.result
    if result.kind == "exact" and result.best is not None:
        draft.unit_key = result.best.key
        if written_as_named(typed, (result.best.name, *result.best.aliases)):
            return None
        return Matched(result.best.key)
    if found.ended is not None and found.ended.validity.valid_to is not None:
        living = [t.unit.key for t in found.taken_over if t.unit is not None]
        return Stay(
            "nominate/unit_ended",
            _unit_keyboard(turn, dialog, living, offer_list=True),
            {
                "typed": incoming.text,
                "unit": found.ended.name,
                "since": found.ended.validity.valid_to + timedelta(days=1),
                "pickable": [t for t in found.taken_over if t.unit is not None],
                "outside": [t for t in found.taken_over if t.unit is None],
                **words,
            },
        )
    if result.candidates:
        choices = [scored.candidate.key for scored in result.candidates]
        return Stay(
            "nominate/unit_confirm",
            _unit_keyboard(turn, dialog, choices, offer_list=True),
            {"typed": incoming.text, "confident": result.kind == "confident"},
        )
    return Stay(
        "nominate/unit_list",
        _unit_keyboard(turn, dialog, [u.key for u in units]),
        {"typed": incoming.text, **words},
    )


def _unit_words(turn: Turn, day: date) -> dict[str, Any]:
    """Return how the unit step speaks of the units of ``day``.

    The council's level says whether they are wards (a district's) or residential groups
    and bodies (a ward's); the example is one of them as a resident would type it.
    """
    directory = turn.rt.directory
    return {"ward_level": directory.ward_level(day), "example": directory.example_unit(day)}


def _evidence(
    turn: Turn, dialog: Dialog, draft: NominationDraft, incoming: Incoming
) -> Stay | None:
    if incoming.kind == "button" and incoming.action == "done":
        return None
    if incoming.evidence is None:
        raise Problem("input.file_expected")
    draft.add_evidence(incoming.evidence)
    if len(draft.evidence) >= MAX_EVIDENCE:
        return None
    keyboard = inline_keyboard(
        [
            [Button(turn.label(DONE), button_data(FLOW, dialog.token + 1, "done"))],
            _nav_row(turn, dialog.token + 1, back=True),
        ]
    )
    return Stay(
        "nominate/evidence_received",
        keyboard,
        {"count": len(draft.evidence), "limit": MAX_EVIDENCE},
    )


# --- questions -----------------------------------------------------------------------------


def ask(
    turn: Turn,
    dialog: Dialog,
    draft: NominationDraft,
    problem: str | None = None,
    *,
    shown_unit: str | None = None,
    **params: Any,
) -> None:
    """Ask the question of the dialog's current step, after explaining a problem if any.

    ``shown_unit``: the key of the unit just matched on its folded key, named back above
    the question with how to change it.
    """
    step = dialog.step
    if step == SUMMARY:
        _summary(turn, dialog, draft, problem)
        return
    if step == EDIT_MENU:
        _edit_menu(turn, dialog, draft, problem)
        return
    if step == DUPLICATES:
        _duplicates(turn, dialog, problem)
        return
    steps = applicable_steps(turn, draft)
    position = steps.index(step) + 1 if step in steps else len(steps)
    rows: list[list[Button]] = []
    token = dialog.token
    if step == "kind":
        rows = in_rows([_pick(turn, token, v.value, lbl) for v, lbl in KIND_LABELS.items()], 2)
    elif step == "role":
        rows = in_rows([_pick(turn, token, v.value, lbl) for v, lbl in ROLE_LABELS.items()], 2)
    elif step == "date":
        rows = [[_pick(turn, token, "today", TODAY), _pick(turn, token, "yesterday", YESTERDAY)]]
    elif step == "unit":
        rows = [[Button(turn.label(UNIT_LIST), button_data(FLOW, token, "list"))]]
    elif step == "campaign":
        campaigns = turn.rt.directory.campaigns_on(draft.deed_date or turn.today)
        rows = [[Button(c.title[:60], button_data(FLOW, token, "pick", c.key))] for c in campaigns]
    elif step == "anonymous":
        rows = [[_pick(turn, token, "yes", ANONYMOUS_YES), _pick(turn, token, "no", ANONYMOUS_NO)]]
    elif step == "age":
        rows = [[_pick(turn, token, "yes", UNDER_16_YES), _pick(turn, token, "no", UNDER_16_NO)]]
    if step == "evidence" and draft.evidence:
        rows.append([Button(turn.label(DONE), button_data(FLOW, token, "done"))])
    elif step in OPTIONAL:
        rows.append([nav_button(turn, FLOW, token, SKIP, "skip")])
    rows.append(_nav_row(turn, token, back=position > 1 or bool(dialog.data.get(EDITING))))
    keyboard = inline_keyboard(rows)
    if step in KEYBOARD_STEPS and _may_request(turn):
        keyboard = _request_keyboard(turn, step, rows)
    turn.say(
        f"nominate/ask_{step}",
        keyboard=keyboard,
        shares=keyboard is not None and "keyboard" in keyboard,
        step=position,
        total=len(steps),
        problem=problem,
        params=params,
        draft=draft,
        limit=MAX_EVIDENCE,
        shown_unit=turn.rt.directory.unit_name(shown_unit) if shown_unit else None,
        **(_unit_words(turn, draft.deed_date or turn.today) if step == "unit" else {}),
    )


def _request_keyboard(turn: Turn, step: str, rows: list[list[Button]]) -> dict[str, Any]:
    """Return the step's reply keyboard: Telegram's own button, then the inline rows' labels.

    The labels come back as typed text, read by :func:`_typed_navigation`.
    """
    label, request, placeholder = KEYBOARD_STEPS[step]
    return request_keyboard(
        turn.label(label),
        request,
        [[button.label for button in row] for row in rows],
        placeholder=turn.label(placeholder),
    )


def _summary(turn: Turn, dialog: Dialog, draft: NominationDraft, problem: str | None) -> None:
    token = dialog.token
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(SEND), button_data(FLOW, token, "send")),
                Button(turn.label(EDIT), button_data(FLOW, token, "edit")),
            ],
            [cancel_button(turn, FLOW, token)],
        ]
    )
    directory = turn.rt.directory
    turn.say(
        "nominate/summary",
        keyboard=keyboard,
        problem=problem,
        draft=draft,
        kind=turn.label(KIND_LABELS[draft.nominee_kind]) if draft.nominee_kind else None,
        role=turn.label(ROLE_LABELS[draft.nominee_role]) if draft.nominee_role else None,
        unit=directory.unit_name(draft.unit_key) if draft.unit_key else None,
        campaign=directory.campaign_title(draft.campaign_key) if draft.campaign_key else None,
    )


def _duplicates(turn: Turn, dialog: Dialog, problem: str | None) -> None:
    """Show the likely duplicates (noted at the summary) with a button to support each.

    Only codes, dates and states are shown: the resident typed the nominee's name already,
    and nothing about the other nominators is disclosed.
    """
    token = dialog.token
    found = dialog.data.get(DUPLICATES, [])
    rows = [
        [
            Button(
                turn.label(SUPPORT, code=item["code"]),
                button_data(FLOW, token, "support", str(item["id"])),
            )
        ]
        for item in found
    ]
    rows.append([Button(turn.label(SEND_ANYWAY), button_data(FLOW, token, "send"))])
    rows.append(_nav_row(turn, token, back=True))
    turn.say(
        "nominate/duplicates",
        keyboard=inline_keyboard(rows),
        problem=problem,
        params={},
        found=[{**item, "date": date.fromisoformat(item["date"])} for item in found],
    )


def _edit_menu(turn: Turn, dialog: Dialog, draft: NominationDraft, problem: str | None) -> None:
    token = dialog.token
    fields = [
        Button(turn.label(STEP_LABELS[step]), button_data(FLOW, token, "field", step))
        for step in applicable_steps(turn, draft)
    ]
    rows = [*in_rows(fields, 2), [nav_button(turn, FLOW, token, BACK, "back")]]
    turn.say("nominate/edit_menu", keyboard=inline_keyboard(rows), problem=problem)


def _unit_keyboard(
    turn: Turn, dialog: Dialog, keys: Sequence[str], *, offer_list: bool = False
) -> dict[str, Any]:
    # The reply is shown after the dialog moves on, so its buttons carry the next token.
    token = dialog.token + 1
    directory = turn.rt.directory
    buttons = [Button(directory.unit_name(k), button_data(FLOW, token, "pick", k)) for k in keys]
    rows = in_rows(buttons, 1 if offer_list else 2)
    if offer_list:
        rows.append([Button(turn.label(UNIT_LIST), button_data(FLOW, token, "list"))])
    rows.append(_nav_row(turn, token, back=True))
    return inline_keyboard(rows)


def _pick(turn: Turn, token: int, value: str, label: str) -> Button:
    return Button(turn.label(label), button_data(FLOW, token, "pick", value))


def _nav_row(turn: Turn, token: int, *, back: bool) -> list[Button]:
    row = [nav_button(turn, FLOW, token, BACK, "back")] if back else []
    row.append(cancel_button(turn, FLOW, token))
    return row


def _draft(dialog: Dialog) -> NominationDraft:
    return NominationDraft.from_dict(dialog.data.get(DRAFT) or {})
