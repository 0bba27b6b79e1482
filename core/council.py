"""The council's vote: a meeting, the members present, recusals, the secret ballot's tally.

A meeting (phiên họp) puts cases under review to the council's members present. Each present
member has one ballot per case and votes "đồng ý" (for) or "không đồng ý" (against), or
recuses: core recuses the case's nominator and supporters itself; a member declares a family
tie. The ballot is secret: what is kept says who voted and how many voted each way, never who
voted what (see :mod:`core.ports.meetings`).

A case passes when the votes for reach ``threshold`` of ALL the council's members and the
quorum was met: the votes cast reach ``quorum`` of the members present. Both are exact
fractions handed in by whoever opens the meeting (the award form's vote rule): ≥ 80 % of 5
members is 4 votes, never 3.99.

    open → voting → closed

The tally closes when every present member who did not recuse has voted on every case, or
when the standing office closes it; after that nothing is cast. A case not decided can be
put again at a later meeting.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from core.errors import DomainError
from core.nomination import Nomination

# The reason recorded, through the review's own "decline", for a case the vote did not pass:
# the words of the decision the nominator is told, in the administration's language.
NOT_PASSED_REASON = "Không đạt tỷ lệ phiếu đồng ý"


class MeetingStatus(StrEnum):
    """Where a meeting is: prepared, its ballots out, its tally closed."""

    OPEN = "open"
    VOTING = "voting"
    CLOSED = "closed"


class Choice(StrEnum):
    """What a member may vote on a case (recusing is no vote: see :class:`Recusal`)."""

    FOR = "for"
    AGAINST = "against"


class RecusalReason(StrEnum):
    """Why a member does not vote on a case."""

    NOMINATOR = "nominator"  # they reported the deed
    SUPPORTER = "supporter"  # they back the report (cùng đề cử)
    FAMILY = "family"  # they are of the nominee's family (declared by the member)


class MeetingError(DomainError):
    """The meeting cannot be opened as asked (no case, nobody present, a stranger present)."""

    code = "meeting.invalid"


class UnknownMeetingError(DomainError):
    """No such meeting, or no such case in it; said alike to whoever asks."""

    code = "meeting.unknown"


class TallyClosedError(DomainError):
    """The tally is closed: nothing is cast or changed any more."""

    code = "meeting.closed"


class NotVotingMemberError(DomainError):
    """The person is no council member present at this meeting: they have no ballot."""

    code = "meeting.not_member"


class AlreadyVotedError(DomainError):
    """The member voted on this case already: a vote cast is never changed."""

    code = "meeting.already_voted"


class RecusedError(DomainError):
    """The member recused on this case (or must): they cast no vote on it."""

    code = "meeting.recused"


class CaseBusyError(DomainError):
    """A case is not under review, or is being voted on at another meeting."""

    code = "meeting.case_busy"


class CommentWindowOpenError(DomainError):
    """A case put to the meeting is still open for public comment (core.publicity)."""

    code = "meeting.comments_open"

    def __init__(self, closes_on: date) -> None:
        super().__init__(closes_on.isoformat())
        self.closes_on = closes_on


class TallyPassedError(DomainError):
    """The vote passed the case: it is commended through the decision, not declined."""

    code = "meeting.passed"


@dataclass(frozen=True, slots=True)
class VoteRule:
    """How a case is decided: ``threshold`` of all members voting for, ``quorum`` of those present.

    Both are fractions between 0 and 1 (``Fraction(4, 5)`` for 80 %); the award form sets them.
    """

    threshold: Fraction
    quorum: Fraction

    def __post_init__(self) -> None:
        """Refuse a share outside [0, 1] (a threshold of 0 would pass anything)."""
        if not 0 < self.threshold <= 1:
            raise ValueError(f"a vote threshold is a share in (0, 1], not {self.threshold}")
        if not 0 <= self.quorum <= 1:
            raise ValueError(f"a quorum is a share in [0, 1], not {self.quorum}")

    @property
    def threshold_percent(self) -> Decimal:
        """Return the threshold in per cent, to one decimal, for display only."""
        return percent(self.threshold)

    @property
    def quorum_percent(self) -> Decimal:
        """Return the quorum in per cent, to one decimal, for display only."""
        return percent(self.quorum)


def percent(share: Fraction) -> Decimal:
    """Return ``share`` in per cent rounded half up to one decimal: 2/3 is 66.7, for display."""
    exact = share * 100
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True, slots=True)
class MeetingCase:
    """A case put to a meeting, with the rule that decides it."""

    nomination_id: int
    rule: VoteRule


@dataclass(frozen=True, slots=True)
class Meeting:
    """A sitting of the council: its day, the cases put to it, who is present.

    ``members`` is how many members the council had on ``day``: what the threshold counts
    against, whoever came. ``present`` are the user ids of the members present: only they
    vote. ``opened_by`` is the standing office's officer who opened it.
    """

    council_key: str
    day: date
    cases: tuple[MeetingCase, ...]
    present: tuple[int, ...]
    members: int
    opened_by: int
    status: MeetingStatus = MeetingStatus.OPEN
    id: int | None = None

    @classmethod
    def convene(
        cls,
        *,
        council_key: str,
        day: date,
        cases: Sequence[MeetingCase],
        present: Iterable[int],
        council_members: Collection[int],
        opened_by: int,
    ) -> Meeting:
        """Return a new meeting, checked: cases put once, the present all council members."""
        attending = tuple(sorted(set(present)))
        ids = [case.nomination_id for case in cases]
        if not ids or len(set(ids)) != len(ids):
            raise MeetingError("a meeting needs cases, each put once")
        if not attending:
            raise MeetingError("nobody is present")
        strangers = set(attending) - set(council_members)
        if strangers:
            raise MeetingError(f"{len(strangers)} present are no council members")
        return cls(
            council_key=council_key,
            day=day,
            cases=tuple(cases),
            present=attending,
            members=len(set(council_members)),
            opened_by=opened_by,
        )

    def case(self, nomination_id: int) -> MeetingCase:
        """Return the case put to the meeting, or raise :class:`UnknownMeetingError`."""
        for case in self.cases:
            if case.nomination_id == nomination_id:
                return case
        raise UnknownMeetingError(f"case {nomination_id} is not before meeting {self.id}")

    def start_voting(self) -> Meeting:
        """Return the meeting with its ballots out."""
        if self.status is not MeetingStatus.OPEN:
            raise TallyClosedError(f"meeting {self.id} is {self.status}")
        return replace(self, status=MeetingStatus.VOTING)

    def close(self) -> Meeting:
        """Return the meeting with its tally closed."""
        if self.status is not MeetingStatus.VOTING:
            raise TallyClosedError(f"meeting {self.id} is {self.status}")
        return replace(self, status=MeetingStatus.CLOSED)

    def check_ballot(self, member_id: int, nomination_id: int) -> MeetingCase:
        """Return the case if ``member_id`` may cast on it now; raise why not otherwise."""
        if self.status is not MeetingStatus.VOTING:
            raise TallyClosedError(f"meeting {self.id} is {self.status}")
        if member_id not in self.present:
            raise NotVotingMemberError(f"user {member_id} is not present at meeting {self.id}")
        return self.case(nomination_id)


@dataclass(frozen=True, slots=True)
class Recusal:
    """A member who does not vote on a case, and why.

    ``declared``: the member said so (a family tie, or a conflict they named); False when core
    found it (they are the case's nominator or a supporter). Not secret: the minutes say
    who recused.
    """

    member_id: int
    nomination_id: int
    reason: RecusalReason
    declared: bool


@dataclass(frozen=True, slots=True)
class Ballot:
    """A member's ballot on a case: whether it was cast, never how."""

    member_id: int
    nomination_id: int
    cast: bool


def conflict_of(
    nomination: Nomination, member_id: int, supporters: Collection[int]
) -> RecusalReason | None:
    """Return why ``member_id`` must recuse on ``nomination`` (None: nothing core can see).

    ``supporters`` are the user ids of the case's supporters. A family tie is the member's
    own to declare.
    """
    if nomination.is_nominated_by(member_id):
        return RecusalReason.NOMINATOR
    if member_id in supporters:
        return RecusalReason.SUPPORTER
    return None


@dataclass(frozen=True, slots=True)
class Tally:
    """The count of one case's ballots, and what it decides.

    ``abstained``: members present who cast no vote, recused or not.
    """

    nomination_id: int
    rule: VoteRule
    members: int
    present: int
    votes_for: int
    votes_against: int
    recused: int

    @property
    def cast(self) -> int:
        """Return how many votes were cast."""
        return self.votes_for + self.votes_against

    @property
    def abstained(self) -> int:
        """Return how many present members cast no vote (recusals included)."""
        return self.present - self.cast

    @property
    def share_for(self) -> Fraction:
        """Return the votes for as a share of ALL the council's members, exactly."""
        return Fraction(self.votes_for, self.members)

    @property
    def percent_for(self) -> Decimal:
        """Return the votes for in per cent of all members, to one decimal, for display only."""
        return percent(self.share_for)

    @property
    def quorum_met(self) -> bool:
        """Tell whether the votes cast reach the quorum's share of the members present."""
        return self.cast >= self.rule.quorum * self.present

    @property
    def passed(self) -> bool:
        """Tell whether the case passed: the quorum met and the votes for reach the threshold."""
        return self.quorum_met and self.votes_for >= self.rule.threshold * self.members

    @property
    def complete(self) -> bool:
        """Tell whether every present member who did not recuse has voted."""
        return self.cast + self.recused >= self.present


def tally(
    meeting: Meeting, nomination_id: int, counts: Mapping[Choice, int], recused: int
) -> Tally:
    """Return the tally of one case from its vote counts and its number of recusals."""
    case = meeting.case(nomination_id)
    return Tally(
        nomination_id=nomination_id,
        rule=case.rule,
        members=meeting.members,
        present=len(meeting.present),
        votes_for=counts.get(Choice.FOR, 0),
        votes_against=counts.get(Choice.AGAINST, 0),
        recused=recused,
    )


# --- the minutes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinutesCase:
    """One case in the minutes: who it is about, the tally, the outcome, who recused.

    ``nominee`` is the name as the council may know it (a child's initials); the nominator is
    never named. ``recused`` are the names of members who did not vote on it; ``opinions`` the
    reasons members gave, with no name and no vote attached.
    """

    nomination_id: int
    code: str
    nominee: str
    tally: Tally
    recused: tuple[str, ...]
    opinions: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Tell whether the vote passed the case."""
        return self.tally.passed


@dataclass(frozen=True, slots=True)
class Minutes:
    """What the meeting's minutes (biên bản) say, for a document generator to lay out."""

    meeting_id: int
    council_key: str
    day: date
    members: int
    present: tuple[str, ...]
    cases: tuple[MinutesCase, ...]
    closed: bool


@dataclass(frozen=True, slots=True)
class CaseLine:
    """What the minutes name a case by: its tracking code and the nominee as the council sees."""

    code: str
    nominee: str


def minutes(
    meeting: Meeting,
    tallies: Mapping[int, Tally],
    *,
    names: Mapping[int, str],
    cases: Mapping[int, CaseLine],
    recusals: Iterable[Recusal] = (),
    opinions: Mapping[int, Sequence[str]] | None = None,
) -> Minutes:
    """Return the minutes of ``meeting``: its day, the members present, each case's tally.

    ``names`` gives each member's name by user id, ``cases`` each case's line by nomination
    id; ``tallies`` each case's tally. Cases come in the order they were put to the meeting.
    """
    assert meeting.id is not None, "a stored meeting has an id"
    recused: dict[int, list[str]] = {}
    for recusal in recusals:
        recused.setdefault(recusal.nomination_id, []).append(names[recusal.member_id])
    said = opinions or {}
    return Minutes(
        meeting_id=meeting.id,
        council_key=meeting.council_key,
        day=meeting.day,
        members=meeting.members,
        present=tuple(names[member] for member in meeting.present),
        cases=tuple(
            MinutesCase(
                nomination_id=case.nomination_id,
                code=cases[case.nomination_id].code,
                nominee=cases[case.nomination_id].nominee,
                tally=tallies[case.nomination_id],
                recused=tuple(sorted(recused.get(case.nomination_id, ()))),
                opinions=tuple(said.get(case.nomination_id, ())),
            )
            for case in meeting.cases
        ),
        closed=meeting.status is MeetingStatus.CLOSED,
    )
