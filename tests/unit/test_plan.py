"""Due rules, unit references, and the checks of a plan document, on synthetic documents."""

import copy
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from core.org import UnitKind
from core.plan import (
    EVENT_AWARD_PRESENTATION,
    EVENT_PLAQUE_MOUNTING,
    AbsoluteDue,
    DueRule,
    DueRuleError,
    Frequency,
    Plan,
    PlanError,
    PlanProblem,
    PlanTask,
    ProblemCode,
    RecurringDue,
    RelativeDue,
    UnitGroup,
    UnitRef,
    UnitRefError,
    load_plan_document,
    parse_due_rule,
)

# --------------------------------------------------------------------------------------------
# Due rules
# --------------------------------------------------------------------------------------------

# Every "Thời gian thực hiện" text of the 2018 appendix, as printed, with its reading.
APPENDIX_DUE_TEXTS: list[tuple[str, DueRule]] = [
    ("Trước ngày 31/12/2017", AbsoluteDue(date(2017, 12, 31), dossier=False)),
    ("Trước ngày 08/01/2017", AbsoluteDue(date(2017, 1, 8), dossier=False)),
    ("Trước ngày 08/01/2018", AbsoluteDue(date(2018, 1, 8), dossier=False)),
    ("Trước ngày 31/01/2017", AbsoluteDue(date(2017, 1, 31), dossier=False)),
    ("Hồ sơ gửi trước ngày 15/3/2018", AbsoluteDue(date(2018, 3, 15), dossier=True)),
    ("Trước ngày 25/3/2018", AbsoluteDue(date(2018, 3, 25), dossier=False)),
    ("Hồ sơ gửi trước ngày 25/4/2017", AbsoluteDue(date(2017, 4, 25), dossier=True)),
    ("Trước ngày 20/5/2018", AbsoluteDue(date(2018, 5, 20), dossier=False)),
    ("Trước ngày 31/5/2018", AbsoluteDue(date(2018, 5, 31), dossier=False)),
    ("Trước ngày 30/6/2018", AbsoluteDue(date(2018, 6, 30), dossier=False)),
    ("Hồ sơ gửi trước ngày 01/7/2018", AbsoluteDue(date(2018, 7, 1), dossier=True)),
    ("Hồ sơ gửi trước ngày 15/8/2018", AbsoluteDue(date(2018, 8, 15), dossier=True)),
    ("Trước ngày 31/8/2018", AbsoluteDue(date(2018, 8, 31), dossier=False)),
    ("Trước ngày 02/11/2018", AbsoluteDue(date(2018, 11, 2), dossier=False)),
    ("Trước ngày 30/11/2018", AbsoluteDue(date(2018, 11, 30), dossier=False)),
    ("Trước ngày 30/12/2018", AbsoluteDue(date(2018, 12, 30), dossier=False)),
    ("Hàng tháng, quý", RecurringDue(Frequency.MONTHLY_QUARTERLY)),
    ("Hàng tháng", RecurringDue(Frequency.MONTHLY)),
    (
        "Hồ sơ gửi trước 90 ngày dự kiến trao tặng",
        RelativeDue(90, EVENT_AWARD_PRESENTATION, dossier=True),
    ),
    (
        "Hồ sơ gửi trước 45 ngày dự kiến gắn biển.",
        RelativeDue(45, EVENT_PLAQUE_MOUNTING, dossier=True),
    ),
    ("Các ngày làm việc trong tuần", RecurringDue(Frequency.WORKING_DAYS)),
]


