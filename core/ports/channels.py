"""Channels other than Telegram: who a person is on each, and a Zalo OA's tokens and events."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from core.channels import Channel, ChannelIdentity
from core.zalo import ZaloEvent, ZaloTokens


class ChannelIdentityRepository(abc.ABC):
    """People's accounts on channels other than Telegram, each mapped to our user id."""

    @abc.abstractmethod
    async def get(self, channel: Channel, external_id: str) -> ChannelIdentity | None:
        """Return the identity of ``external_id`` on ``channel``, if the bot met them."""

    @abc.abstractmethod
    async def mint(self, channel: Channel, external_id: str, *, at: datetime) -> ChannelIdentity:
        """Give ``external_id`` a new user id (see :mod:`core.identity`) and keep the mapping.

        When another transaction mapped the same person first, return that mapping: one
        person never gets two ids.
        """

    @abc.abstractmethod
    async def of_user(self, user_id: int, channel: Channel) -> ChannelIdentity | None:
        """Return the user's identity on ``channel`` (where to send them a message)."""

    @abc.abstractmethod
    async def heard_from(self, channel: Channel, external_id: str, *, at: datetime) -> None:
        """Record that the person wrote at ``at`` (kept if later than what is known)."""

    @abc.abstractmethod
    async def forget_user(self, user_id: int) -> int:
        """Delete every identity of the user (erasure); return how many there were."""


class ZaloTokenRepository(abc.ABC):
    """Each OA's access and refresh tokens, one row per OA."""

    @abc.abstractmethod
    async def get(self, oa_id: str) -> ZaloTokens | None:
        """Return the OA's tokens as stored, without locking them."""

    @abc.abstractmethod
    async def lock(self, oa_id: str) -> ZaloTokens | None:
        """Return the OA's tokens, their row locked until the transaction ends.

        Another transaction locking them waits until this one commits or rolls back, then
        reads what it left: the refresh token is spent by one process only.
        """

    @abc.abstractmethod
    async def save(self, tokens: ZaloTokens) -> None:
        """Insert or replace the OA's tokens."""


class ZaloEventRepository(abc.ABC):
    """Zalo's webhook events as they arrived, each kept before it was acknowledged."""

    @abc.abstractmethod
    async def record(self, event: ZaloEvent) -> bool:
        """Store the event; return False if an event with its id was stored already."""

    @abc.abstractmethod
    async def get(self, event_id: str) -> ZaloEvent | None:
        """Return the stored event with this id."""

    @abc.abstractmethod
    async def waiting(self, *, limit: int) -> Sequence[ZaloEvent]:
        """Return events not processed yet, oldest first."""

    @abc.abstractmethod
    async def claim(self, event_id: str, *, at: datetime) -> bool:
        """Mark the event processed; return False if it already was.

        Called in the transaction that applies the event's effects: an event is processed once.
        """

    @abc.abstractmethod
    async def delete_processed_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` events processed before the instant; return how many."""

    @abc.abstractmethod
    async def count_processed_before(self, before: datetime) -> int:
        """Return how many events were processed before the instant."""

    @abc.abstractmethod
    async def earlier_waiting(self, event: ZaloEvent) -> bool:
        """Tell whether an earlier event of the same person waits to be processed."""
