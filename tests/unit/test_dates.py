from datetime import date, datetime

import pytest

from core.dates import format_date_vi, parse_deed_date, recent_days
from core.errors import (
    DateError,
    DateFormatError,
    DateInFutureError,
    DateTooOldError,
    DateWhichDayError,
    DomainError,
    InvalidCalendarDateError,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hôm nay", date(2026, 11, 25)),
        ("hom nay", date(2026, 11, 25)),
        ("Hôm nay.", date(2026, 11, 25)),
        ("hnay", date(2026, 11, 25)),
        ("today", date(2026, 11, 25)),
        ("hôm qua", date(2026, 11, 24)),
        ("HOM QUA", date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 24)),
        ("hôm kia", date(2026, 11, 23)),
        ("hom kia", date(2026, 11, 23)),
    ],
)
def test_relative_words_count_back_from_today(typed: str, expected: date) -> None:
    assert parse_deed_date(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/11/2026", date(2026, 11, 20)),
        ("20-11-2026", date(2026, 11, 20)),
        ("20.11.2026", date(2026, 11, 20)),
        (" 20 / 11 / 2026 ", date(2026, 11, 20)),
        ("2/9/26", date(2026, 9, 2)),
        ("02/09/2026", date(2026, 9, 2)),
        ("2026-11-20", date(2026, 11, 20)),
        ("ngày 20 tháng 11 năm 2026", date(2026, 11, 20)),
        ("ngay 20 thang 11 nam 2026", date(2026, 11, 20)),
        ("Ngày 20/11/2026", date(2026, 11, 20)),
        ("ngày 20 tháng 11", date(2026, 11, 20)),
        ("15/12/2024", date(2024, 12, 15)),
    ],
)
def test_day_month_year_in_the_usual_forms(typed: str, expected: date) -> None:
    assert parse_deed_date(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/11", date(2026, 11, 20)),
        ("25/11", date(2026, 11, 25)),  # today
        ("26/11", date(2025, 11, 26)),  # would be tomorrow: last year's
        ("31/12", date(2025, 12, 31)),
        ("1/1", date(2026, 1, 1)),
        ("29/2", date(2024, 2, 29)),  # the most recent 29 February
    ],
)
def test_day_and_month_without_year_mean_the_most_recent_such_day(
    typed: str, expected: date
) -> None:
    assert parse_deed_date(typed, TODAY) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "mai",
        "20",
        "20/11/2026/1",
        "20/11/202",
        "2026/11",
        "20/11/20266",
        "hôm nay 20/11",
        "sáng",
        "lúc 8h",
        "tuần sau",
        "²⁰/11",
        "ngày",
    ],
)
def test_text_that_is_not_a_date_is_a_format_error(typed: str) -> None:
    with pytest.raises(DateFormatError):
        parse_deed_date(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "day", "month", "year"),
    [
        ("31/02/2026", 31, 2, 2026),
        ("29/02/2026", 29, 2, 2026),
        ("0/5/2026", 0, 5, 2026),
        ("12/13/2026", 12, 13, 2026),
        ("31/4", 31, 4, None),
        ("32/1", 32, 1, None),
        ("2026-02-30", 30, 2, 2026),
    ],
)
def test_a_day_that_does_not_exist_is_an_invalid_calendar_date(
    typed: str, day: int, month: int, year: int | None
) -> None:
    with pytest.raises(InvalidCalendarDateError) as caught:
        parse_deed_date(typed, TODAY)
    assert (caught.value.day, caught.value.month, caught.value.year) == (day, month, year)


@pytest.mark.parametrize("typed", ["26/11/2026", "1/1/2027", "2027-01-01", "1/1/99"])
def test_a_day_after_today_is_in_the_future(typed: str) -> None:
    with pytest.raises(DateInFutureError) as caught:
        parse_deed_date(typed, TODAY)
    assert caught.value.today == TODAY


def test_a_deed_older_than_five_years_is_too_old() -> None:
    with pytest.raises(DateTooOldError) as caught:
        parse_deed_date("24/11/2021", TODAY)
    assert caught.value.value == date(2021, 11, 24)
    assert caught.value.earliest == date(2021, 11, 25)


def test_a_deed_exactly_five_years_old_is_accepted() -> None:
    assert parse_deed_date("25/11/2021", TODAY) == date(2021, 11, 25)


