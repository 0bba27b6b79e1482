"""Nominations and what hangs on them: supporters, their history, failed code lookups."""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from datetime import datetime

from core.codes import TrackingCode
from core.nomination import Nomination, NominationStatus
from core.search import SearchEntry
from core.support import Supporter
from core.workflow import AuditEntry


class NominationRepository(abc.ABC):
    """Submitted nominations."""

    @abc.abstractmethod
    async def add(self, nomination: Nomination) -> Nomination:
        """Store a new nomination; return it with its id set."""

    @abc.abstractmethod
    async def get_by_code(self, code: TrackingCode) -> Nomination | None:
        """Return the nomination with this tracking code, if any."""

    @abc.abstractmethod
    async def code_exists(self, code: TrackingCode) -> bool:
        """Tell whether a tracking code is already taken."""

    @abc.abstractmethod
    async def list_by_nominator(self, user_id: int, *, limit: int) -> Sequence[Nomination]:
        """Return a resident's own nominations, newest first."""

    @abc.abstractmethod
    async def get(self, nomination_id: int, *, for_update: bool = False) -> Nomination | None:
        """Return a nomination by id; ``for_update`` locks its row until the transaction ends."""

    @abc.abstractmethod
    async def save(self, nomination: Nomination) -> None:
        """Store the changes of an existing nomination (status, handler, merge, evidence)."""

    @abc.abstractmethod
    async def queue(
        self,
        *,
        unit_keys: frozenset[str] | None,
        statuses: frozenset[NominationStatus],
        limit: int,
        offset: int = 0,
    ) -> Sequence[Nomination]:
        """Return nominations of these units (None: all) in these states, oldest first."""

    @abc.abstractmethod
    async def count_by_status(self, *, unit_keys: frozenset[str] | None) -> dict[str, int]:
        """Count nominations per status for these units (None: all)."""

    @abc.abstractmethod
    async def same_nominee(
        self,
        *,
        name_key: str,
        unit_key: str,
        excluding: Collection[NominationStatus] = (),
        limit: int | None = None,
    ) -> Sequence[Nomination]:
        """Return nominations whose folded nominee name and unit are these, newest first.

        Those in a status of ``excluding`` are left out; at most ``limit`` (None: all).
        """

    @abc.abstractmethod
    async def count_proposed_by_unit(
        self, *, since: datetime, until: datetime, statuses: Collection[NominationStatus]
    ) -> dict[str, int]:
        """Count per unit the nominations proposed to the council in [since, until).

        Proposed: an audit entry of the ``propose`` action in the period; only nominations
        whose status is now one of ``statuses`` count (a case withdrawn since does not).
        """

    @abc.abstractmethod
    async def search_entries(self, *, after_id: int, limit: int) -> Sequence[SearchEntry]:
        """Return what the search index needs of nominations with ids above ``after_id``.

        In id order, with each unit's name (or its key if no unit has it), at most ``limit``.
        """

    @abc.abstractmethod
    async def search_entries_by_ids(self, ids: Collection[int]) -> Sequence[SearchEntry]:
        """Return the search entries of these nominations, in any order; unknown ids are left out.

        The same entries as :meth:`search_entries` gives, for showing a page of search hits.
        """

    @abc.abstractmethod
    async def ids_by_code(self, codes: Collection[TrackingCode]) -> dict[TrackingCode, int]:
        """Return the id of the nomination with each of these tracking codes that exists."""


class SupporterRepository(abc.ABC):
    """Residents backing a nomination."""

    @abc.abstractmethod
    async def add(self, supporter: Supporter) -> Supporter | None:
        """Store a supporter; return None if this user already supports the nomination."""

    @abc.abstractmethod
    async def of(self, nomination_id: int) -> Sequence[Supporter]:
        """Return a nomination's supporters, oldest first."""

    @abc.abstractmethod
    async def is_supporter(self, nomination_id: int, user_id: int) -> bool:
        """Tell whether the user supports the nomination."""

    @abc.abstractmethod
    async def move(self, from_nomination_id: int, to_nomination_id: int) -> int:
        """Re-point supporters to another nomination (a merge); return how many moved.

        A user who already supports the target is dropped from the source instead.
        """

    @abc.abstractmethod
    async def supported_by(self, user_id: int, *, limit: int) -> Sequence[int]:
        """Return the ids of nominations the user supports, newest first."""

    @abc.abstractmethod
    async def given_by(self, user_id: int) -> Sequence[Supporter]:
        """Return every support the user gave (their account, their files), newest first."""


class AuditRepository(abc.ABC):
    """The history of every nomination."""

    @abc.abstractmethod
    async def add(self, entry: AuditEntry) -> AuditEntry:
        """Store an audit entry; return it with its id."""

    @abc.abstractmethod
    async def history(self, nomination_id: int) -> Sequence[AuditEntry]:
        """Return a nomination's entries, oldest first."""


class FailedLookupRepository(abc.ABC):
    """Tracking codes each user looked up and did not find: guessing codes is throttled."""

    @abc.abstractmethod
    async def add(self, user_id: int, at: datetime) -> None:
        """Record that ``user_id`` looked up a code that does not exist."""

    @abc.abstractmethod
    async def since(self, user_id: int, since: datetime) -> list[datetime]:
        """Return when the user's failed lookups after ``since`` happened, oldest first."""

    @abc.abstractmethod
    async def purge(self, *, before: datetime) -> int:
        """Forget every failed lookup before ``before``; return how many."""
