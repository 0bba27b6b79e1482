"""The council's vote in chat: the standing office holds a meeting, the members vote in secret.

Two flows. ``hp``, the standing office's: ``/hop`` asks the meeting's day, the cases under
review to put and the members present, then sends every member present one ballot per case;
while the vote runs, ``/hop`` shows how many have voted (never how) and lets the office close
it; ``/ketqua`` shows the latest closed meeting's results, with a button per case that leads
to recording the decision (the review's own commend step, or the decline with the reason
:data:`core.council.NOT_PASSED_REASON`). ``bp``, the members': a ballot's buttons, the
reasons for recusing, an optional reason given after voting.

The secret is kept at this edge too. A vote button's data is a tag signed for the member's
chat and the choice (:func:`vote_tag`), not the choice; the ballot message leaves the outbox
once sent, so nothing stored maps a tag back to a choice; the stored update of a press is
forgotten by the core service in the vote's own transaction. A member is told "your ballot
was recorded", the same words whatever they chose; nothing is logged.
"""

from __future__ import annotations

import hmac
from datetime import date
from fractions import Fraction
from typing import Any

from bot.commands import OFFICE
from bot.conversations.cases import action_data
from bot.conversations.common import TODAY, Problem, cancel_button, typed_text
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.conversations.review import notify_nominator
from bot.flows import Command, Flow, stale_button
from bot.keyboards import SIGNATURE_CHARS, Button, ButtonSigner, inline_keyboard
from bot.messages import locale_of, text_message
from bot.rendering import N_
from bot.runtime import Turn
from core.council import Choice, RecusalReason, VoteRule
from core.dates import format_date_vi, parse_deed_date
from core.dialog import Dialog
from core.errors import DateError, DomainError
from core.meetings import (
    REASON_MAX_CHARS,
    BallotPaper,
    Results,
    agenda,
    cast_vote,
    close_meeting,
    current_meeting,
    decline_not_passed,
    forget_ballot_input,
    give_reason,
    may_hold_meetings,
    open_meeting,
    progress,
    recuse,
    results,
)
from core.nomination import NominationStatus
from core.review import actor_for
from core.workflow import Action

MEETING = "hp"
BALLOT = "bp"
# A vote button's action: this letter and the tag (vote_tag); no other action begins so.
VOTE_PREFIX = "v"
# Buttons of the office's messages (progress, closing, decisions), not of its dialog.
_OFFICE_BUTTONS = frozenset({"prog", "close", "closeok", "decl", "declok", "keep"})

# The rule each case is decided by until the award forms carry their own (issue 17's
# dossiers): the votes for reach half of ALL the council's members, and two thirds of the
# members present cast a vote. The one place to change: core hard-codes no rule.
INTERIM_RULE = VoteRule(threshold=Fraction(1, 2), quorum=Fraction(2, 3))
# How far back a meeting's day may be typed.
DAY_MAX_AGE_YEARS = 1

NEXT = N_("➡️ Tiếp tục")
OPEN = N_("✅ Mở phiên bỏ phiếu")
PROGRESS = N_("🔄 Xem tiến độ")
CLOSE = N_("⏹ Kết thúc bỏ phiếu")
CONFIRM = N_("✅ Xác nhận")
KEEP = N_("Không, quay lại")
VOTE_FOR = N_("✅ Đồng ý")
VOTE_AGAINST = N_("❌ Không đồng ý")
RECUSE = N_("🙋 Xin không biểu quyết (tôi là người đề cử, người cùng đề cử, hoặc người thân)")
GIVE_REASON = N_("✍️ Gửi lý do (không bắt buộc)")
COMMEND = N_("🏅 Khen thưởng: %(name)s")
DECLINE = N_("➖ Không khen thưởng: %(name)s")
RECUSAL_LABELS = {
    RecusalReason.NOMINATOR: N_("Tôi là người đề cử"),
    RecusalReason.SUPPORTER: N_("Tôi là người cùng đề cử"),
    RecusalReason.FAMILY: N_("Tôi là người thân của người được đề cử"),
}
CHOICE_LABELS = {Choice.FOR: VOTE_FOR, Choice.AGAINST: VOTE_AGAINST}


