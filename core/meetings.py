"""The council's vote as use cases: open a meeting, cast, recuse, follow, close, decide.

Every service asks who acts first. The standing office (or an admin) opens, follows and
closes meetings and reads their results; a council member present casts their own ballots.
The rules themselves are :mod:`core.council`'s; the secrecy of what is stored, the port's
(:class:`core.ports.meetings.MeetingRepository`).

Nothing here logs or returns who voted what: a cast returns only whether the tally closed.
The tally itself is shown only once closed, so that following the progress (who has voted)
next to a running count can never tell a vote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.council import (
    NOT_PASSED_REASON,
    AlreadyVotedError,
    Ballot,
    CaseBusyError,
    CaseLine,
    Choice,
    CommentWindowOpenError,
    Meeting,
    MeetingCase,
    MeetingError,
    MeetingStatus,
    Minutes,
    NotVotingMemberError,
    Recusal,
    RecusalReason,
    RecusedError,
    Tally,
    TallyPassedError,
    UnknownMeetingError,
    VoteRule,
    conflict_of,
    minutes,
    tally,
)
from core.dossiers import award_form_of
from core.errors import DomainError
from core.nomination import Nomination, NominationStatus
from core.ports import UnitOfWork
from core.publicity import still_open
from core.review import (
    CaseView,
    UnknownNominationError,
    act,
    actor_for,
    case_view,
    display_name,
    secretariat_ids,
)
from core.roles import Actor, NotAllowedError, Role
from core.workflow import Action, AuditEntry

# The most cases one meeting is offered at once (each is a button of the opening dialog).
AGENDA_LIMIT = 30
REASON_MAX_CHARS = 1000


class TallyOpenError(DomainError):
    """The tally is not closed yet: its results are not shown before."""

    code = "meeting.open"


def may_hold_meetings(actor: Actor) -> bool:
    """Tell whether ``actor`` may open, follow and close the council's meetings."""
    return actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN)


def _check_office(actor: Actor) -> None:
    if not may_hold_meetings(actor):
        raise NotAllowedError(f"user {actor.user_id} may not hold the council's meetings")


async def council_members(uow: UnitOfWork, on: date) -> list[int]:
    """Return the user ids of the council's members in force on ``on``."""
    return sorted(
        {
            grant.user_id
            for grant in await uow.roles.holders(unit_key=None)
            if grant.role is Role.COUNCIL_MEMBER and grant.in_force(on)
        }
    )


@dataclass(frozen=True, slots=True)
class Member:
    """A council member as the standing office picks them: id and name."""

    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Agenda:
    """What a meeting may be opened with: the cases under review free to put, the members."""

    cases: Sequence[Nomination]
    members: Sequence[Member]


async def agenda(uow: UnitOfWork, actor: Actor, *, on: date) -> Agenda:
    """Return the cases under review not before another meeting, and the council's members."""
    _check_office(actor)
    busy = await uow.meetings.cases_being_voted()
    queued = await uow.nominations.queue(
        unit_keys=None,
        statuses=frozenset({NominationStatus.UNDER_REVIEW}),
        limit=AGENDA_LIMIT + len(busy),
    )
    cases = [case.as_public() for case in queued if case.id not in busy][:AGENDA_LIMIT]
    members = [Member(uid, await display_name(uow, uid)) for uid in await council_members(uow, on)]
    return Agenda(cases, members)


@dataclass(frozen=True, slots=True)
class BallotPaper:
    """What a member present is sent about one case.

    ``line`` names the case as the council may know it. ``view``: the case as core shows it
    to that member, to vote on; None when core recused them (``conflict``: they are its
    nominator or a supporter).
    """

    member_id: int
    nomination_id: int
    line: CaseLine
    view: CaseView | None
    conflict: RecusalReason | None


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One case's result: who it is about and its tally.

    ``case`` is the nomination as the council may see it (None if it was since erased): what
    a button recording the decision is built from.
    """

    line: CaseLine
    tally: Tally
    case: Nomination | None


@dataclass(frozen=True, slots=True)
class Results:
    """A closed meeting's results, case by case, and who is told them."""

    meeting: Meeting
    lines: Sequence[ResultLine]
    readers: Sequence[int]


@dataclass(frozen=True, slots=True)
class OpenedMeeting:
    """A meeting just opened: its ballot papers to send, and its results if all recused."""

    meeting: Meeting
    papers: Sequence[BallotPaper]
    results: Results | None


