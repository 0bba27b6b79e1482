"""The vote's messages in both languages: the results per case, the progress without names."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from bot.rendering import Renderer
from core.council import CaseLine, Choice, Meeting, MeetingCase, VoteRule, tally
from core.meetings import CaseProgress, Progress, ResultLine, Results

RULE = VoteRule(threshold=Fraction(2, 3), quorum=Fraction(1, 2))
MEETING = Meeting(
    council_key="hdtdkt-phuong-hoan-kiem",
    day=date(2026, 11, 20),
    cases=(MeetingCase(7, RULE), MeetingCase(8, RULE)),
    present=(1, 2, 3, 4),
    members=5,
    opened_by=9,
    id=3,
).start_voting()
LINES = {7: CaseLine("NT-AAAA-AAAA", "Trần Thị Mai"), 8: CaseLine("NT-BBBB-BBBB", "N.V.B.")}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


def _results() -> Results:
    passed = tally(MEETING, 7, {Choice.FOR: 4}, 0)  # 4 of 5 = 80 % ≥ 66.7 %
    short = tally(MEETING, 8, {Choice.FOR: 1}, 1)  # 1 cast of 4 present: no quorum
    return Results(
        MEETING.close(),
        [ResultLine(LINES[7], passed, None), ResultLine(LINES[8], short, None)],
        [9],
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "vi",
            [
                "Hội đồng có 5 thành viên, 4 thành viên dự họp.",
                "Đồng ý: 4 · Không đồng ý: 0 · Không biểu quyết: 0",
                "Tỷ lệ đồng ý: 80,0% tổng số thành viên (cần từ 66,7%)",
                "✅ Đạt tỷ lệ phiếu đồng ý",
                "(trong đó 1 thành viên xin không biểu quyết)",
                "❌ Không đạt: chưa đủ 50,0% thành viên dự họp bỏ phiếu",
            ],
        ),
        (
            "en",
            [
                "The council has 5 members; 4 were present.",
                "In favour: 4 · Against: 0 · Abstained: 0",
                "In favour: 80.0% of all members (66.7% needed)",
                "(of whom 1 member recused)",
                "Not passed: fewer than 50.0% of the members present voted",
            ],
        ),
    ],
)
def test_the_results_give_each_cases_count_share_and_outcome(
    renderer: Renderer, locale: str, expected: list[str]
) -> None:
    text = renderer.render(locale, "meeting/results", results=_results())
    for line in expected:
        assert line in text


def test_the_progress_counts_who_voted_and_names_nobody(renderer: Renderer) -> None:
    seen = Progress(
        MEETING,
        [CaseProgress(LINES[7], 3, 0, 4), CaseProgress(LINES[8], 2, 1, 4)],
        members_done=2,
    )
    vi = renderer.render("vi", "meeting/progress", progress=seen)
    en = renderer.render("en", "meeting/progress", progress=seen)
    assert "2/4 thành viên đã bỏ phiếu" in vi and "· NT-AAAA-AAAA · Trần Thị Mai: 3/4 phiếu" in vi
    assert "NT-BBBB-BBBB · N.V.B.: 2/3 phiếu, 1 thành viên xin không biểu quyết" in vi
    assert "2/4 members have voted" in en and "2/3 ballots, 1 member recused" in en
