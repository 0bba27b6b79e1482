"""Messages per officer per year: one message per task per reminder (before) vs the digest.

    .venv/bin/python bench/digest.py [--late]

A year of the 2018 demo plan, 02/01/2018 to 31/01/2019, one officer per unit, nothing
marked done, nobody proposing a case to the council (the quota is never met):

- before: what the per-task notices sent, one message per notice of ``core.deadlines.
  schedule`` (reminders 7, 3, 1 working days ahead, due day, up to 5 overdue days, one note
  to coordinating units) plus the unit's monthly quota reminder on the 20th;
- after: the real ``bot.notices.run_once`` at 08:00 every day on a fresh SQLite database,
  counting the messages it queued for each officer (digests; urgent single notices too with
  ``--late``, where every officer chose a 14:00 digest and the run is repeated at 14:00).

Prints one row per unit, then the totals and the busiest officer's day.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time as timer
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_runtime, reminder_settings, working_calendar
from bot.notices import run_once
from bot.plans import DEMO_PLAN, load_plan, read_plan_file
from bot.settings import Settings
from core.calendar import month_of
from core.deadlines import expand_obligations, occurrences, schedule
from core.digest import quota_reminder_day
from core.review import grant_role
from core.roles import Actor, Role
from storage.uow import open_database

FIRST_DAY = date(2018, 1, 2)
LAST_DAY = date(2019, 1, 31)
OFFICER_IDS = 900_000


def _days() -> list[date]:
    return [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]


def before(settings: Settings) -> dict[str, int]:
    """Count the per-task notices of the year for each unit, quota reminders included."""
    document = read_plan_file(DEMO_PLAN)
    assert document.plan is not None and document.organisation is not None
    plan, organisation = document.plan, document.organisation
    calendar, reminders = working_calendar(settings), reminder_settings(settings)
    obligations = expand_obligations(plan, organisation, on=date(plan.year, 1, 1))
    found = {
        o.key: occurrences(o, calendar, year=plan.year, event_days={}, not_before=plan.issued_on)
        for o in obligations
    }
    tz = settings.tz
    notices = schedule(
        obligations,
        found,
        calendar,
        reminders,
        start=datetime.combine(FIRST_DAY, time(0), tz),
        end=datetime.combine(LAST_DAY + timedelta(days=1), time(0), tz),
        completed={},
    )
    counts = Counter(notice.obligation.unit_key for notice in notices)
    # The old quota reminder: every unit at zero on the quota day of each month.
    months = {month_of(day)[0] for day in _days()}
    quota_days = {
        quota_reminder_day(calendar, month, settings.quota_day)
        for month in months
        if settings.monthly_quota > 0
    }
    units = organisation.active_units(FIRST_DAY)
    for unit in units:
        counts[unit.key] += sum(1 for day in quota_days if FIRST_DAY <= day <= LAST_DAY)
    return {unit.key: counts[unit.key] for unit in units}


async def after(settings: Settings, *, late: bool) -> tuple[dict[str, int], dict[str, str], float]:
    """Run the real notices over the year; return messages per unit's officer, names, seconds."""
    now = [datetime(2018, 1, 2, 0, 0, tzinfo=UTC)]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        db = await open_database(url)
        try:
            await load_plan(db, read_plan_file(DEMO_PLAN))
            rt = await build_runtime(
                settings.model_copy(update={"database_url": url}), db, clock=lambda: now[0]
            )
            assert rt.directory.organisation is not None
            units = rt.directory.organisation.active_units(FIRST_DAY)
            officer_of = {OFFICER_IDS + index: unit.key for index, unit in enumerate(units)}
            async with db.uow() as uow:
                for user_id, unit_key in officer_of.items():
                    await grant_role(
                        uow,
                        Actor.operator(),
                        user_id=user_id,
                        role=Role.OFFICER,
                        unit_key=unit_key,
                        now=now[0],
                    )
                    if late:
                        await uow.deadlines.set_digest_time(user_id, time(14, 0), changed_at=now[0])
                await uow.commit()
            hours = (8, 14) if late else (8,)
            started = timer.perf_counter()
            for day in _days():
                for hour in hours:
                    now[0] = datetime.combine(day, time(hour), settings.tz)
                    await run_once(rt, rt.calendar, rt.reminders, now[0])
            elapsed = timer.perf_counter() - started
        finally:
            await db.dispose()
        with sqlite3.connect(f"{folder}/bench.db") as connection:
            rows = connection.execute("SELECT chat_id, count(*) FROM outbox GROUP BY chat_id")
            per_chat = {int(chat): int(count) for chat, count in rows}
    counts = {unit_key: per_chat.get(user_id, 0) for user_id, unit_key in officer_of.items()}
    names = {unit.key: unit.name for unit in units}
    return counts, names, elapsed


async def main(late: bool) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    old = before(settings)
    new, names, elapsed = await after(settings, late=late)
    kind = "digests + urgent notices (14:00 digests)" if late else "digests (08:00)"
    print(f"messages per officer, {FIRST_DAY:%d/%m/%Y}-{LAST_DAY:%d/%m/%Y}, nothing done")
    print(f"{'unit':<45} {'before':>7} {'after':>7}  ({kind})")
    for unit_key, count in sorted(old.items(), key=lambda item: -item[1]):
        print(f"{names[unit_key]:<45} {count:>7} {new[unit_key]:>7}")
    print(f"{'all ' + str(len(old)) + ' units':<45} {sum(old.values()):>7} {sum(new.values()):>7}")
    calendar = working_calendar(settings)
    working = sum(1 for day in _days() if calendar.is_working_day(day))
    print(f"working days in the period: {working}; the year's runs took {elapsed:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--late", action="store_true", help="every officer's digest at 14:00 (urgent notices)"
    )
    asyncio.run(main(parser.parse_args().late))
