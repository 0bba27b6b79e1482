"""The date of a deed, as residents type it: day/month/year, words, with or without accents.

Today's date is always passed in: the domain never reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.errors import (
    DateFormatError,
    DateInFutureError,
    DateTooOldError,
    InvalidCalendarDateError,
)
from core.text import fold

# A deed reported for commendation must be recent; the council can pass another limit.
DEFAULT_MAX_AGE_YEARS = 5

# Folded words -> days before today. "hnay"/"hqua" are the usual chat abbreviations.
_RELATIVE_DAYS = {
    "hom nay": 0,
    "hnay": 0,
    "today": 0,
    "hom qua": 1,
    "hqua": 1,
    "yesterday": 1,
    "hom kia": 2,
}
# "ngày 20 tháng 11 năm 2026": the words only label the numbers, which keep their order.
_LABELS = frozenset({"ngay", "thang", "nam"})
# dd/mm without a year: look back this many years for the most recent such day; 29/02
# can be 8 years away (no leap year in 2100).
_YEARS_TO_LOOK_BACK = 8


def parse_deed_date(text: str, today: date, *, max_age_years: int = DEFAULT_MAX_AGE_YEARS) -> date:
    """Read the day a deed happened, between ``max_age_years`` ago and ``today``.

    Raises :class:`DateFormatError`, :class:`InvalidCalendarDateError`,
    :class:`DateInFutureError` or :class:`DateTooOldError`.
    """
    if isinstance(today, datetime):
        raise TypeError("today must be a date, not a datetime")
    key = fold(text)
    if key in _RELATIVE_DAYS:
        day = today - timedelta(days=_RELATIVE_DAYS[key])
    else:
        day = _parse_numbers(key, today)
    _check_range(day, today, max_age_years)
    return day


def format_date_vi(d: date) -> str:
    """Write ``d`` the Vietnamese way: ``20/11/2026``."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _parse_numbers(key: str, today: date) -> date:
    parts = [p for p in key.split() if p not in _LABELS]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise DateFormatError(f"not a date: {key!r}")
    lengths = [len(p) for p in parts]
    numbers = [int(p) for p in parts]
    if len(parts) == 2 and max(lengths) <= 2:
        return _most_recent(numbers[0], numbers[1], today)
    if len(parts) == 3 and lengths[0] == 4 and max(lengths[1:]) <= 2:
        return _calendar_date(numbers[2], numbers[1], numbers[0])
    if len(parts) == 3 and max(lengths[:2]) <= 2 and lengths[2] in (2, 4):
        year = numbers[2] + 2000 if lengths[2] == 2 else numbers[2]
        return _calendar_date(numbers[0], numbers[1], year)
    raise DateFormatError(f"not a date: {key!r}")


def _calendar_date(day: int, month: int, year: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidCalendarDateError(day, month, year) from None


def _most_recent(day: int, month: int, today: date) -> date:
    for year in range(today.year, today.year - _YEARS_TO_LOOK_BACK - 1, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 29/02 in a common year, or 31/04 in any
        if candidate <= today:
            return candidate
    raise InvalidCalendarDateError(day, month, None)


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29/02 -> 28/02
        return today.replace(year=today.year - years, day=28)


def _check_range(day: date, today: date, max_age_years: int) -> None:
    if day > today:
        raise DateInFutureError(day, today)
    earliest = _years_before(today, max_age_years)
    if day < earliest:
        raise DateTooOldError(day, earliest)
