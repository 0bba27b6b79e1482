import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from core import search
from core.codes import TrackingCode
from core.search import (
    DEED_EXCERPT_CHARS,
    NominationIndex,
    RankedHit,
    RankedPage,
    SearchEntry,
    shown_page,
    tracking_codes_in,
)

START = datetime(2018, 3, 1, 8, 0, tzinfo=UTC)
WARDS = {
    "hang-bac": "Phường Hàng Bạc",
    "hang-gai": "Phường Hàng Gai",
    "hang-bai": "Phường Hàng Bài",
    "cua-nam": "Phường Cửa Nam",
    "tran-hung-dao": "Phường Trần Hưng Đạo",
}
TARGET_CODE = "NT-ABCD-EFGH"
WALLET = "Trả lại ví tiền 5 triệu đồng cho người đánh rơi ở phố Hàng Ngang"


def entry(
    nomination_id: int,
    name: str,
    unit_key: str = "hang-bac",
    deed: str = "Giúp cụ già qua đường lúc tan tầm",
    *,
    code: str | None = None,
    minutes: int | None = None,
) -> SearchEntry:
    return SearchEntry(
        nomination_id=nomination_id,
        code=code or f"NT-{nomination_id:04d}-0000",
        nominee_name=name,
        unit_key=unit_key,
        unit_name=WARDS[unit_key],
        deed=deed,
        created_at=START + timedelta(minutes=nomination_id if minutes is None else minutes),
    )


def crowd() -> list[SearchEntry]:
    """The case (id 1) among many Nguyễn Văn B* in its ward and Nguyễn Văn Bình elsewhere."""
    entries = [entry(1, "Nguyễn Văn Bình", deed=WALLET, code=TARGET_CODE)]
    next_id = 2
    for given in ("Bích", "Bảo", "Bắc", "Bách", "Biên", "Bổng", "Minh", "Vinh", "Linh"):
        for unit_key in WARDS:
            entries.append(entry(next_id, f"Nguyễn Văn {given}", unit_key))
            next_id += 1
    for unit_key in ("hang-gai", "hang-bai", "cua-nam", "tran-hung-dao"):
        entries.append(entry(next_id, "Nguyễn Văn Bình", unit_key))
        next_id += 1
    for name in ("Trần Văn Bình", "Nguyễn Thị Bình", "Lê Thị Hằng", "Phạm Đức Bình An"):
        entries.append(entry(next_id, name))
        next_id += 1
    return entries


@pytest.fixture
def index() -> NominationIndex:
    return NominationIndex(crowd())


def ids(page: RankedPage) -> list[int]:
    return [hit.nomination_id for hit in page.hits]


def shown(page: RankedPage, entries: list[SearchEntry] | None = None) -> list[SearchEntry]:
    """Return the entries of the page's hits, as the service loads them from the database."""
    by_id = {e.nomination_id: e for e in (crowd() if entries is None else entries)}
    return [by_id[hit.nomination_id] for hit in page.hits]


def by_code(
    index: NominationIndex,
    query: str,
    entries: list[SearchEntry] | None = None,
    unit_keys: frozenset[str] | None = None,
) -> RankedPage:
    """Search as the service does: with the typed codes that the database has, and their ids."""
    stored = {TrackingCode(e.code): e.nomination_id for e in entries or crowd()}
    codes = {code: stored[code] for code in tracking_codes_in(query) if code in stored}
    return index.search(query, unit_keys=unit_keys, codes=codes)


def top(index: NominationIndex, query: str, unit_keys: frozenset[str] | None = None) -> int:
    page = index.search(query, unit_keys=unit_keys)
    assert page.hits, f"nothing found for {query!r}"
    return page.hits[0].nomination_id


