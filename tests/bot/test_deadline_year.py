"""A whole year of the 2018 plan's deadline notices, through the local Bot API, per backend.

The bot starts on 02/01/2018 with a clock the test moves; ``run_once`` is driven by hand at
08:00 Hà Nội time every calendar day up to 31/01/2019 (and at a few times outside office
hours), sending through the bot's own outbox sender. Three units have an officer: Phường
Hàng Bạc, Phòng Nội vụ (the council's secretariat unit, lead of the council's tasks) and
Phường Lý Thái Tổ (chief of the illustrative cluster 2, lead of the clusters' tasks). Every
message that arrives is recorded with the day of the run that sent it, then checked against
the calendar, the plan and what the officers did mid-year.
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

KINDS = {
    "Nhắc hạn": "reminder",
    "Hạn chót hôm nay": "due_today",
    "Quá hạn": "overdue",
    "Để phối hợp": "fyi",
}
_TASK = re.compile(r"Nhiệm vụ (\d+):")
_DUE = re.compile(r"Hạn: (\d\d)/(\d\d)/(\d{4})")
_LEFT = re.compile(r"(còn|quá) (\d+) ngày làm việc")
# The plan's monthly quota: units with no exemplar yet are told on the 20th (or the next
# working day). Not a task's deadline: recorded with task 0, "due" the month's first day.
_QUOTA = re.compile(r"Tháng (\d\d)/(\d{4}), .* chưa giới thiệu điển hình")


@dataclass(frozen=True)
class Notice:
    """A notice as an officer read it, and the day of the run that brought it."""

    arrived: date
    task: int
    kind: str
    due: date
    days: int  # working days left: positive before the due day, negative after
    text: str

    @property
    def identity(self) -> tuple[int, str, date, int]:
        return (self.task, self.kind, self.due, self.days)


def parse_notice(arrived: date, text: str) -> Notice:
    """Read a deadline notice's task, kind, due day and working days left from its text."""
    quota = _QUOTA.search(text)
    if quota is not None:
        month, year = (int(part) for part in quota.groups())
        return Notice(arrived, 0, "quota", date(year, month, 1), 0, text)
    header = text.strip().splitlines()[0]
    kind = next((k for label, k in KINDS.items() if label in header), None)
    task, due, left = _TASK.search(text), _DUE.search(text), _LEFT.search(text)
    assert kind is not None and task is not None and due is not None, text
    days = 0 if left is None else int(left.group(2)) * (1 if left.group(1) == "còn" else -1)
    day, month, year = (int(part) for part in due.groups())
    return Notice(arrived, int(task.group(1)), kind, date(year, month, day), days, text)


def hanoi(day: date, hour: int = 8) -> datetime:
    """``hour``:00 in Hà Nội on ``day``, as UTC."""
    return datetime.fromisoformat(f"{day.isoformat()}T{hour:02d}:00:00+07:00").astimezone(UTC)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class Officers:
    """The simulated officers, and what each received in which run."""

    def __init__(self, users: dict[str, SimUser]) -> None:
        self.users = users
        self.seen = {unit: len(user.all_messages) for unit, user in users.items()}
        self.notices: dict[str, list[Notice]] = {unit: [] for unit in users}

    def collect(self, day: date) -> int:
        """Record the messages that arrived since the last call as notices of ``day``."""
        count = 0
        for unit, user in self.users.items():
            new = user.all_messages[self.seen[unit] :]
            self.seen[unit] += len(new)
            self.notices[unit].extend(parse_notice(day, m.text) for m in new)
            count += len(new)
        return count

    def skip(self) -> None:
        """Forget replies to the officers' own commands (they are not notices)."""
        self.seen = {unit: len(user.all_messages) for unit, user in self.users.items()}

    def of(self, unit: str, task: int, due: date | None = None) -> list[Notice]:
        return [n for n in self.notices[unit] if n.task == task and (due is None or n.due == due)]


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
    days_with_notices: list[date]
    event_replies: list[str]
    done_reply: str


