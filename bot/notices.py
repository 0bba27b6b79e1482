"""Deadline notices: what the plan makes due at an instant, to whom, sent once.

Run every minute by the bot process, and by ``ntvt notices run-once``. Each officer gets one
digest per working day (what goes in it, and when, is :mod:`core.digest`'s to say); urgent
single notices go only to officers whose digest comes after office time. Each digest and
notice to each officer is claimed by a unique (key, recipient) row in the same transaction
as its outbox message: a restart resends nothing already sent and skips nothing due, and two
processes at the same instant send each once. The reminders of residents' requests
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
from core.compliance import proposed_in_month, quota_summaries
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
from core.digest import (
    Digest,
    DigestPlanner,
    UnitDigest,
    digest_key,
    digest_of,
    officers_of_units,
    quota_reminder_day,
    quota_task,
    wants_urgent_notices,
)
from core.plan import Plan, UnitGroup, UnitRef
from core.ports import UnitOfWork

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


async def run_once(
    rt: Runtime, calendar: WorkingCalendar, settings: ReminderSettings, now: datetime
) -> list[int]:
    """Queue every digest and notice due by ``now`` that was not sent yet; return the outbox ids.

    On a working day: each officer's digest from their digest time to the end of office
    hours; in office hours, the urgent single notices of officers whose digest comes later,
    the residents' requests' reminders and the secretariat's monthly quota summary.
    """
    queued: list[int] = []
    local = now.astimezone(settings.timezone)
    clock_time = local.time().replace(tzinfo=None)
    office_end = rt.settings.office_end
    office = in_office_hours(calendar, settings, local, office_end)
    digests = calendar.is_working_day(local.date()) and (
        earliest_digest_time(rt, settings) <= clock_time < office_end
    )
    if not office and not digests:
        return queued
    async with rt.uow() as uow:
        if office:
            # Residents' requests have clocks of their own, with or without a plan.
            queued.extend(await queue_request_reminders(uow, rt, calendar, now, local.date()))
        deadlines = await load_deadlines(uow, rt, calendar)
        if deadlines is not None:
            run = _Run(uow, rt, calendar, settings, deadlines, now, local)
            queued.extend(await run.digests())
            if office:
                queued.extend(await run.urgent_notices())
        if office:
            queued.extend(await _quota_summaries(uow, rt, calendar, now, local.date()))
        await uow.commit()
    return queued


def earliest_digest_time(rt: Runtime, settings: ReminderSettings) -> time:
    """Return the earliest time of day an officer may have their digest: when quiet hours end."""
    return min(rt.settings.quiet_end, settings.office_time)


class _Run:
    """One run's digests and urgent notices, sharing the officers and digest times it reads."""

    def __init__(
        self,
        uow: UnitOfWork,
        rt: Runtime,
        calendar: WorkingCalendar,
        settings: ReminderSettings,
        deadlines: Deadlines,
        now: datetime,
        local: datetime,
    ) -> None:
        self.uow, self.rt, self.calendar, self.settings = uow, rt, calendar, settings
        self.deadlines, self.now, self.local = deadlines, now, local
        self.today = local.date()
        self.time = local.time().replace(tzinfo=None)
        self._officers: dict[int, tuple[str, ...]] | None = None
        self._times: dict[int, time] | None = None

    async def officers(self) -> dict[int, tuple[str, ...]]:
        """Return each officer in force today with the units they serve that owe something."""
        if self._officers is None:
            units = [o.key.unit_key for o in self.deadlines.obligations]
            self._officers = await officers_of_units(self.uow, units, self.today)
        return self._officers

    async def times(self) -> dict[int, time]:
        """Return the digest times officers chose."""
        if self._times is None:
            self._times = await self.uow.deadlines.digest_times()
        return self._times

    async def digests(self) -> list[int]:
        """Queue the digest of each officer whose time has come today and who has none yet."""
        officers = await self.officers()
        times = await self.times()
        plan_key = self.deadlines.plan.key
        keys = {
            user_id: digest_key(plan_key, self.today, user_id)
            for user_id in officers
            if times.get(user_id, self.settings.office_time) <= self.time
        }
        claimed = await self.uow.deadlines.notices_claimed(list(keys.values()))
        waiting = [user_id for user_id, key in keys.items() if key not in claimed]
        if not waiting:
            return []
        planner = await self._planner()
        obligations: dict[str, list[Obligation]] = {}
        for obligation in self.deadlines.obligations:
            obligations.setdefault(obligation.key.unit_key, []).append(obligation)
        by_unit: dict[str, UnitDigest] = {}
        queued: list[int] = []
        for user_id in waiting:
            units = []
            for unit_key in officers[user_id]:
                if unit_key not in by_unit:
                    by_unit[unit_key] = planner.unit_digest(
                        unit_key,
                        obligations.get(unit_key, []),
                        self.deadlines.occurrences,
                        self.deadlines.completed,
                    )
                units.append(by_unit[unit_key])
            digest = digest_of(self.today, units)
            if not digest.news:
                continue
            if not await self.uow.deadlines.claim_notice(
                keys[user_id], recipient_id=user_id, at=self.now
            ):
                continue
            locale = await locale_of(self.uow, user_id, self.rt.settings.default_locale)
            message = text_message(
                self.rt.renderer,
                user_id,
                locale,
                "notices/digest",
                now=self.now,
                keyboard=digest_keyboard(self.rt, digest, locale),
                buttons=self.rt.buttons,
                digest=digest,
                unit_name=self.rt.directory.unit_name,
                many_units=len(units) > 1,
                max_overdue=self.settings.max_overdue,
            )
            added = await self.uow.outbox.add(message)
            assert added.id is not None
            queued.append(added.id)
        return queued

    async def _planner(self) -> DigestPlanner:
        settings = self.rt.settings
        plan = self.deadlines.plan
        task = quota_task(plan)
        quota_today = self.today == quota_reminder_day(
            self.calendar, self.today, settings.quota_day
        )
        proposed = (
            await proposed_in_month(self.uow, self.today, settings.tz)
            if settings.monthly_quota > 0
            else {}
        )
        return DigestPlanner(
            self.calendar,
            self.settings,
            self.today,
            quota=settings.monthly_quota,
            quota_day=quota_today,
            proposed=proposed,
            quota_task_number=task.number if task is not None else None,
        )

    async def urgent_notices(self) -> list[int]:
        """Queue the urgent single notices (due today, first day overdue) due by now.

        Only to officers whose digest comes later than office time: the others' digest
        leads with the same tasks.
        """
        times = await self.times()
        officers = await self.officers()
        late = {
            user_id
            for user_id in officers
            if wants_urgent_notices(times.get(user_id), self.settings)
        }
        if not late:
            return []
        tasks = {task.number: task for task in self.deadlines.plan.tasks}
        day_start = datetime.combine(self.today, time(0), self.settings.timezone)
        # Up to and including ``now``: a notice of 08:00 goes out in the 08:00 run.
        window_end = self.now + timedelta(microseconds=1)
        queued: list[int] = []
        notices = due_between(self.deadlines, self.calendar, self.settings, day_start, window_end)
        for notice in notices:
            if not _urgent(notice):
                continue
            task = tasks[notice.obligation.task_number]
            unit_key = notice.obligation.unit_key
            for user_id in sorted(late):
                if unit_key not in officers[user_id]:
                    continue
                if not await self.uow.deadlines.claim_notice(
                    notice.key, recipient_id=user_id, at=self.now
                ):
                    continue
                locale = await locale_of(self.uow, user_id, self.rt.settings.default_locale)
                message = text_message(
                    self.rt.renderer,
                    user_id,
                    locale,
                    "notices/deadline",
                    now=self.now,
                    keyboard=_done_keyboard(self.rt, notice, locale),
                    buttons=self.rt.buttons,
                    notice=notice,
                    task=task,
                    unit=self.rt.directory.unit_name(unit_key),
                    lead=unit_names(self.rt, task.lead, locale),
                    coordinating=unit_names(self.rt, task.coordinating, locale),
                )
                added = await self.uow.outbox.add(message)
                assert added.id is not None
                queued.append(added.id)
        return queued


