"""The council's meetings and their secret ballot in SQL (see :mod:`core.ports.meetings`).

A vote writes two things in one transaction, and neither names the other: the member's
ballot row turns ``cast`` true (it was made, uncast, when the meeting opened: no row appears
when a vote comes), and every choice's count row of the case is rewritten, the chosen one
plus one and the others plus nought, so that even which count row a transaction touched
tells nothing. No column holds a time, and nothing vote-related has an id drawn in sequence.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, cast

from sqlalchemy import Table, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.council import (
    Ballot,
    Choice,
    Meeting,
    MeetingCase,
    MeetingStatus,
    Recusal,
    RecusalReason,
    VoteRule,
)
from core.ports import MeetingRepository
from storage.sql import dialect_insert, rowcount
from storage.tables import (
    MeetingBallotRow,
    MeetingCaseRow,
    MeetingReasonRow,
    MeetingRecusalRow,
    MeetingRow,
    MeetingVoteRow,
)

# 16 random bytes: a reason's key says nothing of when or by whom it was given.
_REASON_KEY_BYTES = 16
_MEETINGS = cast(Table, MeetingRow.__table__)
_OPEN_STATES = (MeetingStatus.OPEN.value, MeetingStatus.VOTING.value)


class SqlMeetingRepository(MeetingRepository):
    """Meetings in ``meetings`` and ``meeting_cases``; the ballot in four tables of its own."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, meeting: Meeting) -> Meeting:
        """Store a new meeting with an uncast ballot per member present and case, every count 0."""
        meeting_id = await self._session.scalar(
            insert(MeetingRow)
            .values(
                council_key=meeting.council_key,
                day=meeting.day,
                members=meeting.members,
                present=list(meeting.present),
                opened_by=meeting.opened_by,
                status=meeting.status.value,
            )
            .returning(MeetingRow.id)
        )
        assert meeting_id is not None
        cases = [case.nomination_id for case in meeting.cases]
        await self._session.execute(
            insert(MeetingCaseRow),
            [
                {
                    "meeting_id": meeting_id,
                    "nomination_id": case.nomination_id,
                    "position": position,
                    "threshold": str(case.rule.threshold),
                    "quorum": str(case.rule.quorum),
                }
                for position, case in enumerate(meeting.cases)
            ],
        )
        await self._session.execute(
            insert(MeetingBallotRow),
            [
                {
                    "meeting_id": meeting_id,
                    "nomination_id": case_id,
                    "member_id": member,
                    "cast": False,
                }
                for case_id in cases
                for member in meeting.present
            ],
        )
        await self._session.execute(
            insert(MeetingVoteRow),
            [
                {
                    "meeting_id": meeting_id,
                    "nomination_id": case_id,
                    "choice": choice.value,
                    "votes": 0,
                }
                for case_id in cases
                for choice in Choice
            ],
        )
        return Meeting(
            council_key=meeting.council_key,
            day=meeting.day,
            cases=meeting.cases,
            present=meeting.present,
            members=meeting.members,
            opened_by=meeting.opened_by,
            status=meeting.status,
            id=meeting_id,
        )

    async def get(self, meeting_id: int, *, for_update: bool = False) -> Meeting | None:
        """Return a meeting; ``for_update`` holds its row until the transaction ends."""
        query = select(_MEETINGS).where(_MEETINGS.c.id == meeting_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return await self._meeting(row) if row is not None else None

    async def set_status(self, meeting_id: int, status: MeetingStatus) -> None:
        """Record the meeting's new status."""
        await self._session.execute(
            update(MeetingRow).where(MeetingRow.id == meeting_id).values(status=status.value)
        )

    async def latest(self, *, status: MeetingStatus) -> Meeting | None:
        """Return the most recently opened meeting in ``status``, if any."""
        row = (
            await self._session.execute(
                select(_MEETINGS)
                .where(_MEETINGS.c.status == status.value)
                .order_by(_MEETINGS.c.id.desc())
                .limit(1)
            )
        ).first()
        return await self._meeting(row) if row is not None else None

    async def cases_being_voted(self) -> frozenset[int]:
        """Return the ids of the cases put to a meeting whose tally is not closed."""
        ids = await self._session.scalars(
            select(MeetingCaseRow.nomination_id)
            .join(MeetingRow, MeetingRow.id == MeetingCaseRow.meeting_id)
            .where(MeetingRow.status.in_(_OPEN_STATES))
        )
        return frozenset(ids)

    async def cast(
        self, meeting_id: int, nomination_id: int, member_id: int, choice: Choice
    ) -> bool:
        """Mark the ballot cast, then count the choice on every count row of the case."""
        marked = await rowcount(
            self._session,
            update(MeetingBallotRow)
            .where(
                MeetingBallotRow.meeting_id == meeting_id,
                MeetingBallotRow.nomination_id == nomination_id,
                MeetingBallotRow.member_id == member_id,
                MeetingBallotRow.cast.is_(False),
            )
            .values(cast=True),
        )
        if marked != 1:
            return False
        # Every choice's row is written (the others with + 0): on PostgreSQL each row then
        # carries this transaction's id alike, so no row's version tells which choice it was.
        await self._session.execute(
            update(MeetingVoteRow)
            .where(
                MeetingVoteRow.meeting_id == meeting_id,
                MeetingVoteRow.nomination_id == nomination_id,
            )
            .values(
                votes=MeetingVoteRow.votes
                + case((MeetingVoteRow.choice == choice.value, 1), else_=0)
            )
        )
        return True

    async def ballots(self, meeting_id: int) -> Sequence[Ballot]:
        """Return every ballot of the meeting: whose, on which case, cast or not."""
        rows = await self._session.execute(
            select(
                MeetingBallotRow.member_id, MeetingBallotRow.nomination_id, MeetingBallotRow.cast
            ).where(MeetingBallotRow.meeting_id == meeting_id)
        )
        return [Ballot(row.member_id, row.nomination_id, bool(row.cast)) for row in rows]

    async def counts(self, meeting_id: int) -> dict[int, dict[Choice, int]]:
        """Return the votes per choice of each case of the meeting."""
        rows = await self._session.execute(
            select(MeetingVoteRow.nomination_id, MeetingVoteRow.choice, MeetingVoteRow.votes).where(
                MeetingVoteRow.meeting_id == meeting_id
            )
        )
        counts: dict[int, dict[Choice, int]] = {}
        for row in rows:
            counts.setdefault(row.nomination_id, {})[Choice(row.choice)] = row.votes
        return counts

    async def recuse(self, meeting_id: int, recusal: Recusal) -> bool:
        """Record a recusal; False if the member recused on the case already."""
        statement = (
            dialect_insert(self._session, MeetingRecusalRow)
            .values(
                meeting_id=meeting_id,
                nomination_id=recusal.nomination_id,
                member_id=recusal.member_id,
                reason=recusal.reason.value,
                declared=recusal.declared,
            )
            .on_conflict_do_nothing(index_elements=["meeting_id", "nomination_id", "member_id"])
        )
        return await rowcount(self._session, statement) == 1

    async def recusals(self, meeting_id: int) -> Sequence[Recusal]:
        """Return the meeting's recusals."""
        rows = await self._session.execute(
            select(MeetingRecusalRow).where(MeetingRecusalRow.meeting_id == meeting_id)
        )
        return [
            Recusal(row.member_id, row.nomination_id, RecusalReason(row.reason), row.declared)
            for row in rows.scalars()
        ]

    async def add_reason(self, meeting_id: int, nomination_id: int, text: str) -> None:
        """Keep a reason under a random key, with the meeting and the case only."""
        await self._session.execute(
            insert(MeetingReasonRow).values(
                id=secrets.token_hex(_REASON_KEY_BYTES),
                meeting_id=meeting_id,
                nomination_id=nomination_id,
                text=text,
            )
        )

    async def reasons(self, meeting_id: int) -> dict[int, list[str]]:
        """Return the reasons given on each case, in the order of their random keys."""
        rows = await self._session.execute(
            select(MeetingReasonRow.nomination_id, MeetingReasonRow.text)
            .where(MeetingReasonRow.meeting_id == meeting_id)
            .order_by(MeetingReasonRow.id)
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row.nomination_id, []).append(row.text)
        return found

    async def _meeting(self, row: Any) -> Meeting:
        cases = await self._session.execute(
            select(MeetingCaseRow)
            .where(MeetingCaseRow.meeting_id == row.id)
            .order_by(MeetingCaseRow.position)
        )
        return Meeting(
            council_key=row.council_key,
            day=row.day,
            cases=tuple(
                MeetingCase(
                    case_row.nomination_id,
                    VoteRule(Fraction(case_row.threshold), Fraction(case_row.quorum)),
                )
                for case_row in cases.scalars()
            ),
            present=tuple(_ids(row.present)),
            members=row.members,
            opened_by=row.opened_by,
            status=MeetingStatus(row.status),
            id=row.id,
        )


def _ids(values: list[Any]) -> list[int]:
    return [int(value) for value in values]