def _update_id(turn: Turn) -> int | None:
    """Return the stored update this turn processes (None off Telegram)."""
    return turn.update.update_id if turn.update is not None else None


def _pair(arg: str | None) -> tuple[int, int] | None:
    """Read "meeting.case" button arguments."""
    parts = (arg or "").split(".")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


# --- the standing office: opening a meeting -------------------------------------------------


async def hop_command(turn: Turn) -> None:
    """``/hop``: open a meeting, or follow the one being voted on."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_hold_meetings(actor):
        turn.say("meeting/not_office")
        return
    running = await current_meeting(turn.uow, actor)
    if running is not None and running.id is not None:
        await _show_progress(turn, running.id)
        return
    offered = await agenda(turn.uow, actor, on=turn.today)
    if not offered.cases or not offered.members:
        turn.say("meeting/nothing_to_put", cases=len(offered.cases), members=len(offered.members))
        return
    data = {
        "day": turn.today.isoformat(),
        "cases": [case.id for case in offered.cases],
        "present": [member.user_id for member in offered.members],
    }
    dialog = await open_dialog(turn, MEETING, "day", data)
    await _ask(turn, dialog, problem=None)


async def _ask(turn: Turn, dialog: Dialog, *, problem: str | None) -> None:
    """Ask the current step's question, with the choices as they stand."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    offered = await agenda(turn.uow, actor, on=turn.today)
    token, data = dialog.token, dialog.data
    chosen_cases, present = set(data["cases"]), set(data["present"])
    rows: list[list[Button]] = []
    if dialog.step == "day":
        label = f"{turn.label(TODAY)} ({turn.today:%d/%m/%Y})"
        rows.append([Button(label, button_data(MEETING, token, "today"))])
    elif dialog.step == "cases":
        rows += [
            [
                Button(
                    _tick(case.id in chosen_cases, f"{case.code} · {case.nominee.name}"),
                    button_data(MEETING, token, "case", str(case.id)),
                )
            ]
            for case in offered.cases
        ]
        rows.append([Button(turn.label(NEXT), button_data(MEETING, token, "next"))])
    elif dialog.step == "members":
        rows += [
            [
                Button(
                    _tick(member.user_id in present, member.name),
                    button_data(MEETING, token, "member", str(member.user_id)),
                )
            ]
            for member in offered.members
        ]
        rows.append([Button(turn.label(NEXT), button_data(MEETING, token, "next"))])
    else:
        rows.append([Button(turn.label(OPEN), button_data(MEETING, token, "open"))])
    rows.append([cancel_button(turn, MEETING, token)])
    turn.say(
        "meeting/ask",
        keyboard=inline_keyboard(rows),
        step=dialog.step,
        problem=problem,
        params={},
        day=date.fromisoformat(data["day"]),
        cases=[case for case in offered.cases if case.id in chosen_cases],
        present=[member for member in offered.members if member.user_id in present],
        members=len(offered.members),
        rule=INTERIM_RULE,
    )


def _tick(chosen: bool, label: str) -> str:
    """Return a toggle's label: ✅ chosen, ⬜ not; cut to what a button shows."""
    return f"{'✅' if chosen else '⬜'} {label}"[:60]


