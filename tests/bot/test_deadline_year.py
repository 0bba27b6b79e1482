"""A whole year of the 2018 plan's deadline digests, through the local Bot API, per backend.

The bot starts on 02/01/2018 with a clock the test moves; ``run_once`` is driven by hand at
08:00 Hà Nội time every calendar day up to 31/01/2019 (and at a few times outside office
hours), sending through the bot's own outbox sender. Three units have an officer: Phường
Hàng Bạc, Phòng Nội vụ (the council's secretariat unit, lead of the council's tasks) and
Phường Lý Thái Tổ (chief of the illustrative cluster 2, lead of the clusters' tasks). Every
message that arrives is read as a digest (each listed task with its section, due day and
working days left) with the day of the run that sent it, then checked against the calendar,
the plan and what the officers did mid-year. Each officer's count for the year is printed
by ``bench/digest.py``, next to what the per-task notices sent before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.local_api import LocalBotApi, SimUser
from bot.notices import run_once
from bot.runtime import Runtime
from core.calendar import WorkingCalendar
from core.digest import MAX_ITEMS
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import say
from tests.bot.simulation import OncePerBackend

OPERATOR = Actor.operator()

HANG_BAC = "phuong-hang-bac"
NOI_VU = "phong-noi-vu"
LY_THAI_TO = "phuong-ly-thai-to"  # chief of "Cụm thi đua các phường số 2 (minh họa)"

FIRST_DAY = date(2018, 1, 2)
LAST_DAY = date(2019, 1, 31)
MAX_OVERDUE = 5
OFFSETS = (7, 3, 1)

# Vietnam's days off in the period, written out here rather than taken from the calendar
# under test: Tết Dương lịch, Tết Mậu Tuất (14-20/02/2018, the Prime Minister's decision),
# Giỗ Tổ Hùng Vương, 30/4 and 1/5, Quốc khánh and its day in lieu, and 31/12/2018, given off
# in exchange for Saturday 05/01/2019.
DAYS_OFF = frozenset(
    {
        date(2018, 1, 1),
        *(date(2018, 2, day) for day in range(14, 21)),
        date(2018, 4, 25),
        date(2018, 4, 30),
        date(2018, 5, 1),
        date(2018, 9, 2),
        date(2018, 9, 3),
        date(2018, 12, 31),
        date(2019, 1, 1),
    }
)
# The Saturday worked in exchange for 31/12/2018: offices are open, so notices may go out.
WORKED_SATURDAY = date(2019, 1, 5)

# "Hàng tháng" (task 19): the last working day of each month of 2018, moved back off days off.
TASK_19_DUES = [
    date(2018, 1, 31),
    date(2018, 2, 28),
    date(2018, 3, 30),  # 31/03 is a Saturday
    date(2018, 4, 27),  # 30/04 is a holiday, 28-29/04 a weekend
    date(2018, 5, 31),
    date(2018, 6, 29),  # 30/06 is a Saturday
    date(2018, 7, 31),
    date(2018, 8, 31),
    date(2018, 9, 28),  # 30/09 is a Sunday
    date(2018, 10, 31),
    date(2018, 11, 30),
    date(2018, 12, 28),  # 31/12 is the day off swapped for 05/01/2019
]

# Task 21, "Hồ sơ gửi trước 45 ngày dự kiến gắn biển", entered by Hàng Bạc's officer.
EVENT_FIRST_ENTERED = date(2018, 3, 1)
EVENT_FIRST = "15/05/2018"  # 45 days before: Saturday 31/03, moved back to Friday 30/03
EVENT_FIRST_DUE = date(2018, 3, 30)
EVENT_MOVED_ON = date(2018, 3, 23)  # after the first reminder (21/03), before the others
EVENT_MOVED = "30/06/2018"  # 45 days before: Wednesday 16/05
EVENT_MOVED_DUE = date(2018, 5, 16)

# Hàng Bạc reports June's task 19 done on the day of its first reminder for it.
DONE_ON = date(2018, 6, 20)
DONE_DUE = date(2018, 6, 29)

# Runs outside office hours (local hour) on days that have notices at 08:00: before, at the
# end of office hours and in the evening. Each must send nothing.
OFF_HOURS = {
    date(2018, 1, 3): (6, 17, 21),
    date(2018, 6, 20): (7, 17),
    date(2018, 11, 1): (0, 19),
}
# Runs at midday on days off, when a run in office hours would otherwise catch up.
DAYS_OFF_AT_NOON = (date(2018, 2, 16), date(2018, 4, 30), date(2018, 9, 3), date(2018, 6, 23))

SECTIONS = {
    "🔴 Cần làm ngay": "urgent",
    "⚠️ Quá hạn": "overdue",
    "⏰ Sắp đến hạn": "coming",
    "ℹ️ Để phối hợp": "fyi",
}
_HEADER = re.compile(r"Bản tin hạn chót ngày (\d\d)/(\d\d)/(\d{4})")
_TASK = re.compile(r"^• Nhiệm vụ (\d+):")
_DUE = re.compile(r"Hạn: (\d\d)/(\d\d)/(\d{4}) · (còn (\d+)|quá (\d+)|hôm nay)")
_QUOTA = re.compile(r"Tháng (\d\d)/(\d{4}): đã đề xuất lên Hội đồng (\d+)/(\d+)")
_OLDER = re.compile(r"(\d+) việc đã quá hạn lâu hơn")


def _day(day: str, month: str, year: str) -> date:
    return date(int(year), int(month), int(day))


@dataclass(frozen=True)
class Listed:
    """A task as a digest listed it."""

    task: int
    section: str
    due: date
    days: int  # working days left: positive before the due day, negative after
    quota: tuple[int, int] | None  # (proposed, quota) shown with the task


@dataclass(frozen=True)
class Digest:
    """A digest as an officer read it, and the day of the run that brought it."""

    arrived: date
    day: date
    items: tuple[Listed, ...]
    older_overdue: int
    buttons: tuple[str, ...]
    text: str

    def of(self, task: int, due: date | None = None) -> list[Listed]:
        return [i for i in self.items if i.task == task and (due is None or i.due == due)]


def parse_digest(arrived: date, text: str, buttons: tuple[str, ...] = ()) -> Digest:
    """Read a digest's day, listed tasks and count of older overdue ones from its text."""
    header = _HEADER.search(text)
    assert header is not None, text
    items: list[Listed] = []
    section = task = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() in SECTIONS:
            section = SECTIONS[line.strip()]
            continue
        found = _TASK.match(line)
        if found is None:
            continue
        task = int(found.group(1))
        due = _DUE.search(lines[index + 1])
        assert section is not None and due is not None, text
        left, late = due.group(5), due.group(6)
        days = int(left) if left else -int(late) if late else 0
        quota_line = lines[index + 3] if index + 3 < len(lines) else ""
        quota = _QUOTA.search(quota_line)
        items.append(
            Listed(
                task,
                section,
                _day(*due.group(1, 2, 3)),
                days,
                (int(quota.group(3)), int(quota.group(4))) if quota else None,
            )
        )
    older = _OLDER.search(text)
    return Digest(
        arrived,
        _day(*header.groups()),
        tuple(items),
        int(older.group(1)) if older else 0,
        buttons,
        text,
    )


