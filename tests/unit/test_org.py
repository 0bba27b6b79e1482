"""The organisation as dated data: units, wards, clusters and campaigns come and go."""

from datetime import date

import pytest

from core.org import (
    Campaign,
    Cluster,
    Council,
    Organisation,
    OrganisationError,
    Unit,
    UnitKind,
    Validity,
)

DISTRICT_ENDS = date(2025, 6, 30)
WARDS_BEGIN = date(2025, 7, 1)


def _ward(key: str, name: str, validity: Validity) -> Unit:
    return Unit(key=key, name=name, kind=UnitKind.WARD, validity=validity)


@pytest.fixture
def organisation() -> Organisation:
    district_era = Validity(valid_to=DISTRICT_ENDS)
    ward_era = Validity(valid_from=WARDS_BEGIN)
    return Organisation(
        council=Council(
            key="hdtdkt-quan-hoan-kiem",
            name="Hội đồng Thi đua - Khen thưởng quận Hoàn Kiếm",
            secretariat_key="phong-noi-vu",
            validity=district_era,
        ),
        units=(
            Unit(
                "phong-noi-vu",
                "Phòng Nội vụ quận Hoàn Kiếm",
                UnitKind.DEPARTMENT,
                aliases=("Phòng Nội vụ",),
                validity=district_era,
            ),
            _ward("phuong-hang-bac", "Phường Hàng Bạc", district_era),
            _ward("phuong-cua-nam", "Phường Cửa Nam", district_era),
            _ward("phuong-hoan-kiem", "Phường Hoàn Kiếm", ward_era),
            Unit("truong-thcs-ngo-si-lien", "Trường THCS Ngô Sĩ Liên", UnitKind.SCHOOL),
        ),
        clusters=(
            Cluster(
                "cum-1",
                "Cụm 1",
                ("phuong-hang-bac", "phuong-cua-nam"),
                chief_key="phuong-hang-bac",
                validity=Validity(date(2018, 1, 1), date(2018, 12, 31)),
            ),
            Cluster("cum-2", "Cụm 2", ("phuong-hang-bac", "phong-noi-vu")),
        ),
        campaigns=(
            Campaign(
                "mung-dang-mung-xuan-2018",
                "Phong trào thi đua hướng tới kỷ niệm 88 năm ngày thành lập Đảng",
                "party-anniversary-tet",
                "Mừng Đảng, mừng Xuân.",
                Validity(date(2017, 12, 15), date(2018, 2, 20)),
            ),
            Campaign(
                "an-toan-thuc-pham-2018",
                "Thi đua “An toàn thực phẩm”",
                "food-safety",
                "Nâng cao nhận thức về an toàn thực phẩm.",
                Validity(date(2018, 1, 1), date(2018, 12, 31)),
            ),
        ),
    )


def test_validity_includes_both_ends() -> None:
    validity = Validity(date(2018, 1, 1), date(2018, 12, 31))
    assert validity.contains(date(2018, 1, 1))
    assert validity.contains(date(2018, 12, 31))
    assert not validity.contains(date(2017, 12, 31))
    assert not validity.contains(date(2019, 1, 1))


def test_validity_with_an_open_end_has_no_limit_on_that_side() -> None:
    assert Validity().contains(date(1961, 5, 31))
    assert Validity(valid_to=DISTRICT_ENDS).contains(date(1990, 1, 1))
    assert not Validity(valid_to=DISTRICT_ENDS).contains(WARDS_BEGIN)
    assert Validity(valid_from=WARDS_BEGIN).contains(date(2100, 1, 1))
    assert not Validity(valid_from=WARDS_BEGIN).contains(DISTRICT_ENDS)


def test_validity_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(OrganisationError, match="2018-12-31"):
        Validity(date(2018, 12, 31), date(2018, 1, 1))


def test_validity_of_a_single_day_is_allowed() -> None:
    assert Validity(date(2018, 2, 3), date(2018, 2, 3)).contains(date(2018, 2, 3))


def test_district_and_ward_eras_do_not_overlap_but_touching_days_do() -> None:
    district_era = Validity(valid_to=DISTRICT_ENDS)
    ward_era = Validity(valid_from=WARDS_BEGIN)
    assert not district_era.overlaps(ward_era)
    assert not ward_era.overlaps(district_era)
    assert district_era.overlaps(Validity(DISTRICT_ENDS, DISTRICT_ENDS))
    assert Validity().overlaps(ward_era)


def test_unit_without_dates_is_always_active() -> None:
    unit = Unit("phong-kinh-te", "Phòng Kinh tế quận Hoàn Kiếm", UnitKind.DEPARTMENT)
    assert unit.validity == Validity()
    assert unit.aliases == ()
    assert unit.parent_key is None
    assert unit.active_on(date(2030, 1, 1))


