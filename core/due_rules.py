"""Due rules: how a plan's "Thời gian thực hiện" is written, read, and turned into due days.

Two halves, both pure:

- `parse_due_rule` reads the wordings Vietnamese plans use (with or without diacritics, any
  letter case, "/", "-" or "." between the parts of a date) into a `DueRule`:

  ========================================  =============================================
  written                                   read as
  ========================================  =============================================
  "Trước ngày 31/12/2017", "Trước 8-1-2018"  `AbsoluteDue`, before that day (strictly)
  "Chậm nhất ngày X", "Hạn chót X", "X"      `AbsoluteDue(inclusive=True)`, by that day
  "Hồ sơ gửi trước 90 ngày dự kiến trao      `RelativeDue`, N days before an event day an
  tặng"                                      officer enters later
  "Trong tháng 3", "Tháng 3/2018"           `MonthDue`, within that month
  "Quý I/2018", "Trong quý II"              `QuarterDue`, within that quarter
  "Hàng tháng", "Hàng quý", "Hàng tháng,     `RecurringDue`, every month / quarter
  quý"
  "Trước ngày 20 hằng tháng"                `MonthlyDue`, every month before its 20th
  "Thường xuyên", "Các ngày làm việc trong   `RecurringDue` of a continuous duty: no
  tuần"                                      deadline, no reminder
  "Theo kế hoạch của Thành phố", "Khi có     `UndatedDue`: the day depends on a document
  văn bản hướng dẫn"                         the plan does not hold; kept as text, reported
  ========================================  =============================================

  Anything else raises `DueRuleError`; the plan keeps the words and reports them.

- `deadlines` turns a rule into the due days of a year, on Vietnam's `WorkingCalendar`,
  each with the reason the day is not simply the one written. This is the one place where
  a wording becomes a day:

  * "Trước ngày X" (before day X) is due the LAST WORKING DAY STRICTLY BEFORE X. The office
    wants the thing in hand before X, so X itself, or any later day, would mislead. The
    Civil Code's rule for periods (Art. 148(5): a period ending on a day off ends on the
    next working day) does not apply: a fixed "before" day is not a period, and moving it
    forward would land on or after X ("Trước ngày 31/12/2017", a Sunday, is due Friday
    29/12/2017, not Tuesday 02/01/2018).
  * "Chậm nhất ngày X" / "Hạn chót X" / a bare day: due on X, or, when X is a day off, the
    last working day before it, for the same reason: the office is closed on X and later
    would break the words.
  * "Hồ sơ gửi trước N ngày dự kiến ..." keeps its reading: the event day minus N days (the
    event day not counted, Civil Code Art. 147), moved BACK off a day off, since the rule
    sets a minimum lead time that a later day would shorten. `../shared/REFERENCES.md`
    says nothing otherwise of such periods.
  * A month, a quarter, "Hàng tháng", "Hàng quý": the last working day of the month or
    quarter, so the work stays within the period named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeAlias

from core.calendar import ShiftKind, ShiftReason, WorkingCalendar
from core.text import fold

# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------


class Frequency(StrEnum):
    """How often a recurring task is done."""

    MONTHLY = "monthly"
    """"Hàng tháng"."""
    MONTHLY_QUARTERLY = "monthly_quarterly"
    """"Hàng tháng, quý"."""
    QUARTERLY = "quarterly"
    """"Hàng quý"."""
    WORKING_DAYS = "working_days"
    """"Các ngày làm việc trong tuần": a continuous duty."""
    CONTINUOUS = "continuous"
    """"Thường xuyên", "Hàng ngày": a continuous duty."""

    @property
    def has_deadlines(self) -> bool:
        """Tell whether the frequency gives due days (a continuous duty gives none)."""
        return self not in (Frequency.WORKING_DAYS, Frequency.CONTINUOUS)


EVENT_AWARD_PRESENTATION = "award_presentation"
"""The expected day an award is presented ("dự kiến trao tặng")."""
EVENT_PLAQUE_MOUNTING = "plaque_mounting"
"""The expected day a plaque is mounted on a building project ("dự kiến gắn biển")."""


@dataclass(frozen=True, slots=True)
class AbsoluteDue:
    """Due by a fixed day: "Trước ngày 31/12/2017"; "Hồ sơ gửi trước ngày 15/3/2018".

    `day` is the day written. `inclusive` is false for "before day X" (due the last working
    day strictly before X) and true for "Chậm nhất ngày X", "Hạn chót X" or a bare day (due
    on X if it is a working day). `dossier` is true when what is due is a dossier (hồ sơ)
    sent to the secretariat.
    """

    day: date
    dossier: bool = False
    inclusive: bool = False

    @property
    def last_day(self) -> date:
        """Return the last calendar day the words allow: X, or the day before X."""
        return self.day if self.inclusive else self.day - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RelativeDue:
    """Due a number of days before an event whose day an officer enters later.

    "Hồ sơ gửi trước 90 ngày dự kiến trao tặng" is `RelativeDue(90, "award_presentation",
    dossier=True)`.
    """

    days_before: int
    event: str
    dossier: bool = False

    def __post_init__(self) -> None:
        if self.days_before < 0:
            raise ValueError(f"days_before must not be negative, got {self.days_before}")

    def due_for(self, event_day: date) -> date:
        """Return the last day to act for an event on `event_day`.

        The day of the event is not counted (Civil Code 2015, Art. 147): counting back from
        the day before it, the `days_before`-th day is the deadline.
        """
        return event_day - timedelta(days=self.days_before)


@dataclass(frozen=True, slots=True)
class RecurringDue:
    """Done again and again: "Hàng tháng", "Hàng quý", "Thường xuyên"..."""

    frequency: Frequency


@dataclass(frozen=True, slots=True)
class MonthDue:
    """Done within one month: "Trong tháng 3"; `year` None means the plan's year."""

    month: int
    year: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, got {self.month}")