def hanoi(day: date, hour: int = 8) -> datetime:
    """``hour``:00 in Hà Nội on ``day``, as UTC."""
    return datetime.fromisoformat(f"{day.isoformat()}T{hour:02d}:00:00+07:00").astimezone(UTC)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class Officers:
    """The simulated officers, and the digests each received in which run."""

    def __init__(self, users: dict[str, SimUser]) -> None:
        self.users = users
        self.seen = {unit: len(user.all_messages) for unit, user in users.items()}
        self.digests: dict[str, list[Digest]] = {unit: [] for unit in users}

    def collect(self, day: date) -> int:
        """Record the messages that arrived since the last call as digests of ``day``."""
        count = 0
        for unit, user in self.users.items():
            new = user.all_messages[self.seen[unit] :]
            self.seen[unit] += len(new)
            for message in new:
                labels = tuple(label for row in message.buttons for label in row)
                self.digests[unit].append(parse_digest(day, message.text, labels))
            count += len(new)
        return count

    def skip(self) -> None:
        """Forget replies to the officers' own commands (they are not digests)."""
        self.seen = {unit: len(user.all_messages) for unit, user in self.users.items()}

    def listings(self, unit: str, task: int, due: date | None = None) -> list[tuple[date, Listed]]:
        """Return each listing of a task in a unit's digests, with the day it arrived."""
        return [(d.arrived, item) for d in self.digests[unit] for item in d.of(task, due)]


