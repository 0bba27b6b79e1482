"""What the deadline notices and the units' reports remember."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import date, datetime, time


class DeadlineRepository(abc.ABC):
    """What the deadline notices need to remember: event dates, completions, notices sent.

    Obligations are named by their key string ``plan:task:unit`` and occurrences by their
    label (``once``, ``2018-03``...), as :mod:`core.deadlines` makes them.
    """

    @abc.abstractmethod
    async def event_days(self, plan_key: str) -> dict[str, date]:
        """Return the expected event dates entered for relative deadlines, by obligation."""

    @abc.abstractmethod
    async def set_event_day(
        self, plan_key: str, obligation: str, day: date, *, by: int, at: datetime
    ) -> None:
        """Enter or change the expected event date of an obligation."""

    @abc.abstractmethod
    async def completions(self, plan_key: str) -> dict[tuple[str, str], date]:
        """Return the day each (obligation, occurrence) was marked done."""

    @abc.abstractmethod
    async def complete(
        self, plan_key: str, obligation: str, occurrence: str, *, on: date, by: int, at: datetime
    ) -> bool:
        """Mark an occurrence done; return False if it already was."""

    @abc.abstractmethod
    async def claim_notice(self, key: str, *, recipient_id: int, at: datetime) -> bool:
        """Record that a notice goes to a recipient; return False if it already went.

        The unique (key, recipient) row is what keeps two processes, or a restart, from
        sending the same notice twice.
        """

    @abc.abstractmethod
    async def register(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record (or replace) a unit's emulation registration for a year."""

    @abc.abstractmethod
    async def registrations(self, year: int) -> dict[str, tuple[tuple[str, ...], datetime]]:
        """Return each registered unit's titles and registration time for a year."""

    @abc.abstractmethod
    async def file_dossier(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record (or replace) a unit's year-end commendation dossier for a year."""

    @abc.abstractmethod
    async def dossiers(self, year: int) -> dict[str, tuple[str, ...]]:
        """Return the titles of each unit's year-end dossier for a year."""

    @abc.abstractmethod
    async def notices_claimed(self, keys: Sequence[str]) -> dict[str, datetime]:
        """Return when each of these notices was first claimed, for those that were."""

    @abc.abstractmethod
    async def digest_times(self) -> dict[int, time]:
        """Return the local time of the daily digest each officer chose (others have none)."""

    @abc.abstractmethod
    async def set_digest_time(self, user_id: int, at: time, *, changed_at: datetime) -> None:
        """Record (or replace) the local time of an officer's daily digest."""
