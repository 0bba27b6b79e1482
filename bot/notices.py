"""Deadline notices: what the plan makes due at an instant, to whom, sent once.

Run every minute by the bot process, and by ``ntvt notices run-once``. Each notice to each
officer is claimed by a unique (notice key, recipient) row in the same transaction as its
outbox message: a restart resends nothing already sent and skips nothing due, and two
processes at the same instant send each notice once. The reminders of residents' requests
(:mod:`bot.request_reminders`) go out in the same runs, claimed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.keyboards import Button, inline_keyboard
from bot.messages import locale_of, text_message
from bot.rendering import N_
from bot.request_reminders import queue_request_reminders
from bot.runtime import Runtime
from core.calendar import WorkingCalendar
from core.compliance import quota_notices
from core.deadlines import (
    NoticeKind,
    Obligation,
    ObligationKey,
    Occurrence,
    ReminderSettings,
    ScheduledNotice,
    expand_obligations,
    occurrences,
    schedule,
)
from core.plan import Plan, UnitGroup, UnitRef
from core.ports import UnitOfWork
from core.review import unit_officers

log = logging.getLogger(__name__)

DONE = "d"
DONE_LABEL = N_("✅ Đã hoàn thành")
# The outbox sweep leaves younger messages to the turns that wrote them.
SWEEP_AGE = timedelta(seconds=30)
# A notice missed while the bot was down goes out at the next run of the same day, in office
# hours; one of an earlier day is dropped: "due today" sent a day late would mislead, and the
# overdue notices follow anyway.


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The plan's obligations and their occurrences, as they stand in the database."""

    plan: Plan
    obligations: Sequence[Obligation]
    occurrences: dict[ObligationKey, list[Occurrence]]
    completed: dict[tuple[ObligationKey, str], date]


async def load_deadlines(
    uow: UnitOfWork, rt: Runtime, calendar: WorkingCalendar
) -> Deadlines | None:
    """Expand the loaded plan into obligations and occurrences, with what was done."""
    plan = rt.directory.plan
    organisation = rt.directory.organisation
    if plan is None or organisation is None:
        return None
    obligations = expand_obligations(plan, organisation, on=date(plan.year, 1, 1))
    by_text = {str(o.key): o.key for o in obligations}
    events = {
        by_text[text]: day
        for text, day in (await uow.deadlines.event_days(plan.key)).items()
        if text in by_text
    }
    done = {
        (by_text[text], occurrence): day
        for (text, occurrence), day in (await uow.deadlines.completions(plan.key)).items()
        if text in by_text
    }
    found = {
        o.key: occurrences(
            o, calendar, year=plan.year, event_days=events, not_before=plan.issued_on
        )
        for o in obligations
    }
    return Deadlines(plan, obligations, found, done)


def due_between(
    deadlines: Deadlines,
    calendar: WorkingCalendar,
    settings: ReminderSettings,
    start: datetime,
    end: datetime,
) -> list[ScheduledNotice]:
    """Return the notices whose time falls in [start, end)."""
    return schedule(
        deadlines.obligations,
        deadlines.occurrences,
        calendar,
        settings,
        start=start,
        end=end,
        completed=deadlines.completed,
    )


async def recipients(
    uow: UnitOfWork, unit_key: str, on: date, cache: dict[str, list[int]]
) -> list[int]:
    """Return the officers in force for a unit, looked up once per run."""
    if unit_key not in cache:
        cache[unit_key] = await unit_officers(uow, unit_key, on)
    return cache[unit_key]


async def run_once(
    rt: Runtime, calendar: WorkingCalendar, settings: ReminderSettings, now: datetime
) -> list[int]:
    """Queue every notice due by ``now`` that was not sent yet; return the outbox ids."""
    queued: list[int] = []
    local = now.astimezone(settings.timezone)
    if not in_office_hours(calendar, settings, local, rt.settings.office_end):
        return queued
    async with rt.uow() as uow:
        # Residents' requests have clocks of their own, with or without a plan.
        queued.extend(await queue_request_reminders(uow, rt, calendar, now, local.date()))
        deadlines = await load_deadlines(uow, rt, calendar)
        if deadlines is None:
            await uow.commit()
            return queued
        tasks = {task.number: task for task in deadlines.plan.tasks}
        today = now.astimezone(settings.timezone).date()
        officers: dict[str, list[int]] = {}
        # Up to and including ``now``: a notice of 08:00 goes out in the 08:00 run.
        window_end = now + timedelta(microseconds=1)
        day_start = datetime.combine(local.date(), time(0), settings.timezone)
        for notice in due_between(deadlines, calendar, settings, day_start, window_end):
            task = tasks[notice.obligation.task_number]
            for user_id in await recipients(uow, notice.obligation.unit_key, today, officers):
                if not await uow.deadlines.claim_notice(notice.key, recipient_id=user_id, at=now):
                    continue
                locale = await locale_of(uow, user_id, rt.settings.default_locale)
                message = text_message(
                    rt.renderer,
                    user_id,
                    locale,
                    "notices/deadline",
                    now=now,
                    keyboard=_done_keyboard(rt, notice, locale),
                    buttons=rt.buttons,
                    notice=notice,
                    task=task,
                    unit=rt.directory.unit_name(notice.obligation.unit_key),
                    lead=unit_names(rt, task.lead, locale),
                    coordinating=unit_names(rt, task.coordinating, locale),
                )
                added = await uow.outbox.add(message)
                assert added.id is not None
                queued.append(added.id)
        queued.extend(await _quota_notices(uow, rt, calendar, now, local.date()))
        await uow.commit()
    return queued


