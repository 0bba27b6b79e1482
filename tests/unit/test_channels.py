"""When a message may go: Zalo's night ban (22:00-06:00 Hà Nội) and its 7-day free window.

Hà Nội is UTC+7 all year (Asia/Ho_Chi_Minh has no daylight saving), so every local time
below is 7 hours ahead of the UTC it is written as.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.channels import (
    TELEGRAM,
    Channel,
    Markup,
    QuietHours,
    Route,
    earliest_send,
    route,
    zalo_capabilities,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ZALO = zalo_capabilities()
SECOND = timedelta(seconds=1)


def hanoi(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of November 2026, given as Hà Nội wall-clock time."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=HANOI)


# The resident wrote at 10:00 on Friday 20/11/2026: the window is open until 10:00 on 27/11.
LAST = hanoi(20, 10)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (hanoi(21, 21, 59), hanoi(21, 21, 59)),  # a minute before the ban: at once
        (hanoi(21, 21, 59, 59), hanoi(21, 21, 59, 59)),
        (hanoi(21, 22, 0), hanoi(22, 6, 0)),  # 22:00 is banned: 06:00 the next morning
        (hanoi(21, 23, 0), hanoi(22, 6, 0)),  # a decision at 23:00 reaches them at 06:00
        (hanoi(22, 0, 0), hanoi(22, 6, 0)),  # after midnight: 06:00 the same morning
        (hanoi(22, 5, 59), hanoi(22, 6, 0)),
        (hanoi(22, 5, 59, 59), hanoi(22, 6, 0)),
        (hanoi(22, 6, 0), hanoi(22, 6, 0)),  # 06:00 itself is allowed
    ],
)
def test_the_night_ban_holds_a_message_until_six_in_the_morning(
    now: datetime, expected: datetime
) -> None:
    assert earliest_send(now, LAST, ZALO, HANOI) == expected


def test_the_ban_is_read_in_hanoi_time_whatever_zone_now_is_given_in() -> None:
    # 15:30 UTC is 22:30 in Hà Nội: banned, although 15:30 looks like the afternoon.
    now = datetime(2026, 11, 21, 15, 30, tzinfo=UTC)
    assert earliest_send(now, LAST, ZALO, HANOI) == hanoi(22, 6)
    assert earliest_send(now, LAST, ZALO, HANOI) == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def test_the_free_window_closes_seven_days_after_the_residents_last_message() -> None:
    # Both at 10:00, far from the night ban.
    assert earliest_send(LAST + timedelta(days=7) - SECOND, LAST, ZALO, HANOI) == (
        LAST + timedelta(days=7) - SECOND
    )
    assert earliest_send(LAST + timedelta(days=7), LAST, ZALO, HANOI) is None
    assert earliest_send(LAST + timedelta(days=7) + SECOND, LAST, ZALO, HANOI) is None


def test_a_silent_resident_gets_the_message_when_they_next_write() -> None:
    eight_days_later = LAST + timedelta(days=8)
    assert earliest_send(eight_days_later, LAST, ZALO, HANOI) is None
    they_wrote = eight_days_later + timedelta(minutes=5)
    assert earliest_send(they_wrote, they_wrote, ZALO, HANOI) == they_wrote


def test_a_message_held_for_the_night_is_dropped_to_waiting_if_the_window_closes_first() -> None:
    # They wrote at 03:00 (people may write at night); 7 days later at 02:00 the message
    # would wait for 06:00, but the window closed at 03:00.
    wrote = hanoi(20, 3)
    assert earliest_send(hanoi(27, 2), wrote, ZALO, HANOI) is None
    # Written at 23:00 instead: the window runs until 23:00 on the 27th, 06:00 is within it.
    assert earliest_send(hanoi(27, 2), hanoi(20, 23), ZALO, HANOI) == hanoi(27, 6)


def test_someone_who_never_wrote_cannot_be_messaged_freely_on_zalo() -> None:
    assert earliest_send(hanoi(21, 10), None, ZALO, HANOI) is None


def test_telegram_has_neither_night_ban_nor_window() -> None:
    late = hanoi(21, 23, 30)
    assert earliest_send(late, None, TELEGRAM, HANOI) == late
    assert earliest_send(late, LAST - timedelta(days=365), TELEGRAM, HANOI) == late


def test_the_rules_are_settings_a_ward_can_change() -> None:
    quiet = QuietHours(time(21, 0), time(7, 0))
    capabilities = zalo_capabilities(quiet_hours=quiet, free_window_days=2)
    assert earliest_send(hanoi(21, 21, 0), LAST, capabilities, HANOI) == hanoi(22, 7)
    assert earliest_send(hanoi(21, 20, 59), LAST, capabilities, HANOI) == hanoi(21, 20, 59)
    assert earliest_send(hanoi(22, 10), LAST, capabilities, HANOI) is None
    no_ban = zalo_capabilities(quiet_hours=None, free_window_days=None)
    assert earliest_send(hanoi(21, 23), None, no_ban, HANOI) == hanoi(21, 23)


def test_quiet_hours_that_do_not_wrap_midnight() -> None:
    lunch = QuietHours(time(12, 0), time(13, 30))
    assert lunch.contains(time(12, 0)) and lunch.contains(time(13, 29, 59))
    assert not lunch.contains(time(13, 30)) and not lunch.contains(time(11, 59))
    assert not QuietHours(time(6, 0), time(6, 0)).contains(time(6, 0))


def test_route_says_how_the_message_goes() -> None:
    with_template = zalo_capabilities(template_id="231456")
    assert route(hanoi(21, 10), LAST, ZALO, HANOI) is Route.NOW
    assert route(hanoi(21, 23), LAST, ZALO, HANOI) is Route.LATER
    assert route(hanoi(29, 10), LAST, ZALO, HANOI) is Route.WAIT
    assert route(hanoi(29, 10), LAST, with_template, HANOI) is Route.TEMPLATE
    assert not ZALO.reaches_silent_people and with_template.reaches_silent_people


def test_capabilities_describe_what_each_channel_can_show() -> None:
    assert (TELEGRAM.channel, TELEGRAM.markup, TELEGRAM.max_text_length) == (
        Channel.TELEGRAM,
        Markup.HTML,
        4096,
    )
    assert TELEGRAM.can_edit and TELEGRAM.can_request_location
    assert (ZALO.channel, ZALO.markup, ZALO.max_buttons, ZALO.max_list_elements) == (
        Channel.ZALO,
        Markup.PLAIN,
        5,
        5,
    )
    assert not ZALO.can_edit and ZALO.can_request_contact and not ZALO.can_request_location


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        earliest_send(datetime(2026, 11, 21, 10), LAST, ZALO, HANOI)
    with pytest.raises(ValueError, match="at least one day"):
        zalo_capabilities(free_window_days=0)