def test_unit_kinds_keep_their_stored_values() -> None:
    assert [kind.value for kind in UnitKind] == [
        "council",
        "department",
        "ward",
        "school",
        "enterprise",
        "organisation",
        "other",
        "residential_group",
        "police",
    ]
    assert UnitKind("ward") is UnitKind.WARD


def test_find_unit_returns_the_unit_or_none_whatever_its_dates(
    organisation: Organisation,
) -> None:
    found = organisation.find_unit("phuong-hang-bac")
    assert found is not None
    assert found.name == "Phường Hàng Bạc"
    assert organisation.find_unit("phuong-hoan-kiem") is not None
    assert organisation.find_unit("phuong-khong-co") is None


def test_district_wards_are_listed_in_2018_and_the_new_ward_after_july_2025(
    organisation: Organisation,
) -> None:
    in_2018 = [unit.name for unit in organisation.wards(date(2018, 5, 1))]
    assert in_2018 == ["Phường Hàng Bạc", "Phường Cửa Nam"]
    after_reform = [unit.name for unit in organisation.wards(WARDS_BEGIN)]
    assert after_reform == ["Phường Hoàn Kiếm"]


def test_active_units_drop_units_that_have_ended(organisation: Organisation) -> None:
    keys_2018 = [unit.key for unit in organisation.active_units(date(2018, 5, 1))]
    assert keys_2018 == [
        "phong-noi-vu",
        "phuong-hang-bac",
        "phuong-cua-nam",
        "truong-thcs-ngo-si-lien",
    ]
    # The district's council ended on 30/06/2025: no unit is under it after that day, though
    # the file lists the units that exist then (the ward that took over its area).
    assert organisation.active_units(date(2026, 1, 1)) == ()
    keys_2026 = [unit.key for unit in organisation.units_on(date(2026, 1, 1))]
    assert keys_2026 == ["phuong-hoan-kiem", "truong-thcs-ngo-si-lien"]


def test_active_campaigns_follow_their_dates(organisation: Organisation) -> None:
    at_tet = [campaign.key for campaign in organisation.active_campaigns(date(2018, 2, 16))]
    assert at_tet == ["mung-dang-mung-xuan-2018", "an-toan-thuc-pham-2018"]
    after_tet = [campaign.key for campaign in organisation.active_campaigns(date(2018, 2, 21))]
    assert after_tet == ["an-toan-thuc-pham-2018"]
    assert organisation.active_campaigns(date(2019, 1, 1)) == ()


def test_clusters_of_a_unit_can_be_limited_to_a_day(organisation: Organisation) -> None:
    assert [c.key for c in organisation.clusters_of("phuong-hang-bac")] == ["cum-1", "cum-2"]
    on_2019 = organisation.clusters_of("phuong-hang-bac", on=date(2019, 3, 1))
    assert [c.key for c in on_2019] == ["cum-2"]
    assert organisation.clusters_of("phuong-hoan-kiem") == ()


def test_find_cluster_and_campaign_by_key(organisation: Organisation) -> None:
    cluster = organisation.find_cluster("cum-1")
    assert cluster is not None
    assert cluster.chief_key == "phuong-hang-bac"
    assert organisation.find_cluster("cum-9") is None
    campaign = organisation.find_campaign("an-toan-thuc-pham-2018")
    assert campaign is not None
    assert campaign.theme == "food-safety"
    assert organisation.find_campaign("khong-co") is None


@pytest.mark.parametrize(
    ("units", "clusters", "campaigns", "what"),
    [
        (
            (
                Unit("phuong-hang-bac", "Phường Hàng Bạc", UnitKind.WARD),
                Unit("phuong-hang-bac", "Phường Hàng Bạc (bản sao)", UnitKind.WARD),
            ),
            (),
            (),
            "unit",
        ),
        ((), (Cluster("cum-1", "Cụm 1", ()), Cluster("cum-1", "Cụm một", ())), (), "cluster"),
        (
            (),
            (),
            (Campaign("a", "A", "t", "d"), Campaign("a", "B", "t", "d")),
            "campaign",
        ),
    ],
)
def test_organisation_refuses_two_entries_with_one_key(
    units: tuple[Unit, ...],
    clusters: tuple[Cluster, ...],
    campaigns: tuple[Campaign, ...],
    what: str,
) -> None:
    council = Council("hdtdkt", "Hội đồng", "phong-noi-vu")
    with pytest.raises(OrganisationError, match=f"two {what}s share the key"):
        Organisation(council, units, clusters, campaigns)


def test_organisation_values_are_frozen(organisation: Organisation) -> None:
    unit = organisation.units[0]
    with pytest.raises(AttributeError):
        unit.name = "Phòng khác"  # type: ignore[misc]
