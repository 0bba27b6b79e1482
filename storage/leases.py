"""Leases: a job only one process may do at a time (bulk sending, notices, liveness)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import LeaseRepository
from storage.sql import dialect_insert, rowcount
from storage.tables import LeaseRow


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

    async def lapsed(self, prefix: str, *, now: datetime) -> list[tuple[str, str]]:
        """Return ``(name, holder)`` of the leases named ``prefix…`` expired at ``now``."""
        rows = await self._session.execute(
            select(LeaseRow.name, LeaseRow.holder).where(
                LeaseRow.name.startswith(prefix, autoescape=True), LeaseRow.expires_at < now
            )
        )
        return [(row.name, row.holder) for row in rows]

    async def remove_lapsed(self, name: str, holder: str, *, now: datetime) -> bool:
        """Delete the lease if ``holder`` still has it and it expired; False if not."""
        statement = delete(LeaseRow).where(
            LeaseRow.name == name, LeaseRow.holder == holder, LeaseRow.expires_at < now
        )
        return await rowcount(self._session, statement) == 1

    async def expire(self, name: str, holder: str, *, now: datetime) -> None:
        """End the lease at ``now`` if ``holder`` has it: it lapses without waiting."""
        await self._session.execute(
            update(LeaseRow)
            .where(LeaseRow.name == name, LeaseRow.holder == holder)
            .values(expires_at=now - timedelta(microseconds=1))
        )
