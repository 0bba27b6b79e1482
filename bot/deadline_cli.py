"""What ``ntvt notices preview`` and ``ntvt notices run-once`` do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.admin import resolve_unit
from bot.app import build_runtime, reminder_settings, working_calendar
from bot.notices import load_deadlines, run_once
from bot.personal_copy import PersonalCopies
from bot.sender import OutboxSender
from bot.settings import Settings
from core.deadlines import due_note
from storage.uow import open_database


async def preview(settings: Settings, start: str, end: str, unit: str | None) -> list[str]:
    """Return one line per notice due between two days (inclusive).

    Each line quotes the plan's words for the task's due day and, in brackets, why the day
    is not simply the one written.
    """
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError("--to is before --from")
    calendar, reminders = working_calendar(settings), reminder_settings(settings)
    db = await open_database(settings.database_url)
    try:
        rt = await build_runtime(settings, db)
        unit_key = (await resolve_unit(db, unit))[0] if unit else None
        async with db.uow() as uow:
            deadlines = await load_deadlines(uow, rt, calendar)
    finally:
        await db.dispose()
    if deadlines is None:
        return ["no plan loaded"]
    from bot.notices import due_between

    tz = settings.tz
    window_start = datetime.combine(first, time(0), tz)
    window_end = datetime.combine(last + timedelta(days=1), time(0), tz)
    tasks = {task.number: task for task in deadlines.plan.tasks}
    lines = []
    for notice in due_between(deadlines, calendar, reminders, window_start, window_end):
        if unit_key and notice.obligation.unit_key != unit_key:
            continue
        local = notice.send_at.astimezone(tz)
        note = due_note(tasks[notice.obligation.task_number], notice)
        line = (
            f"{local:%d/%m/%Y %H:%M}  {notice.kind.value:<9} #{notice.number}  "
            f"task {notice.obligation.task_number:>2}  "
            f"{rt.directory.unit_name(notice.obligation.unit_key)}  "
            f"due {notice.due:%d/%m/%Y} ({notice.working_days_left:+d} working days)  "
            f"“{note.as_written}”"
        )
        if note.reason:
            line += f"  [{rt.renderer.render('vi', 'deadlines/shift_reason', reason=note.reason)}]"
        lines.append(line)
    return lines or ["no notices in this period"]


async def run_once_now(settings: Settings, now_text: str | None) -> int:
    """Send what is due at ``now`` (default: the current time); return how many went out."""
    from telegram import Bot

    now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=settings.tz)
    db = await open_database(settings.database_url)
    try:
        rt = await build_runtime(settings, db, clock=lambda: now)
        ids = await run_once(rt, rt.calendar, rt.reminders, now)
        if ids:
            bot = Bot(
                settings.token(),
                base_url=settings.telegram_api_url,
                base_file_url=settings.telegram_file_url,
            )
            sender = OutboxSender(bot, db.uow, lambda: now, files=PersonalCopies(rt))
            async with bot:
                try:
                    await sender.send_ids(ids)
                finally:
                    await sender.close()
    finally:
        await db.dispose()
    return len(ids)