async def grant_officer(rt: Runtime, clock: FakeClock, user_id: int, unit: str) -> None:
    async with rt.uow() as uow:
        await grant_role(
            uow, OPERATOR, user_id=user_id, role=Role.OFFICER, unit_key=unit, now=clock()
        )
        await uow.commit()


async def run_at(rt: Runtime, clock: FakeClock, moment: datetime) -> int:
    """Run the notices at ``moment`` and send what was queued; return how many."""
    clock.now = moment
    ids = await run_once(rt, rt.calendar, rt.reminders, moment)
    assert rt.sender is not None
    await rt.sender.send_ids(ids)
    return len(ids)


StartBot = Callable[..., AbstractAsyncContextManager[tuple[Any, Runtime]]]


@pytest.fixture
async def year_2018(start_bot: StartBot, clock: FakeClock) -> AsyncIterator[RunningBot]:
    clock.now = hanoi(FIRST_DAY, 7)
    async with start_bot(notices=False) as (application, runtime):
        yield RunningBot(application, runtime)


@dataclass
class Year:
    calendar: WorkingCalendar  # the bot's own
    officers: Officers
    days_with_digests: list[date]
    event_replies: list[str]
    done_reply: str


async def simulate_year(api: LocalBotApi, bot: RunningBot, clock: FakeClock) -> Year:
    rt = bot.runtime
    assert rt.reminders.max_overdue == MAX_OVERDUE
    assert rt.reminders.offsets == OFFSETS
    users = {
        HANG_BAC: api.user(2101, "Cán bộ Hàng Bạc"),
        NOI_VU: api.user(2102, "Cán bộ Nội vụ"),
        LY_THAI_TO: api.user(2103, "Cán bộ Lý Thái Tổ"),
    }
    for unit, user in users.items():
        await grant_officer(rt, clock, user.id, unit)
    officers = Officers(users)
    hang_bac = users[HANG_BAC]
    days_with_digests: list[date] = []
    event_replies: list[str] = []
    done_reply = ""
    repeated_week: tuple[int, int] | None = None
    repeats = 0

    for day in days_between(FIRST_DAY, LAST_DAY):
        if day in (EVENT_FIRST_ENTERED, EVENT_MOVED_ON):
            clock.now = hanoi(day, 7)
            event = EVENT_FIRST if day == EVENT_FIRST_ENTERED else EVENT_MOVED
            hang_bac.skip_pending()
            event_replies.append((await say(hang_bac, f"/event 21 {event}")).text)
            await api.wait_until_idle(timeout=5)
            officers.skip()
        for hour in OFF_HOURS.get(day, ()):
            if hour < 8:
                assert await run_at(rt, clock, hanoi(day, hour)) == 0, (day, hour)
        if day in DAYS_OFF_AT_NOON:
            assert await run_at(rt, clock, hanoi(day, 12)) == 0, day

        sent = await run_at(rt, clock, hanoi(day))
        arrived = officers.collect(day)
        assert arrived == sent, (day, sent, arrived)
        if sent:
            days_with_digests.append(day)
            week = day.isocalendar()[:2]
            if week != repeated_week:
                # The claims: a second run at the same instant queues nothing. Checked on
                # the first day of each week that sent something: a run costs tens of
                # milliseconds, and the year has hundreds of them already.
                assert await run_at(rt, clock, hanoi(day)) == 0, day
                repeated_week = week
                repeats += 1
        for hour in OFF_HOURS.get(day, ()):
            if hour > 8:
                assert await run_at(rt, clock, hanoi(day, hour)) == 0, (day, hour)
        assert officers.collect(day) == 0, day

        if day == DONE_ON:
            (digest,) = [d for d in officers.digests[HANG_BAC] if d.arrived == DONE_ON]
            assert [(i.section, i.days) for i in digest.of(19, DONE_DUE)] == [("coming", 7)]
            message = hang_bac.all_messages[-1]
            hang_bac.skip_pending()
            clock.now = hanoi(day, 9)
            label = f"✅ Đã hoàn thành · 19 · {DONE_DUE:%d/%m}"
            done_reply = (await hang_bac.press_on_for_reply(message, label)).text  # in place
            await api.wait_until_idle(timeout=5)
            officers.skip()
    assert repeats > 40
    return Year(rt.calendar, officers, days_with_digests, event_replies, done_reply)


