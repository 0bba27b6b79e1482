"""Due rules: the wordings plans use, and the due days an officer expects of the 2018 plan."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from core.calendar import (
    CalendarConfig,
    DayOff,
    DayOffKind,
    ShiftKind,
    ShiftReason,
    WorkingCalendar,
)
from core.deadlines import (
    NoReminderReason,
    ObligationKey,
    Occurrence,
    due_note,
    undated_tasks,
)
from core.due_rules import (
    EVENT_AWARD_PRESENTATION,
    EVENT_PLAQUE_MOUNTING,
    AbsoluteDue,
    DueRule,
    DueRuleError,
    Frequency,
    MonthDue,
    MonthlyDue,
    QuarterDue,
    RecurringDue,
    RelativeDue,
    UndatedDue,
    contradicting_years,
    deadlines,
    parse_due_rule,
)
from core.plan import Plan, load_plan_document
from core.text import fold
from tests.unit.reasons import words

PLAN_FILE = Path(__file__).resolve().parents[2] / "storage" / "plans" / "hoan-kiem-2018.yaml"
TET_2018 = frozenset(date(2018, 2, 14) + timedelta(days=i) for i in range(7))


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(CalendarConfig(extra_days_off=TET_2018))


@pytest.fixture(scope="module")
def plan() -> Plan:
    loaded = load_plan_document(yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8")))
    assert loaded.plan is not None
    return loaded.plan


# --------------------------------------------------------------------------------------------
# The wordings Vietnamese plans use
# --------------------------------------------------------------------------------------------

FORMS: list[tuple[str, DueRule]] = [
    ("Trước ngày 31/12/2017", AbsoluteDue(date(2017, 12, 31))),
    ("Hồ sơ gửi trước ngày 01/7/2018", AbsoluteDue(date(2018, 7, 1), dossier=True)),
    ("Trước 08/01/2018", AbsoluteDue(date(2018, 1, 8))),
    ("Hoàn thành trước ngày 15.3.2018", AbsoluteDue(date(2018, 3, 15))),
    ("Chậm nhất ngày 20/5/2018", AbsoluteDue(date(2018, 5, 20), inclusive=True)),
    ("Hạn chót 30/4/2018", AbsoluteDue(date(2018, 4, 30), inclusive=True)),
    ("8-1-2018", AbsoluteDue(date(2018, 1, 8), inclusive=True)),
    ("Ngày 8 tháng 1 năm 2018", AbsoluteDue(date(2018, 1, 8), inclusive=True)),
    (
        "Hồ sơ gửi trước 90 ngày dự kiến trao tặng",
        RelativeDue(90, EVENT_AWARD_PRESENTATION, dossier=True),
    ),
    (
        "Hồ sơ gửi trước 45 ngày dự kiến gắn biển.",
        RelativeDue(45, EVENT_PLAQUE_MOUNTING, dossier=True),
    ),
    ("Trong tháng 3", MonthDue(3)),
    ("Tháng 3/2018", MonthDue(3, 2018)),
    ("Quý I/2018", QuarterDue(1, 2018)),
    ("Trong quý II", QuarterDue(2)),
    ("Hàng tháng", RecurringDue(Frequency.MONTHLY)),
    ("Hàng quý", RecurringDue(Frequency.QUARTERLY)),
    ("Hằng quý", RecurringDue(Frequency.QUARTERLY)),
    ("Hàng tháng, quý", RecurringDue(Frequency.MONTHLY_QUARTERLY)),
    ("Trước ngày 20 hằng tháng", MonthlyDue(20)),
    ("Ngày 25 hàng tháng", MonthlyDue(25, inclusive=True)),
    ("Hàng tháng, trước ngày 10", MonthlyDue(10)),
    ("Thường xuyên", RecurringDue(Frequency.CONTINUOUS)),
    ("Các ngày làm việc trong tuần", RecurringDue(Frequency.WORKING_DAYS)),
    ("Theo kế hoạch của Thành phố", UndatedDue()),
    ("Khi có văn bản hướng dẫn của cấp trên", UndatedDue()),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[text for text, _ in FORMS])
def test_each_wording_plans_use_is_read(text: str, expected: DueRule) -> None:
    assert parse_due_rule(text) == expected


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[text for text, _ in FORMS])
def test_each_wording_is_read_without_diacritics_and_in_capitals(
    text: str, expected: DueRule
) -> None:
    assert parse_due_rule(fold(text).upper()) == expected


def test_at_least_fifteen_distinct_wordings_are_known() -> None:
    assert len(FORMS) >= 15
    assert len({type(rule) for _, rule in FORMS}) == 7


def test_a_day_without_a_year_takes_the_plans_year() -> None:
    assert parse_due_rule("Trước ngày 20/5", year=2018) == AbsoluteDue(date(2018, 5, 20))
    with pytest.raises(DueRuleError, match="no year"):
        parse_due_rule("Trước ngày 20/5")


@pytest.mark.parametrize(
    "text", ["Sau ngày 31/12/2018", "Trong tháng 13", "Quý V/2018", "Khi cần thiết", "Hàng năm"]
)
def test_what_no_plan_wording_means_is_refused(text: str) -> None:
    with pytest.raises(DueRuleError):
        parse_due_rule(text)


# --------------------------------------------------------------------------------------------
# Due days
# --------------------------------------------------------------------------------------------


def due_days(rule: DueRule, calendar: WorkingCalendar) -> list[date]:
    return [deadline.due for deadline in deadlines(rule, calendar, year=2018)]


@pytest.mark.parametrize(
    ("text", "due", "reason"),
    [
        # Sunday 31/12/2017; Saturday 30/12 before it.
        ("Trước ngày 31/12/2017", date(2017, 12, 29), "30/12/2017 là Thứ Bảy"),
        # Monday: due on the Friday before, never on the Monday itself.
        (
            "Trước ngày 08/01/2018",
            date(2018, 1, 5),
            "06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật",
        ),
        # A Thursday: the day before, a working day, needs no reason.
        ("Trước ngày 15/3/2018", date(2018, 3, 14), None),
        # The day after Tết: due before the holiday.
        (
            "Trước ngày 21/02/2018",
            date(2018, 2, 13),
            "từ 14/02/2018 đến 20/02/2018 là ngày nghỉ (29 Tết, Giao thừa Tết Nguyên Đán, …)",
        ),
        # "At the latest on" a working day is that day; on a holiday, the working day before.
        ("Chậm nhất ngày 14/3/2018", date(2018, 3, 14), None),
        (
            "Hạn chót 30/4/2018",
            date(2018, 4, 27),
            "từ 28/04/2018 đến 30/04/2018 là ngày nghỉ (Ngày Chiến thắng)",
        ),
        ("Trong tháng 3", date(2018, 3, 30), "ngày làm việc cuối cùng của tháng 3/2018"),
        ("Quý I/2018", date(2018, 3, 30), "ngày làm việc cuối cùng của quý I/2018"),
    ],
)
def test_a_fixed_day_is_due_on_a_working_day_never_after_the_words(
    text: str, due: date, reason: str | None, calendar: WorkingCalendar
) -> None:
    [deadline] = deadlines(parse_due_rule(text), calendar, year=2018)
    assert (deadline.name, deadline.due, words(deadline.reason)) == ("once", due, reason)


def test_quarterly_is_due_the_last_working_day_of_each_quarter(calendar: WorkingCalendar) -> None:
    found = deadlines(parse_due_rule("Hàng quý"), calendar, year=2018)
    assert [(d.name, d.due) for d in found] == [
        ("2018-Q1", date(2018, 3, 30)),
        ("2018-Q2", date(2018, 6, 29)),
        ("2018-Q3", date(2018, 9, 28)),
        ("2018-Q4", date(2018, 12, 28)),
    ]


def test_before_the_20th_of_each_month_is_due_the_last_working_day_before_it(
    calendar: WorkingCalendar,
) -> None:
    found = deadlines(parse_due_rule("Trước ngày 20 hằng tháng"), calendar, year=2018)
    assert [d.name for d in found] == [f"2018-{m:02d}" for m in range(1, 13)]
    assert [d.due for d in found] == [
        date(2018, 1, 19),
        date(2018, 2, 13),  # 14-19/02 Tết
        date(2018, 3, 19),
        date(2018, 4, 19),
        date(2018, 5, 18),  # 19/05 Saturday
        date(2018, 6, 19),
        date(2018, 7, 19),
        date(2018, 8, 17),  # 18-19/08 weekend
        date(2018, 9, 19),
        date(2018, 10, 19),
        date(2018, 11, 19),
        date(2018, 12, 19),
    ]
    assert all(d.due.day < 20 and calendar.is_working_day(d.due) for d in found)


def test_continuous_and_undated_rules_have_no_due_day(calendar: WorkingCalendar) -> None:
    for text in ("Thường xuyên", "Các ngày làm việc trong tuần", "Theo kế hoạch của Thành phố"):
        assert deadlines(parse_due_rule(text), calendar, year=2018) == []


# What an officer of Hoàn Kiếm expects of the 2018 plan: every task's due days. A "before
# day X" task is due the last working day before X; tasks 2, 4 and 7 carry 2017 days that
# precede the plan (reported by the checker); 20 and 21 wait for an event day; 22 and 23 are
# continuous duties.
MONTH_ENDS_2018 = [
    date(2018, 1, 31),
    date(2018, 2, 28),
    date(2018, 3, 30),  # 31/03 Saturday
    date(2018, 4, 27),  # 30/04 holiday, 28-29 weekend
    date(2018, 5, 31),
    date(2018, 6, 29),  # 30/06 Saturday
    date(2018, 7, 31),
    date(2018, 8, 31),
    date(2018, 9, 28),  # 30/09 Sunday
    date(2018, 10, 31),
    date(2018, 11, 30),
    date(2018, 12, 28),  # 31/12 swapped day off
]
EXPECTED_2018: dict[int, list[date]] = {
    1: [date(2017, 12, 29)],  # "Trước ngày 31/12/2017" (Sunday; 30/12 Saturday)
    2: [],
    3: [date(2018, 1, 5)],  # "Trước ngày 08/01/2018" (Monday)
    4: [],
    5: [date(2018, 3, 14)],  # "Hồ sơ gửi trước ngày 15/3/2018"
    6: [date(2018, 3, 23)],  # "Trước ngày 25/3/2018" (Sunday)
    7: [],
    8: [date(2018, 5, 18)],  # "Trước ngày 20/5/2018" (Sunday)
    9: [date(2018, 5, 30)],  # "Trước ngày 31/5/2018"
    10: [date(2018, 6, 29)],  # "Trước ngày 30/6/2018" (Saturday)
    11: [date(2018, 6, 29)],  # "Hồ sơ gửi trước ngày 01/7/2018" (Sunday)
    12: [date(2018, 8, 14)],  # "Hồ sơ gửi trước ngày 15/8/2018"
    13: [date(2018, 8, 30)],  # "Trước ngày 31/8/2018"
    14: [date(2018, 11, 1)],  # "Trước ngày 02/11/2018"
    15: [date(2018, 11, 29)],  # "Trước ngày 30/11/2018"
    16: [date(2018, 12, 28)],  # "Trước ngày 30/12/2018" (Sunday)
    17: MONTH_ENDS_2018,  # "Hàng tháng, quý"
    18: MONTH_ENDS_2018,
    19: MONTH_ENDS_2018,  # "Hàng tháng"
    20: [],
    21: [],
    22: [],
    23: [],
}


def test_the_23_tasks_of_2018_are_due_when_an_officer_expects(
    plan: Plan, calendar: WorkingCalendar
) -> None:
    found = {
        task.number: [d.due for d in deadlines(task.due, calendar, year=plan.year)]
        for task in plan.tasks
    }
    assert found == EXPECTED_2018


def test_no_before_day_x_task_is_due_on_or_after_x(plan: Plan, calendar: WorkingCalendar) -> None:
    checked = 0
    for task in plan.tasks:
        if isinstance(task.due, AbsoluteDue) and not task.due.inclusive:
            [deadline] = deadlines(task.due, calendar, year=plan.year)
            assert deadline.due < task.due.day, task.number
            assert calendar.is_working_day(deadline.due), task.number
            # ... and it is the last working day before X: every day between is off.
            between = (deadline.due + timedelta(days=n) for n in range(1, 7))
            assert not any(calendar.is_working_day(day) for day in between if day < task.due.day), (
                task.number
            )
            checked += 1
    assert checked == 13


# --------------------------------------------------------------------------------------------
# What notices say, and what cannot be dated
# --------------------------------------------------------------------------------------------


def test_a_notice_quotes_the_plans_words_and_says_why_the_day_moved(plan: Plan) -> None:
    task = plan.find_task(11)
    assert task is not None
    key = ObligationKey(plan.key, 11, "phong-noi-vu")
    saturday = ShiftReason(ShiftKind.DAYS_OFF, (DayOff(date(2018, 6, 30), DayOffKind.WEEKEND),))
    occurrence = Occurrence(key, "once", date(2018, 6, 30), date(2018, 6, 29), saturday)
    note = due_note(task, occurrence)
    assert note.as_written == "Hồ sơ gửi trước ngày 01/7/2018"
    assert words(note.reason) == "30/06/2018 là Thứ Bảy"
    assert words(note.reason, "en") == "30/06/2018 is a Saturday"


def test_tasks_that_cannot_be_dated_are_listed_with_why(plan: Plan) -> None:
    found = [(u.task.number, u.reason) for u in undated_tasks(plan)]
    assert found == [
        (2, NoReminderReason.OUT_OF_PLAN),
        (4, NoReminderReason.OUT_OF_PLAN),
        (7, NoReminderReason.OUT_OF_PLAN),
    ]


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Các cụm thi đua ký cam kết giao ước thi đua năm 2017", [2017]),
        ("Tổ chức Hội nghị Tổng kết công tác thi đua, khen thưởng năm 2017", []),
        ("Xét khen thưởng tổng kết nhiệm vụ năm học 2017 - 2018", []),
        ("Tổ chức Hội nghị phát động phong trào thi đua năm 2019", []),
        ("Xét tặng danh hiệu Công dân Thủ đô ưu tú năm 2017", [2017]),
        ("Tổng kết phong trào năm 2016", [2016]),
        ("Đăng ký danh hiệu thi đua năm 2018", []),
    ],
)
def test_a_year_in_a_tasks_text_that_contradicts_the_plan_is_named(
    text: str, wrong: list[int]
) -> None:
    assert contradicting_years(text, 2018) == wrong
