"""The catalogue speaks as a ward office writes (issue 15's native review), and counts in English.

Each phrasing the review turned down fails this test if it comes back, in a template, a label
in ``bot/`` or either catalogue; English says "1 working day", not "1 working days".
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.rendering import TEMPLATES_DIR, Renderer
from core.calendar import DayOff, DayOffKind, ShiftKind, ShiftReason
from locales.catalog import MessageId, extract, read_catalog

# (what the review turned down, what it asked for instead): a regex over Vietnamese text.
TURNED_DOWN: list[tuple[str, str]] = [
    (r"Người được đề cử là ai\?", "1: Người được đề cử thuộc đối tượng nào?"),
    (r"(?i)ủng hộ", "2: Cùng đề cử / Số người cùng đề cử (not a donation)"),
    (r"Mã hồ sơ|Tra cứu hồ sơ|MÃ_HỒ_SƠ\]", "3: Mã đề cử, Tra cứu đề cử on the resident's side"),
    (r"(?i)\bthẻ (hồ sơ|này|mới)|mở thẻ", "4: thông tin hồ sơ, tin này (not a card)"),
    (r"Lệnh này không có", "5: Không có lệnh này."),
    (
        r"Ai xử lý:|<b>Dữ liệu:</b>|Dữ liệu và nguồn:",
        "6: Cơ quan xử lý dữ liệu, Dữ liệu được thu thập",
    ),
    (r"không cung cấp giấy tờ tùy thân", "6: không cần và không nên gửi giấy tờ tùy thân"),
    (r"Thời gian lưu", "6: Thời hạn lưu trữ"),
    (r"\b[Bb]ot\b|Xin lỗi, tôi", "7: one voice, 'hệ thống'"),
    (r"/invite (officer|secretariat|council_member|admin)\b", "8: Vietnamese role names"),
    (r"Vai trò: (officer|secretariat)", "8: Vietnamese role names"),
    (r"được khen thưởng:|nhưng chưa khen thưởng|Chưa được khen thưởng", "9: đã được tặng …"),
    (r"Ngày này chưa đến|Việc tốt cần là việc đã diễn ra", "10: nhập ngày việc tốt đã diễn ra"),
    (r"sau bây giờ", "10: sau thời điểm hiện tại"),
    (r"Tin ở trên đúng như", "10: Tin nhắn phía trên là nội dung người nhận sẽ thấy."),
    (r"sang Tiếng Việt", "11: tiếng Việt"),
    (r"Người đề cử bổ sung\b", "11: Người đề cử đã bổ sung thông tin"),
    (r"ĐK:", "11: Đăng ký thi đua: có/chưa"),
    (r"[«»]", "12: quotation marks “ ”, as in the plan"),
]


def _texts(message: object) -> list[str]:
    """Return a message id or translation as its forms (one, or each of a counted message)."""
    if isinstance(message, str):
        return [message]
    return [str(form) for form in message or ()]  # type: ignore[attr-defined]


def _vietnamese_texts() -> list[tuple[str, str]]:
    """Return (where, text) for every Vietnamese text users may read."""
    found: list[tuple[str, str]] = []
    messages: dict[MessageId, list[tuple[str, int]]] = extract()
    for msgid, places in messages.items():
        found += [(f"{places[0][0]}:{places[0][1]}", text) for text in _texts(msgid)]
    for locale in ("vi", "en"):
        for message in read_catalog(locale):
            if message.id:
                found += [(f"{locale}.po msgid", text) for text in _texts(message.id)]
    for message in read_catalog("vi"):
        if message.id:
            found += [("vi.po msgstr", text) for text in _texts(message.string)]
    for path in sorted(TEMPLATES_DIR.rglob("*.j2")):
        found.append((str(path.relative_to(TEMPLATES_DIR)), path.read_text(encoding="utf-8")))
    return found


@pytest.fixture(scope="module")
def vietnamese() -> list[tuple[str, str]]:
    return _vietnamese_texts()


@pytest.mark.parametrize(("pattern", "instead"), TURNED_DOWN)
def test_no_turned_down_phrasing_comes_back(
    pattern: str, instead: str, vietnamese: list[tuple[str, str]]
) -> None:
    found = [(where, text[:80]) for where, text in vietnamese if re.search(pattern, text)]
    assert found == [], f"write {instead}: {found[:5]}"


def test_the_turned_down_check_reads_the_templates_and_labels(
    vietnamese: list[tuple[str, str]],
) -> None:
    places = {where.split("/")[0].split(":")[0] for where, _ in vietnamese}
    assert {"vi.po msgid", "en.po msgid", "vi.po msgstr", "bot"} <= places
    assert any(where == "consent/notice.j2" for where, _ in vietnamese)
    # The check itself catches an old phrasing.
    assert re.search(TURNED_DOWN[1][0], "🤝 Ủng hộ hồ sơ NT-0000-0000")


def test_english_quotes_are_the_plans_too() -> None:
    english = [text for m in read_catalog("en") if m.id for text in _texts(m.string) if "«" in text]
    assert english == []


def test_the_council_office_has_one_english_name() -> None:
    english = " ".join(
        text for m in read_catalog("en") if m.id for text in _texts(m.string)
    ).replace("%(secretariat)s", "")
    assert "standing office" in english
    assert re.search(r"(?i)secretariat|council's office|council office", english) is None


# --- English counts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


def _deadline_notice(renderer: Renderer, locale: str, left: int) -> str:
    saturday = ShiftReason(ShiftKind.DAYS_OFF, (DayOff(date(2017, 12, 30), DayOffKind.WEEKEND),))
    notice = SimpleNamespace(
        kind="reminder", due=date(2017, 12, 29), working_days_left=left, shift_reason=saturday
    )
    task = SimpleNamespace(
        number=1, content="Đăng ký thi đua năm 2018", due_as_written="Trước ngày 31/12/2017"
    )
    return renderer.render(
        locale,
        "notices/deadline",
        notice=notice,
        task=task,
        lead=["Phường Hàng Bạc"],
        coordinating=[],
        unit="Phường Hàng Bạc",
    )


@pytest.mark.parametrize(
    ("left", "english"),
    [
        (1, "1 working day left"),
        (2, "2 working days left"),
        (-1, "1 working day late"),
        (-3, "3 working days late"),
    ],
)
def test_english_counts_working_days_in_the_singular_and_the_plural(
    renderer: Renderer, left: int, english: str
) -> None:
    text = _deadline_notice(renderer, "en", left)
    assert english in text
    assert "1 working days" not in text


def test_vietnamese_has_one_form_and_the_reason_is_in_the_readers_language(
    renderer: Renderer,
) -> None:
    vi = _deadline_notice(renderer, "vi", 1)
    en = _deadline_notice(renderer, "en", 1)
    assert "còn 1 ngày làm việc" in vi and "(30/12/2017 là Thứ Bảy)" in vi
    assert "(30/12/2017 is a Saturday)" in en and "Thứ Bảy" not in en


@pytest.mark.parametrize(
    ("count", "english"), [(1, "1 subscription ended"), (2, "2 subscriptions ended")]
)
def test_english_counts_subscriptions(renderer: Renderer, count: int, english: str) -> None:
    assert english in renderer.render("en", "subscriptions/unsubscribed", count=count)
    assert f"Đã hủy {count} đăng ký" in renderer.render(
        "vi", "subscriptions/unsubscribed", count=count
    )


def test_a_holiday_is_named_in_the_readers_language(renderer: Renderer) -> None:
    holiday = DayOff(date(2018, 9, 2), DayOffKind.HOLIDAY, "Quốc khánh", "National Day")
    reason = ShiftReason(ShiftKind.DAYS_OFF, (holiday,))
    assert renderer.render("vi", "deadlines/shift_reason", reason=reason) == (
        "02/09/2018 là ngày nghỉ lễ (Quốc khánh)"
    )
    assert renderer.render("en", "deadlines/shift_reason", reason=reason) == (
        "02/09/2018 is a public holiday (National Day)"
    )


def test_templates_live_where_the_check_reads_them() -> None:
    assert Path(TEMPLATES_DIR, "consent", "notice.j2").is_file()
