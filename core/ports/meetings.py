"""The council's meetings and their secret ballot (see :mod:`core.council`).

What a store keeps of a vote must show the tally and who voted, and nothing that ties a
vote to its voter: whether each member's ballot was cast, apart from how many votes each
choice got; no time, no sequence, nothing ordered by when a vote came. Reasons are kept with
neither the member nor the vote.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.council import Ballot, Choice, Meeting, MeetingStatus, Recusal


class MeetingRepository(abc.ABC):
    """Meetings of the council, their ballots, counts, recusals and reasons."""

    @abc.abstractmethod
    async def add(self, meeting: Meeting) -> Meeting:
        """Store a new meeting with an uncast ballot per member present and case, every count 0.

        Return it with its id.
        """

    @abc.abstractmethod
    async def get(self, meeting_id: int, *, for_update: bool = False) -> Meeting | None:
        """Return a meeting; ``for_update`` holds it until the transaction ends."""

    @abc.abstractmethod
    async def set_status(self, meeting_id: int, status: MeetingStatus) -> None:
        """Record the meeting's new status."""

    @abc.abstractmethod
    async def latest(self, *, status: MeetingStatus) -> Meeting | None:
        """Return the most recently opened meeting in ``status``, if any."""

    @abc.abstractmethod
    async def cases_being_voted(self) -> frozenset[int]:
        """Return the ids of the cases put to a meeting whose tally is not closed."""

    @abc.abstractmethod
    async def cast(
        self, meeting_id: int, nomination_id: int, member_id: int, choice: Choice
    ) -> bool:
        """Mark the member's ballot cast and count ``choice``, in this transaction.

        Return False, changing nothing, if the ballot does not exist or was cast already. The
        ballot's row is told only that it was cast; the count is told only the choice.
        """

    @abc.abstractmethod
    async def ballots(self, meeting_id: int) -> Sequence[Ballot]:
        """Return every ballot of the meeting: whose, on which case, cast or not."""

    @abc.abstractmethod
    async def counts(self, meeting_id: int) -> dict[int, dict[Choice, int]]:
        """Return the votes per choice of each case of the meeting."""

    @abc.abstractmethod
    async def recuse(self, meeting_id: int, recusal: Recusal) -> bool:
        """Record a recusal; False if the member recused on the case already."""

    @abc.abstractmethod
    async def recusals(self, meeting_id: int) -> Sequence[Recusal]:
        """Return the meeting's recusals."""

    @abc.abstractmethod
    async def add_reason(self, meeting_id: int, nomination_id: int, text: str) -> None:
        """Keep a reason given on a case: no member, no vote, no time, a random key."""

    @abc.abstractmethod
    async def reasons(self, meeting_id: int) -> dict[int, list[str]]:
        """Return the reasons given on each case, in no meaningful order."""
