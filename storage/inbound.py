"""Telegram updates as they arrived, each claimed once or set aside (see :mod:`core.inbound`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    CursorResult,
    Table,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.inbound import DeadLetter, StoredUpdate
from core.ports import InboundUpdateRepository
from storage.mapping import to_entity
from storage.sql import dialect_insert, rowcount
from storage.tables import InboundUpdateRow

# Statements of every update's path, built once (Core, bound parameters).
_INBOUND = cast(Table, InboundUpdateRow.__table__)
_CLAIM_UPDATE = (
    update(_INBOUND)
    .where(
        _INBOUND.c.update_id == bindparam("claimed"),
        _INBOUND.c.processed_at.is_(None),
        _INBOUND.c.set_aside_at.is_(None),
    )
    .values(processed_at=bindparam("now"))
)
_WAITING = and_(_INBOUND.c.processed_at.is_(None), _INBOUND.c.set_aside_at.is_(None))
_SET_ASIDE = and_(_INBOUND.c.processed_at.is_(None), _INBOUND.c.set_aside_at.is_not(None))


class SqlInboundUpdateRepository(InboundUpdateRepository):
    """Telegram updates in ``inbound_updates``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        update_id: int,
        payload: dict[str, Any],
        received_at: datetime,
        *,
        chat_id: int | None = None,
    ) -> bool:
        """Store an update (of ``chat_id``); return False if its ``update_id`` was stored."""
        return update_id in await self.record_many([(update_id, payload, chat_id)], received_at)

    async def record_many(
        self,
        updates: Sequence[tuple[int, dict[str, Any], int | None]],
        received_at: datetime,
        *,
        set_aside: Mapping[int, str] | None = None,
        received_by: str | None = None,
    ) -> set[int]:
        """Store ``(update_id, payload, chat_id)`` updates at once; return the ids new here.

        One Core ``INSERT ... ON CONFLICT (update_id) DO NOTHING RETURNING update_id`` for all
        of them (SQLAlchemy sends the rows as one multi-row INSERT): a concurrent insert of the
        same id waits for the other transaction and then inserts nothing, instead of failing.
        Rows go in ``update_id`` order, so two transactions storing overlapping batches take
        their row locks in the same order and cannot deadlock (PostgreSQL); the sort is
        stable, so of two rows with one id the earlier in ``updates`` is the one kept. Those
        in ``set_aside`` are stored set aside, with their reason; ``received_by`` names the
        process that will process them.
        """
        if not updates:
            return set()
        reasons = set_aside or {}
        rows = [
            {
                "update_id": update_id,
                "payload": payload,
                "received_at": received_at,
                "chat_id": chat_id,
                "set_aside_at": received_at if update_id in reasons else None,
                "failure": reasons.get(update_id),
                "received_by": received_by,
            }
            for update_id, payload, chat_id in sorted(updates, key=itemgetter(0))
        ]
        statement = (
            dialect_insert(self._session, InboundUpdateRow)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboundUpdateRow.update_id)
        )
        # On the connection, not the session: a Core executemany, without the ORM bulk path.
        connection = await self._session.connection()
        result = await connection.execute(statement, rows)
        return set(result.scalars())

    async def earlier_unprocessed(self, chat_id: int, update_id: int) -> bool:
        """Tell whether an update of the chat before ``update_id`` waits (not set aside)."""
        waiting = await self._session.scalar(
            select(InboundUpdateRow.update_id)
            .where(
                InboundUpdateRow.chat_id == chat_id,
                InboundUpdateRow.update_id < update_id,
                InboundUpdateRow.processed_at.is_(None),
                InboundUpdateRow.set_aside_at.is_(None),
            )
            .limit(1)
        )
        return waiting is not None

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Mark the update processed; return False if it already was, or was set aside.

        On PostgreSQL the row lock makes a second claimer wait for the first transaction: if
        it commits, the re-checked ``processed_at IS NULL`` fails and this returns False; if it
        rolls back, the second claim succeeds. On SQLite, transactions take the write lock at
        BEGIN, so claimers are serialised outright.
        """
        result = await self._session.execute(_CLAIM_UPDATE, {"claimed": update_id, "now": now})
        return cast("CursorResult[Any]", result).rowcount == 1

    async def unprocessed(self, *, limit: int) -> Sequence[dict[str, Any]]:
        """Return the payloads of stored updates waiting to be processed, oldest first."""
        return [update.payload for update in await self.waiting(limit=limit)]

    async def waiting(
        self,
        *,
        limit: int,
        received_before: datetime | None = None,
        received_by: str | None = None,
    ) -> Sequence[StoredUpdate]:
        """Return updates waiting to be processed (not set aside), oldest first."""
        query = select(
            InboundUpdateRow.update_id, InboundUpdateRow.payload, InboundUpdateRow.attempts
        ).where(_WAITING)
        if received_before is not None:
            query = query.where(InboundUpdateRow.received_at < received_before)
        if received_by is not None:
            query = query.where(InboundUpdateRow.received_by == received_by)
        rows = await self._session.execute(
            query.order_by(InboundUpdateRow.received_at, InboundUpdateRow.update_id).limit(limit)
        )
        return [StoredUpdate(row.update_id, dict(row.payload), row.attempts) for row in rows]

    async def hand_over(self, update_ids: Sequence[int], *, to: str) -> None:
        """Name ``to`` as the process that processes these updates (it took them over)."""
        if update_ids:
            await self._session.execute(
                update(_INBOUND)
                .where(_INBOUND.c.update_id.in_(list(update_ids)))
                .values(received_by=to)
            )

    async def count_attempt(self, update_ids: Sequence[int]) -> None:
        """Count one more attempt at processing each update."""
        if update_ids:
            await self._session.execute(
                update(_INBOUND)
                .where(_INBOUND.c.update_id.in_(list(update_ids)))
                .values(attempts=_INBOUND.c.attempts + 1)
            )

    async def set_aside(self, update_id: int, now: datetime, reason: str) -> bool:
        """Set a waiting update aside with ``reason``; False if processed or set aside."""
        result = await self._session.execute(
            update(_INBOUND)
            .where(
                _INBOUND.c.update_id == update_id,
                _INBOUND.c.processed_at.is_(None),
                _INBOUND.c.set_aside_at.is_(None),
            )
            .values(set_aside_at=now, failure=reason)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    async def set_aside_updates(self, *, limit: int) -> Sequence[DeadLetter]:
        """Return the updates set aside and not processed since, oldest first."""
        rows = await self._session.execute(
            select(
                InboundUpdateRow.update_id,
                InboundUpdateRow.chat_id,
                InboundUpdateRow.received_at,
                InboundUpdateRow.set_aside_at,
                InboundUpdateRow.attempts,
                InboundUpdateRow.failure,
            )
            .where(_SET_ASIDE)
            .order_by(InboundUpdateRow.set_aside_at, InboundUpdateRow.update_id)
            .limit(limit)
        )
        return [to_entity(DeadLetter, row, failure=row.failure or "") for row in rows]

    async def count_set_aside(self) -> int:
        """Return how many updates are set aside and not processed since."""
        count = await self._session.scalar(
            select(func.count()).select_from(_INBOUND).where(_SET_ASIDE)
        )
        return int(count or 0)

    async def put_back(self, update_id: int) -> bool:
        """Clear an update's set-aside mark (and its attempts); False if it was not set aside."""
        result = await self._session.execute(
            update(_INBOUND)
            .where(_INBOUND.c.update_id == update_id, _SET_ASIDE)
            .values(set_aside_at=None, failure=None, attempts=0)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    async def count_processed_before(self, before: datetime) -> int:
        """Return how many updates were processed before ``before``."""
        return await self._count(_INBOUND.c.processed_at < before)

    async def delete_processed_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` updates processed before ``before``, oldest first.

        The oldest are found on the ``processed_at`` index, so a batch reads what it deletes.
        """
        return await self._delete_oldest(_INBOUND.c.processed_at, before, limit)

    async def count_set_aside_before(self, before: datetime) -> int:
        """Return how many updates were set aside before ``before`` (and not processed since)."""
        return await self._count(_SET_ASIDE, _INBOUND.c.set_aside_at < before)

    async def delete_set_aside_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` updates still set aside since before ``before``, oldest first."""
        return await self._delete_oldest(_INBOUND.c.set_aside_at, before, limit, _SET_ASIDE)

    async def _count(self, *which: ColumnElement[bool]) -> int:
        count = await self._session.scalar(select(func.count()).select_from(_INBOUND).where(*which))
        return int(count or 0)

    async def forget_payload(self, update_id: int) -> None:
        """Keep the update's id and times but not what it said (who sent it, their words)."""
        await self._session.execute(
            update(_INBOUND).where(_INBOUND.c.update_id == update_id).values(payload={})
        )

    async def _delete_oldest(
        self, at: Column[Any], before: datetime, limit: int, *which: ColumnElement[bool]
    ) -> int:
        oldest = select(_INBOUND.c.update_id).where(at < before, *which).order_by(at).limit(limit)
        return await rowcount(
            self._session, delete(_INBOUND).where(_INBOUND.c.update_id.in_(oldest), *which)
        )
