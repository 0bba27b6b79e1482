"""Officers and their unit's deadlines: /deadlines, done, /event, /register; /compliance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.conversations.incoming import Incoming
from bot.keyboards import Button, inline_keyboard
from bot.notices import DONE, DONE_LABEL, Deadlines, load_deadlines, nominations_in_month

__all__ = ["DONE", "handlers", "on_done"]
from bot.runtime import Runtime, Turn
from core.compliance import compliance
from core.dates import parse_deed_date
from core.deadlines import ObligationKey, Occurrence
from core.errors import DomainError
from core.plan import Plan, RelativeDue
from core.review import actor_for, secretariat_ids
from core.roles import Actor

# /deadlines looks this far ahead, and lists what is overdue however old.
HORIZON = timedelta(days=45)
MAX_LISTED = 10
MAX_TITLES = 10


def _in_scope(actor: Actor, key: ObligationKey) -> bool:
    return actor.acts_for(key.unit_key)


async def show_deadlines(turn: Turn) -> None:
    """List my units' overdue and coming tasks, with a "done" button for each.

    Someone who acts for no unit sees the plan's coming deadlines instead.
    """
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    deadlines = await load_deadlines(turn.uow, turn.rt, turn.rt.calendar)
    if deadlines is None:
        turn.say("deadlines/none")
        return
    if not actor.is_staff:
        _plan_deadlines(turn, deadlines)
        return
    tasks = {task.number: task for task in deadlines.plan.tasks}
    lead = {o.key for o in deadlines.obligations if o.lead}
    items: list[tuple[Occurrence, bool]] = []
    for key, found in deadlines.occurrences.items():
        if key not in lead or not _in_scope(actor, key):
            continue
        for occurrence in found:
            if (key, occurrence.occurrence) in deadlines.completed:
                continue
            overdue = occurrence.due < turn.today
            if overdue or occurrence.due <= turn.today + HORIZON:
                items.append((occurrence, overdue))
    items.sort(key=lambda item: (not item[1], item[0].due, item[0].key.task_number))
    shown = items[:MAX_LISTED]
    rows = [
        [
            Button(
                f"{turn.label(DONE_LABEL)} · {occurrence.key.task_number} · {occurrence.due:%d/%m}",
                _done_data(turn, occurrence),
            )
        ]
        for occurrence, _ in shown
    ]
    turn.say(
        "deadlines/list",
        keyboard=inline_keyboard(rows) if rows else None,
        items=[
            {
                "task": tasks[o.key.task_number],
                "unit": turn.rt.directory.unit_name(o.key.unit_key),
                "due": o.due,
                "overdue": overdue,
                "days_left": turn.rt.calendar.working_days_between(turn.today, o.due),
                "shift_reason": o.shift_reason,
            }
            for o, overdue in shown
        ],
        more=len(items) - len(shown),
        plan=deadlines.plan.number,
    )


def _plan_deadlines(turn: Turn, deadlines: Deadlines) -> None:
    """Show everybody the plan's next deadlines, one line per task."""
    soonest: dict[int, Occurrence] = {}
    for found in deadlines.occurrences.values():
        for occurrence in found:
            number = occurrence.key.task_number
            upcoming = turn.today <= occurrence.due <= turn.today + HORIZON
            if upcoming and (number not in soonest or occurrence.due < soonest[number].due):
                soonest[number] = occurrence
    tasks = {task.number: task for task in deadlines.plan.tasks}
    turn.say(
        "deadlines/plan",
        plan=deadlines.plan.number,
        items=[
            {"task": tasks[number], "due": occurrence.due}
            for number, occurrence in sorted(soonest.items(), key=lambda i: i[1].due)
        ][:MAX_LISTED],
    )


def _done_data(turn: Turn, occurrence: Occurrence) -> str:
    index = turn.rt.directory.unit_index(occurrence.key.unit_key)
    return f"{DONE}:{occurrence.key.task_number}:{occurrence.occurrence}:{index}"


async def on_done(turn: Turn, incoming: Incoming) -> None:
    """Mark a task's occurrence done for a unit; the notices about it stop."""
    turn.clear_buttons()
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    unit = turn.rt.directory.unit_at(int(incoming.arg or -1))
    plan = turn.rt.directory.plan
    if unit is None or plan is None or incoming.token is None or not incoming.action:
        turn.say("start/stale_button")
        return
    if not (actor.is_staff and actor.acts_for(unit.key)):
        turn.say("officer/not_allowed")
        return
    key = ObligationKey(plan.key, incoming.token, unit.key)
    task = next((t for t in plan.tasks if t.number == incoming.token), None)
    fresh = await turn.uow.deadlines.complete(
        plan.key, str(key), incoming.action, on=turn.today, by=turn.user.id, at=turn.now
    )
    told = [u for u in await secretariat_ids(turn.uow, turn.today) if u != turn.user.id]
    for user_id in told if fresh else []:
        await turn.notify(
            user_id, "deadlines/done_told", task=task, unit=unit.name, by=turn.user.display_name
        )
    turn.say(
        "deadlines/done", task=task, unit=unit.name, already=not fresh, told=fresh and bool(told)
    )


