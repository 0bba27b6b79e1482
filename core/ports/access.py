"""The access log's port."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.access import Access


class AccessLogRepository(abc.ABC):
    """Who opened which case: entries are added, never changed."""

    @abc.abstractmethod
    async def add(self, access: Access) -> None:
        """Record one opening of a case."""

    @abc.abstractmethod
    async def of_case(self, nomination_id: int, *, limit: int) -> Sequence[Access]:
        """Return the latest openings of a case, newest first."""
