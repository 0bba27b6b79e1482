"""Time officers' ``/find`` over generated nominations and measure how often it finds the case.

    .venv/bin/python bench/find.py [--n 100000] [--queries 1000] [--seed 2018]

Generates nominations with Vietnamese names drawn by real family-name frequency, the 18
wards of Quận Hoàn Kiếm (2018) and deeds from templates; builds the index (time, and its
memory by tracemalloc); then asks for each sampled nomination its folded name and ward,
typed without diacritics, with 0, 1 or 2 typos in the name. A query finds its case when the
case, or a nomination in the same ward whose nominee's name folds the same ("Thành" and
"Thanh" typed without diacritics are one name: nothing in the query tells them apart), is
among the first 1 / 5 hits; "ambiguous" counts the queries whose case has such twins.
Also a run as one ward's officer, a few other kinds of query, and the memory the index
keeps (tracemalloc). Prints figures next to the targets.

Times are the index's ranking alone: the bot then reads the page's few nominations by id
and, for a query that may spell a tracking code, which of those codes exist (two
primary-key or unique-index lookups, not timed here; the code query below is given the
code's id as the database would).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import string
import sys
import time
import tracemalloc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.plans import DEMO_PLAN, read_plan_file
from core import search
from core.codes import TrackingCode, new_tracking_code
from core.org import Organisation
from core.search import NominationIndex, RankedPage, SearchEntry
from core.text import fold

TARGET_P99_MS = 20.0
TARGET_RECALL_AT_5 = 0.95
TARGET_INDEX_MB = 200.0  # the bot's whole RSS budget at 100,000 nominations, not the index's

# Family names by frequency (%), the rest spread over the less common ones.
FAMILY_NAMES = {
    "Nguyễn": 38.0,
    "Trần": 11.0,
    "Lê": 9.5,
    "Phạm": 7.0,
    "Hoàng": 2.5,
    "Huỳnh": 2.5,
    "Phan": 4.5,
    "Vũ": 2.0,
    "Võ": 2.0,
    "Đặng": 2.0,
    "Bùi": 2.0,
    "Đỗ": 1.4,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1.0,
    "Lý": 0.5,
    "Đào": 0.8,
    "Đoàn": 0.8,
    "Vương": 0.4,
    "Trịnh": 0.8,
    "Đinh": 0.8,
    "Lâm": 0.5,
    "Mai": 0.5,
    "Tô": 0.4,
    "Hà": 0.6,
    "Tạ": 0.4,
    "Cao": 0.5,
    "Lương": 0.5,
    "Chu": 0.3,
    "Kiều": 0.2,
    "Lưu": 0.3,
    "Quách": 0.2,
    "Tôn Thất": 0.1,
    "Nghiêm": 0.2,
    "Khổng": 0.1,
    "Thái": 0.3,
    "Triệu": 0.3,
}
MALE_MIDDLE = {
    "Văn": 30,
    "Đức": 10,
    "Minh": 10,
    "Hữu": 8,
    "Quang": 7,
    "Công": 6,
    "Thành": 5,
    "Xuân": 5,
    "Ngọc": 4,
    "Thanh": 5,
    "Anh": 3,
    "Hoàng": 3,
    "Mạnh": 3,
    "Trọng": 3,
    "Đình": 4,
    "Quốc": 4,
    "Tiến": 2,
    "Bá": 2,
    "Viết": 1,
    "Duy": 3,
}
FEMALE_MIDDLE = {
    "Thị": 45,
    "Ngọc": 8,
    "Thu": 6,
    "Thanh": 6,
    "Minh": 4,
    "Phương": 4,
    "Thùy": 4,
    "Kim": 4,
    "Hồng": 4,
    "Mai": 3,
    "Bích": 3,
    "Diệu": 2,
    "Hải": 2,
    "Khánh": 2,
    "Lan": 2,
    "Quỳnh": 2,
    "Tuyết": 1,
    "Hoài": 2,
}
MALE_GIVEN = [
    "An",
    "Anh",
    "Bảo",
    "Bình",
    "Cường",
    "Chiến",
    "Công",
    "Dũng",
    "Duy",
    "Dương",
    "Đạt",
    "Định",
    "Đông",
    "Đức",
    "Giang",
    "Hải",
    "Hào",
    "Hậu",
    "Hiếu",
    "Hiển",
    "Hiệp",
    "Hòa",
    "Hoàng",
    "Huy",
    "Hùng",
    "Hưng",
    "Khánh",
    "Khang",
    "Khoa",
    "Khôi",
    "Kiên",
    "Lâm",
    "Linh",
    "Lộc",
    "Long",
    "Luân",
    "Mạnh",
    "Minh",
    "Nam",
    "Nghĩa",
    "Nhân",
    "Ninh",
    "Phát",
    "Phong",
    "Phúc",
    "Phước",
    "Quân",
    "Quang",
    "Quốc",
    "Quý",
    "Sơn",
    "Tài",
    "Tâm",
    "Tân",
    "Thái",
    "Thắng",
    "Thành",
    "Thịnh",
    "Thông",
    "Thuận",
    "Tiến",
    "Toàn",
    "Trí",
    "Trung",
    "Trường",
    "Tú",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vũ",
    "Vương",
    "Hạnh",
    "Bách",
    "Cảnh",
    "Chính",
    "Đạo",
    "Điệp",
    "Hoan",
    "Kha",
    "Khải",
    "Lực",
    "Mẫn",
    "Nguyên",
    "Sang",
    "Tuệ",
    "Triều",
    "Uy",
    "Văn",
    "Xuân",
    "Yên",
    "Bắc",
    "Thọ",
    "Tín",
    "Thiện",
    "Trọng",
    "Tường",
    "Hà",
    "Hiền",
    "Kỳ",
    "Lợi",
    "Đăng",
    "Biên",
]
FEMALE_GIVEN = [
    "An",
    "Anh",
    "Ánh",
    "Bích",
    "Châu",
    "Chi",
    "Diệp",
    "Dung",
    "Dương",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hòa",
    "Hồng",
    "Huệ",
    "Hương",
    "Hường",
    "Khánh",
    "Lan",
    "Liên",
    "Liễu",
    "Linh",
    "Loan",
    "Lụa",
    "Ly",
    "Mai",
    "Mây",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nguyệt",
    "Nhàn",
    "Nhi",
    "Nhung",
    "Oanh",
    "Phương",
    "Phượng",
    "Quyên",
    "Quỳnh",
    "Sen",
    "Tâm",
    "Thảo",
    "Thanh",
    "Thoa",
    "Thơ",
    "Thu",
    "Thủy",
    "Thúy",
    "Thư",
    "Trà",
    "Trang",
    "Trâm",
    "Trinh",
    "Tuyết",
    "Uyên",
    "Vân",
    "Vy",
    "Xuân",
    "Yến",
    "Hiên",
    "Khuê",
    "Lam",
    "Mỹ",
    "Nhã",
    "Thắm",
    "Thêu",
    "Tươi",
    "Vui",
    "Gấm",
    "Hậu",
    "Diễm",
    "Hải",
    "Huyền",
    "Lệ",
    "Lựu",
    "Mơ",
    "Nụ",
    "Quế",
    "Sương",
    "Thùy",
    "Tiên",
    "Tình",
    "Xoan",
    "Đào",
    "Hoài",
    "Kiều",
    "Lài",
    "Loan",
    "Ngà",
    "Nhạn",
    "Phấn",
    "Quyết",
    "Thắm",
    "Thục",
    "Trúc",
    "Vàng",
]


def _demo_organisation() -> Organisation:
    organisation = read_plan_file(DEMO_PLAN).organisation
    assert organisation is not None
    return organisation


# The 18 wards of Quận Hoàn Kiếm in 2018, from the plan file (one source for them all).
WARDS = tuple(
    unit.name.removeprefix("Phường ") for unit in _demo_organisation().wards(date(2018, 1, 1))
)
STREETS = (
    "phố Hàng Ngang",
    "phố Đinh Tiên Hoàng",
    "phố Tràng Tiền",
    "phố Hai Bà Trưng",
    "phố Lò Sũ",
    "phố Hàng Chiếu",
    "phố Mã Mây",
    "phố Bát Đàn",
    "phố Hàng Khay",
    "bờ hồ Hoàn Kiếm",
    "chợ Đồng Xuân",
    "ga Hà Nội",
    "phố Nguyễn Hữu Huân",
    "phố Lý Quốc Sư",
)
DEEDS = (
    "Trả lại ví tiền {amount} cho người đánh rơi tại {street}",
    "Nhặt được điện thoại và trả lại người mất ở {street}",
    "Cứu người đuối nước ở {street}",
    "Dũng cảm bắt giữ kẻ cướp giật túi xách tại {street}",
    "Dập tắt đám cháy nhà dân ở {street}",
    "Giúp cụ già bị ngã đưa đi cấp cứu tại {street}",
    "Hiến máu tình nguyện {count} lần",
    "Tự nguyện hiến đất mở rộng ngõ ở {street}",
    "Quét dọn vệ sinh đường phố hằng tuần ở {street}",
    "Giúp đỡ hộ nghèo sửa nhà ở {street}",
    "Phát hiện và báo công an vụ trộm cắp tại {street}",
    "Nấu cơm miễn phí cho bệnh nhân nghèo gần {street}",
    "Dạy học miễn phí cho trẻ em khó khăn ở {street}",
    "Hướng dẫn khách du lịch lạc đường tại {street}",
)
AMOUNTS = ("500 nghìn đồng", "2 triệu đồng", "5 triệu đồng", "10 triệu đồng", "300 đô la")


@dataclass(frozen=True)
class Query:
    text: str
    target: SearchEntry
    typos: int
    ambiguous: bool


class Table:
    """Draw from a weighted list quickly (``random.choices`` re-adds the weights each call)."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.items = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


