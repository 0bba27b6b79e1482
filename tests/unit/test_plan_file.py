"""The 2018 plan of the Hoàn Kiếm council, as encoded in storage/plans/hoan-kiem-2018.yaml."""

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.org import Organisation, UnitKind
from core.plan import (
    EVENT_AWARD_PRESENTATION,
    EVENT_PLAQUE_MOUNTING,
    AbsoluteDue,
    Frequency,
    Plan,
    PlanDocument,
    RecurringDue,
    RelativeDue,
    UnitGroup,
    UnitRef,
    load_plan_document,
)

PLAN_FILE = Path(__file__).resolve().parents[2] / "storage" / "plans" / "hoan-kiem-2018.yaml"

WARDS_2018 = [
    "Phường Phúc Tân",
    "Phường Đồng Xuân",
    "Phường Hàng Mã",
    "Phường Hàng Buồm",
    "Phường Hàng Đào",
    "Phường Hàng Bồ",
    "Phường Cửa Đông",
    "Phường Lý Thái Tổ",
    "Phường Hàng Bạc",
    "Phường Hàng Gai",
    "Phường Chương Dương",
    "Phường Hàng Trống",
    "Phường Cửa Nam",
    "Phường Hàng Bông",
    "Phường Tràng Tiền",
    "Phường Trần Hưng Đạo",
    "Phường Phan Chu Trinh",
    "Phường Hàng Bài",
]

ALL_UNITS = UnitRef.of_group(UnitGroup.ALL_UNITS)
ALL_CLUSTERS = UnitRef.of_group(UnitGroup.ALL_CLUSTERS)
RELATED_UNITS = UnitRef.of_group(UnitGroup.RELATED_UNITS)
COUNCIL = UnitRef.of_group(UnitGroup.COUNCIL)
NOI_VU = UnitRef.of_unit("phong-noi-vu")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with PLAN_FILE.open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def document(raw: dict[str, Any]) -> PlanDocument:
    return load_plan_document(raw)


@pytest.fixture(scope="module")
def organisation(document: PlanDocument) -> Organisation:
    assert document.organisation is not None
    return document.organisation


@pytest.fixture(scope="module")
def plan(document: PlanDocument) -> Plan:
    assert document.plan is not None
    return document.plan


def test_plan_file_is_utf8_in_nfc() -> None:
    text = PLAN_FILE.read_bytes().decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_the_only_problems_are_the_impossible_dates_and_task_4s_year(
    document: PlanDocument,
) -> None:
    found = [
        (problem.location, problem.code, dict(problem.params)) for problem in document.problems
    ]
    assert found == [
        (
            "plan.tasks[1].due",
            "due.before_issue_date",
            {
                "task": "2",
                "text": "Trước ngày 08/01/2017",
                "day": "2017-01-08",
                "issued_on": "2017-12-15",
            },
        ),
        (
            # "Các cụm thi đua ký cam kết giao ước thi đua năm 2017": a pact for a past year.
            "plan.tasks[3].content",
            "task.year_contradicts_plan",
            {"task": "4", "year": "2017", "plan_year": "2018"},
        ),
        (
            "plan.tasks[3].due",
            "due.before_issue_date",
            {
                "task": "4",
                "text": "Trước ngày 31/01/2017",
                "day": "2017-01-31",
                "issued_on": "2017-12-15",
            },
        ),
        (
            "plan.tasks[6].due",
            "due.before_issue_date",
            {
                "task": "7",
                "text": "Hồ sơ gửi trước ngày 25/4/2017",
                "day": "2017-04-25",
                "issued_on": "2017-12-15",
            },
        ),
    ]


def test_plan_header_matches_the_document(plan: Plan, organisation: Organisation) -> None:
    assert plan.key == "hoan-kiem-2018"
    assert plan.number == "54/KH-HĐTĐKT"
    assert plan.title == "Kế hoạch công tác thi đua, khen thưởng năm 2018"
    assert plan.year == 2018
    assert plan.issued_on == date(2017, 12, 15)
    assert plan.council_key == organisation.council.key