@pytest.mark.parametrize(
    "query",
    [
        "nguyen van binh hang bac",
        "hang bac nguyen van binh",
        "nguyen van binh phuong hang bac",
        "nguyen van binh p hang bac",
        "Nguyễn Văn Bình Hàng Bạc",
        "NGUYEN VAN BINH, P. HANG BAC",
    ],
)
def test_name_and_ward_typed_any_way_put_the_case_first(index: NominationIndex, query: str) -> None:
    page = index.search(query)
    assert ids(page)[0] == 1
    assert page.hits[0].score > page.hits[1].score


@pytest.mark.parametrize(
    "query",
    [
        "nguyen van bihn hang bac",  # letters swapped
        "nguyen van binh hang bak",  # spelled as it sounds
        "ngyuen van bin hang bac",  # two slips
        "nguyen vn binh hang bac",  # a letter dropped
        "nguyen van binh hagn bac",  # a slip in the ward
    ],
)
def test_typos_in_name_or_ward_still_put_the_case_first(index: NominationIndex, query: str) -> None:
    assert top(index, query) == 1


def test_given_name_and_ward_alone_find_the_case() -> None:
    entries = [e for e in crowd() if e.nominee_name not in ("Trần Văn Bình", "Nguyễn Thị Bình")]
    index = NominationIndex(entries)

    assert top(index, "binh hang bac") == 1
    assert top(index, "hang bac binh") == 1


def test_given_name_and_ward_rank_every_binh_of_the_ward_first(index: NominationIndex) -> None:
    page = index.search("binh hang bac")

    first = [hit for hit in page.hits if hit.score == page.hits[0].score]
    assert {e.nominee_name for e in shown(RankedPage(first, len(first), 0, 10))} == {
        "Nguyễn Văn Bình",
        "Trần Văn Bình",
        "Nguyễn Thị Bình",
    }
    assert 1 in {hit.nomination_id for hit in first}
    assert {e.unit_key for e in shown(page)} == {"hang-bac"}


def test_name_alone_finds_the_namesakes_of_every_ward_newest_first(
    index: NominationIndex,
) -> None:
    page = index.search("nguyen van binh")

    namesakes = [e for e in shown(page) if e.nominee_name == "Nguyễn Văn Bình"]
    assert len(namesakes) == 5
    assert shown(page)[: len(namesakes)] == namesakes
    stamps = [e.created_at or START for e in namesakes]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    "query",
    ["nt-abcd-efgh", "NTABCDEFGH", "NT ABCD EFGH", "abcd-efgh", "nt-abcd-efgh nguyen"],
)
def test_tracking_code_finds_exactly_that_case_first(index: NominationIndex, query: str) -> None:
    page = by_code(index, query)

    assert ids(page)[0] == 1
    assert page.hits[0].score == 100.0


def test_tracking_code_alone_finds_only_that_case(index: NominationIndex) -> None:
    page = by_code(index, "nt-abcd-efgh")

    assert ids(page) == [1]
    assert page.total == 1


def test_tracking_code_the_database_does_not_report_is_searched_as_words(
    index: NominationIndex,
) -> None:
    assert index.search("nt-abcd-efgh").hits == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("nt-abcd-efgh", "NT-ABCD-EFGH"),
        ("NTABCDEFGH nguyen", "NT-ABCD-EFGH"),
        ("nguyen nt abcd efgh", "NT-ABCD-EFGH"),
        ("abcd efgh", "NT-ABCD-EFGH"),
        ("le minh tham", "NT-M1NH-THAM"),
    ],
)
def test_codes_a_query_may_spell_are_listed_for_the_database(query: str, code: str) -> None:
    assert TrackingCode(code) in tracking_codes_in(query)


def test_a_query_with_nothing_like_a_code_needs_no_lookup() -> None:
    assert tracking_codes_in("nguyen van binh") == []
    assert tracking_codes_in("tran thi lan") == []


def test_tracking_code_of_a_case_outside_the_scope_finds_nothing(
    index: NominationIndex,
) -> None:
    page = by_code(index, "NT-ABCD-EFGH", unit_keys=frozenset({"hang-gai"}))

    assert page.hits == []
    assert page.total == 0