def _without_diacritics(text: str) -> str:
    """Type the text as people do on a keyboard without Vietnamese input."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


DUE_IDS = [_without_diacritics(text) for text, _ in APPENDIX_DUE_TEXTS]


@pytest.mark.parametrize(("text", "expected"), APPENDIX_DUE_TEXTS, ids=DUE_IDS)
def test_every_appendix_due_text_is_read_as_printed(text: str, expected: DueRule) -> None:
    assert parse_due_rule(text) == expected


@pytest.mark.parametrize(("text", "expected"), APPENDIX_DUE_TEXTS, ids=DUE_IDS)
def test_every_appendix_due_text_is_read_without_diacritics(text: str, expected: DueRule) -> None:
    typed = _without_diacritics(text)
    assert typed.isascii()
    assert parse_due_rule(typed) == expected


@pytest.mark.parametrize(("text", "expected"), APPENDIX_DUE_TEXTS, ids=DUE_IDS)
def test_due_text_is_read_whatever_the_case_spacing_and_trailing_punctuation(
    text: str, expected: DueRule
) -> None:
    messy = "  " + text.upper().replace(" ", "  ") + " ./."
    assert parse_due_rule(messy) == expected


@pytest.mark.parametrize(("text", "expected"), APPENDIX_DUE_TEXTS, ids=DUE_IDS)
def test_due_text_in_decomposed_unicode_is_read(text: str, expected: DueRule) -> None:
    assert parse_due_rule(unicodedata.normalize("NFD", text)) == expected


def test_recurring_texts_accept_a_comma_without_space() -> None:
    assert parse_due_rule("hang thang,quy") == RecurringDue(Frequency.MONTHLY_QUARTERLY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   .",
        "Trước ngày 31/02/2018",
        "Trước ngày 15/13/2018",
        "Sau ngày 31/12/2018",
        "Trước ngày 31/12",
        "Trước ngày 2018-12-31",
        "Hồ sơ gửi trước 90 ngày dự kiến khai mạc",
        "Hồ sơ gửi sau 90 ngày dự kiến trao tặng",
        "Hàng năm",
        "Trong tháng 13",
        "Quý V/2018",
        "Khi cần thiết",
    ],
)
def test_unreadable_due_text_raises_with_the_text(text: str) -> None:
    with pytest.raises(DueRuleError) as raised:
        parse_due_rule(text)
    assert raised.value.text == text
    assert raised.value.reason
    assert repr(text) in str(raised.value)


def test_impossible_calendar_day_is_named_as_the_reason() -> None:
    with pytest.raises(DueRuleError, match="not on the calendar"):
        parse_due_rule("Hồ sơ gửi trước ngày 29/2/2018")


def test_leap_day_is_a_calendar_day() -> None:
    assert parse_due_rule("Trước ngày 29/2/2020") == AbsoluteDue(date(2020, 2, 29))


def test_relative_due_counts_back_without_the_event_day() -> None:
    award = RelativeDue(90, EVENT_AWARD_PRESENTATION, dossier=True)
    assert award.due_for(date(2018, 9, 2)) == date(2018, 6, 4)
    plaque = RelativeDue(45, EVENT_PLAQUE_MOUNTING, dossier=True)
    assert plaque.due_for(date(2018, 10, 10)) == date(2018, 8, 26)
    assert RelativeDue(1, "x").due_for(date(2018, 3, 1)) == date(2018, 2, 28)


def test_relative_due_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="negative"):
        RelativeDue(-1, EVENT_AWARD_PRESENTATION)


# --------------------------------------------------------------------------------------------
# Unit references, tasks and plans built in code
# --------------------------------------------------------------------------------------------


def test_unit_ref_reads_group_names_and_unit_keys() -> None:
    assert UnitRef.parse("ALL_UNITS") == UnitRef.of_group(UnitGroup.ALL_UNITS)
    assert UnitRef.parse(" RELATED_UNITS ") == UnitRef.of_group(UnitGroup.RELATED_UNITS)
    assert UnitRef.parse("phong-noi-vu") == UnitRef.of_unit("phong-noi-vu")


def test_unit_ref_never_mistakes_a_unit_keyed_like_a_group_for_the_group() -> None:
    unit = UnitRef.parse("council")
    group = UnitRef.parse("COUNCIL")
    assert unit != group
    assert unit.unit_key == "council"
    assert not unit.is_group
    assert group.group is UnitGroup.COUNCIL
    assert group.is_group


def test_unit_ref_prints_as_written_in_a_plan_file() -> None:
    assert str(UnitRef.of_group(UnitGroup.ALL_CLUSTERS)) == "ALL_CLUSTERS"
    assert str(UnitRef.of_unit("phong-gd-dt")) == "phong-gd-dt"


@pytest.mark.parametrize("written", ["ALL_WARDS", "Phòng Nội vụ", "all_units", "", "phong_noi_vu"])
def test_unit_ref_refuses_what_is_neither_a_key_nor_a_group(written: str) -> None:
    with pytest.raises(UnitRefError):
        UnitRef.parse(written)


def test_unit_ref_names_exactly_one_thing() -> None:
    with pytest.raises(UnitRefError):
        UnitRef()
    with pytest.raises(UnitRefError):
        UnitRef(unit_key="phong-noi-vu", group=UnitGroup.COUNCIL)


def test_unit_group_values_are_stable() -> None:
    assert {group.name: group.value for group in UnitGroup} == {
        "ALL_UNITS": "all_units",
        "ALL_CLUSTERS": "all_clusters",
        "RELATED_UNITS": "related_units",
        "COUNCIL": "council",
    }


def _task(number: int, quarter: str = "I") -> PlanTask:
    return PlanTask(
        number=number,
        quarter=quarter,
        content="Tổ chức tập huấn công tác thi đua, khen thưởng",
        lead=(UnitRef.of_unit("phong-noi-vu"),),
        coordinating=(UnitRef.of_group(UnitGroup.ALL_UNITS),),
        due_as_written="Trước ngày 20/5/2018",
        due=AbsoluteDue(date(2018, 5, 20)),
    )


def test_task_refuses_an_unknown_quarter() -> None:
    with pytest.raises(PlanError, match="quarter"):
        _task(1, quarter="V")


def test_plan_refuses_two_tasks_with_one_number_and_finds_tasks_by_number() -> None:
    with pytest.raises(PlanError, match="number 8"):
        Plan("p", "54/KH-HĐTĐKT", "Kế hoạch", 2018, date(2017, 12, 15), "c", (_task(8), _task(8)))
    plan = Plan("p", "54/KH-HĐTĐKT", "Kế hoạch", 2018, date(2017, 12, 15), "c", (_task(8),))
    assert plan.find_task(8) == _task(8)
    assert plan.find_task(9) is None


def test_problem_params_cannot_be_changed_after_the_fact_and_problems_hash() -> None:
    params = {"task": "2"}
    problem = PlanProblem("plan.tasks[1].due", "due.before_issue_date", params, "m")
    params["task"] = "3"
    assert problem.params["task"] == "2"
    with pytest.raises(TypeError):
        problem.params["task"] = "4"  # type: ignore[index]
    same = PlanProblem("plan.tasks[1].due", "due.before_issue_date", {"task": "2"}, "m")
    assert problem == same
    assert len({problem, same}) == 1


# --------------------------------------------------------------------------------------------
# Checking a document
# --------------------------------------------------------------------------------------------


def good_document() -> dict[str, Any]:
    """A small plan document with no problem, touching every kind of entry and rule."""
    return {
        "council": {
            "key": "hdtdkt-quan-hoan-kiem",
            "name": "Hội đồng Thi đua - Khen thưởng quận Hoàn Kiếm",
            "secretariat_key": "phong-noi-vu",
            "valid_to": "2025-06-30",
        },
        "units": [
            {
                "key": "phong-noi-vu",
                "name": "Phòng Nội vụ quận Hoàn Kiếm",
                "kind": "department",
                "aliases": ["Phòng Nội vụ", "Nội vụ"],
                "valid_to": date(2025, 6, 30),
                "note": "secretariat",
            },
            {
                "key": "phuong-hang-bac",
                "name": "Phường Hàng Bạc",
                "kind": "ward",
                "aliases": ["Hàng Bạc"],
                "parent_key": "phong-noi-vu",
                "valid_to": "2025-06-30",
            },
            {
                "key": "phuong-hang-dao",
                "name": "Phường Hàng Đào",
                "kind": "ward",
                "aliases": ["Hàng Đào"],
                "valid_to": "2025-06-30",
            },
            {
                "key": "phuong-cua-dong",
                "name": "Phường Cửa Đông",
                "kind": "ward",
                "valid_to": "2025-06-30",
            },
        ],
        "clusters": [
            {
                "key": "cum-1",
                "name": "Cụm thi đua số 1 (minh họa)",
                "source": "illustrative",
                "member_keys": ["phuong-hang-bac", "phuong-hang-dao"],
                "chief_key": "phuong-hang-bac",
                "deputy_key": "phuong-hang-dao",
                "valid_from": "2018-01-01",
                "valid_to": "2018-12-31",
            }
        ],
        "campaigns": [
            {
                "key": "an-toan-thuc-pham-2018",
                "title": "Thi đua “An toàn thực phẩm”",
                "theme": "food-safety",
                "description": "Nâng cao nhận thức về an toàn thực phẩm.",
                "valid_from": "2018-01-01",
                "valid_to": "2018-12-31",
            }
        ],
        "plan": {
            "key": "hoan-kiem-2018",
            "number": "54/KH-HĐTĐKT",
            "title": "Kế hoạch công tác thi đua, khen thưởng năm 2018",
            "year": 2018,
            "issued_on": "2017-12-15",
            "council_key": "hdtdkt-quan-hoan-kiem",
            "award_forms": [
                {
                    "key": "giay-khen-chu-tich-quan",
                    "name": "Giấy khen của Chủ tịch UBND quận",
                    "source": "illustrative",
                    "proposers": ["officer", "secretariat"],
                    "vote": {"required": True, "threshold": 0.8, "quorum": "2/3"},
                    "comment_days": 10,
                    "dossier": [
                        {"key": "to-trinh", "name": "Tờ trình", "generated": True},
                        {"key": "bao-cao-thanh-tich", "name": "Báo cáo thành tích"},
                    ],
                },
                {
                    "key": "khen-dot-xuat",
                    "name": "Giấy khen đột xuất",
                    "proposers": ["secretariat"],
                    "vote": {"required": False},
                    "simplified": True,
                    "dossier": [{"key": "tom-tat-thanh-tich", "name": "Tóm tắt thành tích"}],
                },
            ],
            "tasks": [
                {
                    "number": 1,
                    "quarter": "I",
                    "content": "Tổ chức Hội nghị Tổng kết công tác thi đua, khen thưởng năm 2017.",
                    "lead": ["ALL_UNITS"],
                    "coordinating": ["phong-noi-vu"],
                    "due": "Trước ngày 31/12/2017",
                },
                {
                    "number": 2,
                    "quarter": "II",
                    "content": "Xét khen thưởng tổng kết nhiệm vụ năm học 2017 - 2018",
                    "lead": ["COUNCIL"],
                    "coordinating": ["phong-noi-vu", "phuong-hang-bac"],
                    "due": "Hồ sơ gửi trước ngày 15/3/2018",
                },
                {
                    "number": 3,
                    "quarter": "IV",
                    "content": "Tổ chức tổng kết bình xét thi đua các Cụm thi đua thuộc quận.",
                    "lead": ["ALL_CLUSTERS"],
                    "coordinating": ["RELATED_UNITS"],
                    "due": "Trước ngày 30/12/2018",
                },
                {
                    "number": 4,
                    "quarter": "regular",
                    "content": "Hồ sơ đề nghị gắn biển công trình.",
                    "lead": ["ALL_UNITS"],
                    "due": "Hồ sơ gửi trước 45 ngày dự kiến gắn biển.",
                },
                {
                    "number": 5,
                    "quarter": "regular",
                    "content": "Giới thiệu các tập thể, cá nhân điển hình tiên tiến",
                    "lead": ["phuong-hang-dao"],
                    "coordinating": [],
                    "due": "Hang thang",
                },
            ],
        },
    }


def _found(document: dict[str, Any], **options: Any) -> list[tuple[str, str]]:
    return [
        (problem.location, problem.code)
        for problem in load_plan_document(document, **options).problems
    ]


def test_good_document_has_no_problem_and_builds_everything() -> None:
    loaded = load_plan_document(good_document())
    assert loaded.problems == ()
    assert loaded.ok
    organisation, plan = loaded.organisation, loaded.plan
    assert organisation is not None
    assert plan is not None
    assert organisation.council.secretariat_key == "phong-noi-vu"
    assert [unit.key for unit in organisation.wards(date(2018, 6, 1))] == [
        "phuong-hang-bac",
        "phuong-hang-dao",
        "phuong-cua-dong",
    ]
    assert organisation.units[0].kind is UnitKind.DEPARTMENT
    assert organisation.units[0].aliases == ("Phòng Nội vụ", "Nội vụ")
    assert organisation.units[1].parent_key == "phong-noi-vu"
    assert organisation.clusters[0].chief_key == "phuong-hang-bac"
    assert organisation.campaigns[0].theme == "food-safety"
    assert plan.issued_on == date(2017, 12, 15)
    assert [task.number for task in plan.tasks] == [1, 2, 3, 4, 5]
    assert plan.tasks[1].lead == (UnitRef.of_group(UnitGroup.COUNCIL),)
    assert plan.tasks[1].coordinating == (
        UnitRef.of_unit("phong-noi-vu"),
        UnitRef.of_unit("phuong-hang-bac"),
    )
    assert plan.tasks[1].due == AbsoluteDue(date(2018, 3, 15), dossier=True)
    assert plan.tasks[3].coordinating == ()
    assert plan.tasks[3].due == RelativeDue(45, EVENT_PLAQUE_MOUNTING, dossier=True)
    assert plan.tasks[4].due == RecurringDue(Frequency.MONTHLY)
    assert plan.tasks[4].due_as_written == "Hang thang"


def test_texts_are_stored_in_nfc_whatever_the_keyboard_sent() -> None:
    document = good_document()
    document["units"][1]["name"] = unicodedata.normalize("NFD", "Phường Hàng Bạc")
    organisation = load_plan_document(document).organisation
    assert organisation is not None
    assert organisation.units[1].name == unicodedata.normalize("NFC", "Phường Hàng Bạc")


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path with [index] steps, e.g. "plan.tasks[0].due"."""

    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        steps = path.replace("[", ".").replace("]", "").split(".")
        for step in steps[:-1]:
            target = target[int(step)] if step.isdigit() else target[step]
        last = steps[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        head, _, last = path.rpartition(".")
        target: Any = document
        for step in head.replace("[", ".").replace("]", "").split(".") if head else ():
            target = target[int(step)] if step.isdigit() else target[step]
        del target[last]

    return mutate


def _duplicate_task(document: dict[str, Any]) -> None:
    tasks = document["plan"]["tasks"]
    tasks.append(copy.deepcopy(tasks[0]))


def _duplicate_unit(document: dict[str, Any]) -> None:
    twin = copy.deepcopy(document["units"][3])
    twin["name"] = "Phường Cửa Đông (nhập trùng)"
    document["units"].append(twin)


# Each check, shown to fire on a document that differs from the good one in one place only.
FIRING_CASES: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    (
        "due before the issue date",
        _set("plan.tasks[0].due", "Trước ngày 14/12/2017"),
        [("plan.tasks[0].due", "due.before_issue_date")],
    ),
    (
        "due after the plan year and its tolerance",
        _set("plan.tasks[2].due", "Trước ngày 01/02/2019"),
        [("plan.tasks[2].due", "due.after_plan_year")],
    ),
    (
        "due text that is not a rule",
        _set("plan.tasks[0].due", "Sau ngày 31/12/2017"),
        [("plan.tasks[0].due", "due.unparseable")],
    ),
    (
        "due text that names no day",
        _set("plan.tasks[0].due", "Theo kế hoạch của Thành phố"),
        [("plan.tasks[0].due", "due.undated")],
    ),
    (
        "a year in the task's text that contradicts the plan's",
        _set("plan.tasks[0].content", "Các cụm thi đua ký giao ước thi đua năm 2017"),
        [("plan.tasks[0].content", "task.year_contradicts_plan")],
    ),
    (
        "due day that is not on the calendar",
        _set("plan.tasks[0].due", "Trước ngày 31/11/2018"),
        [("plan.tasks[0].due", "due.unparseable")],
    ),
    (
        "unknown lead unit",
        _set("plan.tasks[4].lead", ["phuong-khong-co"]),
        [("plan.tasks[4].lead[0]", "unit.unknown")],
    ),
    (
        "a unit name written instead of its key",
        _set("plan.tasks[1].coordinating[0]", "Phòng Nội vụ quận"),
        [("plan.tasks[1].coordinating[0]", "unit.unknown")],
    ),
    (
        "unknown group",
        _set("plan.tasks[0].lead", ["ALL_WARDS"]),
        [("plan.tasks[0].lead[0]", "group.unknown")],
    ),
    (
        "unit that no longer exists on the due day",
        _set("units[1].valid_to", "2017-12-31"),
        [
            ("clusters[0].member_keys[0]", "unit.inactive"),
            ("clusters[0].chief_key", "unit.inactive"),
            ("plan.tasks[1].coordinating[1]", "unit.inactive"),
        ],
    ),
    (
        "duplicate task number",
        _duplicate_task,
        [("plan.tasks[5].number", "task.duplicate_number")],
    ),
    ("duplicate unit key", _duplicate_unit, [("units[4].key", "key.duplicate")]),
    (
        "missing task content",
        _delete("plan.tasks[2].content"),
        [("plan.tasks[2].content", "field.missing")],
    ),
    ("missing due text", _set("plan.tasks[2].due", " "), [("plan.tasks[2].due", "field.missing")]),
    ("missing lead", _set("plan.tasks[2].lead", []), [("plan.tasks[2].lead", "field.missing")]),
    ("missing unit name", _delete("units[3].name"), [("units[3].name", "field.missing")]),
    ("missing plan year", _delete("plan.year"), [("plan.year", "field.missing")]),
    ("missing council", _delete("council"), [("council", "field.missing")]),
    ("missing plan", _delete("plan"), [("plan", "field.missing")]),
    (
        "cluster member that is not a unit",
        _set("clusters[0].member_keys[1]", "phuong-khong-co"),
        [
            ("clusters[0].member_keys[1]", "unit.unknown"),
            ("clusters[0].deputy_key", "cluster.chief_not_member"),
        ],
    ),
    (
        "cluster chief that is not a unit",
        _set("clusters[0].chief_key", "phuong-khong-co"),
        [("clusters[0].chief_key", "unit.unknown")],
    ),
    (
        "cluster chief outside the cluster",
        _set("clusters[0].chief_key", "phuong-cua-dong"),
        [("clusters[0].chief_key", "cluster.chief_not_member")],
    ),
    (
        "secretariat that is not a unit",
        _set("council.secretariat_key", "phong-khong-co"),
        [("council.secretariat_key", "unit.unknown")],
    ),
    (
        "parent that is not a unit",
        _set("units[1].parent_key", "ubnd-khong-co"),
        [("units[1].parent_key", "unit.unknown")],
    ),
    (
        "day that is not on the calendar",
        _set("units[3].valid_to", "2018-02-30"),
        [("units[3].valid_to", "date.invalid")],
    ),
    (
        "day in another format",
        _set("units[3].valid_to", "30/06/2025"),
        [("units[3].valid_to", "date.invalid")],
    ),
    (
        "date with a time",
        _set("units[3].valid_to", datetime(2025, 6, 30, 17, 0)),
        [("units[3].valid_to", "date.invalid")],
    ),
    (
        "impossible plan issue date",
        _set("plan.issued_on", "2017-12-32"),
        [("plan.issued_on", "date.invalid")],
    ),
    (
        "validity that ends before it starts",
        _set("units[3].valid_from", "2026-01-01"),
        [("units[3].valid_to", "validity.reversed")],
    ),
    (
        "unknown field",
        _set("plan.tasks[0].coordinatng", []),
        [("plan.tasks[0].coordinatng", "field.unknown")],
    ),
    ("unknown top-level section", _set("wards", []), [("wards", "field.unknown")]),
    (
        "unknown quarter",
        _set("plan.tasks[0].quarter", "V"),
        [("plan.tasks[0].quarter", "field.invalid")],
    ),
    ("unknown unit kind", _set("units[3].kind", "phuong"), [("units[3].kind", "field.invalid")]),
    (
        "key that is not a slug",
        _set("units[3].key", "Phường Cửa Đông"),
        [("units[3].key", "field.invalid")],
    ),
    (
        "task number that is not a number",
        _set("plan.tasks[0].number", "1"),
        [("plan.tasks[0].number", "field.invalid")],
    ),
    (
        "aliases not a list",
        _set("units[2].aliases", "Hàng Đào"),
        [("units[2].aliases", "field.invalid")],
    ),
    (
        "units not a list",
        _set("units", {"phong-noi-vu": {}}),
        [
            ("units", "field.invalid"),
            ("council.secretariat_key", "unit.unknown"),
            ("clusters[0].member_keys[0]", "unit.unknown"),
            ("clusters[0].member_keys[1]", "unit.unknown"),
            ("clusters[0].chief_key", "unit.unknown"),
            ("clusters[0].deputy_key", "unit.unknown"),
            ("plan.tasks[0].coordinating[0]", "unit.unknown"),
            ("plan.tasks[1].coordinating[0]", "unit.unknown"),
            ("plan.tasks[1].coordinating[1]", "unit.unknown"),
            ("plan.tasks[4].lead[0]", "unit.unknown"),
        ],
    ),
    (
        "alias that another unit already answers to",
        _set("units[2].aliases", ["Hàng Đào", "hàng bạc"]),
        [("units[2].aliases[1]", "unit.ambiguous_name")],
    ),
    (
        "plan for another council",
        _set("plan.council_key", "hdtdkt-phuong-hoan-kiem"),
        [("plan.council_key", "council.unknown")],
    ),
    (
        "council that had ended before the plan",
        _set("council.valid_to", "2017-06-30"),
        [("plan.council_key", "council.inactive")],
    ),
    (
        "plan issued after its year",
        _set("plan.issued_on", "2019-01-05"),
        [
            ("plan.issued_on", "plan.issued_after_year"),
            # Measured against the stated issue date, the dated tasks now precede it too.
            ("plan.tasks[0].due", "due.before_issue_date"),
            ("plan.tasks[1].due", "due.before_issue_date"),
            ("plan.tasks[2].due", "due.before_issue_date"),
        ],
    ),
    (
        "successors of a unit that has not ended",
        _set(
            "units[3]",
            {
                "key": "phuong-cua-dong",
                "name": "Phường Cửa Đông",
                "kind": "ward",
                "successors": [{"name": "Phường Ba Đình", "share": "part"}],
            },
        ),
        [("units[3].successors", "successor.without_end")],
    ),
    (
        "successor that does not exist the day after the unit ended",
        _set("units[1].successors", [{"key": "phuong-hang-dao", "share": "part"}]),
        [("units[1].successors[0].key", "successor.not_after")],
    ),
    (
        "successor that is no unit of the file",
        _set("units[1].successors", [{"key": "phuong-hoan-kiem"}]),
        [("units[1].successors[0].key", "unit.unknown")],
    ),
    (
        "successor share that is neither whole nor part",
        _set("units[1].successors", [{"name": "Phường Hoàn Kiếm", "share": "half"}]),
        [("units[1].successors[0].share", "field.invalid")],
    ),
    (
        "vote threshold above all the members",
        _set("plan.award_forms[0].vote.threshold", 1.2),
        [("plan.award_forms[0].vote.threshold", "award.share_out_of_range")],
    ),
    (
        "council vote that says no threshold",
        _delete("plan.award_forms[0].vote.threshold"),
        [("plan.award_forms[0].vote.threshold", "award.vote_without_threshold")],
    ),
    (
        "award form whose dossier lists no document",
        _set("plan.award_forms[1].dossier", []),
        [("plan.award_forms[1].dossier", "award.dossier_empty")],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [case[1:] for case in FIRING_CASES],
    ids=[case[0] for case in FIRING_CASES],
)
def test_each_check_reports_exactly_what_is_wrong(
    mutate: Mutation, expected: list[tuple[str, str]]
) -> None:
    document = good_document()
    mutate(document)
    assert _found(document) == expected


def test_every_problem_code_is_shown_to_fire() -> None:
    fired = {code for case in FIRING_CASES for _, code in case[2]}
    assert fired == {code.value for code in ProblemCode}


def test_due_on_the_issue_date_and_late_january_of_next_year_are_accepted() -> None:
    document = good_document()
    document["plan"]["tasks"][0]["due"] = "Trước ngày 15/12/2017"
    document["plan"]["tasks"][2]["due"] = "Trước ngày 31/01/2019"
    assert _found(document) == []


def test_the_late_tolerance_can_be_narrowed() -> None:
    document = good_document()
    document["plan"]["tasks"][2]["due"] = "Trước ngày 31/01/2019"
    assert _found(document, late_tolerance=timedelta(0)) == [
        ("plan.tasks[2].due", "due.after_plan_year")
    ]


def test_impossible_due_is_reported_with_params_and_the_task_is_kept_without_a_rule() -> None:
    document = good_document()
    document["plan"]["tasks"][0]["due"] = "Trước ngày 08/01/2017"
    loaded = load_plan_document(document)
    (problem,) = loaded.problems
    assert problem.code == ProblemCode.DUE_BEFORE_ISSUE_DATE
    assert dict(problem.params) == {
        "task": "1",
        "text": "Trước ngày 08/01/2017",
        "day": "2017-01-08",
        "issued_on": "2017-12-15",
    }
    assert "2017-12-15" in problem.message
    assert loaded.plan is not None
    task = loaded.plan.tasks[0]
    assert task.due is None
    assert task.due_as_written == "Trước ngày 08/01/2017"


def test_unparseable_due_keeps_the_task_and_its_text() -> None:
    document = good_document()
    document["plan"]["tasks"][0]["due"] = "Khi cần thiết"
    loaded = load_plan_document(document)
    assert loaded.plan is not None
    assert loaded.plan.tasks[0].due is None
    assert loaded.plan.tasks[0].due_as_written == "Khi cần thiết"
    assert loaded.problems[0].params["text"] == "Khi cần thiết"


def test_unit_active_on_the_due_day_is_accepted_even_if_it_ends_soon_after() -> None:
    document = good_document()
    document["units"][1]["valid_to"] = "2018-03-15"
    document["clusters"][0]["valid_to"] = "2018-03-15"
    assert _found(document) == []


def test_unknown_unit_is_dropped_from_the_task_and_the_rest_is_kept() -> None:
    document = good_document()
    document["plan"]["tasks"][1]["coordinating"] = ["phong-khong-co", "phong-noi-vu"]
    loaded = load_plan_document(document)
    assert [(p.location, p.code) for p in loaded.problems] == [
        ("plan.tasks[1].coordinating[0]", "unit.unknown")
    ]
    assert loaded.plan is not None
    assert loaded.plan.tasks[1].coordinating == (UnitRef.of_unit("phong-noi-vu"),)


def test_task_with_a_missing_field_is_left_out_and_the_others_are_loaded() -> None:
    document = good_document()
    del document["plan"]["tasks"][2]["quarter"]
    loaded = load_plan_document(document)
    assert loaded.plan is not None
    assert [task.number for task in loaded.plan.tasks] == [1, 2, 4, 5]


def test_second_task_with_a_number_is_left_out() -> None:
    document = good_document()
    twin = copy.deepcopy(document["plan"]["tasks"][0])
    twin["content"] = "Nhập trùng"
    document["plan"]["tasks"].append(twin)
    loaded = load_plan_document(document)
    assert loaded.plan is not None
    assert loaded.plan.find_task(1) is not None
    assert loaded.plan.find_task(1).content != "Nhập trùng"  # type: ignore[union-attr]
    assert len(loaded.plan.tasks) == 5


def test_broken_plan_header_gives_no_plan_but_its_tasks_are_still_checked() -> None:
    document = good_document()
    del document["plan"]["number"]
    document["plan"]["tasks"][0]["due"] = "Trước ngày 08/01/2017"
    loaded = load_plan_document(document)
    assert loaded.plan is None
    assert loaded.organisation is not None
    assert _found(document) == [
        ("plan.number", "field.missing"),
        ("plan.tasks[0].due", "due.before_issue_date"),
    ]


def test_missing_council_gives_no_organisation_but_a_plan() -> None:
    document = good_document()
    del document["council"]
    loaded = load_plan_document(document)
    assert loaded.organisation is None
    assert loaded.plan is not None


def test_unit_with_an_impossible_day_is_left_out_and_references_to_it_are_reported() -> None:
    document = good_document()
    document["units"][2]["valid_to"] = "2025-02-29"
    loaded = load_plan_document(document)
    assert loaded.organisation is not None
    assert loaded.organisation.find_unit("phuong-hang-dao") is None
    assert _found(document) == [
        ("units[2].valid_to", "date.invalid"),
        ("clusters[0].member_keys[1]", "unit.unknown"),
        ("clusters[0].deputy_key", "unit.unknown"),
        ("plan.tasks[4].lead[0]", "unit.unknown"),
    ]
    cluster = loaded.organisation.clusters[0]
    assert cluster.member_keys == ("phuong-hang-bac",)
    assert cluster.deputy_key is None


def test_ambiguous_alias_is_dropped_from_the_later_unit_only() -> None:
    document = good_document()
    document["units"][2]["aliases"] = ["Hàng Đào", "Hàng Bạc"]
    organisation = load_plan_document(document).organisation
    assert organisation is not None
    assert organisation.units[1].aliases == ("Hàng Bạc",)
    assert organisation.units[2].aliases == ("Hàng Đào",)


def test_names_differing_only_in_diacritics_are_not_ambiguous() -> None:
    document = good_document()
    document["units"][2]["aliases"] = ["Hàng Đào", "Hàng Bác"]
    assert _found(document) == []


def test_the_same_name_in_two_eras_is_not_ambiguous() -> None:
    document = good_document()
    document["units"][3]["name"] = "Phường Cửa Nam"
    document["units"].append(
        {
            "key": "phuong-cua-nam-2025",
            "name": "Phường Cửa Nam",
            "kind": "ward",
            "valid_from": "2025-07-01",
        }
    )
    assert _found(document) == []
    document["units"][-1]["valid_from"] = "2025-06-30"
    assert _found(document) == [("units[4].name", "unit.ambiguous_name")]


def test_a_document_that_is_not_a_mapping_is_reported() -> None:
    loaded = load_plan_document(["not", "a", "plan"])  # type: ignore[arg-type]
    assert [(p.location, p.code) for p in loaded.problems] == [("document", "field.invalid")]
    assert loaded.organisation is None
    assert loaded.plan is None


def test_date_objects_from_unquoted_yaml_are_accepted() -> None:
    document = good_document()
    document["plan"]["issued_on"] = date(2017, 12, 15)
    loaded = load_plan_document(document)
    assert loaded.problems == ()
    assert loaded.plan is not None
    assert loaded.plan.issued_on == date(2017, 12, 15)


def test_problem_messages_are_english_and_name_the_location() -> None:
    document = good_document()
    document["plan"]["tasks"][2]["due"] = "Trước ngày 01/02/2019"
    (problem,) = load_plan_document(document).problems
    assert problem.message.startswith("plan.tasks[2].due (task 3):")
    assert "after the plan year 2018" in problem.message
    assert problem.params["latest"] == "2019-01-31"


def test_malformed_optional_field_is_reported_but_keeps_its_entry() -> None:
    document = good_document()
    document["units"][2]["aliases"] = "Hàng Đào"
    document["clusters"][0]["deputy_key"] = "Phường Hàng Đào"
    document["plan"]["tasks"][0]["coordinating"] = "phong-noi-vu"
    loaded = load_plan_document(document)
    assert [(p.location, p.code) for p in loaded.problems] == [
        ("units[2].aliases", "field.invalid"),
        ("clusters[0].deputy_key", "field.invalid"),
        ("plan.tasks[0].coordinating", "field.invalid"),
    ]
    assert loaded.organisation is not None
    assert loaded.organisation.units[2].aliases == ()
    assert loaded.organisation.clusters[0].deputy_key is None
    assert loaded.plan is not None
    assert loaded.plan.tasks[0].coordinating == ()
