"""The 2018 plan's tasks as units' obligations, their deadlines, and a simulated year of notices."""

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml

from core.calendar import CalendarConfig, WorkingCalendar
from core.deadlines import (
    HANOI,
    NoticeKind as Kind,
    Obligation,
    ObligationKey,
    Occurrence,
    ReminderSettings,
    ScheduledNotice,
    expand_obligations,
    occurrences,
    schedule,
)
from core.org import Organisation, UnitKind
from core.plan import Plan, load_plan_document
from tests.unit.reasons import words

PLAN_FILE = Path(__file__).resolve().parents[2] / "storage" / "plans" / "hoan-kiem-2018.yaml"
PLAN_KEY = "hoan-kiem-2018"
SECRETARIAT = "phong-noi-vu"
CHIEFS = ["phuong-dong-xuan", "phuong-ly-thai-to", "phuong-trang-tien", "phong-kinh-te"]
WARD = "phuong-hang-bac"
OTHER_WARD = "phuong-hang-gai"

TET_2018 = frozenset(date(2018, 2, 14) + timedelta(days=i) for i in range(7))
# An oracle independent of the code: the weekdays off in 2018 and January 2019 (public
# holidays, their observed days, Tết 2018, 31/12/2018 swapped with Saturday 05/01/2019).
WEEKDAYS_OFF = frozenset(
    {
        date(2018, 1, 1),
        *TET_2018,
        date(2018, 4, 25),
        date(2018, 4, 30),
        date(2018, 5, 1),
        date(2018, 9, 3),
        date(2018, 12, 31),
        date(2019, 1, 1),
    }
)

WORKED_SATURDAYS = frozenset({date(2019, 1, 5)})

YEAR_START = datetime(2018, 1, 1, tzinfo=HANOI)
YEAR_END = datetime(2019, 1, 31, tzinfo=HANOI)
DEFAULTS = ReminderSettings()


def is_office_day(day: date) -> bool:
    if day in WORKED_SATURDAYS:
        return True
    return day.weekday() < 5 and day not in WEEKDAYS_OFF