def test_council_is_the_district_council_until_the_district_ended(
    organisation: Organisation,
) -> None:
    council = organisation.council
    assert council.name == "Hội đồng Thi đua - Khen thưởng quận Hoàn Kiếm"
    assert council.active_on(date(2017, 12, 15))
    assert council.active_on(date(2025, 6, 30))
    assert not council.active_on(date(2025, 7, 1))
    secretariat = organisation.find_unit(council.secretariat_key)
    assert secretariat is not None
    assert secretariat.name == "Phòng Nội vụ quận Hoàn Kiếm"
    assert "Phòng Nội vụ" in secretariat.aliases


def test_the_18_wards_of_2018_have_their_exact_names(organisation: Organisation) -> None:
    wards = organisation.wards(date(2018, 6, 1))
    assert [ward.name for ward in wards] == WARDS_2018
    assert all(ward.kind is UnitKind.WARD for ward in wards)
    assert all(ward.key.isascii() and ward.key.startswith("phuong-") for ward in wards)
    hang_bac = organisation.find_unit("phuong-hang-bac")
    assert hang_bac is not None
    assert hang_bac.name == "Phường Hàng Bạc"
    assert "Hàng Bạc" in hang_bac.aliases


def test_no_district_ward_remains_after_the_reform(organisation: Organisation) -> None:
    assert len(organisation.wards(date(2025, 6, 30))) == 18
    # Since 01/07/2025 the file lists only the wards that took over the district's area.
    assert [ward.name for ward in organisation.wards(date(2025, 7, 1))] == [
        "Phường Hoàn Kiếm",
        "Phường Cửa Nam",
        "Phường Ba Đình",
        "Phường Hồng Hà",
        "Phường Văn Miếu - Quốc Tử Giám",
    ]
    assert organisation.active_units(date(2025, 7, 1)) == ()  # none is under the district


# Where each old ward went, as ../shared/REFERENCES.md states it ("part": the streets of the
# split are not in the references).
SUCCESSORS_2025 = {
    "Phường Phúc Tân": [("Phường Hồng Hà", "whole")],
    "Phường Đồng Xuân": [("Phường Hoàn Kiếm", "part"), ("Phường Ba Đình", "part")],
    "Phường Hàng Mã": [("Phường Hoàn Kiếm", "whole")],
    "Phường Hàng Buồm": [("Phường Hoàn Kiếm", "whole")],
    "Phường Hàng Đào": [("Phường Hoàn Kiếm", "whole")],
    "Phường Hàng Bồ": [("Phường Hoàn Kiếm", "whole")],
    "Phường Cửa Đông": [("Phường Hoàn Kiếm", "part"), ("Phường Ba Đình", "part")],
    "Phường Lý Thái Tổ": [("Phường Hoàn Kiếm", "whole")],
    "Phường Hàng Bạc": [("Phường Hoàn Kiếm", "whole")],
    "Phường Hàng Gai": [("Phường Hoàn Kiếm", "whole")],
    "Phường Chương Dương": [("Phường Hồng Hà", "whole")],
    "Phường Hàng Trống": [("Phường Hoàn Kiếm", "part"), ("Phường Cửa Nam", "part")],
    "Phường Cửa Nam": [
        ("Phường Hoàn Kiếm", "part"),
        ("Phường Cửa Nam", "part"),
        ("Phường Ba Đình", "part"),
        ("Phường Văn Miếu - Quốc Tử Giám", "part"),
    ],
    "Phường Hàng Bông": [("Phường Hoàn Kiếm", "part"), ("Phường Cửa Nam", "part")],
    "Phường Tràng Tiền": [("Phường Hoàn Kiếm", "part"), ("Phường Cửa Nam", "part")],
    "Phường Trần Hưng Đạo": [("Phường Cửa Nam", "whole")],
    "Phường Phan Chu Trinh": [("Phường Cửa Nam", "whole")],
    "Phường Hàng Bài": [("Phường Cửa Nam", "whole")],
}