def test_words_that_read_as_a_code_no_case_has_still_search_as_words() -> None:
    index = NominationIndex([entry(1, "Lê Minh Thắm"), entry(2, "Lê Văn An")])

    # "minh tham" reads as the code NT-M1NH-THAM, which no nomination has.
    entries = [entry(1, "Lê Minh Thắm"), entry(2, "Lê Văn An")]
    assert ids(by_code(index, "le minh tham", entries)) == [1]


def test_deed_words_find_the_deed(index: NominationIndex) -> None:
    assert top(index, "tra lai vi tien") == 1
    assert top(index, "vi tien hang ngang") == 1


def test_name_words_outrank_the_same_words_in_a_deed() -> None:
    index = NominationIndex(
        [
            entry(1, "Nguyễn Thị Hằng", deed="Cứu người đuối nước ở hồ Hoàn Kiếm"),
            entry(2, "Nguyễn Thị Lan", deed="Quét dọn ngõ hằng tuần, giúp người già"),
        ]
    )

    page = index.search("nguyen thi hang")

    assert ids(page) == [1, 2]
    assert page.hits[0].score > page.hits[1].score


def test_ward_officer_never_sees_other_wards_even_when_they_match_better(
    index: NominationIndex,
) -> None:
    scope = frozenset({"hang-gai"})

    page = index.search("nguyen van binh hang bac", unit_keys=scope, limit=50)

    assert page.hits
    assert {e.unit_key for e in shown(page)} == {"hang-gai"}
    assert page.total == len(page.hits)
    assert ids(page)[0] == ids(index.search("nguyen van binh", unit_keys=scope))[0]


def test_officer_of_the_right_ward_finds_the_case_despite_a_typo(
    index: NominationIndex,
) -> None:
    scope = frozenset({"hang-bac"})

    assert top(index, "nguyen van bihn hang bac", unit_keys=scope) == 1
    assert top(index, "nguyen van bihn", unit_keys=scope) == 1


def test_pages_list_every_hit_once_in_rank_order(index: NominationIndex) -> None:
    everything = index.search("nguyen van hang bac", limit=100)
    assert everything.total == len(everything.hits) > 6

    paged: list[int] = []
    for offset in range(0, everything.total, 4):
        page = index.search("nguyen van hang bac", limit=4, offset=offset)
        assert page.total == everything.total
        assert (page.offset, page.limit) == (offset, 4)
        assert len(page.hits) == min(4, everything.total - offset)
        paged.extend(ids(page))

    assert paged == ids(everything)
    beyond = index.search("nguyen van hang bac", limit=4, offset=everything.total)
    assert beyond.hits == []
    assert beyond.total == everything.total


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (10, -1)])
def test_paging_refuses_nonsense(index: NominationIndex, limit: int, offset: int) -> None:
    with pytest.raises(ValueError):
        index.search("binh", limit=limit, offset=offset)


def test_removed_nomination_is_no_longer_found(index: NominationIndex) -> None:
    size = len(index)

    assert index.remove(1) is True

    assert len(index) == size - 1
    assert 1 not in ids(index.search("nguyen van binh hang bac", limit=100))
    assert by_code(index, "nt-abcd-efgh").hits == []  # still in the database, not indexed
    assert 1 not in index
    assert index.remove(1) is False


def test_updated_nomination_is_found_by_its_new_name_only(index: NominationIndex) -> None:
    index.update(entry(1, "Nguyễn Văn Khiêm", "cua-nam", WALLET, code=TARGET_CODE))

    assert top(index, "nguyen van khiem cua nam") == 1
    assert 1 not in ids(index.search("nguyen van binh hang bac", limit=100))
    assert ids(by_code(index, "nt-abcd-efgh", unit_keys=frozenset({"cua-nam"}))) == [1]
    assert by_code(index, "nt-abcd-efgh", unit_keys=frozenset({"hang-bac"})).hits == []


