"""Reminders to the secretariat of residents' requests whose clocks run out (core.requests).

Queued with the deadline notices (:func:`bot.notices.run_once`): by the holder of the
``notices`` lease, in office hours, on working days. Each reminder is claimed per recipient
under its key (one per request, clock and day) in the same transaction as its outbox
message, so a restart or a second process sends it once, and the next working day's is a
new one.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.messages import locale_of, text_message
from bot.runtime import Runtime
from core.calendar import WorkingCalendar
from core.data_requests import reminders_due
from core.ports import UnitOfWork


async def queue_request_reminders(
    uow: UnitOfWork, rt: Runtime, calendar: WorkingCalendar, now: datetime, today: date
) -> list[int]:
    """Queue the reminders due ``today`` not sent yet; return their outbox ids."""
    due, recipients = await reminders_due(uow, calendar, today)
    queued: list[int] = []
    for reminder in due:
        for user_id in recipients:
            if not await uow.deadlines.claim_notice(reminder.key, recipient_id=user_id, at=now):
                continue
            locale = await locale_of(uow, user_id, rt.settings.default_locale)
            message = text_message(
                rt.renderer, user_id, locale, "requests/reminder", now=now, reminder=reminder
            )
            added = await uow.outbox.add(message)
            assert added.id is not None
            queued.append(added.id)
    return queued