def _urgent(notice: ScheduledNotice) -> bool:
    """Tell whether a scheduled notice is one that still goes out on its own."""
    return notice.kind is NoticeKind.DUE_TODAY or (
        notice.kind is NoticeKind.OVERDUE and notice.number == 1
    )


async def _quota_summaries(
    uow: UnitOfWork, rt: Runtime, calendar: WorkingCalendar, now: datetime, today: date
) -> list[int]:
    """Queue the secretariat's monthly quota summaries due today (core says who gets which)."""
    organisation = rt.directory.organisation
    if organisation is None:
        return []
    due = await quota_summaries(
        uow,
        organisation,
        calendar,
        quota=rt.settings.monthly_quota,
        today=today,
        tz=rt.settings.tz,
    )
    queued: list[int] = []
    for notice in due:
        if not await uow.deadlines.claim_notice(notice.key, recipient_id=notice.user_id, at=now):
            continue
        locale = await locale_of(uow, notice.user_id, rt.settings.default_locale)
        added = await uow.outbox.add(
            text_message(
                rt.renderer,
                notice.user_id,
                locale,
                "notices/quota_summary",
                now=now,
                month=f"{notice.month:%m/%Y}",
                quota=notice.quota,
                missing=[unit.name for unit in notice.short],
            )
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


def done_data(rt: Runtime, unit_key: str, task_number: int, occurrence: str) -> str:
    """Return the data of the "done" button of one occurrence of a unit's task."""
    return f"{DONE}:{task_number}:{occurrence}:{rt.directory.unit_index(unit_key)}"


def done_label(rt: Runtime, locale: str, task_number: int, due: date) -> str:
    """Return the label of a "done" button among several: the task and its due day."""
    return f"{rt.renderer.text(locale, DONE_LABEL)} · {task_number} · {due:%d/%m}"


def _done_keyboard(rt: Runtime, notice: ScheduledNotice, locale: str) -> dict[str, Any] | None:
    if notice.kind is NoticeKind.FYI:
        return None
    data = done_data(
        rt, notice.obligation.unit_key, notice.obligation.task_number, notice.occurrence
    )
    return inline_keyboard([[Button(rt.renderer.text(locale, DONE_LABEL), data)]])


def digest_keyboard(rt: Runtime, digest: Digest, locale: str) -> dict[str, Any] | None:
    """Return a digest's "done" buttons, one row per task listed that the unit leads.

    A digest lists at most ``core.digest.MAX_ITEMS`` tasks, well within Telegram's 100
    buttons; the data is the same as a single notice's button, so the same handler acts.
    """
    rows = [
        [
            Button(
                done_label(rt, locale, item.task.number, item.due),
                done_data(rt, item.unit_key, item.task.number, item.occurrence),
            )
        ]
        for item in digest.shown
        if item.lead
    ]
    return inline_keyboard(rows) if rows else None


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