@pytest.fixture(scope="module")
def document() -> tuple[Plan, Organisation]:
    loaded = load_plan_document(yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8")))
    assert loaded.plan is not None and loaded.organisation is not None
    return loaded.plan, loaded.organisation


@pytest.fixture(scope="module")
def plan(document: tuple[Plan, Organisation]) -> Plan:
    return document[0]


@pytest.fixture(scope="module")
def organisation(document: tuple[Plan, Organisation]) -> Organisation:
    return document[1]


@pytest.fixture(scope="module")
def obligations(plan: Plan, organisation: Organisation) -> list[Obligation]:
    return expand_obligations(plan, organisation, date(2018, 1, 1))


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(CalendarConfig(extra_days_off=TET_2018))


def key(task: int, unit: str) -> ObligationKey:
    return ObligationKey(PLAN_KEY, task, unit)


def find(obligations: list[Obligation], task: int, unit: str) -> Obligation:
    return next(o for o in obligations if o.key == key(task, unit))


def units_of(obligations: list[Obligation], task: int, *, lead: bool) -> list[str]:
    return [o.key.unit_key for o in obligations if o.key.task_number == task and o.lead is lead]


def year_occurrences(
    obligations: list[Obligation],
    calendar: WorkingCalendar,
    plan: Plan,
    event_days: Mapping[ObligationKey, date] | None = None,
) -> dict[ObligationKey, list[Occurrence]]:
    return {
        o.key: occurrences(
            o, calendar, year=2018, event_days=event_days or {}, not_before=plan.issued_on
        )
        for o in obligations
    }


def notices_of(
    notices: list[ScheduledNotice], task: int, unit: str, occurrence: str | None = None
) -> list[tuple[Kind, int, date]]:
    return [
        (n.kind, n.number, n.send_at.date())
        for n in notices
        if n.obligation == key(task, unit) and occurrence in (None, n.occurrence)
    ]


# --------------------------------------------------------------------------------------------
# Obligations
# --------------------------------------------------------------------------------------------


def test_all_units_are_the_18_wards_and_3_departments(
    obligations: list[Obligation], organisation: Organisation
) -> None:
    leads = units_of(obligations, 1, lead=True)
    assert len(leads) == 21
    kinds = Counter(organisation.find_unit(u).kind for u in leads)  # type: ignore[union-attr]
    assert kinds == {UnitKind.WARD: 18, UnitKind.DEPARTMENT: 3}


def test_secretariat_in_all_units_and_coordinating_counts_as_lead_only(
    obligations: list[Obligation],
) -> None:
    assert SECRETARIAT in units_of(obligations, 1, lead=True)
    assert units_of(obligations, 1, lead=False) == []


def test_all_units_coordinating_excludes_the_lead_secretariat(
    obligations: list[Obligation],
) -> None:
    assert units_of(obligations, 2, lead=True) == [SECRETARIAT]
    coordinating = units_of(obligations, 2, lead=False)
    assert len(coordinating) == 20 and SECRETARIAT not in coordinating


def test_cluster_tasks_go_to_each_cluster_chief(obligations: list[Obligation]) -> None:
    for task in (4, 10, 14):
        assert units_of(obligations, task, lead=True) == CHIEFS
        assert units_of(obligations, task, lead=False) == [SECRETARIAT]


def test_council_tasks_go_to_the_secretariat_and_related_units_to_nobody(
    obligations: list[Obligation],
) -> None:
    assert units_of(obligations, 5, lead=True) == [SECRETARIAT]
    assert units_of(obligations, 5, lead=False) == []  # RELATED_UNITS
    assert units_of(obligations, 6, lead=False) == ["phong-kinh-te"]
    assert units_of(obligations, 9, lead=False) == ["phong-gd-dt"]


def test_obligation_counts_of_the_whole_plan(obligations: list[Obligation]) -> None:
    per_task = Counter(o.key.task_number for o in obligations)
    assert per_task == {
        **dict.fromkeys((1, 2, 3, 8, 19, 21, 22, 23), 21),
        **dict.fromkeys((4, 10, 14), 5),
        **dict.fromkeys((5, 7, 12, 13, 15, 16, 17, 18, 20), 1),
        **dict.fromkeys((6, 9, 11), 2),
    }
    assert len({o.key for o in obligations}) == len(obligations)


def test_expansion_follows_the_organisation_on_the_given_day(
    plan: Plan, organisation: Organisation
) -> None:
    # The illustrative clusters start on 01/01/2018: on the plan's issue day they do not exist.
    before = expand_obligations(plan, organisation, plan.issued_on)
    assert [o.key.unit_key for o in before if o.key.task_number == 4] == [SECRETARIAT]
    # After the district level ended on 01/07/2025, nobody owes anything.
    assert expand_obligations(plan, organisation, date(2025, 7, 1)) == []


def test_expansion_is_deterministic_and_ordered_by_task(
    plan: Plan, organisation: Organisation, obligations: list[Obligation]
) -> None:
    assert expand_obligations(plan, organisation, date(2018, 1, 1)) == obligations
    numbers = [o.key.task_number for o in obligations]
    assert numbers == sorted(numbers)
    task_8 = [o.lead for o in obligations if o.key.task_number == 8]
    assert task_8 == [True] + [False] * 20


def test_obligation_key_reads_plan_task_unit() -> None:
    assert str(key(3, WARD)) == "hoan-kiem-2018:3:phuong-hang-bac"


# --------------------------------------------------------------------------------------------
# Occurrences
# --------------------------------------------------------------------------------------------


def test_before_a_monday_is_due_the_friday_before_never_on_the_monday(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    # "Trước ngày 08/01/2018": the office wants it in hand before Monday 08/01; the days
    # before are the weekend, so it is due on Friday 05/01 (not moved forward to 08/01).
    [once] = occurrences(find(obligations, 3, WARD), calendar, year=2018, event_days={})
    assert (once.occurrence, once.nominal_due, once.due) == (
        "once",
        date(2018, 1, 7),
        date(2018, 1, 5),
    )
    assert words(once.shift_reason) == "06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật"


def test_before_a_weekday_is_due_the_day_before(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    # "Hồ sơ gửi trước ngày 15/3/2018" (a Thursday).
    [once] = occurrences(find(obligations, 5, SECRETARIAT), calendar, year=2018, event_days={})
    assert (once.due, once.shift_reason) == (date(2018, 3, 14), None)


def test_year_end_deadline_stays_before_the_day_written(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    # "Trước ngày 30/12/2018" (a Sunday): 29/12 is a Saturday, so Friday 28/12, inside the
    # plan's year (the old reading moved it forward past 31/12 and 01/01 to 02/01/2019).
    [once] = occurrences(find(obligations, 16, SECRETARIAT), calendar, year=2018, event_days={})
    assert (once.due, words(once.shift_reason)) == (date(2018, 12, 28), "29/12/2018 là Thứ Bảy")


def test_impossible_dates_of_the_plan_give_no_deadline(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    for task, unit in ((2, SECRETARIAT), (4, CHIEFS[0]), (7, SECRETARIAT)):
        assert occurrences(find(obligations, task, unit), calendar, year=2018, event_days={}) == []


def test_occurrences_due_before_not_before_are_skipped(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    ward_task_1 = find(obligations, 1, WARD)  # due 29/12/2017
    assert len(occurrences(ward_task_1, calendar, year=2018, event_days={})) == 1
    skipped = occurrences(
        ward_task_1, calendar, year=2018, event_days={}, not_before=date(2017, 12, 30)
    )
    assert skipped == []


def test_relative_deadline_appears_only_once_an_event_day_is_entered(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    task_20 = find(obligations, 20, SECRETARIAT)
    assert occurrences(task_20, calendar, year=2018, event_days={}) == []
    # 90 days before Saturday 22/09/2018 is Sunday 24/06: moved back to Friday 22/06, so the
    # dossier still arrives 90 days ahead.
    [due] = occurrences(task_20, calendar, year=2018, event_days={task_20.key: date(2018, 9, 22)})
    assert due.occurrence == "award_presentation@2018-09-22"
    assert (due.nominal_due, due.due) == (date(2018, 6, 24), date(2018, 6, 22))
    assert words(due.shift_reason) == (
        "90 ngày trước ngày dự kiến 22/09/2018; 23/06/2018 và 24/06/2018 là Thứ Bảy, Chủ nhật"
    )
    assert words(due.shift_reason, "en") == (
        "90 days before the expected day, 22/09/2018; 23/06/2018 and 24/06/2018 are a Saturday,"
        " a Sunday"
    )


def test_relative_deadline_moves_when_the_event_day_moves(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    task_20 = find(obligations, 20, SECRETARIAT)
    [moved] = occurrences(
        task_20, calendar, year=2018, event_days={task_20.key: date(2018, 10, 15)}
    )
    assert (moved.occurrence, moved.due, words(moved.shift_reason)) == (
        "award_presentation@2018-10-15",
        date(2018, 7, 17),
        "90 ngày trước ngày dự kiến 15/10/2018",
    )


def test_plaque_deadline_on_national_day_moves_back(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    task_21 = find(obligations, 21, WARD)
    [due] = occurrences(task_21, calendar, year=2018, event_days={task_21.key: date(2018, 10, 17)})
    assert (due.nominal_due, due.due) == (date(2018, 9, 2), date(2018, 8, 31))
    assert due.occurrence == "plaque_mounting@2018-10-17"


def test_monthly_task_has_twelve_deadlines_on_each_months_last_working_day(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    monthly = occurrences(find(obligations, 19, WARD), calendar, year=2018, event_days={})
    assert [o.occurrence for o in monthly] == [f"2018-{m:02d}" for m in range(1, 13)]
    dues = {o.occurrence: o.due for o in monthly}
    assert dues["2018-03"] == date(2018, 3, 30)  # 31/03 is a Saturday
    assert dues["2018-04"] == date(2018, 4, 27)  # 30/04 holiday, 28-29 weekend
    assert dues["2018-12"] == date(2018, 12, 28)  # 31/12 swapped day off
    assert all(
        calendar.is_working_day(o.due) and o.due.month == o.nominal_due.month for o in monthly
    )


def test_monthly_and_quarterly_task_names_the_quarter_ends(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    found = occurrences(find(obligations, 17, SECRETARIAT), calendar, year=2018, event_days={})
    assert [o.occurrence for o in found] == [
        "2018-01", "2018-02", "2018-Q1", "2018-04", "2018-05", "2018-Q2",
        "2018-07", "2018-08", "2018-Q3", "2018-10", "2018-11", "2018-Q4",
    ]  # fmt: skip
    assert found[2].due == date(2018, 3, 30)


def test_working_day_duties_have_no_deadline(
    obligations: list[Obligation], calendar: WorkingCalendar
) -> None:
    for task in (22, 23):
        for obligation in (o for o in obligations if o.key.task_number == task):
            assert occurrences(obligation, calendar, year=2018, event_days={}) == []


# --------------------------------------------------------------------------------------------
# A simulated year of notices
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def year_notices(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> list[ScheduledNotice]:
    task_20 = key(20, SECRETARIAT)
    by_obligation = year_occurrences(obligations, calendar, plan, {task_20: date(2018, 9, 22)})
    return schedule(
        obligations,
        by_obligation,
        calendar,
        DEFAULTS,
        start=YEAR_START,
        end=YEAR_END,
        completed={},
    )


def test_every_notice_goes_out_at_8_on_a_working_day(year_notices: list[ScheduledNotice]) -> None:
    assert len(year_notices) > 1000
    for notice in year_notices:
        assert notice.send_at.tzinfo is HANOI
        assert notice.send_at.time() == time(8, 0)
        assert is_office_day(notice.send_at.date()), notice.key
        assert YEAR_START <= notice.send_at < YEAR_END


def test_no_notice_is_scheduled_twice(year_notices: list[ScheduledNotice]) -> None:
    keys = [n.key for n in year_notices]
    assert len(set(keys)) == len(keys)
    identities = {(n.obligation, n.occurrence, n.kind, n.number) for n in year_notices}
    assert len(identities) == len(year_notices)


def test_schedule_is_sorted_by_time_then_key(year_notices: list[ScheduledNotice]) -> None:
    assert year_notices == sorted(year_notices, key=lambda n: (n.send_at, n.key))


def test_reminders_come_before_the_due_day_and_overdue_after_it(
    year_notices: list[ScheduledNotice],
) -> None:
    for notice in year_notices:
        sent = notice.send_at.date()
        if notice.kind in (Kind.REMINDER, Kind.FYI):
            assert sent < notice.due and notice.working_days_left > 0
        elif notice.kind is Kind.DUE_TODAY:
            assert sent == notice.due and notice.working_days_left == 0
        else:
            assert sent > notice.due and notice.working_days_left == -notice.number
            assert notice.number <= DEFAULTS.max_overdue


def test_every_task_with_a_deadline_gets_its_notices(year_notices: list[ScheduledNotice]) -> None:
    tasks = {n.obligation.task_number for n in year_notices}
    assert tasks == {1, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}


def test_notice_key_names_obligation_occurrence_kind_and_number(
    year_notices: list[ScheduledNotice],
) -> None:
    notice = next(n for n in year_notices if n.obligation == key(3, WARD))
    assert notice.key == "hoan-kiem-2018:3:phuong-hang-bac:once:reminder:2"
    assert notice.send_at == datetime(2018, 1, 2, 8, 0, tzinfo=HANOI)


def test_lead_unit_is_reminded_7_3_1_days_before_then_on_the_day_then_overdue(
    year_notices: list[ScheduledNotice],
) -> None:
    # Task 13, "Trước ngày 31/8/2018": due Thursday 30/08; 03/09 is National Day observed.
    assert notices_of(year_notices, 13, SECRETARIAT) == [
        (Kind.REMINDER, 1, date(2018, 8, 21)),
        (Kind.REMINDER, 2, date(2018, 8, 27)),
        (Kind.REMINDER, 3, date(2018, 8, 29)),
        (Kind.DUE_TODAY, 1, date(2018, 8, 30)),
        (Kind.OVERDUE, 1, date(2018, 8, 31)),
        (Kind.OVERDUE, 2, date(2018, 9, 4)),
        (Kind.OVERDUE, 3, date(2018, 9, 5)),
        (Kind.OVERDUE, 4, date(2018, 9, 6)),
        (Kind.OVERDUE, 5, date(2018, 9, 7)),
    ]


def test_reminders_skip_tet(year_notices: list[ScheduledNotice]) -> None:
    # February's monthly deadline, 28/02/2018: seven working days back crosses Tết.
    assert notices_of(year_notices, 19, WARD, "2018-02")[:4] == [
        (Kind.REMINDER, 1, date(2018, 2, 12)),
        (Kind.REMINDER, 2, date(2018, 2, 23)),
        (Kind.REMINDER, 3, date(2018, 2, 27)),
        (Kind.DUE_TODAY, 1, date(2018, 2, 28)),
    ]
    assert not any(n.send_at.date() in TET_2018 for n in year_notices)


def test_overdue_notices_go_out_on_the_worked_saturday_of_january_2019(
    year_notices: list[ScheduledNotice],
) -> None:
    overdue = [
        d for kind, _, d in notices_of(year_notices, 16, SECRETARIAT) if kind is Kind.OVERDUE
    ]
    # Due Friday 28/12/2018; 31/12 and 01/01 are off, Saturday 05/01/2019 is worked.
    assert overdue == [date(2019, 1, d) for d in (2, 3, 4, 5, 7)]


def test_coordinating_unit_gets_one_fyi_with_the_first_reminder(
    year_notices: list[ScheduledNotice],
) -> None:
    # Task 8, "Trước ngày 20/5/2018" (a Sunday): due Friday 18/05; the wards coordinate.
    assert notices_of(year_notices, 8, WARD) == [(Kind.FYI, 1, date(2018, 5, 9))]
    assert notices_of(year_notices, 8, SECRETARIAT)[0] == (Kind.REMINDER, 1, date(2018, 5, 9))
    fyis = [n for n in year_notices if n.kind is Kind.FYI]
    assert Counter(n.obligation.task_number for n in fyis) == {
        6: 1, 8: 20, 9: 1, 10: 1, 11: 1, 14: 1,
    }  # fmt: skip


def test_relative_deadline_notices_follow_the_entered_event(
    year_notices: list[ScheduledNotice],
) -> None:
    task_20 = notices_of(year_notices, 20, SECRETARIAT)
    assert (Kind.DUE_TODAY, 1, date(2018, 6, 22)) in task_20
    shifted = next(n for n in year_notices if n.obligation == key(20, SECRETARIAT))
    assert shifted.shift_reason is not None and shifted.shift_reason.event_day == date(2018, 9, 22)
    # Nobody entered the day of a plaque: task 21 sends nothing.
    assert not any(n.obligation.task_number == 21 for n in year_notices)


def test_a_day_by_day_schedule_equals_the_whole_year(
    obligations: list[Obligation],
    calendar: WorkingCalendar,
    plan: Plan,
    year_notices: list[ScheduledNotice],
) -> None:
    task_20 = key(20, SECRETARIAT)
    by_obligation = year_occurrences(obligations, calendar, plan, {task_20: date(2018, 9, 22)})
    daily: list[ScheduledNotice] = []
    day = YEAR_START
    while day < YEAR_END:
        daily += schedule(
            obligations,
            by_obligation,
            calendar,
            DEFAULTS,
            start=day,
            end=day + timedelta(days=1),
            completed={},
        )
        day += timedelta(days=1)
    assert daily == year_notices


# --------------------------------------------------------------------------------------------
# Completion, settings, windows
# --------------------------------------------------------------------------------------------


def task_3_notices(
    obligations: list[Obligation],
    calendar: WorkingCalendar,
    plan: Plan,
    completed: Mapping[tuple[ObligationKey, str], date],
    settings: ReminderSettings = DEFAULTS,
) -> list[ScheduledNotice]:
    task_3 = [o for o in obligations if o.key.task_number == 3]
    return schedule(
        task_3,
        year_occurrences(task_3, calendar, plan),
        calendar,
        settings,
        start=YEAR_START,
        end=YEAR_END,
        completed=completed,
    )


def test_done_stops_the_later_notices(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    notices = task_3_notices(
        obligations, calendar, plan, {(key(3, WARD), "once"): date(2018, 1, 4)}
    )
    assert notices_of(notices, 3, WARD) == [(Kind.REMINDER, 2, date(2018, 1, 2))]
    # Another ward that did not report it done is still reminded and chased.
    assert len(notices_of(notices, 3, OTHER_WARD)) == 2 + 1 + 5


def test_done_on_the_due_day_stops_that_days_notice(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    notices = task_3_notices(
        obligations, calendar, plan, {(key(3, WARD), "once"): date(2018, 1, 5)}
    )
    assert [kind for kind, _, _ in notices_of(notices, 3, WARD)] == [Kind.REMINDER, Kind.REMINDER]


def test_done_late_stops_the_overdue_notices(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    notices = task_3_notices(
        obligations, calendar, plan, {(key(3, WARD), "once"): date(2018, 1, 9)}
    )
    overdue = [(n, d) for kind, n, d in notices_of(notices, 3, WARD) if kind is Kind.OVERDUE]
    assert overdue == [(1, date(2018, 1, 8))]


def test_overdue_notices_stop_at_the_configured_maximum(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    settings = ReminderSettings(offsets=(2,), due_day_notice=False, max_overdue=2)
    notices = task_3_notices(obligations, calendar, plan, {}, settings)
    assert notices_of(notices, 3, WARD) == [
        (Kind.REMINDER, 1, date(2018, 1, 3)),
        (Kind.OVERDUE, 1, date(2018, 1, 8)),
        (Kind.OVERDUE, 2, date(2018, 1, 9)),
    ]


def test_office_time_and_zone_are_configurable(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    settings = ReminderSettings(office_time=time(7, 30), max_overdue=0)
    notices = task_3_notices(obligations, calendar, plan, {}, settings)
    assert {n.send_at.timetz() for n in notices} == {time(7, 30, tzinfo=HANOI)}


def test_window_includes_its_start_and_excludes_its_end(
    obligations: list[Obligation], calendar: WorkingCalendar, plan: Plan
) -> None:
    task_13 = [find(obligations, 13, SECRETARIAT)]
    # 01:00 UTC is 08:00 in Hà Nội.
    notices = schedule(
        task_13,
        year_occurrences(task_13, calendar, plan),
        calendar,
        DEFAULTS,
        start=datetime(2018, 8, 21, 1, 0, tzinfo=UTC),
        end=datetime(2018, 8, 29, 8, 0, tzinfo=HANOI),
        completed={},
    )
    assert [n.send_at.date() for n in notices] == [date(2018, 8, 21), date(2018, 8, 27)]


def test_naive_window_is_refused(obligations: list[Obligation], calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule(
            obligations,
            {},
            calendar,
            DEFAULTS,
            start=datetime(2018, 1, 1),
            end=YEAR_END,
            completed={},
        )


@pytest.mark.parametrize(
    "settings",
    [
        {"offsets": (0,)},
        {"offsets": (3, 3)},
        {"max_overdue": -1},
        {"office_time": time(8, 0, tzinfo=UTC)},
    ],
)
def test_impossible_reminder_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ReminderSettings(**settings)  # type: ignore[arg-type]
