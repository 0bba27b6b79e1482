"""Named domain errors.

Each error has a stable ``code`` that the edge maps to a message template for the user.
The exception text is for logs only, in English, and never shown to a user: keep personal
data (phone numbers, names) out of it.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar


class DomainError(Exception):
    """A rule of the domain says no; ``code`` names the message template the user sees."""

    code: ClassVar[str] = "domain"


class DateError(DomainError):
    """A date typed by a user cannot be accepted."""

    code = "date.invalid"


class DateFormatError(DateError):
    """The text cannot be read as a date."""

    code = "date.format"


class InvalidCalendarDateError(DateError):
    """Day, month and year were read but name no real day (31/02, 0/5, 12/13)."""

    code = "date.calendar"

    def __init__(self, day: int, month: int, year: int | None) -> None:
        super().__init__(f"no such calendar date: day={day} month={month} year={year}")
        self.day = day
        self.month = month
        self.year = year


class DateWhichDayError(DateError):
    """The text names a span of days ("tuần trước"): the user must say which of ``days``."""

    code = "date.which_day"

    def __init__(self, days: tuple[date, ...]) -> None:
        super().__init__(f"a span of days, from {days[-1].isoformat()} to {days[0].isoformat()}")
        self.days = days


class DateInFutureError(DateError):
    """The date is after today: a deed cannot be reported before it happens."""

    code = "date.future"

    def __init__(self, value: date, today: date) -> None:
        super().__init__(f"{value.isoformat()} is after today {today.isoformat()}")
        self.value = value
        self.today = today


class DateTooOldError(DateError):
    """The date is before ``earliest``: the deed is too old to be commended now."""

    code = "date.too_old"

    def __init__(self, value: date, earliest: date) -> None:
        super().__init__(f"{value.isoformat()} is before the earliest {earliest.isoformat()}")
        self.value = value
        self.earliest = earliest


class PhoneFormatError(DomainError):
    """The text is not a Vietnamese mobile or Hà Nội landline number."""

    code = "phone.format"


class RenumberedPhoneError(PhoneFormatError):
    """An 11-digit mobile number (01x...), retired by the 2018 renumbering."""

    code = "phone.renumbered"
