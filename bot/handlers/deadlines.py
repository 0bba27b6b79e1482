"""Officers and their unit's deadlines: /deadlines, done, /event, /register, /gionhan; /compliance.

Who may do each is decided in :mod:`core.reporting`; these handlers read, call, render.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.commands import OFFICE, STAFF
from bot.conversations import task_documents
from bot.conversations.incoming import Incoming
from bot.flows import Command, Flow
from bot.keyboards import Button, inline_keyboard
from bot.notices import (
    DONE,
    Deadlines,
    done_data,
    done_label,
    earliest_digest_time,
    load_deadlines,
)
from bot.rendering import N_
from bot.runtime import Turn
from core.compliance import compliance, proposed_in_month
from core.dates import parse_deed_date
from core.deadlines import Occurrence, undated_tasks
from core.digest import DigestTimeError, digest_time, parse_digest_time, set_digest_time
from core.errors import DomainError
from core.plan import Plan
from core.reporting import (
    NotRegisteredError,
    NotRelativeTaskError,
    declaring_units,
    file_dossier as file_unit_dossier,
    mark_done,
    may_mark_done,
    may_see_every_unit,
    register as register_units,
    registered_units,
    set_event_day,
)
from core.review import actor_for, secretariat_ids
from core.roles import Actor, NotAllowedError
from core.task_documents import documents_per_unit

__all__ = ["DONE", "flow", "on_done"]

# /deadlines looks this far ahead, and lists what is overdue however old.
HORIZON = timedelta(days=45)
MAX_LISTED = 10
MAX_TITLES = 10


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
        if key not in lead or not may_mark_done(actor, key.unit_key):
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
                done_label(turn.rt, turn.locale, occurrence.key.task_number, occurrence.due),
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
                "occurrence": o,
            }
            for o, overdue in shown
        ],
        more=len(items) - len(shown),
        plan=deadlines.plan.number,
        # The secretariat must know which tasks nobody will ever be reminded of.
        undated=undated_tasks(deadlines.plan) if may_see_every_unit(actor) else [],
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
            {"task": tasks[number], "due": occurrence.due, "occurrence": occurrence}
            for number, occurrence in sorted(soonest.items(), key=lambda i: i[1].due)
        ][:MAX_LISTED],
    )


def _done_data(turn: Turn, occurrence: Occurrence) -> str:
    key = occurrence.key
    return done_data(turn.rt, key.unit_key, key.task_number, occurrence.occurrence)


async def on_done(turn: Turn, incoming: Incoming) -> None:
    """Mark a task's occurrence done for a unit; the notices about it stop."""
    turn.answer_in_place(keep_text=True)  # the notice stays readable above what was done
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not actor.is_staff:
        turn.say("officer/not_allowed")
        return
    index = incoming.arg or ""
    unit = turn.rt.directory.unit_at(int(index)) if index.isascii() and index.isdigit() else None
    plan = turn.rt.directory.plan
    if unit is None or plan is None or incoming.token is None or not incoming.action:
        turn.say("start/stale_button")
        return
    try:
        fresh = await mark_done(
            turn.uow,
            actor,
            plan_key=plan.key,
            task_number=incoming.token,
            occurrence=incoming.action,
            unit_key=unit.key,
            today=turn.today,
            now=turn.now,
        )
    except NotAllowedError:
        turn.say("officer/not_allowed")
        return
    task = next((t for t in plan.tasks if t.number == incoming.token), None)
    told = [u for u in await secretariat_ids(turn.uow, turn.today) if u != turn.user.id]
    for user_id in told if fresh else []:
        await turn.notify(
            user_id, "deadlines/done_told", task=task, unit=unit.name, by=turn.user.display_name
        )
    attach = task_documents.attach_button(turn, unit.key, incoming.token, incoming.action)
    turn.say(
        "deadlines/done",
        keyboard=inline_keyboard([[attach]]),
        task=task,
        unit=unit.name,
        already=not fresh,
        told=fresh and bool(told),
    )