async def on_meeting_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the day, a toggled case or member, or the go-ahead to open the meeting."""
    if incoming.kind == "button" and incoming.action in _OFFICE_BUTTONS:
        await on_meeting_button(turn, incoming)  # a button of another message: not the dialog's
        return
    if incoming.kind == "button":
        if incoming.token != dialog.token:
            turn.callback_notice = turn.label(N_("Nút này thuộc một bước đã qua."))
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            await _ask(turn, dialog, problem="input.stale_button")
            return
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("meeting/cancelled", draft_kept=kept)
            return
    try:
        ready = await _take(turn, dialog, incoming)
    except Problem as problem:
        await _ask(turn, dialog, problem=problem.code)
        return
    if not ready:
        dialog.move_to(dialog.step, turn.now)
        await turn.uow.dialogs.save(dialog)
        await _ask(turn, dialog, problem=None)
        return
    await close_dialog(turn, dialog)
    await _open(turn, dialog.data)


async def _take(turn: Turn, dialog: Dialog, incoming: Incoming) -> bool:
    """Store the answer to the current step; return True when the meeting may open."""
    data, step = dialog.data, dialog.step
    action = incoming.action if incoming.kind == "button" else None
    if step == "day":
        if action == "today":
            data["day"] = turn.today.isoformat()
        else:
            try:
                day = parse_deed_date(
                    typed_text(incoming), turn.today, max_age_years=DAY_MAX_AGE_YEARS
                )
            except DateError as error:
                raise Problem("meeting.day") from error
            data["day"] = day.isoformat()
        dialog.step = "cases"
        return False
    if step in ("cases", "members") and action in ("case", "member") and incoming.arg:
        key = "cases" if action == "case" else "present"
        picked = int(incoming.arg) if incoming.arg.isdigit() else None
        chosen: list[int] = data[key]
        if picked is not None and picked in chosen:
            chosen.remove(picked)
        elif picked is not None:
            chosen.append(picked)
        return False
    if step == "cases" and action == "next":
        if not data["cases"]:
            raise Problem("meeting.no_case")
        dialog.step = "members"
        return False
    if step == "members" and action == "next":
        if not data["present"]:
            raise Problem("meeting.nobody")
        dialog.step = "confirm"
        return False
    if step == "confirm" and action == "open":
        return True
    raise Problem("input.use_buttons")


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask the opening dialog's question again, after explaining ``problem``."""
    await _ask(turn, dialog, problem=problem)