def test_update_of_an_unknown_nomination_adds_it(index: NominationIndex) -> None:
    size = len(index)

    index.update(entry(500, "Đỗ Quang Khải", "cua-nam"))

    assert len(index) == size + 1
    assert top(index, "do quang khai") == 500


def test_adding_the_same_nomination_twice_is_refused(index: NominationIndex) -> None:
    with pytest.raises(ValueError, match="already indexed"):
        index.add(entry(1, "Nguyễn Văn Bình"))


def test_slots_freed_by_removal_are_reused_without_mixing_cases() -> None:
    index = NominationIndex([entry(1, "Nguyễn Văn Bình"), entry(2, "Trần Thị Lan")])
    index.remove(1)
    index.add(entry(3, "Lê Văn Tám", "cua-nam"))

    assert ids(index.search("le van tam")) == [3]
    assert index.search("nguyen van binh").hits == []
    assert ids(index.search("tran thi lan")) == [2]
    assert (1 in index, 2 in index, 3 in index, len(index)) == (False, True, True, 2)


def test_nominations_indexed_out_of_id_order_are_found_removed_and_updated() -> None:
    index = NominationIndex([entry(5, "Nguyễn Văn Bình"), entry(9, "Trần Thị Lan")])
    index.add(entry(2, "Lê Văn Tám"))  # older than the last one indexed
    index.update(entry(9, "Trần Thị Lan", "cua-nam"))
    index.remove(5)
    index.add(entry(7, "Đỗ Quang Khải"))

    assert [(n in index) for n in (2, 5, 7, 9)] == [True, False, True, True]
    assert ids(index.search("le van tam")) == [2]
    assert ids(index.search("tran thi lan cua nam")) == [9]
    assert ids(index.search("do quang khai")) == [7]
    assert index.search("nguyen van binh").hits == []
    with pytest.raises(ValueError, match="already indexed"):
        index.add(entry(2, "Lê Văn Tám"))


@pytest.mark.parametrize("query", ["", "   ", "!!! ???", "xyz qwerty", "zzzz", "phuong", "p"])
def test_empty_or_junk_query_finds_nothing(index: NominationIndex, query: str) -> None:
    page = index.search(query)

    assert page.hits == []
    assert page.total == 0


def test_junk_around_one_common_word_finds_nothing_rather_than_everyone(
    index: NominationIndex,
) -> None:
    assert index.search("nguyen xyzq wvut qqqq").hits == []


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("Hoà", "Hòa"), ("Hòa", "Hoà"), ("Thuỷ", "Thủy"), ("Thủy", "thuy"), ("Khoẻ", "khỏe")],
)
def test_old_and_new_tone_placement_find_the_same_case(stored: str, typed: str) -> None:
    index = NominationIndex(
        [entry(1, f"Trần Thị {stored}", "cua-nam"), entry(2, "Trần Thị Lan", "cua-nam")]
    )

    page = index.search(f"tran thi {typed}")

    assert ids(page) == [1]
    assert page.hits[0].score == index.search(f"Trần Thị {stored}").hits[0].score


def test_ties_go_to_the_newest_then_the_highest_id() -> None:
    index = NominationIndex(
        [
            entry(1, "Nguyễn Văn Bình", minutes=10),
            entry(2, "Nguyễn Văn Bình", minutes=30),
            entry(3, "Nguyễn Văn Bình", minutes=20),
            entry(4, "Nguyễn Văn Bình", minutes=30),
        ]
    )

    page = index.search("nguyen van binh")

    assert ids(page) == [4, 2, 3, 1]
    assert len({hit.score for hit in page.hits}) == 1


def test_ward_title_that_is_also_a_given_name_counts_as_the_name() -> None:
    index = NominationIndex(
        [
            entry(1, "Nguyễn Thị Phương"),
            entry(2, "Nguyễn Thị Lan"),
            entry(3, "Nguyễn Thị Phượng", "hang-gai"),
        ]
    )

    assert ids(index.search("nguyen thi phuong hang bac"))[0] == 1
    assert top(index, "nguyen thi phuong") in {1, 3}