def test_the_age_limit_is_a_parameter() -> None:
    assert parse_deed_date("1/12/2025", TODAY, max_age_years=1) == date(2025, 12, 1)
    with pytest.raises(DateTooOldError) as caught:
        parse_deed_date("24/11/2025", TODAY, max_age_years=1)
    assert caught.value.earliest == date(2025, 11, 25)


def test_the_age_limit_from_a_leap_day_falls_on_28_february() -> None:
    leap_day = date(2028, 2, 29)
    assert parse_deed_date("28/2/2023", leap_day) == date(2023, 2, 28)
    with pytest.raises(DateTooOldError) as caught:
        parse_deed_date("27/2/2023", leap_day)
    assert caught.value.earliest == date(2023, 2, 28)


def test_today_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError, match="datetime"):
        parse_deed_date("hôm nay", datetime(2026, 11, 25, 9, 0))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DateFormatError("x"), "date.format"),
        (InvalidCalendarDateError(31, 2, 2026), "date.calendar"),
        (DateInFutureError(date(2026, 11, 26), TODAY), "date.future"),
        (DateTooOldError(date(2020, 1, 1), date(2021, 11, 25)), "date.too_old"),
    ],
)
def test_date_errors_carry_a_stable_code_for_the_message_template(
    error: DateError, code: str
) -> None:
    assert isinstance(error, DomainError)
    assert error.code == code


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2026, 11, 20), "20/11/2026"),
        (date(2026, 9, 2), "02/09/2026"),
        (date(999, 1, 1), "01/01/0999"),
    ],
)
def test_dates_are_shown_day_month_year_zero_padded(day: date, shown: str) -> None:
    assert format_date_vi(day) == shown


def test_a_shown_date_reads_back_as_the_same_day() -> None:
    day = date(2026, 3, 8)
    assert parse_deed_date(format_date_vi(day), TODAY) == day


# --- the forms of issue 15: the part of the day, "thg", a time, "tuần trước" -------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sáng nay", date(2026, 11, 25)),
        ("sang nay", date(2026, 11, 25)),
        ("trưa nay", date(2026, 11, 25)),
        ("tối qua", date(2026, 11, 24)),
        ("toi qua", date(2026, 11, 24)),
        ("đêm qua", date(2026, 11, 24)),
        ("chiều hôm qua", date(2026, 11, 24)),
        ("chieu hom qua", date(2026, 11, 24)),
        ("Chiều hôm qua.", date(2026, 11, 24)),
        ("sáng hôm kia", date(2026, 11, 23)),
        ("8h30 sáng hôm qua", date(2026, 11, 24)),
        ("20 thg 11", date(2026, 11, 20)),
        ("20 Thg 11 năm 2025", date(2025, 11, 20)),
        ("ngày 20 thg 11", date(2026, 11, 20)),
        ("20/11/2026 lúc 8h", date(2026, 11, 20)),
        ("20/11/2026 luc 8h", date(2026, 11, 20)),
        ("20/11/2026 lúc 8h30", date(2026, 11, 20)),
        ("20/11/2026 14:30", date(2026, 11, 20)),
        ("20/11 lúc 8 giờ 30 phút", date(2026, 11, 20)),
        ("vào lúc 20g15 ngày 20/11/2026", date(2026, 11, 20)),
        ("hôm 20/11", date(2026, 11, 20)),
        ("toois qua", date(2026, 11, 24)),  # Telex left in: "tối qua"
    ],
)
def test_the_part_of_the_day_and_the_time_are_read_past(typed: str, expected: date) -> None:
    assert parse_deed_date(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["tuần trước", "tuan truoc", "Tuần rồi", "tối tuần trước"])
def test_last_week_asks_which_of_the_last_seven_days(typed: str) -> None:
    with pytest.raises(DateWhichDayError) as caught:
        parse_deed_date(typed, TODAY)
    assert caught.value.days == tuple(date(2026, 11, day) for day in range(24, 17, -1))
    assert caught.value.code == "date.which_day"


def test_the_days_offered_are_none_too_old() -> None:
    assert recent_days(date(2026, 11, 25), max_age_years=0) == ()
    assert len(recent_days(date(2026, 11, 25))) == 7


def test_a_time_later_today_is_still_today_but_a_later_day_is_refused() -> None:
    assert parse_deed_date("25/11/2026 lúc 23h", TODAY) == TODAY
    with pytest.raises(DateInFutureError):
        parse_deed_date("26/11/2026 lúc 8h", TODAY)