async def _open(turn: Turn, data: dict[str, Any]) -> None:
    """Open the meeting and send each member present their ballots."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    case_ids = [int(case_id) for case_id in data["cases"]]
    try:
        opened = await open_meeting(
            turn.uow,
            actor,
            day=date.fromisoformat(data["day"]),
            case_ids=case_ids,
            present=[int(member) for member in data["present"]],
            default_rule=INTERIM_RULE,
            today=turn.today,
            now=turn.now,
        )
    except DomainError as error:
        await refuse(turn, error)
        return
    meeting = opened.meeting
    assert meeting.id is not None
    for paper in opened.papers:
        await _send_ballot(turn, meeting.id, meeting.day, paper)
    turn.say("meeting/opened", ballots=sum(1 for p in opened.papers if p.view is not None))
    if opened.results is not None:
        await _send_results(turn, opened.results)
    else:
        await _show_progress(turn, meeting.id)


# --- the members: ballots -------------------------------------------------------------------


def vote_tag(
    signer: ButtonSigner, member_id: int, meeting_id: int, case_id: int, choice: Choice
) -> str:
    """Return a vote button's action: "v" and a tag signed for the member, ballot and choice.

    Only a holder of the bot's key tells which choice a tag stands for.
    """
    signed = signer.sign(member_id, f"vote:{meeting_id}:{case_id}:{choice.value}")
    return VOTE_PREFIX + signed[-SIGNATURE_CHARS:]


def _choice_of(turn: Turn, tag: str, meeting_id: int, case_id: int) -> Choice | None:
    """Return the choice a pressed tag stands for, or None for a tag that is none of them."""
    found = None
    for choice in Choice:
        expected = vote_tag(turn.rt.buttons, turn.chat_id, meeting_id, case_id, choice)
        if hmac.compare_digest(tag.encode(), expected.encode()):
            found = choice
    return found


async def _send_ballot(turn: Turn, meeting_id: int, day: date, paper: BallotPaper) -> None:
    """Send one ballot: the case as core shows the member, the buttons; or why none."""
    member = paper.member_id
    locale = await locale_of(turn.uow, member, turn.rt.settings.default_locale)
    pair = f"{meeting_id}.{paper.nomination_id}"
    if paper.view is None:
        turn.say_to(
            member,
            locale,
            "meeting/recused_by_rule",
            day=day,
            line=paper.line,
            reason=paper.conflict,
        )
        return
    rows = [
        [
            Button(
                turn.rt.renderer.text(locale, CHOICE_LABELS[choice]),
                button_data(
                    BALLOT,
                    0,
                    vote_tag(turn.rt.buttons, member, meeting_id, paper.nomination_id, choice),
                    pair,
                ),
            )
            for choice in Choice
        ],
        [Button(turn.rt.renderer.text(locale, RECUSE), button_data(BALLOT, 0, "rec", pair))],
    ]
    nomination = paper.view.nomination
    ballot = text_message(
        turn.rt.renderer,
        member,
        locale,
        "meeting/ballot",
        now=turn.now,
        keyboard=inline_keyboard(rows),
        buttons=turn.rt.buttons,
        day=day,
        view=paper.view,
        nomination=nomination,
        unit=turn.rt.directory.unit_name(nomination.unit_key),
        notice=None,
    )
    # Gone from the outbox once sent: no stored row says which tag stood for which choice.
    ballot.forget_when_sent = True
    turn.replies.append(ballot)


async def on_ballot_button(turn: Turn, incoming: Incoming) -> None:
    """Cast a vote, start or finish a recusal, or start giving a reason."""
    await forget_ballot_input(turn.uow, _update_id(turn))
    pair = _pair(incoming.arg)
    if pair is None:
        stale_button(turn)
        return
    meeting_id, case_id = pair
    action = incoming.action or ""
    try:
        if action == "rec":
            _ask_recusal(turn, meeting_id, case_id)
        elif action.startswith("rr-"):
            await _recuse(turn, meeting_id, case_id, action.removeprefix("rr-"))
        elif action == "why":
            turn.answer_in_place()
            dialog = await open_dialog(turn, BALLOT, "reason", {"m": meeting_id, "c": case_id})
            _ask_reason(turn, dialog, problem=None)
        elif action.startswith(VOTE_PREFIX):
            await _vote(turn, meeting_id, case_id, action)
        else:
            stale_button(turn)
    except DomainError as error:
        await refuse(turn, error)


async def _vote(turn: Turn, meeting_id: int, case_id: int, tag: str) -> None:
    choice = _choice_of(turn, tag, meeting_id, case_id)
    if choice is None:
        stale_button(turn)
        return
    outcome = await cast_vote(
        turn.uow,
        turn.user.id,
        meeting_id,
        case_id,
        choice,
        today=turn.today,
        update_id=_update_id(turn),
    )
    # Not in place: the edited message's first line would name the choice, and nothing said
    # back names it. The ballot loses its buttons; the receipt is a new message.
    turn.clear_buttons()
    # The same words whatever the choice: nothing said back names it.
    turn.callback_notice = turn.label(N_("Đã ghi nhận phiếu."))
    why = button_data(BALLOT, 0, "why", f"{meeting_id}.{case_id}")
    keyboard = inline_keyboard([[Button(turn.label(GIVE_REASON), why)]])
    turn.say("meeting/voted", keyboard=keyboard, line=outcome.line)
    if outcome.results is not None:
        await _send_results(turn, outcome.results)


def _ask_recusal(turn: Turn, meeting_id: int, case_id: int) -> None:
    pair = f"{meeting_id}.{case_id}"
    rows = [
        [Button(turn.label(label), button_data(BALLOT, 0, f"rr-{reason.value}", pair))]
        for reason, label in RECUSAL_LABELS.items()
    ]
    rows.append([Button(turn.label(KEEP), button_data(BALLOT, 0, "rr-keep", pair))])
    turn.say("meeting/recuse_ask", keyboard=inline_keyboard(rows))


async def _recuse(turn: Turn, meeting_id: int, case_id: int, reason: str) -> None:
    turn.answer_in_place()
    try:
        why = RecusalReason(reason)
    except ValueError:
        turn.say("meeting/recuse_kept")
        return
    outcome = await recuse(
        turn.uow,
        turn.user.id,
        meeting_id,
        case_id,
        why,
        today=turn.today,
        update_id=_update_id(turn),
    )
    turn.say("meeting/recused", reason=why, line=outcome.line)
    if outcome.results is not None:
        await _send_results(turn, outcome.results)


def _ask_reason(turn: Turn, dialog: Dialog, *, problem: Problem | None) -> None:
    turn.say(
        "meeting/reason_ask",
        keyboard=inline_keyboard([[cancel_button(turn, BALLOT, dialog.token)]]),
        problem=problem.code if problem else None,
        params=problem.params if problem else {},
        limit=REASON_MAX_CHARS,
    )


async def on_ballot_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the reason typed after a vote (or a ballot's button pressed meanwhile)."""
    await forget_ballot_input(turn.uow, _update_id(turn))
    if incoming.kind == "button" and incoming.action != "cancel":
        await close_dialog(turn, dialog)  # another ballot's button: the reason is dropped
        await on_ballot_button(turn, incoming)
        return
    if incoming.kind == "button":
        turn.answer_in_place()
        await close_dialog(turn, dialog)
        turn.say("meeting/reason_skipped")
        return
    try:
        text = typed_text(incoming, REASON_MAX_CHARS)
    except Problem as problem:
        _ask_reason(turn, dialog, problem=problem)
        return
    await close_dialog(turn, dialog)
    try:
        await give_reason(
            turn.uow,
            turn.user.id,
            int(dialog.data["m"]),
            int(dialog.data["c"]),
            text,
            today=turn.today,
            update_id=_update_id(turn),
        )
    except DomainError as error:
        await refuse(turn, error)
        return
    turn.say("meeting/reason_saved")


