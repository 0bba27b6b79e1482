"""Broadcasts and leases: the records behind paced bulk sending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.broadcasts import Audience, Broadcast, BroadcastStatus
from core.ports import BroadcastRepository, LeaseRepository
from storage.mapping import to_entity, to_values
from storage.sql import dialect_insert, rowcount
from storage.tables import BroadcastRow, LeaseRow


class SqlBroadcastRepository(BroadcastRepository):
    """Broadcasts in ``broadcasts``; their messages are ``outbox`` rows with the id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Store a broadcast; return it with its id."""
        row = BroadcastRow(**_values(broadcast), photo=broadcast.photo)
        self._session.add(row)
        await self._session.flush()
        return replace(broadcast, id=row.id)

    async def get(self, broadcast_id: int, *, for_update: bool = False) -> Broadcast | None:
        """Return a broadcast (with its photo bytes), or None."""
        query = (
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .options(undefer(BroadcastRow.photo))
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query)
        return None if row is None else _broadcast(row, photo=row.photo)

    async def save(self, broadcast: Broadcast) -> None:
        """Store the broadcast's status, counts, times and photo file id.

        The photo's bytes are dropped once Telegram has given it a file id.
        """
        assert broadcast.id is not None
        values: dict[str, Any] = _values(broadcast)
        if broadcast.photo_file_id is not None:
            values["photo"] = None
        await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def due(self, now: datetime) -> Sequence[Broadcast]:
        """Return the scheduled broadcasts whose time has come, oldest first."""
        return await self._list(
            _listed()
            .where(
                BroadcastRow.status == BroadcastStatus.SCHEDULED.value,
                or_(BroadcastRow.send_at.is_(None), BroadcastRow.send_at <= now),
            )
            .order_by(BroadcastRow.id)
        )

    async def running(self) -> Sequence[Broadcast]:
        """Return the broadcasts being delivered."""
        return await self._list(
            _listed()
            .where(BroadcastRow.status == BroadcastStatus.SENDING.value)
            .order_by(BroadcastRow.id)
        )

    async def recent(self, *, limit: int) -> Sequence[Broadcast]:
        """Return the latest broadcasts, newest first."""
        return await self._list(_listed().order_by(BroadcastRow.id.desc()).limit(limit))

    async def _list(self, query: Select[BroadcastRow, bool]) -> list[Broadcast]:
        rows = await self._session.execute(query.execution_options(populate_existing=True))
        return [_broadcast(row, photo_stored=stored) for row, stored in rows]


def _listed() -> Select[BroadcastRow, bool]:
    """Select broadcasts without their photo's bytes, with whether there are any."""
    return select(BroadcastRow, BroadcastRow.photo.is_not(None))


def _values(broadcast: Broadcast) -> dict[str, Any]:
    audience = broadcast.audience.spec()
    return to_values(broadcast, omit=("photo", "photo_stored", "id"), audience=audience)


def _broadcast(
    row: BroadcastRow, *, photo: bytes | None = None, photo_stored: bool = False
) -> Broadcast:
    """Return the broadcast of ``row``, its photo's bytes as given (the column is deferred)."""
    audience = Audience.parse(row.audience)
    return to_entity(Broadcast, row, audience=audience, photo=photo, photo_stored=photo_stored)


class SqlLeaseRepository(LeaseRepository):
    """Leases in ``leases``: taken with one conditional statement, so two takers cannot both win."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def acquire(self, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
        """Take or renew the lease until ``now + seconds``; False if another holder has it."""
        until = now + timedelta(seconds=seconds)
        statement = dialect_insert(self._session, LeaseRow).values(
            name=name, holder=holder, expires_at=until
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "expires_at": until},
            where=or_(LeaseRow.holder == holder, LeaseRow.expires_at < now),
        )
        return await rowcount(self._session, statement) == 1

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up if ``holder`` has it."""
        await self._session.execute(
            delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
        )

    async def holders(self, prefix: str, *, now: datetime) -> set[str]:
        """Return the holders of the leases named ``prefix…`` that have not expired at ``now``."""
        holders = await self._session.scalars(
            select(LeaseRow.holder).where(
                LeaseRow.name.startswith(prefix, autoescape=True), LeaseRow.expires_at >= now
            )
        )
        return set(holders)