def test_a_name_word_typed_twice_needs_it_twice_in_the_name() -> None:
    index = NominationIndex(
        [
            entry(1, "Nguyễn Minh Vàng", minutes=50),
            entry(2, "Nguyễn Minh Nguyên", minutes=10),
            entry(3, "Nguyễn Minh Hải", minutes=40),
        ]
    )

    assert top(index, "nguyen minh nguyen hang bac") == 2


def test_ward_with_no_match_for_the_name_falls_back_to_every_ward(
    index: NominationIndex,
) -> None:
    # No Toản in Trần Hưng Đạo: the one in Hàng Gai, not any case of the ward named.
    index.add(entry(900, "Vương Quốc Toản", "hang-gai"))

    assert top(index, "vuong quoc toan tran hung dao") == 900


def test_long_deed_is_searched_whole_but_shown_as_an_excerpt() -> None:
    deed = "Cứu hai cháu nhỏ khỏi đám cháy. " * 20 + "Sau đó trả lại ví tiền cho chủ nhà."
    entries = [entry(1, "Lê Văn Tám", deed=deed), entry(2, "Lê Văn Bảy")]
    index = NominationIndex(entries)

    page = shown_page(index.search("le van tam tra lai vi"), entries, unit_keys=None)

    hit = page.hits[0]
    assert hit.entry.nomination_id == 1
    assert len(hit.entry.deed) <= DEED_EXCERPT_CHARS
    assert hit.entry.deed.endswith("…")
    assert deed.startswith(hit.entry.deed[:-1])


def test_shown_page_puts_the_loaded_entries_in_rank_order_with_their_scores() -> None:
    entries = [entry(1, "Lê Văn Tám"), entry(2, "Lê Văn Bảy"), entry(3, "Lê Văn Sáu")]
    ranked = RankedPage([RankedHit(3, 90.0), RankedHit(1, 80.0)], total=7, offset=2, limit=2)

    page = shown_page(ranked, reversed(entries), unit_keys=frozenset({"hang-bac"}))

    assert [(hit.entry, hit.score) for hit in page.hits] == [(entries[2], 90.0), (entries[0], 80.0)]
    assert (page.total, page.offset, page.limit) == (7, 2, 2)


def test_shown_page_leaves_out_cases_deleted_or_moved_out_of_scope_since_ranked() -> None:
    moved = entry(2, "Lê Văn Bảy", "hang-gai")  # was in Hàng Bạc when it was ranked
    ranked = RankedPage([RankedHit(1, 90.0), RankedHit(2, 85.0), RankedHit(3, 80.0)], 3, 0, 10)

    page = shown_page(ranked, [moved, entry(3, "Lê Văn Sáu")], unit_keys=frozenset({"hang-bac"}))

    assert [hit.entry.nomination_id for hit in page.hits] == [3]
    assert page.total == 3


def test_renamed_unit_is_found_by_its_new_name() -> None:
    index = NominationIndex([entry(1, "Lê Văn Tám", "cua-nam")])
    renamed = SearchEntry(2, "NT-0002-0000", "Lê Văn Bảy", "cua-nam", "Phường Hoàn Kiếm", "x")
    index.add(renamed)

    assert set(ids(index.search("le van hoan kiem"))) == {1, 2}


def test_results_do_not_depend_on_the_order_nominations_were_indexed() -> None:
    entries = crowd()
    forward = NominationIndex(entries)
    backward = NominationIndex(reversed(entries))

    for query in ("nguyen van binh hang bac", "binh", "nguyen van bihn", "tra lai vi tien"):
        assert ids(forward.search(query, limit=100)) == ids(backward.search(query, limit=100))