async def ask_reason_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the reason again, after explaining ``problem``."""
    _ask_reason(turn, dialog, problem=Problem(problem))


# --- the standing office: progress, closing, results, decisions -----------------------------


async def _show_progress(turn: Turn, meeting_id: int) -> None:
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    seen = await progress(turn.uow, actor, meeting_id)
    arg = str(meeting_id)
    keyboard = inline_keyboard(
        [
            [Button(turn.label(PROGRESS), button_data(MEETING, 0, "prog", arg))],
            [Button(turn.label(CLOSE), button_data(MEETING, 0, "close", arg))],
        ]
    )
    turn.say("meeting/progress", keyboard=keyboard, progress=seen)


async def _send_results(turn: Turn, found: Results) -> None:
    """Send a closed meeting's results to the standing office, with the decisions' buttons."""
    for reader in found.readers:
        locale = await locale_of(turn.uow, reader, turn.rt.settings.default_locale)
        turn.say_to(
            reader,
            locale,
            "meeting/results",
            keyboard=_decision_keyboard(turn, found, locale),
            results=found,
        )


def _decision_keyboard(turn: Turn, found: Results, locale: str) -> dict[str, Any] | None:
    """Return a button per case still to decide: commend what passed, decline what did not."""
    rows = []
    for line in found.lines:
        case = line.case
        if case is None or case.id is None or case.status is not NominationStatus.UNDER_REVIEW:
            continue
        name = line.line.nominee[:40]
        if line.tally.passed:
            label = turn.rt.renderer.text(locale, COMMEND, {"name": name})
            rows.append([Button(label, action_data(case, Action.COMMEND))])
        else:
            label = turn.rt.renderer.text(locale, DECLINE, {"name": name})
            pair = f"{found.meeting.id}.{case.id}"
            rows.append([Button(label, button_data(MEETING, 0, "decl", pair))])
    return inline_keyboard(rows) if rows else None


async def results_command(turn: Turn) -> None:
    """``/ketqua``: the latest closed meeting's results, with the decisions' buttons."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_hold_meetings(actor):
        turn.say("meeting/not_office")
        return
    try:
        found = await results(turn.uow, actor, today=turn.today)
    except DomainError as error:
        await refuse(turn, error)
        return
    turn.say(
        "meeting/results",
        keyboard=_decision_keyboard(turn, found, turn.locale),
        results=found,
    )