async def simulate_year(api: LocalBotApi, bot: RunningBot, clock: FakeClock) -> Year:
    rt = bot.runtime
    assert rt.reminders.max_overdue == MAX_OVERDUE
    users = {
        HANG_BAC: api.user(2101, "Cán bộ Hàng Bạc"),
        NOI_VU: api.user(2102, "Cán bộ Nội vụ"),
        LY_THAI_TO: api.user(2103, "Cán bộ Lý Thái Tổ"),
    }
    for unit, user in users.items():
        await grant_officer(rt, clock, user.id, unit)
    officers = Officers(users)
    hang_bac = users[HANG_BAC]
    days_with_notices: list[date] = []
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
            days_with_notices.append(day)
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
            june = [n for n in officers.notices[HANG_BAC] if n.task == 19 and n.due == DONE_DUE]
            assert [(n.kind, n.arrived) for n in june] == [("reminder", DONE_ON)]
            message = next(
                m
                for m in reversed(hang_bac.all_messages)
                if "Nhiệm vụ 19:" in m.text and "Hạn: 29/06/2018" in m.text
            )
            hang_bac.skip_pending()
            clock.now = hanoi(day, 9)
            await hang_bac.press_on(message, "✅ Đã hoàn thành")
            done_reply = (await hang_bac.next_message()).text
            await api.wait_until_idle(timeout=5)
            officers.skip()
    assert repeats > 40
    return Year(rt.calendar, officers, days_with_notices, event_replies, done_reply)


# The year is simulated once per backend and its record shared by the tests below.
_SIMULATED: OncePerBackend[Year] = OncePerBackend()