async def set_event(turn: Turn) -> None:
    """``/event <task> <day>``: enter the expected event date of a relative deadline."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not declaring_units(actor):
        turn.say("officer/not_allowed")
        return
    plan = turn.rt.directory.plan
    words = turn.command_args.split()
    task = None
    if plan is not None and words and words[0].isascii() and words[0].isdigit():
        task = next((t for t in plan.tasks if t.number == int(words[0])), None)
    if plan is None or task is None or len(words) < 2:
        turn.say("deadlines/event_usage")
        return
    try:
        # The event lies ahead: read the date with "today" far in the future as the limit.
        day = parse_deed_date(words[1], turn.today + timedelta(days=3 * 365), max_age_years=6)
        entered = await set_event_day(
            turn.uow,
            actor,
            plan=plan,
            task=task,
            day=day,
            calendar=turn.rt.calendar,
            now=turn.now,
        )
    except NotRelativeTaskError:
        turn.say("deadlines/event_usage")
        return
    except DomainError as error:
        turn.say("officer/refused", problem=error.code, params={})
        return
    turn.say("deadlines/event_set", task=task, event=entered.event, due=entered.due)


async def digest_time_setting(turn: Turn) -> None:
    """``/gionhan [HH:MM]``: show, or set, the time of my daily digest of deadlines."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not declaring_units(actor):
        turn.say("officer/not_allowed")
        return
    reminders = turn.rt.reminders
    hours: dict[str, Any] = {
        "earliest": f"{earliest_digest_time(turn.rt, reminders):%H:%M}",
        "latest": f"{turn.rt.settings.office_end:%H:%M}",
    }
    typed = turn.command_args.strip()
    if not typed:
        current = await digest_time(turn.uow, turn.user.id, reminders.office_time)
        turn.say("deadlines/digest_time", at=f"{current:%H:%M}", changed=False, **hours)
        return
    at = parse_digest_time(typed)
    if at is not None:
        try:
            await set_digest_time(
                turn.uow,
                actor,
                at,
                earliest=earliest_digest_time(turn.rt, reminders),
                latest=turn.rt.settings.office_end,
                now=turn.now,
            )
        except DigestTimeError:
            at = None
    if at is None:
        turn.say("deadlines/digest_time_usage", typed=typed, **hours)
        return
    turn.say("deadlines/digest_time", at=f"{at:%H:%M}", changed=True, **hours)


