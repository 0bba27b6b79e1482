"""Messages render in the user's language, escaped for Telegram HTML, within its limits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rendering import MAX_TEXT_CHARS, Renderer, fit_telegram_text
from core.nomination import NominationDraft, NomineeKind


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_user_text_is_shown_literally_not_as_html(renderer: Renderer) -> None:
    text = renderer.render("vi", "start/welcome", name="<b>A & B</b>")
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in text
    assert "<b>A & B</b>" not in text


def test_same_template_renders_in_vietnamese_and_english(renderer: Renderer) -> None:
    vi = renderer.render(
        "vi",
        "nominate/ask_kind",
        step=1,
        total=10,
        problem=None,
        params={},
        draft=NominationDraft(),
        limit=5,
    )
    en = renderer.render(
        "en",
        "nominate/ask_kind",
        step=1,
        total=10,
        problem=None,
        params={},
        draft=NominationDraft(),
        limit=5,
    )
    assert "Bước 1/10" in vi and "cá nhân" in vi
    assert "Step 1/10" in en and "a person" in en


def test_unknown_locale_falls_back_to_vietnamese(renderer: Renderer) -> None:
    assert "Bước 2/9" in renderer.render("fr", "_step", step=2, total=9, problem=None, params={})


def test_dates_are_day_month_year_in_hanoi_time(renderer: Renderer) -> None:
    draft = NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name="Lê Thị Hoa",
        deed="Trả lại ví cho người đánh rơi ở chợ Đồng Xuân",
        deed_date=date(2026, 11, 2),
    )
    text = renderer.render(
        "vi",
        "nominate/summary",
        problem=None,
        draft=draft,
        kind="Cá nhân",
        role=None,
        unit="Phường Hàng Bạc",
        campaign=None,
    )
    assert "02/11/2026" in text
    # 17:30 UTC is half past midnight the next day in Hà Nội.
    view_time = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    assert renderer._format_datetime(view_time) == "00:30 21/11/2026"


def test_a_missing_template_variable_fails_loudly(renderer: Renderer) -> None:
    with pytest.raises(Exception, match="step"):
        renderer.render("vi", "_step", total=3, problem=None, params={})


def test_overlong_text_is_cut_to_telegrams_limit_without_broken_tags() -> None:
    text = "<b>" + "việc tốt &amp; " * 600 + "</b>"
    cut = fit_telegram_text(text, "test")
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_TEXT_CHARS
    assert "<b>" not in cut and cut.endswith("…")
    assert not cut[:-1].endswith("&amp")


def test_each_line_of_a_template_stays_a_line(renderer: Renderer) -> None:
    text = renderer.render(
        "vi",
        "nominate/ask_kind",
        step=1,
        total=10,
        problem="date.future",
        params={},
        draft=NominationDraft(),
        limit=5,
    )
    lines = text.splitlines()
    assert lines[0].startswith("⚠️") and lines[1] == ""
    assert lines[2] == "<b>Bước 1/10</b>"
    assert lines[3].startswith("Anh/Chị muốn đề cử")
