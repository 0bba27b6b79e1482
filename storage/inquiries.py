"""Residents' questions to the ward in ``inquiries`` (see :mod:`core.contact`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.inquiries import Inquiry
from core.ports import InquiryRepository
from storage.mapping import to_entity
from storage.tables import InquiryRow


class SqlInquiryRepository(InquiryRepository):
    """Questions by number; the answer is written once, on the row of its question."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, inquiry: Inquiry) -> Inquiry:
        """Store a new question; return it with its number."""
        row = InquiryRow(
            user_id=inquiry.user_id, question=inquiry.question, asked_at=inquiry.asked_at
        )
        self._session.add(row)
        await self._session.flush()
        return to_entity(Inquiry, row)

    async def get(self, inquiry_id: int, *, for_update: bool = False) -> Inquiry | None:
        """Return a question by number (locked until the transaction ends if ``for_update``)."""
        query = select(InquiryRow).where(InquiryRow.id == inquiry_id)
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query.execution_options(populate_existing=True))
        return to_entity(Inquiry, row) if row is not None else None

    async def save(self, inquiry: Inquiry) -> None:
        """Store the answer given to a question."""
        row = await self._session.get(InquiryRow, inquiry.id)
        if row is None:
            raise LookupError(f"inquiry {inquiry.id} is not stored")
        row.answer = inquiry.answer
        row.answered_by = inquiry.answered_by
        row.answered_at = inquiry.answered_at
        await self._session.flush()

    async def asked_by(self, user_id: int) -> Sequence[Inquiry]:
        """Return every question the user asked, with its answer if given, newest first."""
        rows = await self._session.scalars(
            select(InquiryRow)
            .where(InquiryRow.user_id == user_id)
            .order_by(InquiryRow.asked_at.desc(), InquiryRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [to_entity(Inquiry, row) for row in rows]
