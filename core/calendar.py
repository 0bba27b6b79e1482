"""Vietnam's working calendar: weekends, public holidays, swapped days, and deadline shifts.

Public holidays come from the `holidays` package (Vietnam, names in Vietnamese). The
government also decides, year by year, extra days off and Saturdays worked in exchange
(hoán đổi ngày làm việc); those the package does not know are configured in
`CalendarConfig`, and the configuration always wins over the package.

Tết Mậu Tuất 2018: the Prime Minister's decision gave civil servants 14/02/2018 (29 Tết) to
20/02/2018 (mùng 5) off. `holidays` 0.109 lists all seven days, but the project accepts
releases from 0.72, and older releases list fewer Tết days for some years: a deployment
whose package lacks a day of the official decision must list it in `extra_days_off`. The
tests configure the whole decision, so they hold whichever release is installed.

The package also names the Saturdays it knows were worked in exchange for a day off (e.g.
05/01/2019, paid back by 31/12/2018): those count as working days, so that the day off and
its exchange stay consistent.

Periods follow the Civil Code 2015, Art. 148(5): a period whose last day is a weekend day
or public holiday ends at the end of the next working day (`shift_deadline`, used for
residents' requests). A plan's fixed "trước ngày X" is not a period and never moves forward:
`core.due_rules` makes it due the last working day strictly before X, and
`days_off_clause` says why in the notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

import holidays

from core.dates import format_date_vi

DAY_OFF_LABEL = "Nghỉ bù"
"""The name of a configured extra day off that has no label of its own."""
WEEKDAY_NAMES: tuple[str, ...] = (
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
)
"""Vietnamese day names, Monday first (as `date.weekday()` counts)."""
_SATURDAY = 5
_ONE_DAY = timedelta(days=1)
# No run of days off in Vietnam comes near this; it stops a misconfiguration that marks
# every day off from looping for ever.
_MAX_DAYS_OFF_IN_A_ROW = 366


def month_of(day: date) -> tuple[date, date]:
    """Return the first day of ``day``'s month and the first day of the next month."""
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


class CalendarError(ValueError):
    """A calendar configuration that contradicts itself, or a search that finds no day."""


@dataclass(frozen=True, slots=True)
class CalendarConfig:
    """The days off and working days the government decided beyond the package's holidays.

    A swapped day is two entries: the Saturday worked goes in `extra_working_days`, the
    weekday it pays back goes in `extra_days_off`. `labels` optionally names an extra day
    off ("Nghỉ Tết Nguyên đán"); an unnamed one is shown as "Nghỉ bù".
    """

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    labels: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        both = self.extra_days_off & self.extra_working_days
        if both:
            days = ", ".join(format_date_vi(day) for day in sorted(both))
            raise CalendarError(f"days both off and worked: {days}")
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))


@dataclass(frozen=True, slots=True)
class Shift:
    """Where a deadline lands: `day`, and why it moved (`reason` is None if it did not)."""

    day: date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Year:
    holidays: Mapping[date, str]
    worked_saturdays: frozenset[date]


