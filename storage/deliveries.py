"""The desk's reading of broadcasts and of their messages in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.broadcasts import Broadcast, BroadcastStatus
from core.delivery import DeliveryCount, FailedDelivery, reason_of
from core.outbox import OutboxStatus
from core.ports.deliveries import DeliveryRepository
from storage.announcements import _broadcast, _listed
from storage.tables import BroadcastRow, OutboxRow

# When a broadcast went, or is to go: started, else its time, else when it was written (of
# the columns' type: instants compared with it are stored alike, UTC on SQLite).
_goes = func.coalesce(BroadcastRow.started_at, BroadcastRow.send_at, BroadcastRow.created_at)
_IN_FLIGHT = (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
_NEVER_GOES = (OutboxStatus.FAILED.value, OutboxStatus.EXPIRED.value)
# How many broadcasts' ids one IN (...) holds.
_CHUNK = 500


class SqlDeliveryRepository(DeliveryRepository):
    """Broadcasts in ``broadcasts``, their messages the ``outbox`` rows with their id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast without its photo's bytes, or None."""
        found = await self._list(_listed().where(BroadcastRow.id == broadcast_id))
        return found[0] if found else None

    async def in_flight(self) -> Sequence[Broadcast]:
        """Return the broadcasts scheduled or being sent, the next to go first."""
        return await self._list(
            _listed().where(BroadcastRow.status.in_(_IN_FLIGHT)).order_by(_goes, BroadcastRow.id)
        )

    async def between(self, since: datetime, before: datetime) -> Sequence[Broadcast]:
        """Return the broadcasts that went (or are to go) in [since, before), oldest first."""
        return await self._list(
            _listed().where(_goes >= since, _goes < before).order_by(_goes, BroadcastRow.id)
        )

    async def counts(self, broadcast_ids: Sequence[int]) -> Sequence[DeliveryCount]:
        """Count the broadcasts' messages by broadcast, channel, status and failure."""
        found: list[DeliveryCount] = []
        for start in range(0, len(broadcast_ids), _CHUNK):
            rows = await self._session.execute(
                select(
                    OutboxRow.broadcast_id,
                    OutboxRow.channel,
                    OutboxRow.status,
                    OutboxRow.failure,
                    func.count(),
                )
                .where(OutboxRow.broadcast_id.in_(broadcast_ids[start : start + _CHUNK]))
                .group_by(
                    OutboxRow.broadcast_id, OutboxRow.channel, OutboxRow.status, OutboxRow.failure
                )
            )
            found.extend(
                DeliveryCount(broadcast_id or 0, channel, status, failure, count)
                for broadcast_id, channel, status, failure, count in rows
            )
        return found

    async def failures(self, broadcast_id: int, *, limit: int) -> Sequence[FailedDelivery]:
        """Return up to ``limit`` of the broadcast's messages that will never go, by chat."""
        rows = await self._session.execute(
            select(
                OutboxRow.chat_id,
                OutboxRow.channel,
                OutboxRow.status,
                OutboxRow.failure,
                OutboxRow.last_attempt_at,
            )
            .where(OutboxRow.broadcast_id == broadcast_id, OutboxRow.status.in_(_NEVER_GOES))
            .order_by(OutboxRow.chat_id)
            .limit(limit)
        )
        return [
            FailedDelivery(chat_id, channel, reason_of(status, failure), at)
            for chat_id, channel, status, failure, at in rows
        ]

    async def _list(self, query: Select[BroadcastRow, bool]) -> list[Broadcast]:
        rows = await self._session.execute(query.execution_options(populate_existing=True))
        return [_broadcast(row, photo_stored=stored) for row, stored in rows]
