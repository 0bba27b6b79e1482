"""The council's vote on real storage (SQLite and PostgreSQL): counts, refusals, secrecy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text

from core.council import (
    NOT_PASSED_REASON,
    AlreadyVotedError,
    CaseBusyError,
    Choice,
    MeetingStatus,
    NotVotingMemberError,
    RecusalReason,
    RecusedError,
    TallyClosedError,
    TallyPassedError,
    UnknownMeetingError,
    VoteRule,
)
from core.meetings import (
    TallyOpenError,
    agenda,
    cast_vote,
    close_meeting,
    decline_not_passed,
    give_reason,
    meeting_minutes,
    open_meeting,
    progress,
    recuse,
    results,
)
from core.nomination import NominationStatus
from core.review import actor_for, revoke_role
from core.roles import NotAllowedError, Role
from storage.uow import Database, SqlUnitOfWork
from tests.integration.council import (
    OPERATOR,
    assert_no_vote_tied_to_a_voter,
    case_under_review,
    dump,
    grant,
)

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
OFFICE, RESIDENT = 5, 1
# Ids far above any row id a test makes: a member's id is never mistaken for a case's.
M1, M2, M3, M4, M5 = COUNCIL = (700_011, 700_012, 700_013, 700_014, 700_015)
EIGHTY = VoteRule(threshold=Fraction(4, 5), quorum=Fraction(1, 2))
HALF = VoteRule(threshold=Fraction(1, 2), quorum=Fraction(1, 2))


@dataclass(frozen=True)
class World:
    """Two cases under review: ``own`` was filed by member M1, ``other`` by a resident."""

    own: int
    other: int


@pytest.fixture
async def world(database: Database) -> World:
    from bot.plans import TODAY_PLAN, load_plan, read_plan_file

    await load_plan(database, read_plan_file(TODAY_PLAN))
    async with database.uow() as uow:
        await grant(uow, OFFICE, Role.SECRETARIAT, now=NOW)
        for member in COUNCIL:
            await grant(uow, member, Role.COUNCIL_MEMBER, now=NOW)
        own = await case_under_review(
            uow, nominator=M1, office=OFFICE, name="Trần Thị Mai", now=NOW
        )
        other = await case_under_review(
            uow, nominator=RESIDENT, office=OFFICE, name="Lê Minh Tuấn", now=NOW
        )
        await uow.commit()
    return World(own, other)


async def _open(
    db: Database,
    cases: list[int],
    present: tuple[int, ...] = COUNCIL,
    rules: dict[int, VoteRule] | None = None,
) -> int:
    async with db.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        opened = await open_meeting(
            uow,
            office,
            day=TODAY,
            case_ids=cases,
            present=present,
            default_rule=EIGHTY,
            # The cases' award form has its own rule: these tests choose theirs.
            rules={**dict.fromkeys(cases, EIGHTY), **(rules or {})},
            today=TODAY,
            now=NOW,
        )
        await uow.commit()
    assert opened.meeting.id is not None
    return opened.meeting.id


async def _vote(db: Database, member: int, meeting: int, case: int, choice: Choice) -> Any:
    async with db.uow() as uow:
        outcome = await cast_vote(uow, member, meeting, case, choice, today=TODAY)
        await uow.commit()
    return outcome


async def test_the_vote_is_counted_exactly_and_the_tally_closes_itself_after_the_last_ballot(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.own, world.other], rules={world.other: HALF})
    # Member M1 filed "own": core recused them on it, so 4 ballots close it.
    for member in (M2, M3, M4):
        assert (await _vote(database, member, meeting, world.own, Choice.FOR)).results is None
    await _vote(database, M5, meeting, world.own, Choice.AGAINST)
    for member in (M1, M2):
        await _vote(database, member, meeting, world.other, Choice.FOR)
    for member in (M3, M4):
        await _vote(database, member, meeting, world.other, Choice.AGAINST)
    last = await _vote(database, M5, meeting, world.other, Choice.FOR)

    assert last.results is not None and last.meeting.id == meeting
    own, other = last.results.lines
    assert (own.tally.votes_for, own.tally.votes_against, own.tally.abstained) == (3, 1, 1)
    assert own.tally.recused == 1 and str(own.tally.percent_for) == "60.0"
    assert not own.tally.passed  # 3 of 5 members is short of 80 %
    assert (other.tally.votes_for, other.tally.votes_against) == (3, 2)
    assert other.tally.passed  # its own rule: half of the 5 members
    assert OFFICE in last.results.readers
    async with database.uow() as uow:
        stored = await uow.meetings.get(meeting)
        assert stored is not None and stored.status is MeetingStatus.CLOSED
        assert [case.rule for case in stored.cases] == [EIGHTY, HALF]


async def test_a_vote_is_never_changed_and_nobody_without_a_ballot_votes(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.other], present=(M1, M2, M3))
    await _vote(database, M2, meeting, world.other, Choice.FOR)
    with pytest.raises(AlreadyVotedError):
        await _vote(database, M2, meeting, world.other, Choice.AGAINST)
    with pytest.raises(NotVotingMemberError):  # a member, absent from the meeting
        await _vote(database, M4, meeting, world.other, Choice.FOR)
    with pytest.raises(NotVotingMemberError):  # no member at all
        await _vote(database, OFFICE, meeting, world.other, Choice.FOR)
    with pytest.raises(UnknownMeetingError):  # a ballot, but no case of the meeting
        await _vote(database, M3, meeting, world.own, Choice.FOR)
    async with database.uow() as uow:
        await revoke_role(uow, OPERATOR, await _grant_id(uow, M3), now=NOW)
        await uow.commit()
    with pytest.raises(NotVotingMemberError):  # no longer a member
        await _vote(database, M3, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        assert await uow.meetings.counts(meeting) == {
            world.other: {Choice.FOR: 1, Choice.AGAINST: 0}
        }


async def _grant_id(uow: SqlUnitOfWork, user_id: int) -> int:
    (found,) = [g.id for g in await uow.roles.grants_of(user_id) if g.role is Role.COUNCIL_MEMBER]
    assert found is not None
    return found


async def test_a_recused_member_does_not_vote_and_a_voter_does_not_recuse(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.own, world.other])
    with pytest.raises(RecusedError):  # core recused the nominator on their own case
        await _vote(database, M1, meeting, world.own, Choice.FOR)
    async with database.uow() as uow:
        await recuse(uow, M2, meeting, world.other, RecusalReason.FAMILY, today=TODAY)
        await uow.commit()
    with pytest.raises(RecusedError):
        await _vote(database, M2, meeting, world.other, Choice.FOR)
    await _vote(database, M3, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        with pytest.raises(AlreadyVotedError):
            await recuse(uow, M3, meeting, world.other, RecusalReason.FAMILY, today=TODAY)
        with pytest.raises(RecusedError):
            await recuse(uow, M2, meeting, world.other, RecusalReason.FAMILY, today=TODAY)
        recusals = {
            (r.member_id, r.nomination_id, r.reason, r.declared)
            for r in await uow.meetings.recusals(meeting)
        }
    assert recusals == {
        (M1, world.own, RecusalReason.NOMINATOR, False),
        (M2, world.other, RecusalReason.FAMILY, True),
    }


async def test_a_supporter_is_recused_by_core(database: Database, world: World) -> None:
    async with database.uow() as uow:
        backed = await case_under_review(
            uow, nominator=RESIDENT, office=OFFICE, name="Phạm Văn Hòa", now=NOW, supporters=(M4,)
        )
        await uow.commit()
    meeting = await _open(database, [backed])
    async with database.uow() as uow:
        (recusal,) = await uow.meetings.recusals(meeting)
    assert (recusal.member_id, recusal.reason) == (M4, RecusalReason.SUPPORTER)


async def test_only_the_standing_office_opens_follows_closes_and_reads_results(
    database: Database, world: World
) -> None:
    async with database.uow() as uow:
        member = await actor_for(uow, M2, TODAY)
        with pytest.raises(NotAllowedError):
            await agenda(uow, member, on=TODAY)
        with pytest.raises(NotAllowedError):
            await open_meeting(
                uow,
                member,
                day=TODAY,
                case_ids=[world.other],
                present=COUNCIL,
                default_rule=EIGHTY,
                today=TODAY,
                now=NOW,
            )
    meeting = await _open(database, [world.other])
    async with database.uow() as uow:
        member = await actor_for(uow, M2, TODAY)
        for refused in (
            progress(uow, member, meeting),
            close_meeting(uow, member, meeting, today=TODAY),
            results(uow, member, meeting, today=TODAY),
            meeting_minutes(uow, member, meeting),
        ):
            with pytest.raises(NotAllowedError):
                await refused


async def test_the_office_sees_who_voted_never_how_and_the_results_only_once_closed(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.own, world.other])
    await _vote(database, M2, meeting, world.own, Choice.FOR)
    await _vote(database, M2, meeting, world.other, Choice.AGAINST)
    await _vote(database, M3, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        seen = await progress(uow, office, meeting)
        with pytest.raises(TallyOpenError):
            await results(uow, office, meeting, today=TODAY)
    assert [(c.cast, c.recused, c.present) for c in seen.cases] == [(1, 1, 5), (2, 0, 5)]
    assert seen.members_done == 1  # member M2 voted on both
    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        closed = await close_meeting(uow, office, meeting, today=TODAY)
        await uow.commit()
    own, _ = closed.lines
    assert (own.tally.votes_for, own.tally.abstained) == (1, 4)
    with pytest.raises(TallyClosedError):
        await _vote(database, M4, meeting, world.other, Choice.FOR)


async def test_a_case_is_put_to_one_meeting_at_a_time_and_again_once_it_closed(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.other])
    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        assert [case.id for case in (await agenda(uow, office, on=TODAY)).cases] == [world.own]
        assert [m.user_id for m in (await agenda(uow, office, on=TODAY)).members] == list(COUNCIL)
    with pytest.raises(CaseBusyError):
        await _open(database, [world.other])
    async with database.uow() as uow:
        await close_meeting(uow, await actor_for(uow, OFFICE, TODAY), meeting, today=TODAY)
        await uow.commit()
    assert await _open(database, [world.other]) != meeting


async def test_a_case_the_vote_did_not_pass_is_declined_with_the_reason(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.own, world.other], rules={world.other: HALF})
    for member in (M2, M3, M4):
        await _vote(database, member, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        with pytest.raises(TallyOpenError):
            await decline_not_passed(uow, office, meeting, world.own, now=NOW)
        await close_meeting(uow, office, meeting, today=TODAY)
        with pytest.raises(TallyPassedError):
            await decline_not_passed(uow, office, meeting, world.other, now=NOW)
        declined, entry = await decline_not_passed(uow, office, meeting, world.own, now=NOW)
        await uow.commit()
    assert declined.status is NominationStatus.NOT_COMMENDED
    assert entry.public_note == NOT_PASSED_REASON == "Không đạt tỷ lệ phiếu đồng ý"


async def test_the_minutes_name_the_day_the_members_present_and_each_tally(
    database: Database, world: World
) -> None:
    async with database.uow() as uow:
        for member in COUNCIL:
            await uow.users.save(await _named(uow, member))
        await uow.commit()
    meeting = await _open(database, [world.own, world.other], present=(M1, M2, M3, M4))
    await _vote(database, M2, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        await give_reason(uow, M2, meeting, world.other, "Việc làm đáng nêu gương.", today=TODAY)
        office = await actor_for(uow, OFFICE, TODAY)
        with pytest.raises(TallyOpenError):
            await meeting_minutes(uow, office, meeting)
        await close_meeting(uow, office, meeting, today=TODAY)
        made = await meeting_minutes(uow, office, meeting)
    assert made.day == TODAY and made.members == 5 and made.closed
    assert made.present == tuple(f"Thành viên {m}" for m in (M1, M2, M3, M4))
    own, other = made.cases
    assert own.nominee == "Trần Thị Mai" and own.recused == (f"Thành viên {M1}",)
    assert other.nominee == "Lê Minh Tuấn" and other.tally.votes_for == 1 and not other.passed
    assert other.opinions == ("Việc làm đáng nêu gương.",)


async def _named(uow: SqlUnitOfWork, user_id: int) -> Any:
    from core.people import User

    return User(user_id, f"Thành viên {user_id}", "vi", None, NOW)


# --- secrecy --------------------------------------------------------------------------------


async def test_a_reader_of_every_table_cannot_link_a_vote_to_a_voter(
    database: Database, world: World
) -> None:
    meeting = await _open(database, [world.other])
    async with database.uow() as uow:
        before = await dump(uow)
    await _vote(database, M2, meeting, world.other, Choice.FOR)
    await _vote(database, M3, meeting, world.other, Choice.AGAINST)
    await _vote(database, M4, meeting, world.other, Choice.FOR)
    async with database.uow() as uow:
        await give_reason(uow, M3, meeting, world.other, "Chưa đủ căn cứ.", today=TODAY)
        await uow.commit()
    async with database.uow() as uow:
        after = await dump(uow)
        on_postgresql = uow.session.get_bind().dialect.name == "postgresql"
        versions = (
            set(
                (
                    await uow.session.execute(
                        text("SELECT xmin::text FROM meeting_votes WHERE meeting_id = :m"),
                        {"m": meeting},
                    )
                ).scalars()
            )
            if on_postgresql
            else set()
        )
    assert {row["choice"]: row["votes"] for row in after["meeting_votes"]} == {
        "for": 2,
        "against": 1,
    }
    assert_no_vote_tied_to_a_voter(
        before,
        after,
        voters={M2: Choice.FOR, M3: Choice.AGAINST, M4: Choice.FOR},
        ids={str(meeting), str(world.other)},
    )
    (reason,) = after["meeting_reasons"]
    assert set(reason) == {"id", "meeting_id", "nomination_id", "text"}
    assert len(reason["id"]) == 32  # random, not counted
    if on_postgresql:  # every count row was rewritten by the last vote, whichever it was
        assert len(versions) == 1


async def test_the_council_meets_on_a_case_only_once_its_public_comment_has_ended(
    database: Database, world: World
) -> None:
    from core.calendar import WorkingCalendar
    from core.council import CommentWindowOpenError
    from core.publicity import open_window

    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        window, _ = await open_window(
            uow,
            office,
            [world.other],
            days=5,
            now=NOW,
            today=TODAY,
            calendar=WorkingCalendar(),
        )
        await uow.commit()
    with pytest.raises(CommentWindowOpenError) as refused:
        await _open(database, [world.own, world.other])
    assert refused.value.closes_on == window.closes_on
    assert await _open(database, [world.own]) > 0  # a case not listed is not held up


async def test_a_case_is_decided_by_its_award_forms_rule_unless_the_office_gives_one(
    database: Database, world: World
) -> None:
    async with database.uow() as uow:
        office = await actor_for(uow, OFFICE, TODAY)
        opened = await open_meeting(
            uow,
            office,
            day=TODAY,
            case_ids=[world.own, world.other],
            present=COUNCIL,
            default_rule=EIGHTY,
            rules={world.other: EIGHTY},
            today=TODAY,
            now=NOW,
        )
    rules = {case.nomination_id: case.rule for case in opened.meeting.cases}
    # The plan's short procedure ("khen-thuong-dot-xuat"): half of all members, half present.
    assert rules == {world.own: HALF, world.other: EIGHTY}
