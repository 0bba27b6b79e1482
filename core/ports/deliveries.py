"""The desk's reading of broadcasts: those in flight, those of a period, their deliveries."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from core.broadcasts import Broadcast
from core.delivery import DeliveryCount, FailedDelivery


class DeliveryRepository(abc.ABC):
    """What became of broadcasts' messages (the outbox rows with their broadcast's id)."""

    @abc.abstractmethod
    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast without its photo's bytes (a report shows none), or None."""

    @abc.abstractmethod
    async def in_flight(self) -> Sequence[Broadcast]:
        """Return the broadcasts scheduled or being sent, the next to go first."""

    @abc.abstractmethod
    async def between(self, since: datetime, before: datetime) -> Sequence[Broadcast]:
        """Return the broadcasts that went (or are to go) in [since, before), oldest first.

        A broadcast goes when it started; one not started yet when it is to be sent, or when
        it was written if it goes as soon as possible.
        """

    @abc.abstractmethod
    async def counts(self, broadcast_ids: Sequence[int]) -> Sequence[DeliveryCount]:
        """Count the broadcasts' messages by broadcast, channel, status and failure."""

    @abc.abstractmethod
    async def failures(self, broadcast_id: int, *, limit: int) -> Sequence[FailedDelivery]:
        """Return up to ``limit`` of the broadcast's messages that will never go, by chat."""
