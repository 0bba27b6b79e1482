"""How long the papers take to render: 100 certificates, and a decision commending 100.

    .venv/bin/python bench/papers.py [--count 100] [--runs 3]

Times, for each run: ``certificate_pdf`` called once per certificate (as the bot sends them
one by one), ``certificates_pdf`` printing them all as one file (a page each), and the
DOCX of the proposal, minutes and decision for ``--count`` cases. Prints each run, then the
median, with the size of the files made. Rendering is CPU-bound and synchronous: a caller in
the event loop runs it in a worker thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.papers import (
    certificate_pdf,
    certificates_pdf,
    decision_docx,
    minutes_docx,
    proposal_docx,
)
from core.papers import (
    CaseLine,
    CaseTally,
    Decision,
    Issuer,
    Minutes,
    ProposalLetter,
    Signer,
    certificates_of,
)

WARD = Issuer(name="Ủy ban nhân dân phường Hoàn Kiếm", place="Hoàn Kiếm, Hà Nội")
SIGNER = Signer(title="Chủ tịch", name="Trần Văn Bình", on_behalf="TM. Ủy ban nhân dân")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
GIVEN = ("Thị Hương", "Văn Bình", "Quốc Huy", "Thu Trang", "Đức Long", "Ngọc Ánh", "Minh Tuấn")


def cases(count: int) -> tuple[CaseLine, ...]:
    return tuple(
        CaseLine(
            name=f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[i % len(GIVEN)]}",
            collective=i % 10 == 9,
            unit=f"Tổ dân phố số {i % 40 + 1}",
            award_form="Người tốt, việc tốt",
            deed="Dũng cảm cứu người bị nạn trong đám cháy tại phố Hàng Bạc, đưa ba người ra",
        )
        for i in range(count)
    )


def decision(count: int) -> Decision:
    return Decision(
        number="45/QĐ-UBND",
        issued_on=date(2026, 11, 18),
        issuer=WARD,
        authority="Chủ tịch Ủy ban nhân dân phường Hoàn Kiếm",
        bases=("Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",),
        commended=cases(count),
        signer=SIGNER,
        recipients=("Như Điều 3", "Lưu: VT"),
        cash_individual=702_000,
    )


def timed(render: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    size = render()
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    made = decision(args.count)
    certificates = certificates_of(made)
    letter = ProposalLetter(
        "12/TTr-UBND",
        date(2026, 11, 10),
        WARD,
        "Hội đồng Thi đua - Khen thưởng",
        made.commended,
        SIGNER,
        ("Như trên", "Lưu: VT"),
    )
    minutes = Minutes(
        "03/BB-HĐTĐKT",
        WARD,
        date(2026, 11, 17),
        "Hội trường",
        "Hội đồng Thi đua - Khen thưởng",
        ("A", "B", "C", "D", "E"),
        (),
        "A",
        "B",
        tuple(CaseTally(c.name, c.award_form, 4, 1, 0, passed=True) for c in made.commended),
    )
    renders: dict[str, Callable[[], int]] = {
        f"{args.count} x certificate_pdf": lambda: sum(
            len(certificate_pdf(c)) for c in certificates
        ),
        f"certificates_pdf ({args.count} pages)": lambda: len(certificates_pdf(certificates)),
        f"proposal_docx ({args.count} cases)": lambda: len(proposal_docx(letter)),
        f"minutes_docx ({args.count} tallies)": lambda: len(minutes_docx(minutes)),
        f"decision_docx ({args.count} commended)": lambda: len(decision_docx(made)),
    }
    for label, render in renders.items():
        seconds: list[float] = []
        for run in range(1, args.runs + 1):
            elapsed, size = timed(render)
            seconds.append(elapsed)
            print(f"{label:36} run {run}: {elapsed:6.2f} s, {size / 1024:8.1f} KiB")
        median = statistics.median(seconds)
        print(f"{label:36} median {median:6.2f} s ({median / args.count * 1000:.1f} ms per entry)")


if __name__ == "__main__":
    main()