def zipf(names: list[str]) -> Table:
    # Given names are far from uniform: a few ("Anh", "Linh", "Hương") are very common.
    return Table({name: 1.0 / (rank + 3) for rank, name in enumerate(names)})


def generate(n: int, seed: int) -> list[SearchEntry]:
    rng = random.Random(seed)
    male_given = list(dict.fromkeys(MALE_GIVEN))
    female_given = list(dict.fromkeys(FEMALE_GIVEN))
    rng.shuffle(male_given)
    rng.shuffle(female_given)
    families, male_middles, female_middles = (
        Table(FAMILY_NAMES),
        Table(MALE_MIDDLE),
        Table(FEMALE_MIDDLE),
    )
    male_givens, female_givens = zipf(male_given), zipf(female_given)
    start = datetime(2018, 1, 1, tzinfo=UTC)
    unit_keys = {ward: fold(ward).replace(" ", "-") for ward in WARDS}
    entries = []
    for number in range(1, n + 1):
        family = families.draw(rng)
        if rng.random() < 0.5:
            middle, given = male_middles.draw(rng), male_givens.draw(rng)
        else:
            middle, given = female_middles.draw(rng), female_givens.draw(rng)
        name = f"{family} {middle} {given}"
        if rng.random() < 0.1:  # some people have two middle names
            name = f"{family} {middle} {male_middles.draw(rng)} {given}"
        ward = rng.choice(WARDS)
        deed = rng.choice(DEEDS).format(
            street=rng.choice(STREETS), amount=rng.choice(AMOUNTS), count=rng.randint(3, 40)
        )
        code = new_tracking_code(rng.randbytes).value
        entries.append(
            SearchEntry(
                nomination_id=number,
                code=code,
                nominee_name=name,
                unit_key=unit_keys[ward],
                unit_name=f"Phường {ward}",
                deed=deed,
                created_at=start + timedelta(minutes=7 * number + rng.randint(0, 6)),
            )
        )
    return entries


