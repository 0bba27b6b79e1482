"""Residents' requests to the standing office, with their clocks."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.requests import DataRequest


class DataRequestRepository(abc.ABC):
    """Residents' requests (``/yeucau``): filed, acknowledged, done."""

    @abc.abstractmethod
    async def add(self, request: DataRequest) -> DataRequest:
        """Store a new request; return it with its number."""

    @abc.abstractmethod
    async def get(self, request_id: int, *, for_update: bool = False) -> DataRequest | None:
        """Return a request by number (locked until the transaction ends if ``for_update``)."""

    @abc.abstractmethod
    async def save(self, request: DataRequest) -> None:
        """Store who acknowledged the request and closed it, when, and the outcome."""

    @abc.abstractmethod
    async def open(self) -> Sequence[DataRequest]:
        """Return every request not done yet, oldest first."""

    @abc.abstractmethod
    async def filed_by(self, user_id: int) -> Sequence[DataRequest]:
        """Return every request the user filed, newest first."""
