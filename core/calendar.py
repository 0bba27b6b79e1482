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
`core.due_rules` makes it due the last working day strictly before X, and a `ShiftReason`
says why: which days are off and of what kind, with the holidays' names in Vietnamese and
English. The templates word it in the reader's language (`locales/templates/_due.j2`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

import holidays
from holidays.holiday_base import HolidayBase

from core.dates import format_date_vi

DAY_OFF_LABEL = "Nghỉ bù"
"""The name of a configured extra day off that has no label of its own."""
DAY_OFF_LABEL_EN = "compensatory day off"
"""Its English name."""
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


class DayOffKind(StrEnum):
    """Why offices are closed on a day."""

    WEEKEND = "weekend"
    """A Saturday or Sunday that is not worked."""
    HOLIDAY = "holiday"
    """A public holiday the `holidays` package names ("Quốc khánh")."""
    SWAPPED = "swapped"
    """A weekday off the package knows was paid back by a Saturday worked."""
    DECIDED = "decided"
    """An extra day off configured in `CalendarConfig` (the government's yearly decision)."""


@dataclass(frozen=True, slots=True)
class DayOff:
    """A day offices are closed: its kind and, for a holiday, its name in each language.

    `name` is the Vietnamese name (the package's, or the configured label); `name_en` the
    package's English name where it has one. A weekend day has neither: its weekday says it.
    """

    day: date
    kind: DayOffKind
    name: str | None = None
    name_en: str | None = None

    def name_in(self, language: str) -> str | None:
        """Return the day's name in `language` ("vi" or "en"), Vietnamese when none."""
        if language == "en" and self.name_en:
            return self.name_en
        return self.name


class ShiftKind(StrEnum):
    """Why a due day is not simply the day the words name."""

    DAYS_OFF = "days_off"
    """The last day the words allow, and maybe days before it, are off: due the day before."""
    PERIOD_END = "period_end"
    """Due the last working day of a month (`month`) or a quarter (`quarter`) of `year`."""
    BEFORE_EVENT = "before_event"
    """Due `days` days before the expected day of an event (`event_day`), then `days_off`."""
    MOVED_FORWARD = "moved_forward"
    """A period ending on a day off ends on the next working day, `moved_to`."""
    MOVED_BACK = "moved_back"
    """A deadline on a day off moves to the working day before it, `moved_to`."""


@dataclass(frozen=True, slots=True)
class ShiftReason:
    """Why a deadline is due on its day, as codes and values; the catalogues word it.

    `days_off` are the days off the deadline moved across, in order.
    """

    kind: ShiftKind
    days_off: tuple[DayOff, ...] = ()
    days: int | None = None
    event_day: date | None = None
    month: int | None = None
    quarter: int | None = None
    year: int | None = None
    moved_to: date | None = None

    @property
    def first_day_off(self) -> date | None:
        """Return the first day off the deadline moved across, or None."""
        return self.days_off[0].day if self.days_off else None

    @property
    def last_day_off(self) -> date | None:
        """Return the last day off the deadline moved across, or None."""
        return self.days_off[-1].day if self.days_off else None

    @property
    def weekend_only(self) -> bool:
        """Tell whether every day off moved across is a plain Saturday or Sunday."""
        return bool(self.days_off) and all(d.kind is DayOffKind.WEEKEND for d in self.days_off)

    def holiday_names(self, language: str) -> list[str]:
        """Return the distinct names of the days off other than weekends, in order."""
        names = (d.name_in(language) for d in self.days_off if d.kind is not DayOffKind.WEEKEND)
        return list(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True, slots=True)
class Shift:
    """Where a deadline lands: `day`, and why it moved (`reason` is None if it did not)."""

    day: date
    reason: ShiftReason | None = None