def with_typos(rng: random.Random, name: str, typos: int) -> str:
    chars = list(name)
    for _ in range(typos):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        i = rng.choice(letters)
        operation = rng.choice(("substitute", "delete", "transpose"))
        word_length = sum(1 for c in "".join(chars).split()[_word_at(chars, i)] if c.isalpha())
        if operation == "delete" and word_length > 1:
            del chars[i]
        elif operation == "transpose" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice([c for c in string.ascii_lowercase if c != chars[i]])
    return "".join(chars)


def _word_at(chars: list[str], i: int) -> int:
    return "".join(chars[:i]).count(" ")


def make_queries(
    entries: list[SearchEntry], count: int, seed: int, unit_key: str | None = None
) -> list[Query]:
    rng = random.Random(seed)
    same_person: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (fold(entry.nominee_name), entry.unit_key)
        same_person[key] = same_person.get(key, 0) + 1
    pool = [e for e in entries if unit_key is None or e.unit_key == unit_key]
    queries = []
    for number, target in enumerate(rng.sample(pool, count)):
        typos = number % 3
        name = with_typos(rng, fold(target.nominee_name), typos)
        ward = fold(target.unit_name)
        if rng.random() < 0.5:
            ward = ward.removeprefix("phuong ")
        ambiguous = same_person[(fold(target.nominee_name), target.unit_key)] > 1
        queries.append(Query(f"{name} {ward}", target, typos, ambiguous))
    return queries


def found_at(page: RankedPage, target: SearchEntry, stored: list[SearchEntry]) -> int | None:
    for rank, hit in enumerate(page.hits, start=1):
        entry = stored[hit.nomination_id - 1]  # ids are 1..n: what the bot reads back by id
        if entry.nomination_id == target.nomination_id or (
            fold(entry.nominee_name) == fold(target.nominee_name)
            and entry.unit_key == target.unit_key
        ):
            return rank
    return None


@dataclass
class Run:
    label: str
    times_ms: list[float]
    at_1: int
    at_5: int
    queries: int
    ambiguous: int
    by_typos: dict[int, tuple[int, int]]  # typos → (found in top 5, queries)

    def p(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    index: NominationIndex,
    queries: list[Query],
    label: str,
    scope: frozenset[str] | None,
    stored: list[SearchEntry],
) -> Run:
    for query in queries[:20]:  # warm up
        index.search(query.text, unit_keys=scope, limit=5)
    times, at_1, at_5, ambiguous = [], 0, 0, 0
    by_typos: dict[int, tuple[int, int]] = {}
    for query in queries:
        started = time.perf_counter()
        page = index.search(query.text, unit_keys=scope, limit=5)
        times.append((time.perf_counter() - started) * 1000)
        rank = found_at(page, query.target, stored)
        at_1 += rank == 1
        at_5 += rank is not None
        ambiguous += query.ambiguous
        hits, total = by_typos.get(query.typos, (0, 0))
        by_typos[query.typos] = (hits + (rank is not None), total + 1)
    return Run(label, times, at_1, at_5, len(queries), ambiguous, by_typos)


