import unicodedata
from dataclasses import replace
from datetime import date

import pytest

from core.matching import Candidate, FuzzyMatcher, MatchResult, UnitFinder, written_as_named
from core.text import fold

# Quận Hoàn Kiếm's 18 wards in 2018, in the plan's order.
HOAN_KIEM_WARDS = (
    "Phúc Tân",
    "Đồng Xuân",
    "Hàng Mã",
    "Hàng Buồm",
    "Hàng Đào",
    "Hàng Bồ",
    "Cửa Đông",
    "Lý Thái Tổ",
    "Hàng Bạc",
    "Hàng Gai",
    "Chương Dương",
    "Hàng Trống",
    "Cửa Nam",
    "Hàng Bông",
    "Tràng Tiền",
    "Trần Hưng Đạo",
    "Phan Chu Trinh",
    "Hàng Bài",
)


def ward(name: str) -> Candidate:
    return Candidate(key=fold(name).replace(" ", "-"), name=f"Phường {name}")


@pytest.fixture(scope="module")
def wards() -> FuzzyMatcher:
    return FuzzyMatcher(ward(name) for name in HOAN_KIEM_WARDS)


def names(result: MatchResult) -> list[str]:
    return [scored.candidate.name for scored in result.candidates]


@pytest.mark.parametrize(
    "typed",
    [
        "hang bac",
        "P. Hàng Bạc",
        "phuong hang bac",
        "Phường Hàng Bạc",
        "Hàng Bac",
        "HANG BAC",
        "p hang bac",
        "p.hang bac",
        unicodedata.normalize("NFD", "hàng bạc"),
        "Ha\u0300ng Ba\u0323c",
        "UBND phường Hàng Bạc",
        "  hàng   bạc  ",
    ],
)
def test_ward_typed_any_usual_way_resolves_exactly_to_hang_bac(
    wards: FuzzyMatcher, typed: str
) -> None:
    result = wards.match(typed)
    assert result.kind == "exact"
    assert result.best == ward("Hàng Bạc")
    assert result.candidates[0].candidate == ward("Hàng Bạc")
    assert result.candidates[0].score == 100.0


def test_ward_typed_with_k_for_c_resolves_to_hang_bac_ahead_of_hang_bai(
    wards: FuzzyMatcher,
) -> None:
    result = wards.match("hang bak")
    assert result.kind == "confident"
    assert result.best == ward("Hàng Bạc")
    assert names(result)[:2] == ["Phường Hàng Bạc", "Phường Hàng Bài"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("hang bacc", "Hàng Bạc"),
        ("Hang Bongg", "Hàng Bông"),
        ("li thai to", "Lý Thái Tổ"),
        ("chang tien", "Tràng Tiền"),
        ("hàng bạc phường", "Hàng Bạc"),
        ("hanh bac", "Hàng Bạc"),
        ("hg bac", "Hàng Bạc"),
        ("sua nam", "Cửa Nam"),
    ],
)
def test_near_misses_rank_the_meant_ward_first(wards: FuzzyMatcher, typed: str, meant: str) -> None:
    result = wards.match(typed)
    assert result.kind in ("confident", "ambiguous")
    assert result.candidates[0].candidate == ward(meant)
    assert result.best in (None, ward(meant))


@pytest.mark.parametrize(
    ("typed", "meant", "near"),
    [
        ("hang bai", "Hàng Bài", "Hàng Bạc"),
        ("hang bac", "Hàng Bạc", "Hàng Bài"),
        ("hang bo", "Hàng Bồ", "Hàng Bông"),
        ("hang bong", "Hàng Bông", "Hàng Bồ"),
        ("hang bo", "Hàng Bồ", "Hàng Buồm"),
        ("cua nam", "Cửa Nam", "Cửa Đông"),
        ("hang trong", "Hàng Trống", "Hàng Bông"),
        ("hang dao", "Hàng Đào", "Trần Hưng Đạo"),
    ],
)
def test_exact_folded_name_wins_outright_over_a_similar_ward(
    wards: FuzzyMatcher, typed: str, meant: str, near: str
) -> None:
    result = wards.match(typed)
    assert result.kind == "exact"
    assert result.best == ward(meant)
    scores = {s.candidate: s.score for s in result.candidates}
    assert scores[ward(meant)] == 100.0
    assert scores.get(ward(near), 0.0) < 100.0


@pytest.mark.parametrize("typed", ["hang", "Hàng", "phường hàng"])
def test_hang_alone_is_ambiguous_among_the_hang_wards(wards: FuzzyMatcher, typed: str) -> None:
    result = wards.match(typed)
    assert result.kind == "ambiguous"
    assert result.best is None
    assert len(result.candidates) == 5
    assert all(name.startswith("Phường Hàng ") for name in names(result))