@dataclass(frozen=True, slots=True)
class _Year:
    holidays: Mapping[date, str]
    worked_saturdays: frozenset[date]
    english: Mapping[date, str]


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
            table = _vietnam(year, "vi")
            names = {day: str(name) for day, name in table.items() if day.year == year}
            # `weekend_workdays` exists in recent releases only; without it, configure the
            # worked Saturdays in `extra_working_days`.
            worked = frozenset(
                day for day in getattr(table, "weekend_workdays", ()) if day.year == year
            )
            cached = _Year(MappingProxyType(names), worked, _english_names(year))
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

    def day_off(self, d: date) -> DayOff | None:
        """Say what day off `d` is (None on a working day), with its names."""
        if self.is_working_day(d):
            return None
        label = self.config.labels.get(d)
        public = self.public_holiday_name(d)
        english = self._year(d.year).english.get(d) if public is not None else None
        if d in self.config.extra_days_off:
            if label is None and public is None:
                return DayOff(d, DayOffKind.DECIDED, DAY_OFF_LABEL, DAY_OFF_LABEL_EN)
            return DayOff(d, DayOffKind.DECIDED, label or public, english)
        if public is None:
            return DayOff(d, DayOffKind.WEEKEND)
        # A swapped day off the package knows is named "Ngày nghỉ (thay cho ngày ...)".
        swapped = public.casefold().startswith("ngày nghỉ")
        kind = DayOffKind.SWAPPED if swapped else DayOffKind.HOLIDAY
        return DayOff(d, kind, label or public, english)

    def days_off(self, first: date, last: date) -> tuple[DayOff, ...]:
        """Return the days off from `first` to `last`, which must all be off."""
        if last < first:
            raise CalendarError("the days off end before they start")
        found = []
        for n in range((last - first).days + 1):
            day_off = self.day_off(first + timedelta(days=n))
            if day_off is None:
                raise CalendarError(f"{format_date_vi(first + timedelta(days=n))} is worked")
            found.append(day_off)
        return tuple(found)

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

        The reason names the days off and the day it moved to: "30/04/2018 là ngày nghỉ lễ
        (Ngày Chiến thắng); hạn chuyển sang 02/05/2018", as the catalogue words it.
        """
        day = self.next_working_day(d)
        if day == d:
            return Shift(d)
        days_off = self.days_off(d, day - _ONE_DAY)
        return Shift(day, ShiftReason(ShiftKind.MOVED_FORWARD, days_off, moved_to=day))

    def shift_deadline_back(self, d: date) -> Shift:
        """Move a deadline that falls on a day off to the working day before it.

        For deadlines that must keep a minimum lead time before an event, or stay within a
        month, where moving them later would break the rule they come from.
        """
        day = self.previous_working_day(d)
        if day == d:
            return Shift(d)
        days_off = self.days_off(day + _ONE_DAY, d)
        return Shift(day, ShiftReason(ShiftKind.MOVED_BACK, days_off, moved_to=day))


def _english_names(year: int) -> Mapping[date, str]:
    """Return the package's English names of Vietnam's holidays in `year` (none if it has none)."""
    try:
        table = _vietnam(year, "en_US")
    except (KeyError, NotImplementedError, ValueError):  # a release without the translation
        return MappingProxyType({})
    return MappingProxyType({day: str(name) for day, name in table.items() if day.year == year})


def _vietnam(year: int, language: str) -> HolidayBase:
    """Return the package's holidays of Vietnam in ``year``, named in ``language``."""
    country = _vietnam_class()
    if country is None:
        return holidays.country_holidays("VN", years=year, language=language)
    return country(years=year, language=language)


@cache
def _vietnam_class() -> type[HolidayBase] | None:
    """Return the package's class of Vietnam's holidays, its module loaded alone.

    ``holidays.countries`` imports every country's module (some 280, 8 MB of a bot's
    memory: ``bench/memory.py``) to give one; Vietnam's module needs only the package's
    base classes and calendars, so it is loaded from its file. None if the package moved
    it: then :func:`holidays.country_holidays` serves, with every country.
    """
    path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
    spec = importlib.util.spec_from_file_location("holidays.countries.vietnam", path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError:
        return None
    country = getattr(module, "Vietnam", None)
    return country if isinstance(country, type) and issubclass(country, HolidayBase) else None