async def on_meeting_button(turn: Turn, incoming: Incoming) -> None:
    """Show the progress, close the vote, or decline a case the vote did not pass."""
    action, arg = incoming.action or "", incoming.arg or ""
    try:
        if action in ("prog", "close", "closeok") and arg.isdigit():
            turn.answer_in_place()
            await _office_step(turn, action, int(arg))
        elif action in ("decl", "declok", "keep") and (pair := _pair(arg)) is not None:
            await _decide(turn, action, *pair)
        else:
            stale_button(turn)
    except DomainError as error:
        await refuse(turn, error)


async def _office_step(turn: Turn, action: str, meeting_id: int) -> None:
    if action == "prog":
        await _show_progress(turn, meeting_id)
    elif action == "close":
        keyboard = inline_keyboard(
            [
                [Button(turn.label(CONFIRM), button_data(MEETING, 0, "closeok", str(meeting_id)))],
                [Button(turn.label(PROGRESS), button_data(MEETING, 0, "prog", str(meeting_id)))],
            ]
        )
        turn.say("meeting/close_ask", keyboard=keyboard)
    else:
        actor = await actor_for(turn.uow, turn.user.id, turn.today)
        closed = await close_meeting(turn.uow, actor, meeting_id, today=turn.today)
        await _send_results(turn, closed)


async def _decide(turn: Turn, action: str, meeting_id: int, case_id: int) -> None:
    pair = f"{meeting_id}.{case_id}"
    if action == "decl":  # pressed on the results: their other buttons stay
        keyboard = inline_keyboard(
            [
                [Button(turn.label(CONFIRM), button_data(MEETING, 0, "declok", pair))],
                [Button(turn.label(KEEP), button_data(MEETING, 0, "keep", pair))],
            ]
        )
        turn.say("meeting/decline_ask", keyboard=keyboard)
        return
    turn.answer_in_place()
    if action == "keep":
        turn.say("meeting/decline_kept")
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    changed, entry = await decline_not_passed(turn.uow, actor, meeting_id, case_id, now=turn.now)
    await notify_nominator(turn, changed, entry, target_code=None)
    turn.say("meeting/declined", code=str(changed.code))


async def refuse(turn: Turn, error: DomainError) -> None:
    """Explain politely why a meeting's or a ballot's request was refused."""
    turn.callback_notice = "⛔"
    closes_on = getattr(error, "closes_on", None)
    params = {"day": format_date_vi(closes_on)} if closes_on is not None else {}
    turn.say("meeting/refused", problem=error.code, params=params)


def flows() -> list[Flow]:
    """Return the meeting's flow (the standing office's) and the ballot's (the members')."""
    return [
        Flow(
            "meeting",
            key=MEETING,
            commands=(
                Command(
                    ("hop", "meeting"),
                    hop_command,
                    N_("Họp Hội đồng: mở phiên bỏ phiếu, xem tiến độ"),
                    roles=OFFICE,
                ),
                Command(
                    ("ketqua", "results"),
                    results_command,
                    N_("Kết quả bỏ phiếu của phiên họp gần nhất"),
                    roles=OFFICE,
                ),
            ),
            on_button=on_meeting_button,
            on_input=on_meeting_input,
            ask_again=ask_again,
        ),
        Flow(
            "ballot",
            key=BALLOT,
            on_button=on_ballot_button,
            on_input=on_ballot_input,
            ask_again=ask_reason_again,
            cancelled="meeting/reason_skipped",
        ),
    ]