async def open_meeting(
    uow: UnitOfWork,
    actor: Actor,
    *,
    day: date,
    case_ids: Sequence[int],
    present: Collection[int],
    default_rule: VoteRule,
    rules: Mapping[int, VoteRule] | None = None,
    today: date,
    now: datetime,
) -> OpenedMeeting:
    """Open a meeting on ``day`` and give each member present a ballot per case.

    Each case is decided by ``rules[case id]`` if given, else ``default_rule``: the caller
    hands in the award form's rule. A member who is a case's nominator or supporter is
    recused on it at once and sent no ballot for it. Return the ballot papers, each with the
    case as core shows it to that member.
    """
    _check_office(actor)
    organisation = await uow.organisation.load()
    council = organisation.council_on(day) if organisation is not None else None
    if council is None:
        raise MeetingError(f"no council on {day.isoformat()}")
    chosen = dict(rules or {})
    nominations: list[Nomination] = []
    for case_id in case_ids:
        # Held until the transaction ends: two meetings opened at once take turns here, and
        # the second then sees the case before the first.
        nomination = await uow.nominations.get(case_id, for_update=True)
        if nomination is None:
            raise UnknownNominationError(str(case_id))
        nominations.append(nomination)
    for nomination in nominations:  # the award form's rule, unless the caller gave one
        if nomination.id is not None and nomination.id not in chosen:
            rule = await _form_rule(uow, nomination)
            if rule is not None:
                chosen[nomination.id] = rule
    busy = await uow.meetings.cases_being_voted()
    for nomination in nominations:
        if nomination.status is not NominationStatus.UNDER_REVIEW or nomination.id in busy:
            raise CaseBusyError(f"case {nomination.id} cannot be put to a meeting now")
    # Not before the public has had its say on every case listed for comment.
    waiting = await still_open(uow, [n.id for n in nominations if n.id is not None], today)
    if waiting:
        raise CommentWindowOpenError(waiting[-1])
    meeting = Meeting.convene(
        council_key=council.key,
        day=day,
        cases=[MeetingCase(case_id, chosen.get(case_id, default_rule)) for case_id in case_ids],
        present=present,
        council_members=await council_members(uow, day),
        opened_by=actor.user_id,
    ).start_voting()
    meeting = await uow.meetings.add(meeting)
    assert meeting.id is not None
    papers: list[BallotPaper] = []
    for nomination in nominations:
        assert nomination.id is not None
        supporters = {supporter.user_id for supporter in await uow.supporters.of(nomination.id)}
        line = _line(nomination.id, {nomination.id: nomination.as_public()})
        for member_id in meeting.present:
            conflict = conflict_of(nomination, member_id, supporters)
            if conflict is not None:
                recusal = Recusal(member_id, nomination.id, conflict, declared=False)
                await uow.meetings.recuse(meeting.id, recusal)
                papers.append(BallotPaper(member_id, nomination.id, line, None, conflict))
                continue
            member = await actor_for(uow, member_id, today)
            view = await case_view(uow, member, nomination.id, now=now)
            papers.append(BallotPaper(member_id, nomination.id, line, view, None))
    return OpenedMeeting(meeting, papers, await _close_if_complete(uow, meeting, today))


async def forget_ballot_input(uow: UnitOfWork, update_id: int | None) -> None:
    """Forget what a stored update of a ballot said, whatever it was for.

    A press on a ballot carries the ballot message itself, its buttons with it: kept, it
    would tell which of a member's buttons stood for which choice. Every service below
    forgets its own update too; this is for the presses that reach none of them.
    """
    if update_id is not None:
        await uow.inbound.forget_payload(update_id)


@dataclass(frozen=True, slots=True)
class CastOutcome:
    """What a ballot cast or a recusal led to: the tally closed (its results) or not (None).

    ``line`` names the case voted on, as the council may know it.
    """

    meeting: Meeting
    line: CaseLine
    results: Results | None