@pytest.mark.parametrize(
    ("typed", "both"),
    [
        ("hang ba", {"Phường Hàng Bạc", "Phường Hàng Bài"}),
        ("hang bat", {"Phường Hàng Bạc", "Phường Hàng Bài"}),
        ("cua", {"Phường Cửa Đông", "Phường Cửa Nam"}),
        ("tran", {"Phường Tràng Tiền", "Phường Trần Hưng Đạo"}),
    ],
)
def test_text_that_fits_two_wards_equally_is_ambiguous(
    wards: FuzzyMatcher, typed: str, both: set[str]
) -> None:
    result = wards.match(typed)
    assert result.kind == "ambiguous"
    assert result.best is None
    assert set(names(result)[:2]) == both


@pytest.mark.parametrize(("typed", "meant"), [("bac", "Hàng Bạc"), ("xuan", "Đồng Xuân")])
def test_a_word_found_in_one_ward_only_is_confident(
    wards: FuzzyMatcher, typed: str, meant: str
) -> None:
    result = wards.match(typed)
    assert result.kind == "confident"
    assert result.best == ward(meant)


@pytest.mark.parametrize("typed", ["xyz qwerty", "", "   ", "...", "p", "phuong", "q hoan kiem"])
def test_unrelated_or_empty_text_matches_nothing(wards: FuzzyMatcher, typed: str) -> None:
    result = wards.match(typed)
    assert result.kind == "none"
    assert result.best is None
    assert result.candidates == []


def test_limit_caps_the_ranked_candidates(wards: FuzzyMatcher) -> None:
    assert len(wards.match("hang", limit=3).candidates) == 3
    with pytest.raises(ValueError, match="limit"):
        wards.match("hang", limit=0)


def test_all_nine_hang_wards_rank_ahead_of_the_others(wards: FuzzyMatcher) -> None:
    hang_wards = sorted(f"Phường {n}" for n in HOAN_KIEM_WARDS if n.startswith("Hàng "))
    ranked = names(wards.match("hang", limit=20))
    assert len(hang_wards) == 9
    assert sorted(ranked[:9]) == hang_wards
    assert not any(name in hang_wards for name in ranked[9:])