async def show_compliance(turn: Turn) -> None:
    """``/compliance``: per unit, tasks on time, late, overdue; the monthly quota; registration."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_see_every_unit(actor):
        turn.say("officer/not_allowed")
        return
    deadlines = await load_deadlines(turn.uow, turn.rt, turn.rt.calendar)
    if deadlines is None:
        turn.say("deadlines/none")
        return
    counts = await proposed_in_month(turn.uow, turn.today, turn.rt.settings.tz)
    registered = await registered_units(turn.uow, actor, deadlines.plan.year)
    filed = await documents_per_unit(turn.uow, actor, deadlines.plan.key)
    units = list(dict.fromkeys(o.key.unit_key for o in deadlines.obligations))
    rows = compliance(
        deadlines.obligations,
        deadlines.occurrences,
        deadlines.completed,
        units=units,
        today=turn.today,
        proposed=counts,
        registered=set(registered),
        quota=turn.rt.settings.monthly_quota,
        documents=filed,
    )
    rows.sort(
        key=lambda row: (not row.behind, -row.overdue, turn.rt.directory.unit_index(row.unit_key))
    )
    view = [task_documents.view_button(turn)] if filed else []
    turn.say(
        "deadlines/compliance",
        keyboard=inline_keyboard([view]) if view else None,
        rows=rows,
        unit_name=turn.rt.directory.unit_name,
        month=f"{turn.today:%m/%Y}",
        year=deadlines.plan.year,
        today=turn.today,
    )


async def _titles(turn: Turn, *, usage: str) -> tuple[Actor, Plan, list[str]] | None:
    """Read ``/command TITLE; TITLE`` from an officer: the actor, the plan and the titles.

    Says why and returns None when the user declares for no unit, there is no plan, or no
    title was typed.
    """
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    plan = turn.rt.directory.plan
    if not declaring_units(actor):
        turn.say("officer/not_allowed")
        return None
    if plan is None:
        turn.say("deadlines/none")
        return None
    titles = [t.strip() for t in turn.command_args.split(";") if t.strip()][:MAX_TITLES]
    if not titles:
        turn.say(usage)
        return None
    return actor, plan, titles


async def register(turn: Turn) -> None:
    """``/register <titles>``: record the unit's emulation registration for the plan's year."""
    request = await _titles(turn, usage="deadlines/register_usage")
    if request is None:
        return
    actor, plan, titles = request
    units = await register_units(turn.uow, actor, year=plan.year, titles=titles, now=turn.now)
    turn.say(
        "deadlines/registered",
        titles=titles,
        year=plan.year,
        units=[turn.rt.directory.unit_name(u) for u in units],
    )


async def file_dossier(turn: Turn) -> None:
    """``/dossier <titles>``: file the unit's year-end commendation dossier for the plan's year."""
    request = await _titles(turn, usage="deadlines/dossier_usage")
    if request is None:
        return
    actor, plan, titles = request
    try:
        units = await file_unit_dossier(
            turn.uow,
            actor,
            year=plan.year,
            titles=titles,
            require_registration=turn.rt.settings.require_registration,
            now=turn.now,
        )
    except NotRegisteredError as refused:
        turn.say(
            "deadlines/dossier_refused",
            units=[turn.rt.directory.unit_name(u) for u in refused.unit_keys],
            year=plan.year,
            plan_number=plan.number,
            council=_council_name(turn, plan.council_key),
        )
        return
    names = [turn.rt.directory.unit_name(u) for u in units]
    for user_id in await secretariat_ids(turn.uow, turn.today):
        await turn.notify(
            user_id, "deadlines/dossier_told", units=names, titles=titles, year=plan.year
        )
    turn.say("deadlines/dossier_filed", units=names, titles=titles, year=plan.year)


def flow() -> Flow:
    """Return the deadlines' flow: its commands and the “done” buttons of notices."""
    return Flow(
        "deadlines",
        key=DONE,
        commands=(
            Command(("deadlines", "hanchot", "done"), show_deadlines, N_("Các hạn chót sắp tới")),
            Command(
                ("event", "sukien"),
                set_event,
                N_("Ghi ngày diễn ra sự kiện cho một hạn chót"),
                N_("SỐ_NHIỆM_VỤ NGÀY"),
                roles=STAFF,
            ),
            Command(
                ("gionhan", "digest"),
                digest_time_setting,
                N_("Giờ nhận bản tin hạn chót hằng ngày"),
                N_("GIỜ:PHÚT"),
                roles=STAFF,
            ),
            Command(
                ("compliance", "tiendo"),
                show_compliance,
                N_("Tiến độ các đơn vị: đúng hạn, trễ hạn, chỉ tiêu tháng"),
                roles=OFFICE,
            ),
            Command(
                ("register", "dangky"),
                register,
                N_("Đăng ký thi đua của đơn vị"),
                N_("DANH_HIỆU; DANH_HIỆU"),
                roles=STAFF,
            ),
            Command(
                ("dossier", "hoso_cuoinam"),
                file_dossier,
                N_("Nộp hồ sơ khen thưởng cuối năm"),
                N_("DANH_HIỆU; DANH_HIỆU"),
                roles=STAFF,
            ),
        ),
        on_button=on_done,
    )


def _council_name(turn: Turn, key: str) -> str:
    """Return the name of the plan's council (the words a refusal quotes the rule with)."""
    organisation = turn.rt.directory.organisation
    if organisation is not None and organisation.council.key == key:
        return organisation.council.name
    return key
