"""Announcements to many chats, and the residents' opt-ins to receive them."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from core.broadcasts import Broadcast
from core.subscriptions import Scope, Subscription


class BroadcastRepository(abc.ABC):
    """Announcements to many chats."""

    @abc.abstractmethod
    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Store a broadcast; return it with its id."""

    @abc.abstractmethod
    async def get(self, broadcast_id: int, *, for_update: bool = False) -> Broadcast | None:
        """Return a broadcast, or None."""

    @abc.abstractmethod
    async def save(self, broadcast: Broadcast) -> None:
        """Store the broadcast's status, counts, times and photo file id."""

    @abc.abstractmethod
    async def due(self, now: datetime) -> Sequence[Broadcast]:
        """Return the scheduled broadcasts whose time has come, oldest first."""

    @abc.abstractmethod
    async def running(self) -> Sequence[Broadcast]:
        """Return the broadcasts being delivered."""

    @abc.abstractmethod
    async def recent(self, *, limit: int) -> Sequence[Broadcast]:
        """Return the latest broadcasts, newest first."""


class SubscriptionRepository(abc.ABC):
    """Residents' opt-ins to announcements, and chats that blocked the bot."""

    @abc.abstractmethod
    async def add(self, subscription: Subscription) -> bool:
        """Store an opt-in; return False if the same active one exists."""

    @abc.abstractmethod
    async def active_of(self, user_id: int) -> Sequence[Subscription]:
        """Return a user's active subscriptions, oldest first."""

    @abc.abstractmethod
    async def end_all(self, user_id: int, *, at: datetime) -> int:
        """End a user's active subscriptions; return how many."""

    @abc.abstractmethod
    async def set_blocked(self, user_id: int, *, at: datetime | None) -> None:
        """Record that the user blocked the bot (``at``) or unblocked it (None)."""

    @abc.abstractmethod
    async def is_blocked(self, user_id: int) -> bool:
        """Tell whether the user blocked the bot."""

    @abc.abstractmethod
    async def subscribers(self, scopes: Sequence[tuple[Scope, str | None]]) -> set[int]:
        """Return users with an active subscription to any of ``scopes``, blocked ones left out."""

    @abc.abstractmethod
    async def blocked_among(self, user_ids: Sequence[int]) -> set[int]:
        """Return which of the users blocked the bot."""

    @abc.abstractmethod
    async def all_of(self, user_id: int) -> Sequence[Subscription]:
        """Return every subscription of the user, ended ones too, newest first."""
