"""The date of a deed, as residents type it: day/month/year, words, with or without accents.

"sáng nay", "tối qua", "chiều hôm qua", "20 thg 11", "20/11/2026 lúc 8h": the part of the
day and the time only say when in the day, so they are read past. "tuần trước" names no
day: the caller is given the last seven to choose from (:class:`DateWhichDayError`).

Today's date is always passed in (the council's day, Hà Nội time): the domain never reads
the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from core.errors import (
    DateFormatError,
    DateInFutureError,
    DateTooOldError,
    DateWhichDayError,
    InvalidCalendarDateError,
)
from core.telex import decode_leftovers
from core.text import fold

# A deed reported for commendation must be recent; the council can pass another limit.
DEFAULT_MAX_AGE_YEARS = 5

# Folded words -> days before today. "hnay"/"hqua" are the usual chat abbreviations; "nay",
# "qua", "kia" are what is left of "sáng nay", "tối qua", "chiều hôm kia" once the part of
# the day is read past.
_RELATIVE_DAYS = {
    "nay": 0,
    "qua": 1,
    "kia": 2,
    "hom nay": 0,
    "hnay": 0,
    "today": 0,
    "hom qua": 1,
    "hqua": 1,
    "yesterday": 1,
    "hom kia": 2,
}
# Words that say "a day last week" without saying which: the last days are offered.
_SPANS = frozenset(
    {
        "tuan truoc",
        "tuan roi",
        "tuan qua",
        "mot tuan truoc",
        "may hom truoc",
        "vai hom truoc",
        "may ngay truoc",
        "vai ngay truoc",
        "last week",
    }
)
SPAN_DAYS = 7
# "ngày 20 tháng 11 năm 2026": the words only label the numbers, which keep their order;
# "thg" is how phones and forms shorten "tháng".
_LABELS = frozenset({"ngay", "thang", "thg", "nam"})
# The part of the day ("tối tuần trước") and the words around a time or a day: "(vào)
# (buổi) sáng", "lúc", "khoảng", "hôm 20/11".
_PARTS_OF_DAY = frozenset({"sang", "trua", "chieu", "toi", "dem", "khuya", "buoi"})
_WHEN_IN_THE_DAY = _PARTS_OF_DAY | {"luc", "vao", "khoang", "hom"}
# A time of day, folded: "8h", "8h30", "8g", "8 giờ 30 phút", "20h15p"; "20:30" is made
# "20h30" before folding, which would split it into two numbers.
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})\b")
_TIME = re.compile(r"\b\d{1,2} ?(?:h|g|gio)(?: ?\d{1,2}(?: ?(?:p|phut))?)?\b")
# dd/mm without a year: look back this many years for the most recent such day; 29/02
# can be 8 years away (no leap year in 2100).
_YEARS_TO_LOOK_BACK = 8


def parse_deed_date(text: str, today: date, *, max_age_years: int = DEFAULT_MAX_AGE_YEARS) -> date:
    """Read the day a deed happened, between ``max_age_years`` ago and ``today``.

    Raises :class:`DateFormatError`, :class:`InvalidCalendarDateError`,
    :class:`DateInFutureError` or :class:`DateTooOldError`; :class:`DateWhichDayError`
    with the days to choose from for "tuần trước".
    """
    if isinstance(today, datetime):
        raise TypeError("today must be a date, not a datetime")
    key = _TIME.sub(" ", fold(decode_leftovers(_CLOCK.sub(r"\1h\2", text))))
    if " ".join(w for w in key.split() if w not in _PARTS_OF_DAY) in _SPANS:
        raise DateWhichDayError(recent_days(today, max_age_years=max_age_years))
    key = " ".join(w for w in key.split() if w not in _WHEN_IN_THE_DAY)
    if key in _RELATIVE_DAYS:
        day = today - timedelta(days=_RELATIVE_DAYS[key])
    else:
        day = _parse_numbers(key, today)
    check_deed_date(day, today, max_age_years=max_age_years)
    return day


def recent_days(
    today: date, count: int = SPAN_DAYS, *, max_age_years: int = DEFAULT_MAX_AGE_YEARS
) -> tuple[date, ...]:
    """Return the ``count`` days before ``today``, the latest first (none too old)."""
    earliest = _years_before(today, max_age_years)
    days = (today - timedelta(days=back) for back in range(1, count + 1))
    return tuple(day for day in days if day >= earliest)


def check_deed_date(day: date, today: date, *, max_age_years: int = DEFAULT_MAX_AGE_YEARS) -> None:
    """Refuse a day after ``today`` or more than ``max_age_years`` before it.

    Raises :class:`DateInFutureError` or :class:`DateTooOldError`.
    """
    if day > today:
        raise DateInFutureError(day, today)
    earliest = _years_before(today, max_age_years)
    if day < earliest:
        raise DateTooOldError(day, earliest)


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


def parse_month(text: str) -> date | None:
    """Return the first day of a month typed ``MM/YYYY`` (or ``M/YYYY``, ``YYYY-MM``), or None."""
    typed = text.strip()
    try:
        if "/" in typed:
            month, year = typed.split("/", 1)
            return date(int(year), int(month), 1)
        if len(typed) == 7 and typed[4] == "-":
            return date(int(typed[:4]), int(typed[5:]), 1)
    except ValueError:
        return None
    return None