@dataclass(frozen=True, slots=True)
class QuarterDue:
    """Done within one quarter: "Quý I/2018"; `year` None means the plan's year."""

    quarter: int
    year: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1 to 4, got {self.quarter}")


@dataclass(frozen=True, slots=True)
class MonthlyDue:
    """Done every month by a day of the month: "Trước ngày 20 hằng tháng".

    `inclusive` as in `AbsoluteDue`: false for "before the Nth", true for "by the Nth". A
    day past a month's end ("ngày 31" in February) stands for the month's last day.
    """

    day: int
    inclusive: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise ValueError(f"day must be 1 to 31, got {self.day}")


@dataclass(frozen=True, slots=True)
class UndatedDue:
    """A time the plan states by reference to something it does not hold.

    "Theo kế hoạch của Thành phố", "Khi có văn bản hướng dẫn": the task's own words are kept
    (`PlanTask.due_as_written`), it has no due day and nobody is reminded until an officer
    writes a day into the plan.
    """


DueRule: TypeAlias = (
    AbsoluteDue | RelativeDue | RecurringDue | MonthDue | QuarterDue | MonthlyDue | UndatedDue
)


class DueRuleError(ValueError):
    """A due text that `parse_due_rule` cannot read; `text` is the text as given."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"cannot read the due rule {text!r}: {reason}")
        self.text = text
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

# Every pattern matches the folded text (`core.text.fold`): no diacritics, lower case,
# punctuation turned into single spaces, so "01/7/2018", "1-7-2018" and "1.7.2018" all read
# "1 7 2018", and "Hàng tháng, quý" reads "hang thang quy".
_DATE = r"(?P<day>\d{1,2}) (?:thang )?(?P<month>\d{1,2})(?: (?:nam )?(?P<year>\d{4}))?"
_WHAT = r"(?:(?P<dossier>ho so(?: de nghi)?(?: gui| nop)?) |(?:hoan thanh|gui|nop|bao cao) )?"
_BEFORE = re.compile(_WHAT + r"(?:cham nhat )?truoc (?:ngay )?" + _DATE)
_BY = re.compile(
    _WHAT + r"(?:cham nhat|muon nhat|han chot|han cuoi|thoi han|han)(?: la)?(?: vao)?"
    r"(?: ngay)? " + _DATE
)
_BARE_DAY = re.compile(r"(?:ngay )?" + _DATE)
_RELATIVE = re.compile(_WHAT + r"truoc (?P<days>\d{1,4}) ngay (?:so voi )?(?P<event>.+)")
_EVENTS: Mapping[str, str] = {
    "du kien trao tang": EVENT_AWARD_PRESENTATION,
    "ngay du kien trao tang": EVENT_AWARD_PRESENTATION,
    "du kien gan bien": EVENT_PLAQUE_MOUNTING,
    "ngay du kien gan bien": EVENT_PLAQUE_MOUNTING,
}
_EVERY = r"(?:hang|moi|dinh ky hang|dinh ky)"
_MONTHLY_BY_DAY = (
    re.compile(
        r"(?:(?:(?P<before>truoc)|cham nhat|han chot) )?(?:ngay )?(?P<day>\d{1,2}) "
        + _EVERY
        + " thang"
    ),
    re.compile(
        _EVERY
        + r" thang (?:(?:(?P<before>truoc)|cham nhat|han chot|vao) )?(?:ngay )?(?P<day>\d{1,2})"
    ),
)
_MONTH = re.compile(
    r"(?:trong |cuoi |trong thoi gian )?thang (?P<month>\d{1,2})(?: (?:nam )?(?P<year>\d{4}))?"
)
_QUARTER_NUMBERS: Mapping[str, int] = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4,
}  # fmt: skip
_QUARTER = re.compile(
    r"(?:trong |cuoi )?quy (?P<quarter>iv|iii|ii|i|[1-4])(?: (?:nam )?(?P<year>\d{4}))?"
)
_RECURRING: Mapping[str, Frequency] = {
    **{f"{every} thang": Frequency.MONTHLY for every in ("hang", "moi", "dinh ky hang")},
    **{f"{every} quy": Frequency.QUARTERLY for every in ("hang", "moi", "dinh ky hang")},
    "hang thang quy": Frequency.MONTHLY_QUARTERLY,
    "hang thang hang quy": Frequency.MONTHLY_QUARTERLY,
    "cac ngay lam viec trong tuan": Frequency.WORKING_DAYS,
    "thuong xuyen": Frequency.CONTINUOUS,
    "thuong xuyen lien tuc": Frequency.CONTINUOUS,
    "lien tuc": Frequency.CONTINUOUS,
    "hang ngay": Frequency.CONTINUOUS,
    "quanh nam": Frequency.CONTINUOUS,
    "ca nam": Frequency.CONTINUOUS,
}
# A time that depends on another body's document: "Theo kế hoạch của Thành phố".
_UNDATED = re.compile(
    r"(?:thuc hien )?(?:theo|khi co|sau khi co) "
    r"(?:ke hoach|huong dan|van ban|thong bao|lich|chi dao|quy dinh|yeu cau|thoi gian)\b.*"
)


def _day(text: str, found: re.Match[str], year: int | None) -> date:
    chosen = int(found["year"]) if found["year"] else year
    if chosen is None:
        raise DueRuleError(text, "the day has no year")
    try:
        return date(chosen, int(found["month"]), int(found["day"]))
    except ValueError:
        raise DueRuleError(text, "the day is not on the calendar") from None


def parse_due_rule(text: str, *, year: int | None = None) -> DueRule:
    """Read a "Thời gian thực hiện" text of a plan into a due rule (see the module's table).

    `year` is the plan's year, for a day written without one ("Trước ngày 20/5"); without
    it such a day is an error. Raises `DueRuleError` for a text none of the wordings
    matches, a day that is not on the calendar, a month or quarter that does not exist, or
    an event it does not know.
    """
    key = fold(text)
    if not key:
        raise DueRuleError(text, "the text is empty")

    frequency = _RECURRING.get(key)
    if frequency is not None:
        return RecurringDue(frequency)
    if _UNDATED.fullmatch(key):
        return UndatedDue()

    for pattern in _MONTHLY_BY_DAY:
        found = pattern.fullmatch(key)
        if found is not None:
            day = int(found["day"])
            if not 1 <= day <= 31:
                raise DueRuleError(text, "the day of the month is not 1 to 31")
            return MonthlyDue(day, inclusive=found["before"] is None)

    relative = _RELATIVE.fullmatch(key)
    if relative is not None:
        event = _EVENTS.get(relative["event"])
        if event is None:
            known = ", ".join(repr(phrase) for phrase in _EVENTS)
            raise DueRuleError(text, f"unknown event (known: {known})")
        return RelativeDue(int(relative["days"]), event, dossier=relative["dossier"] is not None)

    for pattern, inclusive in ((_BEFORE, False), (_BY, True), (_BARE_DAY, True)):
        found = pattern.fullmatch(key)
        if found is not None:
            dossier = "dossier" in pattern.groupindex and found["dossier"] is not None
            return AbsoluteDue(_day(text, found, year), dossier=dossier, inclusive=inclusive)

    month = _MONTH.fullmatch(key)
    if month is not None:
        if not 1 <= int(month["month"]) <= 12:
            raise DueRuleError(text, "the month is not 1 to 12")
        return MonthDue(int(month["month"]), int(month["year"]) if month["year"] else None)
    quarter = _QUARTER.fullmatch(key)
    if quarter is not None:
        number = _QUARTER_NUMBERS[quarter["quarter"]]
        return QuarterDue(number, int(quarter["year"]) if quarter["year"] else None)
    raise DueRuleError(text, "not a wording of a deadline or a frequency that plans use")


def has_no_day(rule: DueRule | None) -> bool:
    """Tell whether a task with this rule can never be reminded until its words are fixed.

    True for no rule (the words could not be read, or named an impossible day) and for an
    `UndatedDue`; false for continuous duties, which are meant to have no deadline, and for
    a relative rule, which is dated once an officer enters the event's day.
    """
    return rule is None or isinstance(rule, UndatedDue)


# --------------------------------------------------------------------------------------------
# Due days
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deadline:
    """One due day of a rule.

    `name` tells it apart from the rule's other due days ("once", "2018-03", "2018-Q1",
    "award_presentation@2018-09-20"); `nominal` is the last day the words allow, `due` the
    working day it is due; `reason` says why `due` is that day when the words do not name
    it (30/12/2017 is a Saturday), or is None: codes and values, which the catalogues word.
    """

    name: str
    nominal: date
    due: date
    reason: ShiftReason | None


ONCE = "once"
"""The name of the one due day of a task done once."""


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def by_day(calendar: WorkingCalendar, last_day: date) -> tuple[date, ShiftReason | None]:
    """Return the last working day on or before `last_day`, and why if it is not that day.

    The reason names the days off in between (30/12/2017, a Saturday).
    """
    due = calendar.previous_working_day(last_day)
    if due == last_day:
        return due, None
    days_off = calendar.days_off(due + timedelta(days=1), last_day)
    return due, ShiftReason(ShiftKind.DAYS_OFF, days_off)


def _month(calendar: WorkingCalendar, name: str, year: int, month: int) -> Deadline:
    last = _month_end(year, month)
    reason = ShiftReason(ShiftKind.PERIOD_END, month=month, year=year)
    return Deadline(name, last, calendar.previous_working_day(last), reason)


def _quarter(calendar: WorkingCalendar, name: str, year: int, quarter: int) -> Deadline:
    last = _month_end(year, quarter * 3)
    reason = ShiftReason(ShiftKind.PERIOD_END, quarter=quarter, year=year)
    return Deadline(name, last, calendar.previous_working_day(last), reason)


def _monthly_by_day(calendar: WorkingCalendar, rule: MonthlyDue, year: int) -> list[Deadline]:
    found: list[Deadline] = []
    for month in range(1, 13):
        end = _month_end(year, month)
        written = end.replace(day=min(rule.day, end.day))
        last = written if rule.inclusive else written - timedelta(days=1)
        due, reason = by_day(calendar, last)
        found.append(Deadline(f"{year}-{month:02d}", last, due, reason))
    return found


def deadlines(
    rule: DueRule | None, calendar: WorkingCalendar, *, year: int, event_day: date | None = None
) -> list[Deadline]:
    """List the due days of `rule` in the plan year `year`, in order (see the module's notes).

    `event_day` is the day an officer entered for a `RelativeDue`; without one it has none
    yet. A fixed day outside `year` still counts (the plan checker reports impossible ones).
    No rule, an `UndatedDue` and a continuous duty have none.
    """
    match rule:
        case AbsoluteDue():
            due, reason = by_day(calendar, rule.last_day)
            return [Deadline(ONCE, rule.last_day, due, reason)]
        case RelativeDue():
            if event_day is None:
                return []
            nominal = rule.due_for(event_day)
            due, moved = by_day(calendar, nominal)
            reason = ShiftReason(
                ShiftKind.BEFORE_EVENT,
                moved.days_off if moved else (),
                days=rule.days_before,
                event_day=event_day,
            )
            return [Deadline(f"{rule.event}@{event_day.isoformat()}", nominal, due, reason)]
        case MonthDue():
            return [_month(calendar, ONCE, rule.year or year, rule.month)]
        case QuarterDue():
            return [_quarter(calendar, ONCE, rule.year or year, rule.quarter)]
        case MonthlyDue():
            return _monthly_by_day(calendar, rule, year)
        case RecurringDue(frequency=Frequency.QUARTERLY):
            return [_quarter(calendar, f"{year}-Q{q}", year, q) for q in range(1, 5)]
        case RecurringDue(frequency=Frequency.MONTHLY | Frequency.MONTHLY_QUARTERLY):
            # "Hàng tháng, quý": the month ending a quarter is named after the quarter
            # ("2018-Q1"): the quarterly session replaces that month's, so a unit is not
            # reminded twice on the same day.
            quarterly = rule.frequency is Frequency.MONTHLY_QUARTERLY
            return [
                _quarter(calendar, f"{year}-Q{month // 3}", year, month // 3)
                if quarterly and month % 3 == 0
                else _month(calendar, f"{year}-{month:02d}", year, month)
                for month in range(1, 13)
            ]
        case _:
            return []


# --------------------------------------------------------------------------------------------
# Years in a task's text
# --------------------------------------------------------------------------------------------

_YEAR = re.compile(r"\bnam (?:hoc )?(?P<year>(?:19|20)\d\d)(?: (?P<to>(?:19|20)\d\d))?\b")
# The last of these words before a year says which way it may differ from the plan's year:
# one looks ahead (a pact, a registration, a launch is for this year or the next), one looks
# back (a review, a commendation of results is of this year or the last).
_AHEAD = re.compile(r"\b(?:giao uoc|cam ket|dang ky|phat dong|ke hoach|chuong trinh)\b")
_BACK = re.compile(r"\b(?:tong ket|so ket|binh xet|khen thuong|thanh tich|danh gia)\b")


def contradicting_years(text: str, plan_year: int) -> list[int]:
    """Name the years written in a task's text ("năm 2017") that cannot be right for the plan.

    A year may differ from the plan's only by one, and only the way its context allows: the
    previous year after a word that looks back ("Tổng kết ... năm 2017" in a 2018 plan),
    the next one after a word that looks ahead ("phát động thi đua năm 2019"); a school
    year ("năm học 2017 - 2018") may span the plan's year. So "ký cam kết giao ước thi đua
    năm 2017" in a 2018 plan is named: a pact is signed for the year to come. Each clause
    (between commas, semicolons, full stops) is judged by its own words.
    """
    found: list[int] = []
    for clause in re.split(r"[,;.]", text):
        key = fold(clause)
        for written in _YEAR.finditer(key):
            years = [int(written["year"])]
            if written["to"]:
                years.append(int(written["to"]))
            if plan_year in years:
                continue
            before = key[: written.start()]
            ahead = max((m.end() for m in _AHEAD.finditer(before)), default=-1)
            back = max((m.end() for m in _BACK.finditer(before)), default=-1)
            allowed = plan_year
            if ahead > back:
                allowed = plan_year + 1
            elif back > ahead:
                allowed = plan_year - 1
            found.extend(year for year in years if year != allowed and year not in found)
    return found
