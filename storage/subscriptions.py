"""Residents' opt-ins to announcements, and the chats that blocked the bot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import SubscriptionRepository
from core.subscriptions import Scope, Subscription
from storage.mapping import to_entity, to_values
from storage.sql import rowcount, upsert
from storage.tables import BlockedChatRow, SubscriptionRow


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
