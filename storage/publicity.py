"""Comment windows, their comments and the published exemplars (see :mod:`core.publicity`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import PublicityRepository
from core.publication import CommentWindow, Exemplar, PublicComment
from storage.mapping import to_entity
from storage.sql import add_new
from storage.tables import (
    CommentWindowCaseRow,
    CommentWindowRow,
    ExemplarRow,
    PublicCommentRow,
)


class SqlPublicityRepository(PublicityRepository):
    """Windows with their cases in a table of their own; comments and exemplars by number."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_window(self, window: CommentWindow) -> CommentWindow:
        """Store a window with its cases; return it with its number."""
        row = CommentWindowRow(
            opened_on=window.opened_on,
            closes_on=window.closes_on,
            days=window.days,
            opened_by=window.opened_by,
            opened_at=window.opened_at,
        )
        self._session.add(row)
        await self._session.flush()
        if window.case_ids:
            await self._session.execute(
                insert(CommentWindowCaseRow),
                [{"window_id": row.id, "nomination_id": case} for case in window.case_ids],
            )
        return CommentWindow(
            window.opened_on,
            window.closes_on,
            window.days,
            window.case_ids,
            window.opened_by,
            window.opened_at,
            id=row.id,
        )

    async def window_of(self, nomination_id: int, day: date) -> CommentWindow | None:
        """Return the window that lists the case and takes comments on ``day``, if any."""
        row = await self._session.scalar(
            select(CommentWindowRow)
            .join(CommentWindowCaseRow, CommentWindowCaseRow.window_id == CommentWindowRow.id)
            .where(
                CommentWindowCaseRow.nomination_id == nomination_id,
                CommentWindowRow.opened_on <= day,
                CommentWindowRow.closes_on >= day,
            )
            .order_by(CommentWindowRow.closes_on.desc())
            .limit(1)
        )
        if row is None:
            return None
        cases = await self._session.scalars(
            select(CommentWindowCaseRow.nomination_id)
            .where(CommentWindowCaseRow.window_id == row.id)
            .order_by(CommentWindowCaseRow.nomination_id)
        )
        return CommentWindow(
            row.opened_on,
            row.closes_on,
            row.days,
            tuple(cases),
            row.opened_by,
            row.opened_at,
            id=row.id,
        )

    async def add_comment(self, comment: PublicComment) -> PublicComment:
        """Store a comment; return it with its number."""
        return await add_new(self._session, PublicCommentRow, comment)

    async def comments_on(self, nomination_id: int) -> Sequence[PublicComment]:
        """Return the comments on a case, oldest first."""
        rows = await self._session.scalars(
            select(PublicCommentRow)
            .where(PublicCommentRow.nomination_id == nomination_id)
            .order_by(PublicCommentRow.at, PublicCommentRow.id)
        )
        return [to_entity(PublicComment, row) for row in rows]

    async def add_exemplar(self, exemplar: Exemplar) -> Exemplar:
        """Store a publication; return it with its number."""
        return await add_new(self._session, ExemplarRow, exemplar)

    async def exemplar_of(self, nomination_id: int) -> Exemplar | None:
        """Return the publication of a case, if it was published."""
        row = await self._session.scalar(
            select(ExemplarRow).where(ExemplarRow.nomination_id == nomination_id)
        )
        return to_entity(Exemplar, row) if row is not None else None

    async def exemplars(self, *, offset: int, limit: int) -> tuple[Sequence[Exemplar], int]:
        """Return published exemplars newest first from ``offset``, and how many there are."""
        rows = await self._session.scalars(
            select(ExemplarRow)
            .order_by(ExemplarRow.published_at.desc(), ExemplarRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        total = await self._session.scalar(select(func.count()).select_from(ExemplarRow))
        return [to_entity(Exemplar, row) for row in rows], int(total or 0)