def test_each_old_ward_names_where_its_area_went_on_01_07_2025(
    organisation: Organisation,
) -> None:
    day = date(2025, 7, 1)
    found = {
        ward.name: [(taken.name, taken.share.value) for taken in organisation.taken_over(ward, day)]
        for ward in organisation.wards(date(2025, 6, 30))
    }
    assert found == SUCCESSORS_2025
    for ward in organisation.wards(date(2025, 6, 30)):
        assert all(taken.unit is not None for taken in organisation.taken_over(ward, day))


def test_the_districts_departments_name_only_where_their_area_lies_now(
    organisation: Organisation,
) -> None:
    noi_vu = organisation.find_unit("phong-noi-vu")
    assert noi_vu is not None
    taken = organisation.taken_over(noi_vu, date(2026, 1, 1))
    assert {t.name for t in taken} >= {"Phường Hoàn Kiếm", "Phường Cửa Nam", "Phường Ba Đình"}
    assert {(t.share.value, t.basis.value) for t in taken} == {("part", "area")}


def test_departments_named_by_the_plan_answer_to_their_short_forms(
    organisation: Organisation,
) -> None:
    gd_dt = organisation.find_unit("phong-gd-dt")
    assert gd_dt is not None
    assert gd_dt.name == "Phòng Giáo dục và Đào tạo quận Hoàn Kiếm"
    assert "Phòng GD&ĐT" in gd_dt.aliases
    kinh_te = organisation.find_unit("phong-kinh-te")
    assert kinh_te is not None
    assert kinh_te.kind is UnitKind.DEPARTMENT
    assert "Phòng Kinh tế" in kinh_te.aliases


def test_clusters_are_marked_illustrative_and_cover_every_ward(
    raw: dict[str, Any], organisation: Organisation
) -> None:
    assert raw["clusters"]
    assert all(cluster["source"] == "illustrative" for cluster in raw["clusters"])
    assert all("(minh họa)" in cluster.name for cluster in organisation.clusters)
    wards = {ward.key for ward in organisation.wards(date(2018, 6, 1))}
    in_clusters = [key for cluster in organisation.clusters for key in cluster.member_keys]
    assert wards <= set(in_clusters)
    assert len(in_clusters) == len(set(in_clusters))
    assert all(
        cluster.chief_key in cluster.member_keys and cluster.deputy_key in cluster.member_keys
        for cluster in organisation.clusters
    )


def test_campaigns_are_the_movements_of_section_ii_1(organisation: Organisation) -> None:
    campaigns = organisation.campaigns
    assert len(campaigns) == 12
    assert len({campaign.theme for campaign in campaigns}) == 12
    titles = [campaign.title for campaign in campaigns]
    assert "Thi đua “An toàn thực phẩm”" in titles
    assert "Thi đua “Doanh nghiệp Việt Nam hội nhập, phát triển”" in titles
    assert titles[0].startswith("Phong trào thi đua hướng tới kỷ niệm 88 năm")
    assert all(campaign.description.endswith(".") for campaign in campaigns)


def test_anniversary_campaigns_end_with_their_anniversary(organisation: Organisation) -> None:
    def active(day: date) -> set[str]:
        return {campaign.theme for campaign in organisation.active_campaigns(day)}

    assert "party-anniversary-tet" in active(date(2018, 2, 16))
    assert "party-anniversary-tet" not in active(date(2018, 2, 21))
    assert "patriotic-emulation-call-anniversary" in active(date(2018, 6, 11))
    assert "patriotic-emulation-call-anniversary" not in active(date(2018, 6, 12))
    assert "capital-expansion-anniversary" in active(date(2018, 8, 1))
    assert "capital-expansion-anniversary" not in active(date(2018, 8, 2))
    assert len(active(date(2018, 12, 31))) == 9
    assert active(date(2019, 1, 1)) == set()


