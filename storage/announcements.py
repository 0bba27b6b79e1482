"""Announcements: broadcasts to many chats, residents' opt-ins to them, and blocked chats.

A broadcast's messages are the ``outbox`` rows with its id (see :mod:`storage.outbox`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.broadcasts import Audience, Broadcast, BroadcastStatus
from core.ports import BroadcastRepository, SubscriptionRepository
from core.subscriptions import Scope, Subscription
from storage.mapping import to_entity, to_values
from storage.sql import rowcount, upsert
from storage.tables import BlockedChatRow, BroadcastRow, SubscriptionRow


class SqlSubscriptionRepository(SubscriptionRepository):
    """Opt-ins in ``subscriptions``; chats that blocked the bot in ``blocked_chats``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, subscription: Subscription) -> bool:
        """Store an opt-in; return False if the same active one exists."""
        target = SubscriptionRow.target
        same = await self._session.scalar(
            select(func.count())
            .select_from(SubscriptionRow)
            .where(
                SubscriptionRow.user_id == subscription.user_id,
                SubscriptionRow.scope == subscription.scope.value,
                target.is_(None) if subscription.target is None else target == subscription.target,
                SubscriptionRow.ended_at.is_(None),
            )
        )
        if same:
            return False
        self._session.add(SubscriptionRow(**to_values(subscription, omit=("id",), ended_at=None)))
        await self._session.flush()
        return True

    async def active_of(self, user_id: int) -> Sequence[Subscription]:
        """Return a user's active subscriptions, oldest first."""
        rows = await self._session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id, SubscriptionRow.ended_at.is_(None))
            .order_by(SubscriptionRow.created_at, SubscriptionRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(Subscription, row, ended_at=None) for row in rows]

    async def end_all(self, user_id: int, *, at: datetime) -> int:
        """End a user's active subscriptions; return how many."""
        return await rowcount(
            self._session,
            update(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id, SubscriptionRow.ended_at.is_(None))
            .values(ended_at=at)
            .execution_options(synchronize_session=False),
        )

    async def set_blocked(self, user_id: int, *, at: datetime | None) -> None:
        """Record that the user blocked the bot (``at``) or unblocked it (None)."""
        if at is None:
            await self._session.execute(
                delete(BlockedChatRow).where(BlockedChatRow.user_id == user_id)
            )
            return
        await upsert(
            self._session,
            BlockedChatRow,
            {"user_id": user_id, "blocked_at": at},
            key=["user_id"],
        )

    async def is_blocked(self, user_id: int) -> bool:
        """Tell whether the user blocked the bot."""
        return await self._session.get(BlockedChatRow, user_id) is not None

    async def subscribers(self, scopes: Sequence[tuple[Scope, str | None]]) -> set[int]:
        """Return users with an active subscription to any of ``scopes``, blocked ones left out."""
        if not scopes:
            return set()
        target = SubscriptionRow.target
        wanted = or_(
            *(
                and_(
                    SubscriptionRow.scope == scope.value,
                    target.is_(None) if key is None else target == key,
                )
                for scope, key in scopes
            )
        )
        blocked = select(BlockedChatRow.user_id)
        rows = await self._session.scalars(
            select(SubscriptionRow.user_id)
            .where(
                SubscriptionRow.ended_at.is_(None),
                wanted,
                SubscriptionRow.user_id.not_in(blocked),
            )
            .distinct()
        )
        return set(rows)

    async def blocked_among(self, user_ids: Sequence[int]) -> set[int]:
        """Return which of the users blocked the bot."""
        found: set[int] = set()
        for start in range(0, len(user_ids), 1000):
            found.update(
                await self._session.scalars(
                    select(BlockedChatRow.user_id).where(
                        BlockedChatRow.user_id.in_(user_ids[start : start + 1000])
                    )
                )
            )
        return found

    async def all_of(self, user_id: int) -> Sequence[Subscription]:
        """Return every subscription of the user, ended ones too, newest first."""
        rows = await self._session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id)
            .order_by(SubscriptionRow.created_at.desc(), SubscriptionRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [to_entity(Subscription, row) for row in rows]


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