def time_query(
    index: NominationIndex, text: str, codes: dict[TrackingCode, int], repeat: int = 5
) -> tuple[float, int]:
    best = float("inf")
    total = 0
    for _ in range(repeat):
        started = time.perf_counter()
        page = index.search(text, limit=10, codes=codes)
        best = min(best, (time.perf_counter() - started) * 1000)
        total = page.total
    return best, total


def retained_mb(n: int, seed: int) -> float:
    """Return the memory an index of ``n`` nominations keeps.

    The entries are generated and indexed under tracemalloc, then the generator's list is
    dropped: what is still traced is what the bot process would hold for ``/find`` (the
    index keeps no entry: a page's are read back from the database).
    """
    search._fold_word.cache_clear()  # its folded words count too
    search._unit_words.cache_clear()
    gc.collect()
    tracemalloc.start()
    entries = generate(n, seed)
    index = NominationIndex(entries)
    del entries
    gc.collect()
    current = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(index) == n
    return current / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="nominations to generate")
    parser.add_argument("--queries", type=int, default=1000, help="queries per unscoped run")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument(
        "--memory-n",
        type=int,
        default=20_000,
        help="nominations to measure memory on, scaled to --n (tracemalloc slows indexing "
        "fivefold; the index grows linearly: 20,000 x5 and 100,000 agree within 2%%)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    entries = generate(args.n, args.seed)
    generated = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    index = NominationIndex(entries)
    build_s = time.perf_counter() - started

    ward = "hang-bac"
    secretariat = make_queries(entries, args.queries, args.seed + 1)
    scoped = make_queries(entries, max(100, args.queries // 3), args.seed + 2, ward)
    coded = entries[len(entries) // 2]
    code = coded.code
    codes = {TrackingCode(code): coded.nomination_id}  # as the database answers
    gc.collect()
    runs = [
        run(index, secretariat, "secretariat", None, entries),
        run(index, scoped, f"scoped ({ward})", frozenset({ward}), entries),
    ]
    del entries
    broad = {
        text: time_query(index, text, codes)
        for text in (
            code.lower(),
            "nguyen van binh",
            "tran thi hang",
            "binh hang bac",
            "tra lai vi tien",
            "phuong hang bac",
            "nguyen van",
            "nguyen",
        )
    }
    del index
    memory_n = min(args.n, args.memory_n)
    memory_mb = retained_mb(memory_n, args.seed) * args.n / memory_n

    print(f"nominations: {args.n:,} (generated in {generated:.1f} s)")
    print(f"index build: {build_s:.2f} s")
    scaled = f", measured at {memory_n:,} and scaled" if memory_n != args.n else ""
    print(
        f"index memory (tracemalloc{scaled}): {memory_mb:.1f} MB "
        f"(the bot's whole RSS budget: {TARGET_INDEX_MB:.0f} MB)"
    )
    print()
    header = (
        f"{'run':<20} {'queries':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'recall@1':>8} {'recall@5':>8} {'ambiguous':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        print(
            f"{r.label:<20} {r.queries:>7} {statistics.median(r.times_ms):>7.2f} "
            f"{r.p(0.99):>7.2f} {max(r.times_ms):>7.2f} {r.at_1 / r.queries:>8.3f} "
            f"{r.at_5 / r.queries:>8.3f} {r.ambiguous:>9}"
        )
    print(
        f"{'target':<20} {'':>7} {'':>7} {TARGET_P99_MS:>7.2f} {'':>7} {'':>8} "
        f"{TARGET_RECALL_AT_5:>8.3f}"
    )
    print()
    for r in runs:
        parts = ", ".join(
            f"{typos} typo{'s' if typos != 1 else ''}: {hits / total:.3f} ({total})"
            for typos, (hits, total) in sorted(r.by_typos.items())
        )
        print(f"recall@5 by typos, {r.label}: {parts}")
    print()
    print("other queries (no target; best of 5 runs, secretariat scope):")
    for text, (ms, total) in broad.items():
        print(f"  {text!r:<22} {ms:>8.2f} ms  {total:>6} hits")
    ok = all(r.p(0.99) <= TARGET_P99_MS and r.at_5 / r.queries >= TARGET_RECALL_AT_5 for r in runs)
    ok = ok and memory_mb < TARGET_INDEX_MB
    print()
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
