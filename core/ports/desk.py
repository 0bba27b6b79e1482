"""The desk's port: sign-in links, sessions, and the queries of its tables."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from core.desk import CaseQuery, DeskSession, SignInLink
from core.nomination import Nomination


class DeskRepository(abc.ABC):
    """Links and sessions of the web desk, and the case queries its pages run."""

    @abc.abstractmethod
    async def add_link(self, link: SignInLink) -> SignInLink:
        """Store a new sign-in link; return it with its id."""

    @abc.abstractmethod
    async def link_by_hash(self, secret_hash: str) -> SignInLink | None:
        """Return the link whose secret has this hash, if any."""

    @abc.abstractmethod
    async def use_link(self, link_id: int, *, at: datetime) -> bool:
        """Mark the link used; False if it was used already (by a concurrent request)."""

    @abc.abstractmethod
    async def void_links_of(self, user_id: int, *, at: datetime) -> int:
        """Mark every unused link of ``user_id`` used; return how many."""

    @abc.abstractmethod
    async def add_session(self, session: DeskSession) -> DeskSession:
        """Store a new session; return it with its id."""

    @abc.abstractmethod
    async def session_by_hash(self, secret_hash: str) -> DeskSession | None:
        """Return the session whose secret has this hash, if any."""

    @abc.abstractmethod
    async def seen(self, session_id: int, *, at: datetime) -> None:
        """Record that the session was used at ``at``."""

    @abc.abstractmethod
    async def end_session(self, session_id: int, *, at: datetime) -> bool:
        """End a session; False if there was no open session with that id."""

    @abc.abstractmethod
    async def end_sessions_of(self, user_id: int, *, at: datetime) -> int:
        """End every open session of ``user_id``; return how many."""

    @abc.abstractmethod
    async def active_sessions(self, now: datetime) -> Sequence[DeskSession]:
        """Return the sessions open at ``now``, newest first."""

    @abc.abstractmethod
    async def delete_ended_before(self, before: datetime) -> int:
        """Delete links and sessions that expired or ended before ``before``; return how many."""

    @abc.abstractmethod
    async def cases(self, query: CaseQuery, *, limit: int, offset: int) -> Sequence[Nomination]:
        """Return the nominations ``query`` matches, oldest filed first."""

    @abc.abstractmethod
    async def count_cases(self, query: CaseQuery) -> int:
        """Count the nominations ``query`` matches."""

    @abc.abstractmethod
    async def count_filed(
        self, query: CaseQuery, bounds: Sequence[datetime]
    ) -> list[dict[str, int]]:
        """Count per status the nominations ``query`` matches filed between each two bounds.

        ``bounds``: increasing instants; the i-th count is of those filed in
        ``[bounds[i], bounds[i + 1])`` (a state no such case is in does not appear).
        """

    @abc.abstractmethod
    async def count_by_unit(self, *, unit_keys: frozenset[str] | None) -> dict[str, dict[str, int]]:
        """Count nominations per unit and status for these units (None: all)."""