def test_ranked_scores_never_increase(wards: FuzzyMatcher) -> None:
    scores = [s.score for s in wards.match("hang bak", limit=20).candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(65.0 <= s <= 100.0 for s in scores)


def test_an_alias_matches_its_candidate() -> None:
    office = Candidate("noi-vu", "Phòng Nội vụ", aliases=("Cơ quan thường trực", "PNV"))
    finance = Candidate("tai-chinh", "Phòng Tài chính - Kế hoạch")
    matcher = FuzzyMatcher([office, finance])
    assert matcher.match("co quan thuong truc").best == office
    assert matcher.match("pnv").best == office
    assert matcher.match("noi vu").best == office
    assert matcher.match("tai chinh ke hoach").best == finance


def test_the_same_folded_name_twice_is_ambiguous_not_exact() -> None:
    ward_hang_bac = Candidate("p-hang-bac", "Phường Hàng Bạc")
    street_hang_bac = Candidate("pho-hang-bac", "Hàng Bạc")
    result = FuzzyMatcher([ward_hang_bac, street_hang_bac]).match("hang bac")
    assert result.kind == "ambiguous"
    assert result.best is None
    assert {s.candidate for s in result.candidates} == {ward_hang_bac, street_hang_bac}
    assert all(s.score == 100.0 for s in result.candidates)


def test_a_name_made_of_generic_words_still_matches_in_full() -> None:
    xa_dan = Candidate("xa-dan", "Phường Xã Đàn")
    matcher = FuzzyMatcher([xa_dan, Candidate("dong-da", "Quận Đống Đa")])
    assert matcher.match("xa dan").best == xa_dan
    assert matcher.match("Phường Xã Đàn").best == xa_dan


def test_strip_words_can_be_chosen() -> None:
    school = Candidate("tran-phu", "Trường THCS Trần Phú")
    plain = FuzzyMatcher([school])
    schools = FuzzyMatcher([school], strip_words=("Trường", "THCS", "THPT"))
    assert plain.match("tran phu").kind != "exact"
    assert schools.match("tran phu").kind == "exact"
    assert schools.match("thpt tran phu").kind == "exact"


def test_candidate_keys_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        FuzzyMatcher([Candidate("a", "Hàng Bạc"), Candidate("a", "Hàng Bài")])


# --- units of a day ---------------------------------------------------------------------------


def _finder() -> UnitFinder:
    from bot.plans import DEMO_PLAN, read_plan_file

    return UnitFinder(read_plan_file(DEMO_PLAN).organisation)


@pytest.mark.parametrize(
    ("typed", "day", "key"),
    [
        ("Cửa Nam", date(2018, 5, 9), "phuong-cua-nam"),
        ("cua nam", date(2025, 6, 30), "phuong-cua-nam"),
        ("Cửa Nam", date(2025, 7, 1), "phuong-cua-nam-2025"),
        ("p cua nam", date(2026, 11, 19), "phuong-cua-nam-2025"),
    ],
)
def test_a_name_two_units_bore_matches_the_one_of_the_day(typed: str, day: date, key: str) -> None:
    found = _finder().find(typed, day)
    assert found.result.kind == "exact" and found.result.best is not None
    assert found.result.best.key == key
    assert found.ended is None


@pytest.mark.parametrize("typed", ["hang bac", "Phường Hàng Bạc", "hang bak"])
def test_an_abolished_ward_is_recognised_with_its_successor_never_chosen(typed: str) -> None:
    found = _finder().find(typed, date(2026, 11, 19))
    assert found.result.best is None
    assert found.ended is not None and found.ended.key == "phuong-hang-bac"
    assert [(t.name, t.share.value) for t in found.taken_over] == [("Phường Hoàn Kiếm", "whole")]
    assert found.taken_over[0].unit is not None


def test_units_of_a_day_without_any_are_none_not_every_unit() -> None:
    finder = _finder()
    assert finder.units_on(date(1990, 1, 1)) != ()  # the district's units have no start
    organisation = finder.organisation
    assert organisation is not None
    gone = UnitFinder(
        replace(organisation, units=tuple(u for u in organisation.units if u.successors))
    )
    assert gone.units_on(date(2026, 1, 1)) == ()
    assert gone.find("hang bac", date(2026, 1, 1)).result.candidates == []


# --- Telex and VNI leftovers, the address after the name (issue 15) ---------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Hangf Bacj", "Hàng Bạc"),
        ("hangf bacj", "Hàng Bạc"),
        ("Ha2ng Ba5c", "Hàng Bạc"),
        ("p. Ha2ng Ba5c", "Hàng Bạc"),
        ("Hang Boong", "Hàng Bông"),
        ("Cuwar Ddoong", "Cửa Đông"),
        ("Tra2ng Tie62n", "Tràng Tiền"),
    ],
)
def test_telex_and_vni_leftovers_match_the_ward_exactly(
    wards: FuzzyMatcher, typed: str, meant: str
) -> None:
    result = wards.match(typed)
    assert result.kind == "exact"
    assert result.best == ward(meant)


@pytest.mark.parametrize(
    "typed",
    [
        "Phường Hàng Bạc, quận Hoàn Kiếm",
        "phuong hang bac quan hoan kiem",
        "P. Hàng Bạc, Q. Hoàn Kiếm, Hà Nội",
        "Hàng Bạc, Hoàn Kiếm",
        "Hàng Bạc Hà Nội",
        "Phuwowngf Hangf Bacj, quaajn Hoanf Kieems",
    ],
)
def test_a_ward_with_its_district_matches_the_ward_not_a_department(typed: str) -> None:
    found = _finder().find(typed, date(2020, 5, 5))
    assert found.result.kind == "exact"
    assert found.result.best is not None and found.result.best.key == "phuong-hang-bac"


def test_a_ward_with_its_district_after_the_reform_is_the_abolished_ward() -> None:
    found = _finder().find("Phường Hàng Bạc, quận Hoàn Kiếm", date(2026, 11, 19))
    assert found.result.kind != "exact"
    assert found.ended is not None and found.ended.key == "phuong-hang-bac"
    assert [t.name for t in found.taken_over] == ["Phường Hoàn Kiếm"]


def test_a_department_named_in_full_with_its_district_is_still_the_department() -> None:
    found = _finder().find("Phòng Nội vụ quận Hoàn Kiếm", date(2020, 5, 5))
    assert found.result.kind == "exact"
    assert found.result.best is not None and found.result.best.key.startswith("phong-noi-vu")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("Hàng Bạc", True),
        ("hàng bạc", True),
        ("P. Hàng Bạc", True),
        ("Phường Hàng Bạc", True),
        ("hang bac", False),
        ("Hàng Bac", False),
        ("phuong Hàng Bạc", False),
        ("Hangf Bacj", False),
        ("Ha2ng Ba5c", False),
    ],
)
def test_a_match_on_the_folded_key_is_not_written_as_named(typed: str, written: bool) -> None:
    assert written_as_named(typed, ["Phường Hàng Bạc", "Hàng Bạc", "P. Hàng Bạc"]) is written
