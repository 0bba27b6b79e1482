"""Channels other than Telegram: identities and minted user ids, Zalo OA tokens and events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import Channel, ChannelIdentity
from core.identity import minted_user_id
from core.ports import ChannelIdentityRepository, ZaloEventRepository, ZaloTokenRepository
from core.zalo import ZaloEvent, ZaloTokens
from storage.mapping import to_entity, to_values
from storage.sql import dialect_insert, rowcount, upsert
from storage.tables import ChannelIdentityRow, MintedUserIdRow, ZaloEventRow, ZaloTokenRow

_IDENTITIES = cast(Table, ChannelIdentityRow.__table__)
_MINTED = cast(Table, MintedUserIdRow.__table__)
_TOKENS = cast(Table, ZaloTokenRow.__table__)
_EVENTS = cast(Table, ZaloEventRow.__table__)


class SqlChannelIdentityRepository(ChannelIdentityRepository):
    """Identities in ``channel_identities``; minted ids numbered by ``minted_user_ids``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, channel: Channel, external_id: str) -> ChannelIdentity | None:
        """Return the identity of ``external_id`` on ``channel``, if the bot met them."""
        row = (
            await self._session.execute(
                select(_IDENTITIES).where(
                    _IDENTITIES.c.channel == channel.value,
                    _IDENTITIES.c.external_id == external_id,
                )
            )
        ).first()
        return to_entity(ChannelIdentity, row) if row is not None else None

    async def mint(self, channel: Channel, external_id: str, *, at: datetime) -> ChannelIdentity:
        """Give ``external_id`` a new user id and keep the mapping; the first mapping wins.

        The number is taken first (a racing transaction that loses the insert leaves its
        number unused: numbers are cheap, two ids for one person are not). On PostgreSQL the
        conditional insert waits for a racing transaction's insert of the same pair to end;
        on SQLite transactions take turns.
        """
        number = (
            await self._session.execute(
                insert(_MINTED).values(channel=channel.value, minted_at=at).returning(_MINTED.c.id)
            )
        ).scalar_one()
        statement = (
            dialect_insert(self._session, ChannelIdentityRow)
            .values(
                channel=channel.value,
                external_id=external_id,
                user_id=minted_user_id(number),
                created_at=at,
                last_inbound_at=None,
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        await self._session.execute(statement)
        found = await self.get(channel, external_id)
        assert found is not None  # inserted now, or by the transaction that won
        return found

    async def of_user(self, user_id: int, channel: Channel) -> ChannelIdentity | None:
        """Return the user's identity on ``channel``."""
        row = (
            await self._session.execute(
                select(_IDENTITIES).where(
                    _IDENTITIES.c.user_id == user_id, _IDENTITIES.c.channel == channel.value
                )
            )
        ).first()
        return to_entity(ChannelIdentity, row) if row is not None else None

    async def heard_from(self, channel: Channel, external_id: str, *, at: datetime) -> None:
        """Record that the person wrote at ``at``, unless a later message is known."""
        await self._session.execute(
            update(_IDENTITIES)
            .where(
                _IDENTITIES.c.channel == channel.value,
                _IDENTITIES.c.external_id == external_id,
                or_(_IDENTITIES.c.last_inbound_at.is_(None), _IDENTITIES.c.last_inbound_at < at),
            )
            .values(last_inbound_at=at)
        )

    async def forget_user(self, user_id: int) -> int:
        """Delete every identity of the user; return how many there were."""
        return await rowcount(
            self._session, delete(_IDENTITIES).where(_IDENTITIES.c.user_id == user_id)
        )


class SqlZaloTokenRepository(ZaloTokenRepository):
    """OA tokens in ``zalo_tokens``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, oa_id: str) -> ZaloTokens | None:
        """Return the OA's tokens as stored, without locking them."""
        row = (await self._session.execute(select(_TOKENS).where(_TOKENS.c.oa_id == oa_id))).first()
        return to_entity(ZaloTokens, row) if row is not None else None

    async def lock(self, oa_id: str) -> ZaloTokens | None:
        """Return the OA's tokens, their row locked until the transaction ends.

        PostgreSQL: ``SELECT … FOR UPDATE``; a second locker waits, then reads the row the
        first committed. SQLite has no row locks and needs none: every transaction there
        begins with ``BEGIN IMMEDIATE`` (storage.database), which holds the database's write
        lock from its first statement, so the second process waits at its own begin.
        """
        statement = select(_TOKENS).where(_TOKENS.c.oa_id == oa_id)
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return to_entity(ZaloTokens, row) if row is not None else None

    async def save(self, tokens: ZaloTokens) -> None:
        """Insert or replace the OA's tokens."""
        await upsert(self._session, ZaloTokenRow, to_values(tokens), key=["oa_id"])


class SqlZaloEventRepository(ZaloEventRepository):
    """Webhook events in ``zalo_events``, keyed by event id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: ZaloEvent) -> bool:
        """Store the event; return False if an event with its id was stored already."""
        statement = (
            dialect_insert(self._session, ZaloEventRow)
            .values(**to_values(event))
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        return await rowcount(self._session, statement) == 1

    async def get(self, event_id: str) -> ZaloEvent | None:
        """Return the stored event with this id."""
        row = (
            await self._session.execute(select(_EVENTS).where(_EVENTS.c.event_id == event_id))
        ).first()
        return to_entity(ZaloEvent, row) if row is not None else None

    async def waiting(self, *, limit: int) -> Sequence[ZaloEvent]:
        """Return events not processed yet, oldest first (by Zalo's time, then arrival)."""
        rows = await self._session.execute(
            select(_EVENTS)
            .where(_EVENTS.c.processed_at.is_(None))
            .order_by(_EVENTS.c.occurred_at, _EVENTS.c.received_at, _EVENTS.c.event_id)
            .limit(limit)
        )
        return [to_entity(ZaloEvent, row) for row in rows]

    async def claim(self, event_id: str, *, at: datetime) -> bool:
        """Mark the event processed; return False if it already was.

        What the person sent is dropped from the row (its payload emptied): the event's
        turn kept what the flows keep, only after consent; the id stays, so a redelivery is
        still known as one.
        """
        return (
            await rowcount(
                self._session,
                update(_EVENTS)
                .where(_EVENTS.c.event_id == event_id, _EVENTS.c.processed_at.is_(None))
                .values(processed_at=at, payload={}),
            )
            == 1
        )

    async def delete_processed_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` events processed before the instant, oldest first."""
        oldest = (
            select(_EVENTS.c.event_id)
            .where(_EVENTS.c.processed_at < before)
            .order_by(_EVENTS.c.processed_at)
            .limit(limit)
        )
        return await rowcount(
            self._session, delete(_EVENTS).where(_EVENTS.c.event_id.in_(oldest.scalar_subquery()))
        )

    async def count_processed_before(self, before: datetime) -> int:
        """Return how many events were processed before the instant."""
        counted = await self._session.execute(
            select(func.count()).select_from(_EVENTS).where(_EVENTS.c.processed_at < before)
        )
        return int(counted.scalar_one())

    async def earlier_waiting(self, event: ZaloEvent) -> bool:
        """Tell whether an event of the same person, before this one in order, waits."""
        events = _EVENTS.c
        before = or_(
            events.occurred_at < event.occurred_at,
            (events.occurred_at == event.occurred_at) & (events.received_at < event.received_at),
            (events.occurred_at == event.occurred_at)
            & (events.received_at == event.received_at)
            & (events.event_id < event.event_id),
        )
        found = await self._session.execute(
            select(events.event_id)
            .where(events.sender_id == event.sender_id, events.processed_at.is_(None), before)
            .limit(1)
        )
        return found.first() is not None
