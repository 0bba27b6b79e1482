"""Deadline notices at scale: the 2018 plan for N units (default 1,000).

    .venv/bin/python bench/notices.py [--units 1000] [--day 2018-01-03]

Prints the time to expand the plan into obligations and occurrences, to compute one day's
notices, to compute the whole year's, and to enqueue one day's notices (a claim row and an
outbox row per officer, one officer per unit) into a fresh SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.messages import text_message
from bot.plans import DEMO_PLAN, read_plan_file
from bot.rendering import Renderer
from core.calendar import WorkingCalendar
from core.deadlines import ReminderSettings, expand_obligations, occurrences, schedule
from core.org import Organisation, Unit, UnitKind, Validity
from storage.uow import open_database


def organisation_of(size: int) -> Organisation:
    """The demo organisation with ``size`` generated wards added."""
    document = read_plan_file(DEMO_PLAN)
    assert document.organisation is not None
    base = document.organisation
    extra = tuple(
        Unit(
            f"phuong-{n:04d}",
            f"Phường Thử {n}",
            UnitKind.WARD,
            (),
            None,
            Validity(date(2017, 1, 1), date(2025, 6, 30)),
        )
        for n in range(max(0, size - len(base.units)))
    )
    return dataclasses.replace(base, units=base.units + extra)


async def main(size: int, day: date) -> None:
    document = read_plan_file(DEMO_PLAN)
    assert document.plan is not None
    plan, organisation = document.plan, organisation_of(size)
    calendar, settings = WorkingCalendar(), ReminderSettings()

    started = time.perf_counter()
    obligations = expand_obligations(plan, organisation, on=date(plan.year, 1, 1))
    found = {
        o.key: occurrences(o, calendar, year=plan.year, event_days={}, not_before=plan.issued_on)
        for o in obligations
    }
    expand = time.perf_counter() - started

    tz = settings.timezone
    start = datetime.combine(day, datetime.min.time(), tz)
    started = time.perf_counter()
    today = schedule(
        obligations,
        found,
        calendar,
        settings,
        start=start,
        end=start + timedelta(days=1),
        completed={},
    )
    one_day = time.perf_counter() - started

    started = time.perf_counter()
    year = schedule(
        obligations,
        found,
        calendar,
        settings,
        start=datetime(plan.year, 1, 1, tzinfo=tz),
        end=datetime(plan.year + 1, 2, 1, tzinfo=tz),
        completed={},
    )
    whole_year = time.perf_counter() - started

    renderer = Renderer(timezone=tz)
    tasks = {task.number: task for task in plan.tasks}
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        db = await open_database(f"sqlite+aiosqlite:///{folder}/bench.db")
        try:
            started = time.perf_counter()
            async with db.uow() as uow:
                for index, notice in enumerate(today):
                    officer = 10_000 + index % len(organisation.units)
                    if await uow.deadlines.claim_notice(notice.key, recipient_id=officer, at=now):
                        await uow.outbox.add(
                            text_message(
                                renderer,
                                officer,
                                "vi",
                                "notices/deadline",
                                now=now,
                                notice=notice,
                                task=tasks[notice.obligation.task_number],
                                unit=notice.obligation.unit_key,
                                lead=["x"],
                                coordinating=[],
                            )
                        )
                await uow.commit()
            enqueue = time.perf_counter() - started
        finally:
            await db.dispose()

    print(f"units: {len(organisation.units):,}; obligations: {len(obligations):,}")
    print(f"expand the plan into obligations and occurrences: {expand * 1000:8.1f} ms")
    print(f"compute {day:%d/%m/%Y}'s notices ({len(today):,}):        {one_day * 1000:8.1f} ms")
    print(f"compute the whole year's notices ({len(year):,}):   {whole_year * 1000:8.1f} ms")
    print(
        f"enqueue {day:%d/%m/%Y}'s notices (render, claim, outbox, SQLite): "
        f"{enqueue * 1000:8.1f} ms ({enqueue / max(1, len(today)) * 1000:.2f} ms each)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2018, 1, 3))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.units, arguments.day))