async def _quota_notices(
    uow: UnitOfWork, rt: Runtime, calendar: WorkingCalendar, now: datetime, today: date
) -> list[int]:
    """Queue the monthly quota notices due today (who gets which is core's to say)."""
    organisation = rt.directory.organisation
    if organisation is None:
        return []
    due = await quota_notices(
        uow,
        organisation,
        calendar,
        quota=rt.settings.monthly_quota,
        quota_day=rt.settings.quota_day,
        today=today,
        tz=rt.settings.tz,
    )
    queued: list[int] = []
    for notice in due:
        if not await uow.deadlines.claim_notice(notice.key, recipient_id=notice.user_id, at=now):
            continue
        month = f"{notice.month:%m/%Y}"
        context: dict[str, Any] = {"month": month, "quota": notice.quota}
        if notice.unit is not None:
            context["unit"] = notice.unit.name
        else:
            context["missing"] = [unit.name for unit in notice.short]
        locale = await locale_of(uow, notice.user_id, rt.settings.default_locale)
        template = "notices/quota_summary" if notice.summary else "notices/quota"
        added = await uow.outbox.add(
            text_message(rt.renderer, notice.user_id, locale, template, now=now, **context)
        )
        assert added.id is not None
        queued.append(added.id)
    return queued


NOTICE_LEASE = "notices"


def in_office_hours(
    calendar: WorkingCalendar, settings: ReminderSettings, local: datetime, office_end: time
) -> bool:
    """Tell whether notices may go out at ``local``: a working day, within office hours."""
    return calendar.is_working_day(local.date()) and (
        settings.office_time <= local.time().replace(tzinfo=None) < office_end
    )


def _done_keyboard(rt: Runtime, notice: ScheduledNotice, locale: str) -> dict[str, Any] | None:
    if notice.kind is NoticeKind.FYI:
        return None
    index = rt.directory.unit_index(notice.obligation.unit_key)
    data = f"{DONE}:{notice.obligation.task_number}:{notice.occurrence}:{index}"
    label = rt.renderer.text(locale, DONE_LABEL)
    return inline_keyboard([[Button(label, data)]])


GROUP_LABELS = {
    UnitGroup.ALL_UNITS: N_("Các đơn vị thuộc quận"),
    UnitGroup.ALL_CLUSTERS: N_("Các cụm thi đua"),
    UnitGroup.RELATED_UNITS: N_("Các đơn vị liên quan"),
    UnitGroup.COUNCIL: N_("Hội đồng Thi đua - Khen thưởng"),
}


def unit_names(rt: Runtime, refs: Sequence[UnitRef], locale: str) -> list[str]:
    """Return the names of a task's lead or coordinating units, groups in words."""
    return [
        rt.directory.unit_name(ref.unit_key)
        if ref.unit_key
        else rt.renderer.text(locale, GROUP_LABELS[ref.group])
        if ref.group
        else "?"
        for ref in refs
    ]


async def notice_loop(
    rt: Runtime,
    calendar: WorkingCalendar,
    settings: ReminderSettings,
    interval: float,
) -> None:
    """Send due notices, then retry what is left in the outbox, every ``interval`` seconds.

    Only the holder of the ``notices`` lease does it; with several processes the others wait
    to take over if it stops (at most ``3 × interval`` or 30 s after it died). Only messages
    older than a turn's own sending (``SWEEP_AGE``) are retried, so the sweep never races a
    chat's turn for its fresh replies.
    """
    holder = f"notices:{id(rt)}:{os.getpid()}"
    try:
        await _lead_notices(rt, calendar, settings, interval, holder)
    finally:
        with contextlib.suppress(Exception):
            async with rt.uow() as uow:
                await uow.leases.release(NOTICE_LEASE, holder)
                await uow.commit()


async def _lead_notices(
    rt: Runtime, calendar: WorkingCalendar, settings: ReminderSettings, interval: float, holder: str
) -> None:
    while True:
        try:
            # One process at a time computes the notices and sweeps the outbox: the others
            # would find every notice claimed already, at the cost of the same work.
            async with rt.uow() as uow:
                leading = await uow.leases.acquire(
                    NOTICE_LEASE, holder, now=rt.clock(), seconds=max(3 * interval, 30.0)
                )
                await uow.commit()
            if not leading:
                await asyncio.sleep(interval)
                continue
            ids = await run_once(rt, calendar, settings, rt.clock())
            if rt.sender is not None:
                if ids:
                    await rt.sender.send_ids(ids)
                await rt.sender.flush_all(min_age=SWEEP_AGE)
        except Exception:
            log.exception("deadline notices failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