def test_all_23_tasks_are_loaded_in_their_quarters(plan: Plan) -> None:
    assert [task.number for task in plan.tasks] == list(range(1, 24))
    quarters = {task.number: task.quarter for task in plan.tasks}
    assert [n for n, q in quarters.items() if q == "I"] == [1, 2, 3, 4]
    assert [n for n, q in quarters.items() if q == "II"] == [5, 6, 7, 8, 9]
    assert [n for n, q in quarters.items() if q == "III"] == [10, 11, 12, 13]
    assert [n for n, q in quarters.items() if q == "IV"] == [14, 15, 16]
    assert [n for n, q in quarters.items() if q == "regular"] == list(range(17, 24))


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        (1, AbsoluteDue(date(2017, 12, 31), dossier=False)),
        (3, AbsoluteDue(date(2018, 1, 8), dossier=False)),
        (5, AbsoluteDue(date(2018, 3, 15), dossier=True)),
        (11, AbsoluteDue(date(2018, 7, 1), dossier=True)),
        (16, AbsoluteDue(date(2018, 12, 30), dossier=False)),
        (17, RecurringDue(Frequency.MONTHLY_QUARTERLY)),
        (19, RecurringDue(Frequency.MONTHLY)),
        (20, RelativeDue(90, EVENT_AWARD_PRESENTATION, dossier=True)),
        (21, RelativeDue(45, EVENT_PLAQUE_MOUNTING, dossier=True)),
        (22, RecurringDue(Frequency.WORKING_DAYS)),
        (23, RecurringDue(Frequency.WORKING_DAYS)),
    ],
)
def test_task_due_rules_read_from_the_plan(plan: Plan, number: int, rule: object) -> None:
    task = plan.find_task(number)
    assert task is not None
    assert task.due == rule


@pytest.mark.parametrize(
    ("number", "written"),
    [
        (2, "Trước ngày 08/01/2017"),
        (4, "Trước ngày 31/01/2017"),
        (7, "Hồ sơ gửi trước ngày 25/4/2017"),
    ],
)
def test_impossible_dates_are_kept_as_written_without_a_rule(
    plan: Plan, number: int, written: str
) -> None:
    task = plan.find_task(number)
    assert task is not None
    assert task.due_as_written == written
    assert task.due is None


def test_due_texts_are_kept_exactly_as_printed(plan: Plan) -> None:
    written = {task.number: task.due_as_written for task in plan.tasks}
    assert written[21] == "Hồ sơ gửi trước 45 ngày dự kiến gắn biển."
    assert written[17] == "Hàng tháng, quý"
    assert written[22] == "Các ngày làm việc trong tuần"


@pytest.mark.parametrize(
    ("number", "lead", "coordinating"),
    [
        (1, (ALL_UNITS,), (NOI_VU,)),
        (2, (NOI_VU,), (ALL_UNITS,)),
        (4, (ALL_CLUSTERS,), (NOI_VU,)),
        (5, (COUNCIL,), (RELATED_UNITS,)),
        (6, (COUNCIL,), (UnitRef.of_unit("phong-kinh-te"),)),
        (9, (COUNCIL,), (NOI_VU, UnitRef.of_unit("phong-gd-dt"))),
        (18, (COUNCIL,), (RELATED_UNITS,)),
        (21, (ALL_UNITS,), (NOI_VU,)),
    ],
)
def test_task_units_follow_the_plan(
    plan: Plan, number: int, lead: tuple[UnitRef, ...], coordinating: tuple[UnitRef, ...]
) -> None:
    task = plan.find_task(number)
    assert task is not None
    assert task.lead == lead
    assert task.coordinating == coordinating


def test_task_contents_are_verbatim(plan: Plan) -> None:
    contents = {task.number: task.content for task in plan.tasks}
    assert contents[2].endswith("quy định khen thưởng thành tích đột xuất....")
    assert contents[4] == "Các cụm thi đua ký cam kết giao ước thi đua năm 2017"
    assert contents[12] == 'Xét tặng danh hiệu "Công dân Thủ đô ưu tú" năm 2018'
    assert contents[20] == (
        "Xét Hồ sơ đề nghị Thành phố tặng danh hiệu “Công dân Danh dự Thủ đô Hà Nội”."
    )