async def cast_vote(
    uow: UnitOfWork,
    member_id: int,
    meeting_id: int,
    nomination_id: int,
    choice: Choice,
    *,
    today: date,
    update_id: int | None = None,
) -> CastOutcome:
    """Cast the member's vote on a case, once; close the tally if it was the last ballot.

    ``update_id`` is the stored update that carried the vote: what it said is forgotten in
    this transaction, whether the vote is taken or refused, so no stored update ties the
    member to a choice. A vote cast is never changed (:class:`AlreadyVotedError`).
    """
    if update_id is not None:
        await uow.inbound.forget_payload(update_id)
    meeting = await _ballot_meeting(uow, member_id, meeting_id, nomination_id, today)
    if await _has_recused(uow, meeting_id, member_id, nomination_id):
        raise RecusedError(f"user {member_id} recused on case {nomination_id}")
    if not await uow.meetings.cast(meeting_id, nomination_id, member_id, choice):
        raise AlreadyVotedError(f"user {member_id} voted on case {nomination_id} already")
    return await _outcome(uow, meeting, nomination_id, today)


async def recuse(
    uow: UnitOfWork,
    member_id: int,
    meeting_id: int,
    nomination_id: int,
    reason: RecusalReason,
    *,
    today: date,
    update_id: int | None = None,
) -> CastOutcome:
    """Record the member's recusal on a case (before voting on it); close the tally if last."""
    if update_id is not None:
        await uow.inbound.forget_payload(update_id)
    meeting = await _ballot_meeting(uow, member_id, meeting_id, nomination_id, today)
    if _ballot_of(await uow.meetings.ballots(meeting_id), member_id, nomination_id).cast:
        raise AlreadyVotedError(f"user {member_id} voted on case {nomination_id} already")
    recusal = Recusal(member_id, nomination_id, reason, declared=True)
    if not await uow.meetings.recuse(meeting_id, recusal):
        raise RecusedError(f"user {member_id} recused on case {nomination_id} already")
    return await _outcome(uow, meeting, nomination_id, today)


async def give_reason(
    uow: UnitOfWork,
    member_id: int,
    meeting_id: int,
    nomination_id: int,
    text: str,
    *,
    today: date,
    update_id: int | None = None,
) -> None:
    """Keep the reason a member gives on a case they voted on: with no name and no vote.

    Taken after the tally closed too: the last vote closes it, and its reason comes after.
    The stored update that carried the text forgets it.
    """
    if update_id is not None:
        await uow.inbound.forget_payload(update_id)
    meeting = await _member_meeting(uow, member_id, meeting_id, today)
    if member_id not in meeting.present:
        raise NotVotingMemberError(f"user {member_id} is not present at meeting {meeting_id}")
    meeting.case(nomination_id)
    if not _ballot_of(await uow.meetings.ballots(meeting_id), member_id, nomination_id).cast:
        raise RecusedError(f"user {member_id} cast no vote on case {nomination_id}")
    await uow.meetings.add_reason(meeting_id, nomination_id, text[:REASON_MAX_CHARS])


@dataclass(frozen=True, slots=True)
class CaseProgress:
    """How far one case's ballots are: cast, recused, out of the members present."""

    line: CaseLine
    cast: int
    recused: int
    present: int


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a meeting's vote is: per case, and how many members are done with all."""

    meeting: Meeting
    cases: Sequence[CaseProgress]
    members_done: int


