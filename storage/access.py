"""The access log in ``access_log`` (see :mod:`core.access`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Access
from core.ports import AccessLogRepository
from storage.mapping import to_entity, to_values
from storage.tables import AccessRow


class SqlAccessLogRepository(AccessLogRepository):
    """One row per opening; written with the view, in its transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, access: Access) -> None:
        """Record one opening of a case."""
        await self._session.execute(insert(AccessRow), [to_values(access, omit=("id",))])

    async def of_case(self, nomination_id: int, *, limit: int) -> Sequence[Access]:
        """Return the latest openings of a case, newest first."""
        rows = await self._session.execute(
            select(AccessRow.__table__)
            .where(AccessRow.nomination_id == nomination_id)
            .order_by(AccessRow.at.desc(), AccessRow.id.desc())
            .limit(limit)
        )
        return [to_entity(Access, row) for row in rows]
