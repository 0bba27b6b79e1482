"""The daily purge with two processes on one database: each draft's notice goes once.

The second process is a runtime of its own on its own engine (connections, and on SQLite
its own writer gate), as another ``ntvt serve`` on the same database would have; it sends
nothing itself, so what it queues is sent by the first process's sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.local_api import LocalBotApi, SimUser
from bot.rendering import Renderer
from bot.retention import RetentionJob, purge
from bot.runtime import Directory, Runtime
from bot.settings import Settings
from core.retention import PurgeKind
from storage.uow import open_database
from tests.bot.conftest import FakeClock, RunningBot, StartBot
from tests.bot.flows import agree_and_start, answer_steps

# Thursday 01/10/2026, 20:00 in Hà Nội: the draft is left then.
LEFT = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)
# Its day is 01/11 (thirty days later is 31/10 20:00, after that day's run): told on 31/10.
NOTICE_RUN = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
DELETION_RUN = NOTICE_RUN + timedelta(days=1)


@pytest.fixture
async def first(start_bot: StartBot, clock: FakeClock) -> AsyncIterator[RunningBot]:
    clock.now = LEFT
    async with start_bot(notices=False, retention=False) as (application, runtime):
        yield RunningBot(application, runtime)


@pytest.fixture
async def second(bot_settings: Settings, clock: FakeClock) -> AsyncIterator[Runtime]:
    db = await open_database(bot_settings.database_url, migrate=False)
    renderer = Renderer(timezone=bot_settings.tz, default_locale=bot_settings.default_locale)
    try:
        yield Runtime(bot_settings, db.uow, renderer, Directory(None), clock)
    finally:
        await db.dispose()


def notices_read(user: SimUser) -> list[str]:
    return [m.text for m in user.all_messages if "sẽ được xóa vào ngày" in m.text]


async def leave_drafts(api: LocalBotApi, count: int) -> list[SimUser]:
    residents = [api.user(3300 + n, f"Cư dân {n}") for n in range(count)]
    for resident in residents:
        await agree_and_start(resident)
        await answer_steps(resident, "name")
    return residents


async def test_two_processes_purging_at_once_tell_each_resident_once(
    api: LocalBotApi, first: RunningBot, second: Runtime, clock: FakeClock
) -> None:
    residents = await leave_drafts(api, 5)
    clock.now = NOTICE_RUN
    reports = await asyncio.gather(
        purge(first.runtime, clock()), purge(second, clock()), purge(first.runtime, clock())
    )
    assert sum(r.counts[PurgeKind.DRAFT_NOTICES] for r in reports) == 5
    assert first.runtime.sender is not None
    await first.runtime.sender.flush_all()  # what the second process queued
    await api.wait_until_idle(timeout=5)
    assert [len(notices_read(resident)) for resident in residents] == [1] * 5
    assert "01/11/2026" in notices_read(residents[0])[0]

    # Again, the same day and the next: no notice twice, then every draft gone once.
    again = await asyncio.gather(purge(first.runtime, clock()), purge(second, clock()))
    assert sum(sum(r.counts.values()) for r in again) == 0
    clock.now = DELETION_RUN
    deleted = await asyncio.gather(purge(first.runtime, clock()), purge(second, clock()))
    assert sum(r.counts[PurgeKind.DRAFTS] for r in deleted) == 5
    assert sum(r.counts[PurgeKind.DRAFT_NOTICES] for r in deleted) == 0
    await api.wait_until_idle(timeout=5)
    assert [len(notices_read(resident)) for resident in residents] == [1] * 5
    async with first.runtime.uow() as uow:
        assert [await uow.dialogs.get(r.chat_id) for r in residents] == [None] * 5


async def test_only_the_holder_of_the_lease_runs_the_days_purge(
    api: LocalBotApi, first: RunningBot, second: Runtime, clock: FakeClock
) -> None:
    (resident,) = await leave_drafts(api, 1)
    clock.now = NOTICE_RUN - timedelta(hours=2)  # 07:00: before the run time
    jobs = [RetentionJob(first.runtime, interval=0.05), RetentionJob(second, interval=0.05)]
    assert await asyncio.gather(*(job.step() for job in jobs)) == [None, None]

    clock.now = NOTICE_RUN
    runs = await asyncio.gather(*(job.step() for job in jobs))
    ran = [job for job, report in zip(jobs, runs, strict=True) if report is not None]
    assert len(ran) == 1 and runs[jobs.index(ran[0])] is ran[0].last_report
    assert ran[0].last_report is not None
    assert ran[0].last_report.counts[PurgeKind.DRAFT_NOTICES] == 1
    # The holder does not run it twice a day; the other still may not.
    assert await asyncio.gather(*(job.step() for job in jobs)) == [None, None]

    # The holder stops (its loop gives the lease up); the other takes over and runs the
    # day's purge again, which finds nothing left to do.
    holder = ran[0]
    other = jobs[1 - jobs.index(holder)]
    loop = asyncio.create_task(holder.run())
    await asyncio.sleep(0.01)
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    report = await other.step()
    assert report is not None and set(report.counts.values()) == {0}

    assert first.runtime.sender is not None
    await first.runtime.sender.flush_all()
    await api.wait_until_idle(timeout=5)
    assert len(notices_read(resident)) == 1
