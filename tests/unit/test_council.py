"""The council's vote as rules: exact thresholds, the quorum, recusals, the meeting's states."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from core.codes import TrackingCode
from core.council import (
    CaseLine,
    Choice,
    Meeting,
    MeetingCase,
    MeetingError,
    MeetingStatus,
    NotVotingMemberError,
    Recusal,
    RecusalReason,
    TallyClosedError,
    UnknownMeetingError,
    VoteRule,
    conflict_of,
    minutes,
    tally,
)
from core.nomination import Nomination, NominationStatus, Nominator, Nominee, NomineeKind

EIGHTY = VoteRule(threshold=Fraction(4, 5), quorum=Fraction(1, 2))
COUNCIL = (11, 12, 13, 14, 15)
DAY = date(2026, 11, 20)


def _meeting(
    rule: VoteRule = EIGHTY,
    present: tuple[int, ...] = COUNCIL,
    council: tuple[int, ...] = COUNCIL,
) -> Meeting:
    meeting = Meeting.convene(
        council_key="hdtdkt",
        day=DAY,
        cases=[MeetingCase(7, rule)],
        present=present,
        council_members=council,
        opened_by=1,
    )
    return meeting.start_voting()


def _tally(
    votes_for: int,
    against: int = 0,
    *,
    rule: VoteRule = EIGHTY,
    present: tuple[int, ...] = COUNCIL,
    council: tuple[int, ...] = COUNCIL,
) -> bool:
    counts = {Choice.FOR: votes_for, Choice.AGAINST: against}
    return tally(_meeting(rule, present, council), 7, counts, 0).passed


def test_four_of_five_members_pass_at_eighty_per_cent_and_three_do_not() -> None:
    assert _tally(4, 1)
    assert not _tally(3, 2)


def test_the_threshold_counts_all_members_not_those_present() -> None:
    # 3 present of 5, all for: 3/5 = 60 % of the council, short of 80 %.
    assert not _tally(3, present=(11, 12, 13))
    assert _tally(3, present=(11, 12, 13), rule=VoteRule(Fraction(3, 5), Fraction(1)))


def test_ninety_per_cent_of_ten_needs_nine_exactly() -> None:
    council = tuple(range(100, 110))
    rule = VoteRule(Fraction(9, 10), Fraction(1, 2))
    assert _tally(9, 1, rule=rule, present=council, council=council)
    assert not _tally(8, 2, rule=rule, present=council, council=council)


def test_two_thirds_has_no_rounding_surprise() -> None:
    council = (1, 2, 3)
    rule = VoteRule(Fraction(2, 3), Fraction(0))
    assert _tally(2, rule=rule, present=council, council=council)
    assert not _tally(1, rule=rule, present=council, council=council)
    # 0.6666 as a float threshold would pass 2 of 3, and 0.67 would not: exact is 2.
    result = tally(_meeting(rule, council, council), 7, {Choice.FOR: 2}, 0)
    assert result.share_for == Fraction(2, 3) and str(result.percent_for) == "66.7"


def test_the_quorum_is_a_share_of_the_members_present_who_cast_a_vote() -> None:
    rule = VoteRule(threshold=Fraction(2, 5), quorum=Fraction(3, 4))
    # 4 present; 2 for, 1 against: 3 cast of 4 = 75 %: quorum met, 2/5 for: passes.
    assert _tally(2, 1, rule=rule, present=(11, 12, 13, 14))
    # 2 for, 0 against, 2 abstained: 2 cast of 4 = 50 %: no quorum, whatever the votes for.
    assert not _tally(2, 0, rule=rule, present=(11, 12, 13, 14))
    held = tally(_meeting(rule, (11, 12, 13, 14)), 7, {Choice.FOR: 2}, 0)
    assert not held.quorum_met and held.votes_for >= rule.threshold * held.members


def test_recusals_count_as_abstained() -> None:
    result = tally(_meeting(), 7, {Choice.FOR: 3, Choice.AGAINST: 1}, 1)
    assert (result.votes_for, result.votes_against, result.abstained) == (3, 1, 1)
    assert result.complete and not result.passed  # 3 of 5 is 60 %


def test_a_tally_is_complete_once_every_member_not_recused_voted() -> None:
    assert not tally(_meeting(), 7, {Choice.FOR: 3}, 1).complete
    assert tally(_meeting(), 7, {Choice.FOR: 3, Choice.AGAINST: 1}, 1).complete


def test_core_finds_the_nominator_and_the_supporters_family_is_declared() -> None:
    case = Nomination(
        code=TrackingCode("NT-AAAA-AAAA"),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Nguyễn Văn Bình"),
        unit_key="phuong-hoan-kiem",
        deed="Trả lại ví cho người đánh rơi ở chợ Đồng Xuân.",
        deed_date=DAY,
        nominator=Nominator(11, anonymous=True),
        status=NominationStatus.UNDER_REVIEW,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        status_changed_at=datetime(2026, 11, 2, tzinfo=UTC),
        id=7,
    )
    assert conflict_of(case, 11, supporters={12}) is RecusalReason.NOMINATOR
    assert conflict_of(case, 12, supporters={12}) is RecusalReason.SUPPORTER
    assert conflict_of(case, 13, supporters={12}) is None


def test_a_meeting_refuses_strangers_no_cases_and_a_case_twice() -> None:
    with pytest.raises(MeetingError):
        _meeting(present=(11, 99))
    with pytest.raises(MeetingError):
        _meeting(present=())
    with pytest.raises(MeetingError):
        Meeting.convene(
            council_key="hdtdkt",
            day=DAY,
            cases=[MeetingCase(7, EIGHTY), MeetingCase(7, EIGHTY)],
            present=(11,),
            council_members=COUNCIL,
            opened_by=1,
        )


def test_only_members_present_cast_and_only_while_voting() -> None:
    meeting = _meeting(present=(11, 12, 13))
    assert meeting.check_ballot(11, 7).rule == EIGHTY
    with pytest.raises(NotVotingMemberError):
        meeting.check_ballot(14, 7)  # a member, absent
    with pytest.raises(UnknownMeetingError):
        meeting.check_ballot(11, 8)
    closed = meeting.close()
    assert closed.status is MeetingStatus.CLOSED
    with pytest.raises(TallyClosedError):
        closed.check_ballot(11, 7)
    with pytest.raises(TallyClosedError):
        closed.close()


def test_a_rule_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        VoteRule(Fraction(0), Fraction(1, 2))
    with pytest.raises(ValueError, match="quorum"):
        VoteRule(Fraction(1, 2), Fraction(3, 2))


def test_the_minutes_hold_the_day_the_present_and_each_case() -> None:
    meeting = _meeting(present=(11, 12, 13, 14))
    meeting = Meeting(**{**_fields(meeting), "id": 3}).close()
    result = tally(meeting, 7, {Choice.FOR: 3}, 1)
    names = {11: "An", 12: "Bình", 13: "Chi", 14: "Dũng"}
    made = minutes(
        meeting,
        {7: result},
        names=names,
        cases={7: CaseLine("NT-AAAA-AAAA", "N.V.B.")},
        recusals=[Recusal(14, 7, RecusalReason.FAMILY, declared=True)],
        opinions={7: ["Việc làm đáng khen."]},
    )
    assert made.day == DAY and made.members == 5 and made.closed
    assert made.present == ("An", "Bình", "Chi", "Dũng")
    (line,) = made.cases
    assert (line.code, line.nominee, line.recused) == ("NT-AAAA-AAAA", "N.V.B.", ("Dũng",))
    assert line.tally.abstained == 1 and not line.passed  # 3 of 5 is short of 80 %
    assert line.opinions == ("Việc làm đáng khen.",)


def _fields(meeting: Meeting) -> dict[str, object]:
    return {name: getattr(meeting, name) for name in Meeting.__slots__}
