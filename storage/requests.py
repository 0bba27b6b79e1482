"""Residents' requests to the standing office, in ``data_requests`` (:mod:`core.data_requests`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import DataRequestRepository
from core.requests import DataRequest
from storage.mapping import to_entity, to_values
from storage.sql import add_new, rowcount
from storage.tables import DataRequestRow

# What acting on a request writes; what was filed is never changed.
_HANDLED = ("acknowledged_at", "acknowledged_by", "done_at", "done_by", "outcome")


class SqlDataRequestRepository(DataRequestRepository):
    """Requests by number; acknowledging and closing write their columns on the same row."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: DataRequest) -> DataRequest:
        """Store a new request; return it with its number."""
        return await add_new(self._session, DataRequestRow, request)

    async def get(self, request_id: int, *, for_update: bool = False) -> DataRequest | None:
        """Return a request by number (locked until the transaction ends if ``for_update``)."""
        query = select(DataRequestRow).where(DataRequestRow.id == request_id)
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query.execution_options(populate_existing=True))
        return to_entity(DataRequest, row) if row is not None else None

    async def save(self, request: DataRequest) -> None:
        """Store who acknowledged the request and closed it, when, and the outcome."""
        values = to_values(request)
        statement = (
            update(DataRequestRow)
            .where(DataRequestRow.id == request.id)
            .values({name: values[name] for name in _HANDLED})
        )
        if await rowcount(self._session, statement) != 1:
            raise LookupError(f"request {request.id} is not stored")

    async def open(self) -> Sequence[DataRequest]:
        """Return every request not done yet, oldest first."""
        rows = await self._session.scalars(
            select(DataRequestRow)
            .where(DataRequestRow.done_at.is_(None))
            .order_by(DataRequestRow.filed_at, DataRequestRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(DataRequest, row) for row in rows]

    async def filed_by(self, user_id: int) -> Sequence[DataRequest]:
        """Return every request the user filed, newest first."""
        rows = await self._session.scalars(
            select(DataRequestRow)
            .where(DataRequestRow.user_id == user_id)
            .order_by(DataRequestRow.filed_at.desc(), DataRequestRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [to_entity(DataRequest, row) for row in rows]
