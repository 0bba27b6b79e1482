"""What an officer's daily digest lists, and on which days it goes out (core.digest)."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.plans import DEMO_PLAN, read_plan_file
from core.calendar import WorkingCalendar
from core.deadlines import (
    Obligation,
    ObligationKey,
    Occurrence,
    ReminderSettings,
    expand_obligations,
    occurrences,
)
from core.digest import (
    MAX_ITEMS,
    Digest,
    DigestPlanner,
    Section,
    digest_of,
    parse_digest_time,
    quota_reminder_day,
    quota_task,
    wants_urgent_notices,
)
from core.plan import AbsoluteDue, Plan, PlanTask, UnitRef

HANG_BAC = "phuong-hang-bac"
CALENDAR = WorkingCalendar()
SETTINGS = ReminderSettings()
DUE_10_JANUARY = AbsoluteDue(date(2018, 1, 11))


def _demo() -> tuple[Plan, list[Obligation], dict[ObligationKey, list[Occurrence]]]:
    document = read_plan_file(DEMO_PLAN)
    assert document.plan is not None and document.organisation is not None
    plan = document.plan
    obligations = expand_obligations(plan, document.organisation, on=date(2018, 1, 1))
    found = {
        o.key: occurrences(o, CALENDAR, year=2018, event_days={}, not_before=plan.issued_on)
        for o in obligations
    }
    return plan, obligations, found


PLAN, OBLIGATIONS, OCCURRENCES = _demo()


def _hang_bac(
    day: date,
    *,
    completed: dict[tuple[ObligationKey, str], date] | None = None,
    quota_day: bool = False,
    proposed: dict[str, int] | None = None,
    quota_task_number: int | None = 19,
) -> Digest:
    planner = DigestPlanner(
        CALENDAR,
        SETTINGS,
        day,
        quota=1,
        quota_day=quota_day,
        proposed=proposed,
        quota_task_number=quota_task_number,
    )
    unit = planner.unit_digest(HANG_BAC, OBLIGATIONS, OCCURRENCES, completed or {})
    return digest_of(day, [unit])


def _listed(digest: Digest) -> list[tuple[int, str, int]]:
    return [(i.task.number, i.section.value, i.working_days_left) for i in digest.items]


def test_the_digest_lists_the_urgent_first_then_what_is_coming() -> None:
    # 02/01/2018: task 1 ("Trước ngày 31/12/2017", due Friday 29/12) is one working day
    # late, task 3 ("Trước ngày 08/01/2018", due Friday 05/01) three working days ahead.
    digest = _hang_bac(date(2018, 1, 2))

    assert digest.news
    assert _listed(digest) == [(1, "overdue", -1), (3, "coming", 3)]
    assert [item.urgent for item in digest.items] == [True, False]
    assert [heading for heading, _ in digest.groups] == ["urgent", "coming"]


def test_a_day_with_nothing_new_sends_nothing_though_tasks_are_open() -> None:
    # 03/01: task 1 is two days late (not its first), task 3 two days ahead (no offset).
    quiet = _hang_bac(date(2018, 1, 3))
    assert not quiet.news
    assert _listed(quiet) == [(1, "overdue", -2), (3, "coming", 2)]
    # 04/01: task 3 is one working day ahead, a reminder offset.
    assert _hang_bac(date(2018, 1, 4)).news


def test_overdue_tasks_are_listed_for_max_overdue_days_then_only_counted() -> None:
    # Task 3 is due Friday 05/01; the fifth working day after is 12/01, the sixth 15/01.
    fifth = _hang_bac(date(2018, 1, 12))
    assert (3, "overdue", -5) in _listed(fifth)
    sixth = _hang_bac(date(2018, 1, 15))
    assert all(number != 3 for number, _, _ in _listed(sixth))
    assert sixth.older_overdue == 2  # tasks 1 and 3


def test_a_task_marked_done_leaves_the_digest() -> None:
    key = ObligationKey(PLAN.key, 3, HANG_BAC)
    digest = _hang_bac(date(2018, 1, 5), completed={(key, "once"): date(2018, 1, 4)})
    assert [number for number, _, _ in _listed(digest)] == [1]
    assert not digest.news  # task 1 is four working days late: nothing new


def test_nothing_on_a_day_off() -> None:
    for day in (date(2018, 1, 6), date(2018, 2, 16), date(2018, 4, 30)):
        digest = _hang_bac(day)
        assert not digest.news and digest.items == [], day


def test_due_today_is_urgent() -> None:
    digest = _hang_bac(date(2018, 1, 5))  # task 3's due day
    assert digest.news
    (first, *_) = digest.items
    assert (first.task.number, first.section, first.urgent) == (3, Section.DUE_TODAY, True)


def test_on_the_quota_day_a_unit_short_of_it_is_told_with_the_monthly_task() -> None:
    task = quota_task(PLAN)
    assert task is not None and task.number == 19
    day = quota_reminder_day(CALENDAR, date(2018, 3, 5), 20)
    assert day == date(2018, 3, 20)  # a Tuesday

    short = _hang_bac(day, quota_day=True)
    assert short.news
    (task_19,) = [i for i in short.items if i.task.number == 19]
    assert task_19.section is Section.COMING and task_19.due == date(2018, 3, 30)
    assert task_19.working_days_left == 8  # outside the lead window: listed for the quota
    assert task_19.quota is not None and task_19.quota.short and task_19.quota.proposed == 0

    enough = _hang_bac(day, quota_day=True, proposed={HANG_BAC: 1})
    assert not enough.news
    assert all(i.task.number != 19 for i in enough.items)

    # Task 19 reminded in its window shows the standing too, one message for both.
    reminded = _hang_bac(date(2018, 3, 21), proposed={HANG_BAC: 1})
    (task_19,) = [i for i in reminded.items if i.task.number == 19]
    assert reminded.news and task_19.working_days_left == 7
    assert task_19.quota is not None and not task_19.quota.short


def test_without_a_quota_task_the_quota_stands_on_its_own() -> None:
    digest = _hang_bac(date(2018, 3, 20), quota_day=True, quota_task_number=None)
    assert digest.news
    assert [(unit, standing.proposed) for unit, standing in digest.quotas] == [(HANG_BAC, 0)]


def test_a_long_digest_is_capped_with_the_urgent_kept_and_the_rest_counted() -> None:
    tasks = [
        PlanTask(
            n, "I", f"Việc {n}", (UnitRef.of_unit("u"),), (), "x", AbsoluteDue(date(2018, 1, 10))
        )
        for n in range(1, 16)
    ]
    obligations = [Obligation(ObligationKey("p", t.number, "u"), True, t) for t in tasks]
    # Task 15 is due today (urgent); the others are coming within the window.
    found = {
        o.key: [
            Occurrence(
                o.key,
                "once",
                date(2018, 1, 10),
                date(2018, 1, 10) if o.key.task_number == 15 else date(2018, 1, 12),
                None,
            )
        ]
        for o in obligations
    }
    planner = DigestPlanner(CALENDAR, SETTINGS, date(2018, 1, 10))
    digest = digest_of(date(2018, 1, 10), [planner.unit_digest("u", obligations, found, {})])
    assert len(digest.items) == 15
    assert len(digest.shown) == MAX_ITEMS and digest.more == 15 - MAX_ITEMS
    assert digest.shown[0].task.number == 15 and digest.shown[0].urgent


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("07:30", time(7, 30)),
        ("7:30", time(7, 30)),
        ("7h30", time(7, 30)),
        ("14h", time(14, 0)),
        ("8g15", time(8, 15)),
        ("16", time(16, 0)),
        (" 09:05 ", time(9, 5)),
        ("25:00", None),
        ("7:3", None),
        ("7:60", None),
        ("bảy giờ", None),
        ("", None),
        ("07:30:00", None),
    ],
)
def test_a_digest_time_is_read_as_people_type_it(typed: str, read: time | None) -> None:
    assert parse_digest_time(typed) == read


def test_urgent_single_notices_only_for_a_digest_later_than_office_time() -> None:
    assert not wants_urgent_notices(None, SETTINGS)
    assert not wants_urgent_notices(time(7, 30), SETTINGS)
    assert not wants_urgent_notices(SETTINGS.office_time, SETTINGS)
    assert wants_urgent_notices(time(14, 0), SETTINGS)


def test_a_saturday_worked_in_exchange_brings_its_digest() -> None:
    # 31/12/2018 was given off for Saturday 05/01/2019: a task due Monday 07/01/2019 is
    # one working day away on that Saturday, a reminder offset.
    task = PlanTask(1, "I", "Việc", (UnitRef.of_unit("u"),), (), "x", DUE_10_JANUARY)
    obligation = Obligation(ObligationKey("p", 1, "u"), True, task)
    due = date(2019, 1, 7)
    found = {obligation.key: [Occurrence(obligation.key, "once", due, due, None)]}
    saturday = date(2019, 1, 5)
    digest = digest_of(
        saturday,
        [DigestPlanner(CALENDAR, SETTINGS, saturday).unit_digest("u", [obligation], found, {})],
    )
    assert digest.news and _listed(digest) == [(1, "coming", 1)]
    sunday = date(2019, 1, 6)
    planner = DigestPlanner(CALENDAR, SETTINGS, sunday)
    assert not digest_of(sunday, [planner.unit_digest("u", [obligation], found, {})]).news


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_longest_digest_fits_one_telegram_message(locale: str) -> None:
    from zoneinfo import ZoneInfo

    from bot.rendering import Renderer

    longest = sorted(PLAN.tasks, key=lambda task: len(task.content))[-MAX_ITEMS:]
    unit = "phuong-tran-hung-dao"
    obligations = [Obligation(ObligationKey(PLAN.key, t.number, unit), True, t) for t in longest]
    due = date(2018, 9, 21)
    found = {
        o.key: [Occurrence(o.key, "award_presentation@2099-12-31", due, due, None)]
        for o in obligations
    }
    planner = DigestPlanner(CALENDAR, SETTINGS, due, quota=1, quota_task_number=19)
    digest = digest_of(due, [planner.unit_digest(unit, obligations, found, {})] * 2)
    assert len(digest.shown) == MAX_ITEMS and digest.more == MAX_ITEMS

    text = Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh")).render(
        locale,
        "notices/digest",
        digest=digest,
        unit_name=lambda key: "Phường Trần Hưng Đạo",
        many_units=True,
        max_overdue=5,
    )
    assert len(text) < 4096 and text.rstrip().endswith(("/gionhan.", "/digest."))
