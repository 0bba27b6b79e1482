"""The minutes (biên bản) of the council's meeting with its tallies: fixed words and order."""

from __future__ import annotations

from datetime import time
from fractions import Fraction

from docx.shared import Cm

from bot.papers.layout import (
    BOLD,
    Column,
    add_body,
    add_grid,
    add_header,
    add_line,
    add_title,
    add_two_signers,
    docx_bytes,
    new_document,
)
from core.papers import CaseTally, Minutes, Signer, vietnamese_date

TALLY_COLUMNS = (
    Column("STT", Cm(1.3), centred=True),
    Column("Tên cá nhân, tập thể", Cm(3.5)),
    Column("Hình thức khen thưởng", Cm(2.6)),
    Column("Đồng ý", Cm(1.6), centred=True),
    Column("Không đồng ý", Cm(1.7), centred=True),
    Column("Không biểu quyết", Cm(1.8), centred=True),
    Column("Tỷ lệ đồng ý", Cm(1.7), centred=True),
    Column("Kết quả", Cm(1.8), centred=True),
)


def minutes_docx(minutes: Minutes) -> bytes:
    """Return the minutes of the council's meeting as a .docx file's bytes."""
    members = minutes.members
    document = new_document(f"Biên bản số {minutes.number}", minutes.issuer.name, minutes.held_on)
    add_header(document, minutes.issuer, minutes.number, minutes.held_on)
    add_title(document, "Biên bản", f"Họp {minutes.council} xét khen thưởng")

    when = vietnamese_date(minutes.held_on)
    if minutes.opened_at is not None:
        when = f"vào hồi {_clock(minutes.opened_at)}, {when}"
    opening = f"{when}, tại {minutes.place}, {minutes.council} họp xét khen thưởng."
    add_body(document, opening[:1].upper() + opening[1:])

    add_body(document, "I. THÀNH PHẦN", BOLD)
    add_body(document, f"- Chủ trì: {minutes.chair}.")
    add_body(document, f"- Thư ký: {minutes.secretary}.")
    present = ", ".join(minutes.present)
    add_body(document, f"- Thành viên có mặt: {len(minutes.present)}/{members}: {present}.")
    absent = str(minutes.absent_count) if minutes.absent_count else "không"
    if minutes.absent:
        absent = f"{absent}: {', '.join(minutes.absent)}"
    add_body(document, f"- Thành viên vắng mặt: {absent}.")

    add_body(document, "II. NỘI DUNG", BOLD)
    add_body(
        document,
        f"Hội đồng đã xem xét hồ sơ đề nghị khen thưởng và bỏ phiếu kín đối với "
        f"{len(minutes.tallies):02d} trường hợp. Kết quả kiểm phiếu như sau (tỷ lệ tính trên "
        f"tổng số {members} thành viên Hội đồng):",
    )
    add_grid(
        document, TALLY_COLUMNS, [_row(i, t, minutes) for i, t in enumerate(minutes.tallies, 1)]
    )

    add_body(document, "III. KẾT LUẬN", BOLD)
    passed = minutes.passed
    if passed:
        names = ", ".join(tally.name for tally in passed)
        add_body(
            document,
            f"Hội đồng thống nhất đề nghị khen thưởng {len(passed):02d}/"
            f"{len(minutes.tallies):02d} trường hợp đạt tỷ lệ phiếu theo quy định: {names}.",
        )
    else:
        add_body(document, "Không có trường hợp nào đạt tỷ lệ phiếu theo quy định.")
    if minutes.closed_at is not None:
        add_body(document, f"Cuộc họp kết thúc vào hồi {_clock(minutes.closed_at)} cùng ngày./.")
    add_line(document, space_after=6)

    add_two_signers(
        document,
        Signer(title="Thư ký", name=minutes.secretary),
        Signer(title="Chủ trì", name=minutes.chair),
    )
    return docx_bytes(document)


def _row(index: int, tally: CaseTally, minutes: Minutes) -> list[str]:
    return [
        str(index),
        tally.name,
        tally.award_form,
        str(tally.votes_for),
        str(tally.votes_against),
        str(tally.abstained),
        _percent(minutes.share_for(tally)),
        "Đạt" if tally.passed else "Không đạt",
    ]


def _percent(share: Fraction) -> str:
    """Write a share in per cent as the ballot shows it: one decimal, half up, "66,7%".

    The same rounding as the results in chat, so that the paper and the chat agree.
    """
    tenths = share * 1000
    rounded = int(tenths + Fraction(1, 2))  # half up; a share is never negative
    whole, tenth = divmod(rounded, 10)
    return f"{whole}%" if not tenth else f"{whole},{tenth}%"


def _clock(at: time) -> str:
    """Write a time of day as papers do: "14 giờ 00"."""
    return f"{at.hour} giờ {at.minute:02d}"