async def set_event(turn: Turn) -> None:
    """``/event <task> <day>``: enter the expected event date of a relative deadline."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    plan = turn.rt.directory.plan
    words = turn.command_args.split()
    task = None
    if plan is not None and words and words[0].isdigit():
        task = next((t for t in plan.tasks if t.number == int(words[0])), None)
    if plan is None or task is None or not isinstance(task.due, RelativeDue) or len(words) < 2:
        turn.say("deadlines/event_usage")
        return
    try:
        # The event lies ahead: read the date with "today" far in the future as the limit.
        day = parse_deed_date(words[1], turn.today + timedelta(days=3 * 365), max_age_years=6)
    except DomainError as error:
        turn.say("officer/refused", problem=error.code, params={})
        return
    units = [u for u in (actor.unit_keys or frozenset()) if u]
    if not units:
        turn.say("officer/not_allowed")
        return
    for unit_key in sorted(units):
        key = ObligationKey(plan.key, task.number, unit_key)
        await turn.uow.deadlines.set_event_day(
            plan.key, str(key), day, by=turn.user.id, at=turn.now
        )
    turn.say(
        "deadlines/event_set",
        task=task,
        event=day,
        due=turn.rt.calendar.shift_deadline_back(task.due.due_for(day), "").day,
    )


async def show_compliance(turn: Turn) -> None:
    """``/compliance``: per unit, tasks on time, late, overdue; the monthly quota; registration."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if actor.unit_keys is not None:  # only the secretariat and admins see every unit
        turn.say("officer/not_allowed")
        return
    deadlines = await load_deadlines(turn.uow, turn.rt, turn.rt.calendar)
    if deadlines is None:
        turn.say("deadlines/none")
        return
    counts = await nominations_in_month(turn.uow, turn.today, turn.rt.settings.tz)
    registered = await turn.uow.deadlines.registrations(deadlines.plan.year)
    units = list(dict.fromkeys(o.key.unit_key for o in deadlines.obligations))
    rows = compliance(
        deadlines.obligations,
        deadlines.occurrences,
        deadlines.completed,
        units=units,
        today=turn.today,
        nominations=counts,
        registered=set(registered),
        quota=turn.rt.settings.monthly_quota,
    )
    rows.sort(
        key=lambda row: (not row.behind, -row.overdue, turn.rt.directory.unit_index(row.unit_key))
    )
    turn.say(
        "deadlines/compliance",
        rows=rows,
        unit_name=turn.rt.directory.unit_name,
        month=f"{turn.today:%m/%Y}",
        year=deadlines.plan.year,
        today=turn.today,
    )


async def _titles_request(turn: Turn, *, usage: str) -> tuple[Plan, list[str], list[str]] | None:
    """Read ``/command TITLE; TITLE`` from an officer: the plan, their units and the titles.

    Says why and returns None when there is no plan, the user acts for no unit, or no title.
    """
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    plan = turn.rt.directory.plan
    units = sorted(actor.unit_keys or ()) if actor.is_staff else []
    titles = [t.strip() for t in turn.command_args.split(";") if t.strip()][:MAX_TITLES]
    if plan is None or not units:
        turn.say("officer/not_allowed" if plan else "deadlines/none")
        return None
    if not titles:
        turn.say(usage)
        return None
    return plan, units, titles


async def register(turn: Turn) -> None:
    """``/register <titles>``: record the unit's emulation registration for the plan's year."""
    request = await _titles_request(turn, usage="deadlines/register_usage")
    if request is None:
        return
    plan, units, titles = request
    for unit_key in units:
        await turn.uow.deadlines.register(unit_key, plan.year, titles, by=turn.user.id, at=turn.now)
    turn.say(
        "deadlines/registered",
        titles=titles,
        year=plan.year,
        units=[turn.rt.directory.unit_name(u) for u in units],
    )


async def file_dossier(turn: Turn) -> None:
    """``/dossier <titles>``: file the unit's year-end commendation dossier for the plan's year.

    The plan (section III.4) refuses year-end commendation to units that did not register for
    emulation; the 2022 law dropped that as a legal ground, so the rule is a setting.
    """
    request = await _titles_request(turn, usage="deadlines/dossier_usage")
    if request is None:
        return
    plan, units, titles = request
    registered = await turn.uow.deadlines.registrations(plan.year)
    refused = [u for u in units if u not in registered]
    if turn.rt.settings.require_registration and refused:
        turn.say(
            "deadlines/dossier_refused",
            units=[turn.rt.directory.unit_name(u) for u in refused],
            year=plan.year,
        )
        return
    for unit_key in units:
        await turn.uow.deadlines.file_dossier(
            unit_key, plan.year, titles, by=turn.user.id, at=turn.now
        )
    names = [turn.rt.directory.unit_name(u) for u in units]
    for user_id in await secretariat_ids(turn.uow, turn.today):
        await turn.notify(
            user_id, "deadlines/dossier_told", units=names, titles=titles, year=plan.year
        )
    turn.say("deadlines/dossier_filed", units=names, titles=titles, year=plan.year)


def handlers(rt: Runtime) -> list[BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]]:
    """Return the deadline command handlers."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(
            ["deadlines", "hanchot", "done"], rt.handler(show_deadlines), filters=private
        ),
        CommandHandler(["event", "sukien"], rt.handler(set_event), filters=private),
        CommandHandler(["compliance", "tiendo"], rt.handler(show_compliance), filters=private),
        CommandHandler(["register", "dangky"], rt.handler(register), filters=private),
        CommandHandler(["dossier", "hoso_cuoinam"], rt.handler(file_dossier), filters=private),
    ]