# The year is simulated once per backend and its record shared by the tests below.
_SIMULATED: OncePerBackend[Year] = OncePerBackend()


@pytest.fixture
async def simulated_year(
    database_backend: str, api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> Year:
    return await _SIMULATED.get(database_backend, lambda: simulate_year(api, year_2018, clock))


def _is_news(item: Listed) -> bool:
    """Tell whether a listed task makes its digest worth sending (core.digest's rule)."""
    return (
        item.section in ("urgent", "fyi")
        or (item.section == "coming" and item.days in OFFSETS)
        or (item.quota is not None and item.quota[0] < item.quota[1])
    )


def test_a_year_of_digests_one_per_officer_per_working_day_none_on_days_off(
    simulated_year: Year,
) -> None:
    year = simulated_year
    calendar = year.calendar
    digests = year.officers.digests
    everything = [d for unit in digests for d in digests[unit]]
    working_days = [d for d in days_between(FIRST_DAY, LAST_DAY) if calendar.is_working_day(d)]

    # Only on working days: as the calendar says, and as the hard-coded days off say.
    for day in DAYS_OFF:
        assert not calendar.is_working_day(day), day
    assert calendar.is_working_day(WORKED_SATURDAY)
    for day in year.days_with_digests:
        assert calendar.is_working_day(day), day
        assert day not in DAYS_OFF, day
        assert day.weekday() < 5 or day == WORKED_SATURDAY, day
    assert {d.arrived for d in everything} == set(year.days_with_digests)
    # 31/12/2018 was given off (for Saturday 05/01/2019, which brought no news here: core's
    # tests send a digest on such a day): December's task 19, due Friday 28/12, is first
    # overdue on Wednesday 02/01/2019.
    december = year.officers.listings(HANG_BAC, 19, date(2018, 12, 28))
    assert (date(2019, 1, 2), "urgent", -1) in [(d, i.section, i.days) for d, i in december]
    # Nothing over Tết, though task 19's February reminders fall around it.
    assert [d for d in everything if date(2018, 2, 14) <= d.arrived <= date(2018, 2, 20)] == []
    assert any(i.due == date(2018, 2, 28) for _, i in year.officers.listings(HANG_BAC, 19))

    for unit, received in digests.items():
        # One digest per officer per working day, of that day, and none on days off.
        per_day = Counter(d.arrived for d in received)
        assert max(per_day.values()) == 1, unit
        assert all(d.day == d.arrived for d in received), unit
        assert len(received) <= len(working_days), (unit, len(received))
        # Each goes because something in it is news; the rest of the list rides along.
        for digest in received:
            assert any(_is_news(item) for item in digest.items), digest.text
            lead = [i for i in digest.items if i.section != "fyi"]
            assert len(digest.buttons) == len(lead) <= MAX_ITEMS, digest.text
            pairs = zip(lead, digest.buttons, strict=True)
            assert all(f"· {i.task} · {i.due:%d/%m}" in label for i, label in pairs)
        # In time: what the digest says of a task agrees with the calendar.
        for digest in received:
            for item in digest.items:
                left = calendar.working_days_between(digest.arrived, item.due)
                assert item.days == left, (unit, digest.arrived, item)
                if item.section == "urgent":
                    assert item.days in (0, -1), item
                elif item.section == "overdue":
                    assert -MAX_OVERDUE <= item.days < -1, item
                elif item.section == "coming":
                    assert item.days > 0, item

    # Every task of a digest quotes the plan's own words for its time.
    for digest in everything:
        lead = [i for i in digest.items if i.section != "fyi"]
        assert digest.text.count("Kế hoạch ghi: “") >= len(lead), digest.text
    task_14_text = next(d.text for d in digests[LY_THAI_TO] if d.of(14))
    assert "Kế hoạch ghi: “Trước ngày 02/11/2018”" in task_14_text

    # A task nobody reports done: the cluster chief's year-end review (task 14, "Trước
    # ngày 02/11/2018", due Thursday 01/11) is in the digests of its reminder days, of its
    # due day and of its first day overdue; later it rides along for five working days at
    # most, then is only counted.
    task_14 = year.officers.listings(LY_THAI_TO, 14)
    assert {item.due for _, item in task_14} == {date(2018, 11, 1)}
    by_day = {day: (item.section, item.days) for day, item in task_14}
    assert by_day[date(2018, 10, 23)] == ("coming", 7)
    assert by_day[date(2018, 10, 29)] == ("coming", 3)
    assert by_day[date(2018, 10, 31)] == ("coming", 1)
    assert by_day[date(2018, 11, 1)] == ("urgent", 0)
    assert by_day[date(2018, 11, 2)] == ("urgent", -1)
    assert max(by_day) <= date(2018, 11, 8)  # the fifth working day after 01/11
    assert year.officers.listings(HANG_BAC, 14) == []  # a cluster's task, not a ward's


def test_task_19_and_the_monthly_quota_make_one_message_a_day(simulated_year: Year) -> None:
    officers = simulated_year.officers
    calendar = simulated_year.calendar
    for unit in (HANG_BAC, LY_THAI_TO, NOI_VU):
        monthly = officers.listings(unit, 19)
        assert sorted({i.due for _, i in monthly}) == TASK_19_DUES, unit
        for due in TASK_19_DUES:
            if (unit, due) == (HANG_BAC, DONE_DUE):
                continue
            days = sorted({i.days for _, i in monthly if i.due == due}, reverse=True)
            assert {7, 3, 1, 0, -1} <= set(days), (unit, due, days)
            # On the quota day (the 20th or the next working day) the unit, short of its
            # quota, is told with task 19, in that day's only message.
            quota_day = calendar.next_working_day(due.replace(day=20))
            (on_quota_day,) = [i for day, i in monthly if day == quota_day and i.due == due]
            assert on_quota_day.quota == (0, 1), (unit, due)
        # The standing comes with task 19 in the month it is due, never on its own.
        for digest in officers.digests[unit]:
            assert digest.text.count("đã đề xuất lên Hội đồng") == len(
                [i for i in digest.items if i.quota is not None]
            ), digest.text
            assert all(i.task == 19 for i in digest.items if i.quota is not None)


def test_done_stops_one_units_task_while_another_units_continues(simulated_year: Year) -> None:
    year = simulated_year
    officers = year.officers
    assert "hoàn thành nhiệm vụ 19" in year.done_reply

    june_hang_bac = officers.listings(HANG_BAC, 19, DONE_DUE)
    assert [(day, i.days) for day, i in june_hang_bac] == [(DONE_ON, 7)]
    june_ly_thai_to = officers.listings(LY_THAI_TO, 19, DONE_DUE)
    assert {7, 3, 1, 0, -1} <= {i.days for _, i in june_ly_thai_to}
    assert any(day > DONE_ON for day, _ in june_ly_thai_to)
    # Done is per occurrence: July's task 19 still reaches Hàng Bạc, overdue included.
    july = {i.days for _, i in officers.listings(HANG_BAC, 19, date(2018, 7, 31))}
    assert {7, 3, 1, 0, -1} <= july


def test_a_relative_deadline_is_listed_only_once_entered_and_moves_with_it(
    simulated_year: Year,
) -> None:
    year = simulated_year
    officers = year.officers
    first, moved = year.event_replies
    assert f"Hạn gửi hồ sơ: {EVENT_FIRST_DUE:%d/%m/%Y}" in first
    assert f"Hạn gửi hồ sơ: {EVENT_MOVED_DUE:%d/%m/%Y}" in moved

    task_21 = officers.listings(HANG_BAC, 21)
    assert task_21, "task 21 never listed after /event"
    assert all(day > EVENT_FIRST_ENTERED for day, _ in task_21)
    # The first date until it was changed, and never after.
    before = [(day, i.days) for day, i in task_21 if i.due == EVENT_FIRST_DUE]
    assert before and all(day < EVENT_MOVED_ON for day, _ in before)
    assert before[0] == (date(2018, 3, 21), 7)
    after = [(day, i) for day, i in task_21 if i.due == EVENT_MOVED_DUE]
    assert all(day > EVENT_MOVED_ON for day, _ in after)
    assert {7, 3, 1, 0, -1} <= {i.days for _, i in after}
    assert len(task_21) == len(before) + len(after)
    # The event day was entered for Hàng Bạc only: the other units have no deadline.
    assert officers.listings(LY_THAI_TO, 21) == []
    assert officers.listings(NOI_VU, 21) == []
    assert officers.listings(HANG_BAC, 20) == []  # the council's, and nobody entered its date


async def test_digests_queued_before_a_restart_are_sent_once_by_the_next_bot(
    api: LocalBotApi, start_bot: StartBot, clock: FakeClock
) -> None:
    day = date(2018, 1, 4)  # task 1 overdue (due 29/12/2017), task 3's reminder: one digest each
    users = {
        HANG_BAC: api.user(2201, "Cán bộ Hàng Bạc"),
        NOI_VU: api.user(2202, "Cán bộ Nội vụ"),
        LY_THAI_TO: api.user(2203, "Cán bộ Lý Thái Tổ"),
    }
    clock.now = hanoi(day, 7)
    async with start_bot(notices=False) as (_, rt):
        for unit, user in users.items():
            await grant_officer(rt, clock, user.id, unit)
        clock.now = hanoi(day)
        ids = await run_once(rt, rt.calendar, rt.reminders, clock())
        async with rt.uow() as uow:
            queued = [m for m in await uow.outbox.pending(limit=1000) if m.id in set(ids)]
        assert len(queued) == len(ids) == len(users)
        assert {m.chat_id for m in queued} == {user.id for user in users.values()}
        # The process dies in the middle of sending: the first digest went out, the second
        # was taken by the sender, which never heard Telegram's answer; the third waits.
        assert rt.sender is not None
        await rt.sender.send_ids(ids[:1])
        async with rt.uow() as uow:
            assert await uow.outbox.claim(ids[1], at=clock())
            await uow.commit()
    before = {unit: len(user.all_messages) for unit, user in users.items()}
    assert sum(before.values()) == 1

    # Started after the sender's claim went stale: the start-up flush sends what was left.
    clock.now = hanoi(day, 8) + timedelta(minutes=3)
    async with start_bot(notices=False) as (_, rt):
        async with rt.uow() as uow:
            assert [m.id for m in await uow.outbox.pending(limit=1000)] == []
        for moment in (hanoi(day), clock()):
            assert await run_once(rt, rt.calendar, rt.reminders, moment) == []
        await api.wait_until_idle(timeout=5)

    expected = Counter((m.chat_id, m.params["text"]) for m in queued)
    received = Counter(
        (user.id, sent.params["text"])
        for user in users.values()
        for sent in api.calls_for("sendMessage")
        if sent.params["chat_id"] == user.id and sent.ok
    )
    assert received == expected
    assert max(received.values()) == 1
    for user in users.values():
        (digest,) = [parse_digest(day, m.text) for m in user.all_messages]
        assert {item.task for item in digest.items} >= {1, 3}