@pytest.fixture
async def simulated_year(
    database_backend: str, api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> Year:
    return await _SIMULATED.get(database_backend, lambda: simulate_year(api, year_2018, clock))


def test_a_year_of_notices_goes_out_on_working_days_once_and_in_time(
    simulated_year: Year,
) -> None:
    year = simulated_year
    calendar = year.calendar
    notices = year.officers.notices
    everything = [n for unit in notices for n in notices[unit]]
    assert len(everything) > 300

    # Only on working days: as the calendar says, and as the hard-coded days off say.
    for day in DAYS_OFF:
        assert not calendar.is_working_day(day), day
    assert calendar.is_working_day(WORKED_SATURDAY)
    for day in year.days_with_notices:
        assert calendar.is_working_day(day), day
        assert day not in DAYS_OFF, day
        assert day.weekday() < 5 or day == WORKED_SATURDAY, day
    assert {n.arrived for n in everything} == set(year.days_with_notices)
    # The Saturday worked for 31/12/2018 is an office day: December's overdue notices go on.
    assert WORKED_SATURDAY in year.days_with_notices
    # Nothing over Tết, though task 19's February reminders fall around it.
    tet = {n for n in everything if date(2018, 2, 14) <= n.arrived <= date(2018, 2, 20)}
    assert tet == set()
    assert any(n.task == 19 and n.due == date(2018, 2, 28) for n in notices[HANG_BAC])

    # Each notice once per officer: no repeated (task, kind, due day, working days left).
    for unit, received in notices.items():
        repeated = [k for k, c in Counter(n.identity for n in received).items() if c > 1]
        assert repeated == [], unit
        per_day = Counter((n.arrived, n.task, n.kind, n.due) for n in received)
        assert max(per_day.values()) == 1, unit

    # In time: reminders and notes to coordinating units before the due day, the due-day
    # notice on it, overdue notices after it, and at most max_overdue of them.
    for n in everything:
        if n.kind in ("reminder", "fyi"):
            assert n.arrived < n.due and n.days > 0, n.text
        elif n.kind == "due_today":
            assert n.arrived == n.due and n.days == 0, n.text
        elif n.kind == "overdue":
            assert n.arrived > n.due and n.days < 0, n.text
    for unit, received in notices.items():
        overdue = Counter((n.task, n.due) for n in received if n.kind == "overdue")
        assert max(overdue.values()) <= MAX_OVERDUE, unit

    # Every deadline notice quotes the plan's own words for the task's time.
    for n in everything:
        assert n.task == 0 or "Kế hoạch ghi: «" in n.text, n.text
    task_14_text = next(n.text for n in notices[LY_THAI_TO] if n.task == 14)
    assert "Kế hoạch ghi: «Trước ngày 02/11/2018»" in task_14_text

    # A task nobody reports done: the cluster chief's year-end review (task 14, "Trước
    # ngày 02/11/2018", due Thursday 01/11) is reminded, then overdue five times.
    task_14 = year.officers.of(LY_THAI_TO, 14)
    assert [(n.kind, n.days) for n in task_14] == [
        ("reminder", 7),
        ("reminder", 3),
        ("reminder", 1),
        ("due_today", 0),
        *(("overdue", -k) for k in range(1, MAX_OVERDUE + 1)),
    ]
    assert {n.due for n in task_14} == {date(2018, 11, 1)}
    assert [n.arrived for n in task_14 if n.kind == "overdue"] == [
        date(2018, 11, 2),
        date(2018, 11, 5),
        date(2018, 11, 6),
        date(2018, 11, 7),
        date(2018, 11, 8),
    ]
    assert year.officers.of(HANG_BAC, 14) == []  # a cluster's task, not a ward's


def test_done_stops_one_units_notices_while_another_units_continue(simulated_year: Year) -> None:
    year = simulated_year
    officers = year.officers
    assert "hoàn thành nhiệm vụ 19" in year.done_reply

    june_hang_bac = officers.of(HANG_BAC, 19, DONE_DUE)
    assert [(n.kind, n.arrived) for n in june_hang_bac] == [("reminder", DONE_ON)]
    june_ly_thai_to = officers.of(LY_THAI_TO, 19, DONE_DUE)
    assert [n.kind for n in june_ly_thai_to] == [
        "reminder",
        "reminder",
        "reminder",
        "due_today",
        *["overdue"] * MAX_OVERDUE,
    ]
    assert any(n.arrived > DONE_ON for n in june_ly_thai_to)
    # Done is per occurrence: July's task 19 still reaches Hàng Bạc, overdue included.
    july = officers.of(HANG_BAC, 19, date(2018, 7, 31))
    assert [n.kind for n in july].count("reminder") == 3
    assert [n.kind for n in july].count("overdue") == MAX_OVERDUE

    # "Hàng tháng": every month of 2018 has its deadline, each reminded before it.
    for unit in (HANG_BAC, LY_THAI_TO, NOI_VU):
        monthly = officers.of(unit, 19)
        assert sorted({n.due for n in monthly}) == TASK_19_DUES, unit
        for due in TASK_19_DUES:
            if (unit, due) == (HANG_BAC, DONE_DUE):
                continue
            reminders = [n for n in monthly if n.due == due and n.kind == "reminder"]
            assert [n.days for n in reminders] == [7, 3, 1], (unit, due)
            assert all(n.arrived.month == due.month for n in reminders), (unit, due)


def test_a_relative_deadline_is_reminded_only_once_entered_and_moves_with_it(
    simulated_year: Year,
) -> None:
    year = simulated_year
    officers = year.officers
    first, moved = year.event_replies
    assert f"Hạn gửi hồ sơ: {EVENT_FIRST_DUE:%d/%m/%Y}" in first
    assert f"Hạn gửi hồ sơ: {EVENT_MOVED_DUE:%d/%m/%Y}" in moved

    task_21 = officers.of(HANG_BAC, 21)
    assert task_21, "no notice of task 21 after /event"
    assert all(n.arrived > EVENT_FIRST_ENTERED for n in task_21)
    # The first date's reminders until it was changed, and none of its later notices.
    before = [n for n in task_21 if n.due == EVENT_FIRST_DUE]
    assert [(n.kind, n.days, n.arrived) for n in before] == [("reminder", 7, date(2018, 3, 21))]
    after = [n for n in task_21 if n.due == EVENT_MOVED_DUE]
    assert all(n.arrived > EVENT_MOVED_ON for n in after)
    assert [(n.kind, n.days) for n in after] == [
        ("reminder", 7),
        ("reminder", 3),
        ("reminder", 1),
        ("due_today", 0),
        *(("overdue", -k) for k in range(1, MAX_OVERDUE + 1)),
    ]
    assert len(task_21) == len(before) + len(after)
    # The event day was entered for Hàng Bạc only: the other units have no deadline.
    assert officers.of(LY_THAI_TO, 21) == []
    assert officers.of(NOI_VU, 21) == []
    assert officers.of(HANG_BAC, 20) == []  # the council's, and nobody entered its date


async def test_notices_queued_before_a_restart_are_sent_once_by_the_next_bot(
    api: LocalBotApi, start_bot: StartBot, clock: FakeClock
) -> None:
    day = date(2018, 1, 4)  # task 1 overdue (due 29/12/2017), task 3 due tomorrow
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
        assert len(queued) == len(ids) >= len(users)
        assert {m.chat_id for m in queued} == {user.id for user in users.values()}
        # The process dies in the middle of sending: the first notice went out, the second
        # was taken by the sender, which never heard Telegram's answer; the rest wait.
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
        texts = [parse_notice(day, m.text) for m in user.all_messages]
        assert len(texts) == sum(1 for m in queued if m.chat_id == user.id)
        assert len({n.identity for n in texts}) == len(texts)