def random_crowd(count: int, seed: int) -> list[SearchEntry]:
    rng = random.Random(seed)
    families = ["Nguyễn"] * 8 + ["Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Ngô"]
    middles = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Hữu"]
    givens = "Bình Bích Minh Linh Vinh Hằng Hương Lan An Anh Tâm Tuấn Hải Hà Phương Thư Nga"
    deeds = [WALLET, "Cứu người đuối nước ở hồ", "Quét dọn ngõ hằng tuần", "Hiến máu 12 lần"]
    return [
        entry(
            number,
            f"{rng.choice(families)} {rng.choice(middles)} {rng.choice(givens.split())}",
            rng.choice(list(WARDS)),
            rng.choice(deeds),
            minutes=rng.randint(0, 50),  # many ties on created_at, broken by id
        )
        for number in range(1, count + 1)
    ]


def test_reading_only_the_promising_lists_finds_what_scoring_everything_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = random_crowd(1500, seed=7)
    index = NominationIndex(entries)
    queries = [
        "nguyen van binh hang bac",
        "nguyen thi hang",
        "nguyen van bihn",
        "tran thi huong cua nam",
        "le duc tuan p hang gai",
        "binh hang bac",
        "minh",
        "hang bac",
        "phuong hang bai",
        "tra lai vi tien",
        "quet don ngo nguyen",
        "ngyuen thi lna tran hung dao",
        "hoang minh an hang bac",
        "pham ngoc thu cua nam hien mau",
        "vu huu nga hang bai",
    ]
    scoped = frozenset({"hang-bac", "cua-nam"})
    pruned = {
        (query, scope): index.search(query, unit_keys=scope, limit=40)
        for query in queries
        for scope in (None, scoped)
    }

    def score_everything(self: search._UnitScan, ranking: search._Ranking) -> None:
        self._score(self.slots, ranking)
        self.done = True

    monkeypatch.setattr(
        search._UnitScan, "bound", lambda self: -math.inf if self.done else math.inf
    )
    monkeypatch.setattr(search._UnitScan, "read_next", score_everything)
    for (query, scope), page in pruned.items():
        everything = index.search(query, unit_keys=scope, limit=40)
        assert page.total == everything.total, query
        assert page.hits == everything.hits, query


# --- Telex and VNI leftovers (issue 15) -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Nguyeenx Vawn Binhf",
        "Nguye65n Va8n Bi2nh",
        "nguyeenx vawn binhf",
    ],
)
def test_telex_and_vni_leftovers_find_nguyen_van_binh(index: NominationIndex, query: str) -> None:
    page = index.search(query)
    as_typed = index.search("nguyen van binh")
    assert ids(page) == ids(as_typed)
    assert {e.nominee_name for e in shown(page)[:5]} == {"Nguyễn Văn Bình"}
    assert page.hits[0].score == 100.0


@pytest.mark.parametrize(
    "query", ["Nguyeenx Vawn Binhf Hangf Bacj", "Nguye65n Va8n Bi2nh Ha2ng Ba5c"]
)
def test_leftovers_of_name_and_ward_put_the_case_first(index: NominationIndex, query: str) -> None:
    page = index.search(query)
    assert ids(page)[0] == 1
    assert page.hits[0].score > page.hits[1].score


def test_a_word_that_only_looks_like_telex_still_finds_itself_as_typed() -> None:
    # "max" decodes to "mã" beside a Telex word; the foreign name as typed still counts.
    index = NominationIndex([entry(1, "Max Müller"), entry(2, "Mã Thị Hoa")])
    assert ids(index.search("max muller hangf bacj"))[0] == 1
    assert ids(index.search("max hoa hangf bacj"))[0] == 2


def test_namesakes_indexed_together_keep_one_copy_of_their_name_and_deed() -> None:
    index = NominationIndex([entry(1, "Nguyễn Văn Bình"), entry(2, "Nguyễn Văn Bình")])
    index.add(entry(3, "Nguyễn Văn Bình"))  # after the load: a copy of its own

    names, deeds = index._names, index._deeds
    assert names[0] is names[1] and deeds[0] is deeds[1]
    assert names[2] == names[0] and names[2] is not names[0]
    found = index.search("nguyen van binh")
    assert sorted(hit.nomination_id for hit in found.hits) == [1, 2, 3]