class WorkingCalendar:
    """Tells working days from days off in Vietnam, Monday to Friday being the working week.

    The package's holidays are computed once per year, on first use, and cached.
    """

    def __init__(self, config: CalendarConfig | None = None) -> None:
        """Build a calendar from the government's holidays plus `config`."""
        self.config = config if config is not None else CalendarConfig()
        self._years: dict[int, _Year] = {}

    # -- the package, per year ------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            table = holidays.country_holidays("VN", years=year, language="vi")
            names = {day: str(name) for day, name in table.items() if day.year == year}
            # `weekend_workdays` exists in recent releases only; without it, configure the
            # worked Saturdays in `extra_working_days`.
            worked = frozenset(
                day for day in getattr(table, "weekend_workdays", ()) if day.year == year
            )
            cached = _Year(MappingProxyType(names), worked)
            self._years[year] = cached
        return cached

    def public_holiday_name(self, d: date) -> str | None:
        """Return the package's Vietnamese name of the public holiday on `d`, or None."""
        return self._year(d.year).holidays.get(d)

    # -- single days ----------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Tell whether offices work on `d`.

        A configured extra working day works; a configured extra day off does not; then a
        Saturday the package knows was worked in exchange works; otherwise Monday to Friday
        work unless they are a public holiday.
        """
        if d in self.config.extra_working_days:
            return True
        if d in self.config.extra_days_off:
            return False
        year = self._year(d.year)
        if d in year.worked_saturdays:
            return True
        return d.weekday() < _SATURDAY and d not in year.holidays

    def holiday_name(self, d: date) -> str | None:
        """Name the reason `d` is a day off, in Vietnamese; None on a working day.

        A configured label first, then the package's holiday name ("Quốc khánh (nghỉ
        bù)"), then "Nghỉ bù" for an unnamed extra day off, then "Thứ Bảy" / "Chủ nhật".
        """
        if self.is_working_day(d):
            return None
        label = self.config.labels.get(d)
        if label is not None:
            return label
        public = self.public_holiday_name(d)
        if public is not None:
            return public
        if d in self.config.extra_days_off:
            return DAY_OFF_LABEL
        return WEEKDAY_NAMES[d.weekday()]

    def _day_off_phrase(self, d: date) -> str:
        """Say what kind of day off `d` is: "ngày nghỉ lễ (Quốc khánh)"."""
        name = self.holiday_name(d)
        if d in self.config.extra_days_off:
            return f"ngày nghỉ ({name})"
        if self.public_holiday_name(d) is not None:
            if name is not None and name.casefold().startswith("ngày nghỉ"):
                # A swapped day off the package knows: "Ngày nghỉ (thay cho ngày ...)".
                return name[0].lower() + name[1:]
            return f"ngày nghỉ lễ ({name})"
        return f"ngày nghỉ cuối tuần ({name})"

    def _day_off_name(self, d: date) -> str:
        """Say briefly what day off `d` is: "Chủ nhật", "ngày nghỉ lễ (Quốc khánh)"."""
        if (
            d.weekday() >= _SATURDAY
            and d not in self.config.extra_days_off
            and self.public_holiday_name(d) is None
        ):
            return WEEKDAY_NAMES[d.weekday()]
        return self._day_off_phrase(d)

    def days_off_clause(self, first: date, last: date) -> str:
        """Say in one short clause why the days from `first` to `last` are all off.

        "30/12/2017 là Thứ Bảy"; "06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật"; "từ
        14/02/2018 đến 20/02/2018 là ngày nghỉ (29 Tết, Giao thừa Tết Nguyên Đán, …)". Meant
        for a deadline moved off those days, in any notice that quotes the plan's words.
        """
        if last < first:
            raise CalendarError("the days off end before they start")
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if first == last:
            return f"{format_date_vi(first)} là {self._day_off_name(first)}"
        weekend = all(self._day_off_name(day) in WEEKDAY_NAMES for day in days)
        labels = dict.fromkeys(self.holiday_name(day) or "" for day in days)
        special = [name for name in labels if name and name not in WEEKDAY_NAMES]
        shown = ", ".join(special[:2]) + (", …" if len(special) > 2 else "")
        if len(days) == 2:
            span = f"{format_date_vi(first)} và {format_date_vi(last)}"
            kind = ", ".join(labels) if weekend else f"ngày nghỉ ({shown})"
        else:
            span = f"từ {format_date_vi(first)} đến {format_date_vi(last)}"
            kind = "ngày nghỉ cuối tuần" if weekend else f"ngày nghỉ ({shown})"
        return f"{span} là {kind}"

    # -- moving through days --------------------------------------------------------------

    def _step_to_working_day(self, d: date, step: timedelta) -> date:
        day = d
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            if self.is_working_day(day):
                return day
            day += step
        raise CalendarError(f"no working day within a year of {format_date_vi(d)}")

    def next_working_day(self, d: date) -> date:
        """Return `d` if it is a working day, else the first working day after it."""
        return self._step_to_working_day(d, _ONE_DAY)

    def previous_working_day(self, d: date) -> date:
        """Return `d` if it is a working day, else the last working day before it."""
        return self._step_to_working_day(d, -_ONE_DAY)

    def add_working_days(self, d: date, n: int) -> date:
        """Move `n` working days from `d`: forwards if `n` > 0, backwards if `n` < 0.

        `d` itself need not be a working day; `n` == 0 returns `d` unchanged. For any other
        `n` the result is a working day, and `working_days_between(d, result) == n` when
        `n` > 0 or `d` is a working day (counting back from a day off, that day off is
        not a working day to count).
        """
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        day = d
        for _ in range(abs(n)):
            day = self._step_to_working_day(day + step, step)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Count the working days after `a` up to and including `b`; negative if `b` < `a`.

        If `b` < `a`, it is minus the working days after `b` up to and including `a`.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a + _ONE_DAY
        while day <= b:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    # -- deadlines ------------------------------------------------------------------------

    def shift_deadline(self, d: date) -> Shift:
        """Move a deadline that falls on a day off to the next working day (Civil Code 148).

        The reason reads "30/04/2018 là ngày nghỉ lễ (Ngày Chiến thắng); hạn chuyển sang
        02/05/2018".
        """
        day = self.next_working_day(d)
        if day == d:
            return Shift(d)
        reason = (
            f"{format_date_vi(d)} là {self._day_off_phrase(d)}; "
            f"hạn chuyển sang {format_date_vi(day)}"
        )
        return Shift(day, reason)

    def shift_deadline_back(self, d: date, why: str) -> Shift:
        """Move a deadline that falls on a day off to the working day before it.

        For deadlines that must keep a minimum lead time before an event, or stay within a
        month, where moving them later would break the rule they come from. `why` finishes
        the reason: "để đủ 90 ngày trước ngày dự kiến".
        """
        day = self.previous_working_day(d)
        if day == d:
            return Shift(d)
        reason = (
            f"{format_date_vi(d)} là {self._day_off_phrase(d)}; "
            f"hạn chuyển về {format_date_vi(day)} {why}"
        )
        return Shift(day, reason)