async def progress(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Progress:
    """Return how many members have voted, per case and overall: never how."""
    _check_office(actor)
    meeting = await _meeting(uow, meeting_id)
    assert meeting.id is not None
    ballots = await uow.meetings.ballots(meeting.id)
    recused = {(r.member_id, r.nomination_id) for r in await uow.meetings.recusals(meeting.id)}
    lines = await _case_lines(uow, meeting)
    cases = [
        CaseProgress(
            lines[case.nomination_id],
            sum(1 for b in ballots if b.nomination_id == case.nomination_id and b.cast),
            sum(1 for member, case_id in recused if case_id == case.nomination_id),
            len(meeting.present),
        )
        for case in meeting.cases
    ]
    done = sum(
        1
        for member in meeting.present
        if all(
            b.cast or (member, b.nomination_id) in recused for b in ballots if b.member_id == member
        )
    )
    return Progress(meeting, cases, done)


async def _form_rule(uow: UnitOfWork, nomination: Nomination) -> VoteRule | None:
    """Return the vote rule of the case's award form, if its plan gives one."""
    form = await award_form_of(uow, nomination)
    if form is None or not form.vote.required or form.vote.threshold is None:
        return None
    quorum = form.vote.quorum if form.vote.quorum is not None else form.vote.threshold
    return VoteRule(threshold=form.vote.threshold, quorum=quorum)


async def last_closed(uow: UnitOfWork, actor: Actor) -> int | None:
    """Return the number of the latest closed meeting, for the standing office."""
    _check_office(actor)
    meeting = await uow.meetings.latest(status=MeetingStatus.CLOSED)
    return meeting.id if meeting is not None else None


async def current_meeting(uow: UnitOfWork, actor: Actor) -> Meeting | None:
    """Return the meeting being voted on now, if any (the latest opened)."""
    _check_office(actor)
    return await uow.meetings.latest(status=MeetingStatus.VOTING)


async def close_meeting(uow: UnitOfWork, actor: Actor, meeting_id: int, *, today: date) -> Results:
    """Close the tally as it stands (ballots not cast count as abstained); return the results."""
    _check_office(actor)
    meeting = await _meeting(uow, meeting_id, for_update=True)
    return await _close(uow, meeting, today)


async def results(
    uow: UnitOfWork, actor: Actor, meeting_id: int | None = None, *, today: date
) -> Results:
    """Return a closed meeting's results (by default the latest closed meeting's)."""
    _check_office(actor)
    if meeting_id is None:
        latest = await uow.meetings.latest(status=MeetingStatus.CLOSED)
        if latest is None:
            raise UnknownMeetingError("no meeting was closed yet")
        meeting = latest
    else:
        meeting = await _meeting(uow, meeting_id)
    if meeting.status is not MeetingStatus.CLOSED:
        raise TallyOpenError(f"meeting {meeting.id} is {meeting.status}")
    return await _results(uow, meeting, today)


async def meeting_minutes(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Minutes:
    """Return what the minutes of a closed meeting say (:func:`core.council.minutes`)."""
    _check_office(actor)
    meeting = await _meeting(uow, meeting_id)
    assert meeting.id is not None
    if meeting.status is not MeetingStatus.CLOSED:
        raise TallyOpenError(f"meeting {meeting.id} is {meeting.status}")
    recusals = await uow.meetings.recusals(meeting.id)
    tallies = await _tallies(uow, meeting, recusals)
    names = {
        member: await display_name(uow, member)
        for member in {*meeting.present, *(r.member_id for r in recusals)}
    }
    return minutes(
        meeting,
        tallies,
        names=names,
        cases=await _case_lines(uow, meeting),
        recusals=recusals,
        opinions=await uow.meetings.reasons(meeting.id),
    )


async def decline_not_passed(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    nomination_id: int,
    *,
    now: datetime,
) -> tuple[Nomination, AuditEntry]:
    """Decline a case the closed vote did not pass, through the review's "decline".

    The reason recorded (and told to the nominator) is :data:`NOT_PASSED_REASON`. Refused
    for a case that passed, and for one put again to a meeting still voting.
    """
    _check_office(actor)
    meeting = await _meeting(uow, meeting_id)
    assert meeting.id is not None
    if meeting.status is not MeetingStatus.CLOSED:
        raise TallyOpenError(f"meeting {meeting.id} is {meeting.status}")
    recusals = await uow.meetings.recusals(meeting.id)
    counts = (await uow.meetings.counts(meeting.id)).get(nomination_id, {})
    recused = sum(1 for r in recusals if r.nomination_id == nomination_id)
    if tally(meeting, nomination_id, counts, recused).passed:
        raise TallyPassedError(f"case {nomination_id} passed at meeting {meeting.id}")
    if nomination_id in await uow.meetings.cases_being_voted():
        raise CaseBusyError(f"case {nomination_id} is before another meeting")
    return await act(
        uow, actor, nomination_id, Action.DECLINE, now=now, public_note=NOT_PASSED_REASON
    )


# --- helpers ------------------------------------------------------------------------------


async def _meeting(uow: UnitOfWork, meeting_id: int, *, for_update: bool = False) -> Meeting:
    meeting = await uow.meetings.get(meeting_id, for_update=for_update)
    if meeting is None:
        raise UnknownMeetingError(f"no meeting {meeting_id}")
    return meeting


async def _member_meeting(
    uow: UnitOfWork, member_id: int, meeting_id: int, today: date, *, for_update: bool = False
) -> Meeting:
    """Return the meeting if ``member_id`` is a council member today; refuse alike otherwise."""
    if not (await actor_for(uow, member_id, today)).has(Role.COUNCIL_MEMBER):
        raise NotVotingMemberError(f"user {member_id} is no council member")
    return await _meeting(uow, meeting_id, for_update=for_update)


async def _ballot_meeting(
    uow: UnitOfWork, member_id: int, meeting_id: int, nomination_id: int, today: date
) -> Meeting:
    """Return the meeting, held until the transaction ends, if the member may cast on the case.

    Held, so that two last ballots arriving at once cannot both miss closing the tally.
    """
    meeting = await _member_meeting(uow, member_id, meeting_id, today, for_update=True)
    meeting.check_ballot(member_id, nomination_id)
    return meeting


def _ballot_of(ballots: Sequence[Ballot], member_id: int, nomination_id: int) -> Ballot:
    for ballot in ballots:
        if ballot.member_id == member_id and ballot.nomination_id == nomination_id:
            return ballot
    raise NotVotingMemberError(f"user {member_id} has no ballot on case {nomination_id}")


async def _has_recused(uow: UnitOfWork, meeting_id: int, member_id: int, case_id: int) -> bool:
    return any(
        r.member_id == member_id and r.nomination_id == case_id
        for r in await uow.meetings.recusals(meeting_id)
    )


async def _tallies(
    uow: UnitOfWork, meeting: Meeting, recusals: Sequence[Recusal]
) -> dict[int, Tally]:
    assert meeting.id is not None
    counts = await uow.meetings.counts(meeting.id)
    return {
        case.nomination_id: tally(
            meeting,
            case.nomination_id,
            counts.get(case.nomination_id, {}),
            sum(1 for r in recusals if r.nomination_id == case.nomination_id),
        )
        for case in meeting.cases
    }


async def _outcome(
    uow: UnitOfWork, meeting: Meeting, nomination_id: int, today: date
) -> CastOutcome:
    nomination = await uow.nominations.get(nomination_id)
    cases = {nomination_id: nomination.as_public() if nomination is not None else None}
    line = _line(nomination_id, cases)
    return CastOutcome(meeting, line, await _close_if_complete(uow, meeting, today))


async def _close_if_complete(uow: UnitOfWork, meeting: Meeting, today: date) -> Results | None:
    """Close the tally once every member present voted or recused on every case."""
    assert meeting.id is not None
    tallies = await _tallies(uow, meeting, await uow.meetings.recusals(meeting.id))
    if not all(t.complete for t in tallies.values()):
        return None
    return await _close(uow, meeting, today)


async def _close(uow: UnitOfWork, meeting: Meeting, today: date) -> Results:
    assert meeting.id is not None
    closed = meeting.close()
    await uow.meetings.set_status(meeting.id, closed.status)
    return await _results(uow, closed, today)


async def _results(uow: UnitOfWork, meeting: Meeting, today: date) -> Results:
    assert meeting.id is not None
    tallies = await _tallies(uow, meeting, await uow.meetings.recusals(meeting.id))
    cases = await _cases(uow, meeting)
    readers = sorted({meeting.opened_by, *await secretariat_ids(uow, today)})
    return Results(
        meeting,
        [
            ResultLine(
                _line(case.nomination_id, cases),
                tallies[case.nomination_id],
                cases[case.nomination_id],
            )
            for case in meeting.cases
        ],
        readers,
    )


async def _cases(uow: UnitOfWork, meeting: Meeting) -> dict[int, Nomination | None]:
    """Return each case of the meeting as the council may see it (a child's initials)."""
    found: dict[int, Nomination | None] = {}
    for case in meeting.cases:
        nomination = await uow.nominations.get(case.nomination_id)
        found[case.nomination_id] = nomination.as_public() if nomination is not None else None
    return found


def _line(nomination_id: int, cases: Mapping[int, Nomination | None]) -> CaseLine:
    nomination = cases[nomination_id]
    if nomination is None:  # never deleted while a meeting names it; said plainly if so
        return CaseLine(f"#{nomination_id}", "—")
    return CaseLine(str(nomination.code), nomination.nominee.name)


async def _case_lines(uow: UnitOfWork, meeting: Meeting) -> dict[int, CaseLine]:
    """Name each case as the council may know it: its code, a child nominee's initials."""
    cases = await _cases(uow, meeting)
    return {case_id: _line(case_id, cases) for case_id in cases}
