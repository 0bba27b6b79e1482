"""A request's clocks: 2 working days to acknowledge, 15 days to finish, reminded on working days.

The scene crosses a weekend and a public holiday: filed on Friday 20/11/2026, with Tuesday
24/11/2026 off (Ngày Văn hóa Việt Nam; configured, so that the test holds whichever
``holidays`` release is installed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.calendar import CalendarConfig, WorkingCalendar
from core.requests import (
    DataRequest,
    ReminderKind,
    RequestClock,
    RequestKind,
    clocks,
    reminders_on,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAY = date(2026, 11, 24)
# Friday 20/11/2026, 09:00 in Hà Nội.
FILED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(CalendarConfig(extra_days_off=frozenset({HOLIDAY})))


def _request(calendar: WorkingCalendar, filed_at: datetime = FILED) -> DataRequest:
    due = clocks(filed_at, calendar, HANOI)
    return DataRequest(7, RequestKind.COMPLAINT, "…", filed_at, due.acknowledge, due.done, id=1)


def test_acknowledging_counts_two_working_days_after_the_day_of_filing(
    calendar: WorkingCalendar,
) -> None:
    due = clocks(FILED, calendar, HANOI)
    # Saturday and Sunday do not count, Monday 23/11 is the first, Tuesday 24/11 is off.
    assert due.acknowledge == date(2026, 11, 25)


def test_finishing_counts_fifteen_days_and_leaves_a_weekend_for_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    due = clocks(FILED, calendar, HANOI)
    assert FILED.date() + timedelta(days=15) == date(2026, 12, 5)  # a Saturday
    assert due.done == date(2026, 12, 7)


def test_the_day_of_filing_is_the_day_in_hanoi_not_in_utc(calendar: WorkingCalendar) -> None:
    # 23:30 on Sunday 22/11 in UTC is 06:30 on Monday 23/11 in Hà Nội.
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    due = clocks(late, calendar, HANOI)
    assert due.acknowledge == date(2026, 11, 26)  # Wed 25 (Tue 24 is off), Thu 26
    assert due.done == date(2026, 12, 8)


def test_a_request_filed_on_a_day_off_counts_from_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    saturday = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    assert clocks(saturday, calendar, HANOI).acknowledge == date(2026, 11, 25)


def _reminded(calendar: WorkingCalendar, request: DataRequest, day: date) -> set[tuple[str, str]]:
    return {(r.clock.value, r.kind.value) for r in reminders_on([request], calendar, day)}


def test_reminders_fire_on_working_days_only_and_before_each_clock_runs_out(
    calendar: WorkingCalendar,
) -> None:
    request = _request(calendar)
    seen = {}
    day = date(2026, 11, 20)
    while day <= date(2026, 12, 9):
        found = _reminded(calendar, request, day)
        if found:
            seen[day] = found
        day += timedelta(days=1)

    for day in seen:
        assert calendar.is_working_day(day), day
    for off in (date(2026, 11, 21), date(2026, 11, 22), HOLIDAY, date(2026, 12, 5)):
        assert off not in seen
    # The acknowledgement runs out on Wednesday 25/11: the working day before is Monday 23/11.
    assert seen[date(2026, 11, 23)] == {("ack", "soon")}
    assert seen[date(2026, 11, 25)] == {("ack", "today")}
    assert seen[date(2026, 11, 26)] == {("ack", "overdue")}
    assert date(2026, 11, 20) not in seen, "nothing runs out on the next working day"
    # The end runs out on Monday 07/12: reminded on Friday 04/12, not over the weekend.
    assert seen[date(2026, 12, 4)] == {("ack", "overdue"), ("done", "soon")}
    assert seen[date(2026, 12, 7)] == {("ack", "overdue"), ("done", "today")}
    assert seen[date(2026, 12, 8)] == {("ack", "overdue"), ("done", "overdue")}


def test_a_clock_stops_reminding_once_its_step_is_done(calendar: WorkingCalendar) -> None:
    request = _request(calendar)
    at = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    acknowledged = replace(request, acknowledged_at=at, acknowledged_by=9)
    assert _reminded(calendar, acknowledged, date(2026, 11, 25)) == set()
    assert _reminded(calendar, acknowledged, date(2026, 12, 4)) == {("done", "soon")}
    done = replace(acknowledged, done_at=at, done_by=9, outcome="Đã sửa.")
    assert _reminded(calendar, done, date(2026, 12, 8)) == set()


def test_each_reminder_has_one_key_per_request_clock_and_day(calendar: WorkingCalendar) -> None:
    request = _request(calendar)
    (reminder,) = reminders_on([request], calendar, date(2026, 11, 23))
    assert reminder.clock is RequestClock.ACKNOWLEDGE and reminder.kind is ReminderKind.SOON
    assert reminder.due == date(2026, 11, 25)
    assert reminder.key == "request:1:ack:2026-11-23"
