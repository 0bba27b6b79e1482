"""Bot API calls waiting to be made, or made: replies, notices, broadcasts' messages."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    Text,
    bindparam,
    case,
    cast as sql_cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.broadcasts import BroadcastStatus, Outcome
from core.channels import Channel
from core.outbox import FinishedMessage, OutboxStatus, OutboxWindow, OutgoingMessage
from core.ports import OutboxRepository
from storage.mapping import to_entity
from storage.read_ahead import UNSENT_LOOKED_AT, ReadAhead, taken
from storage.sql import add_new, rowcount
from storage.tables import BroadcastRow, OutboxRow

# The outbox as a Core table, for statements that need no ORM units (hot paths).
_OUTBOX = cast(Table, OutboxRow.__table__)
_UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
# Not finished: a chat's first such message is the one its channel's sender sends next.
_UNFINISHED = (*_UNSENT, OutboxStatus.WAITING.value)
# What the Telegram senders (bot.sender, bot.bulk) look for: their channel's messages only.
_TELEGRAM = OutboxRow.channel == Channel.TELEGRAM.value
_CHAT_UNSENT = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.status.in_(_UNSENT),
        _OUTBOX.c.chat_id == bindparam("chat_id"),
        _OUTBOX.c.broadcast_id.is_(None),
        _OUTBOX.c.channel == Channel.TELEGRAM.value,
    )
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("limit"))
)
_PENDING_OF_BROADCAST = (
    select(_OUTBOX)
    .where(
        _OUTBOX.c.broadcast_id == bindparam("broadcast_id"),
        _OUTBOX.c.status == OutboxStatus.PENDING.value,
        or_(_OUTBOX.c.retry_at.is_(None), _OUTBOX.c.retry_at <= bindparam("now")),
        _OUTBOX.c.channel == Channel.TELEGRAM.value,
    )
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("limit"))
)
_ADD_SQLITE = insert(_OUTBOX).returning(_OUTBOX.c.id)
_ADD_ORDERED = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)
# Core, not ORM: one executemany, keyed by id.
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=OutboxStatus.SENT.value,
        attempts=_OUTBOX.c.attempts + 1,
        last_attempt_at=bindparam("at"),
        sent_at=bindparam("at"),
        sent_message_id=bindparam("telegram_id"),
    )
)


class SqlOutboxRepository(OutboxRepository):
    """Outgoing Bot API calls in the ``outbox`` table.

    A chat's unsent messages read ahead (:mod:`storage.read_ahead`) answer one look at
    them; queueing a message, or letting a waiting one go, drops them (the only writes that
    can add to a chat's unsent messages: the others move a message between pending and
    sending, or finish it).
    """

    def __init__(self, session: AsyncSession, ahead: ReadAhead | None = None) -> None:
        self._session = session
        self._ahead = ahead or ReadAhead()

    async def add(self, message: OutgoingMessage) -> OutgoingMessage:
        """Queue a message; return it with its id set."""
        self._ahead.unsent.clear()
        # A broadcast's messages are queued by add_bulk; failures and back-offs are the
        # sender's to record.
        omit = ("broadcast_id", "failure", "retry_at")
        return await add_new(
            self._session, OutboxRow, message, omit=omit, channel=_channel(message)
        )

    async def add_many(
        self, messages: Sequence[OutgoingMessage], *, taken_by: str | None, at: datetime
    ) -> list[OutgoingMessage]:
        """Queue messages in order, taken by ``taken_by`` if given; return them with ids."""
        if not messages:
            return []
        self._ahead.unsent.clear()
        status = OutboxStatus.SENDING if taken_by is not None else OutboxStatus.PENDING
        rows = [
            {
                "chat_id": m.chat_id,
                "method": m.method,
                "params": m.params,
                "created_at": m.created_at,
                "status": status.value,
                "attempts": 0,
                "last_attempt_at": at if taken_by is not None else None,
                "claimed_by": taken_by,
                "forget_when_sent": m.forget_when_sent,
                "channel": _channel(m),
            }
            for m in messages
        ]
        # Core, not ORM units: one INSERT … RETURNING for all of them. SQLite gives the rows
        # ascending ids in the order of VALUES (its write lock is held), so the ids sorted
        # are in input order; asking SQLAlchemy to order them would cost a statement per row
        # there. PostgreSQL orders them in the statement.
        sqlite = self._session.get_bind().dialect.name == "sqlite"
        result = await self._session.execute(_ADD_SQLITE if sqlite else _ADD_ORDERED, rows)
        ids = sorted(result.scalars()) if sqlite else list(result.scalars())
        return [
            replace(m, id=message_id, status=status)
            for m, message_id in zip(messages, ids, strict=True)
        ]

    async def unsent(self, chat_id: int, *, limit: int) -> list[int]:
        """Return the ids of the chat's Telegram messages (not broadcasts') pending or sending."""
        if limit == UNSENT_LOOKED_AT:
            found, ids_ahead = taken(self._ahead.unsent, chat_id)
            if found:
                return ids_ahead  # type: ignore[no-any-return]
        ids = await self._session.scalars(_CHAT_UNSENT, {"chat_id": chat_id, "limit": limit})
        return list(ids)

    async def pending(self, *, limit: int, chat_id: int | None = None) -> Sequence[OutgoingMessage]:
        """Return pending Telegram messages in id order, for one chat or all; broadcasts' apart."""
        query = select(OutboxRow).where(
            OutboxRow.status == OutboxStatus.PENDING.value,
            OutboxRow.broadcast_id.is_(None),
            _TELEGRAM,
        )
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        rows = await self._session.scalars(
            query.order_by(OutboxRow.id).limit(limit).execution_options(populate_existing=True)
        )
        return [_outgoing(row) for row in rows]

    async def mark_sent(
        self, message_id: int, *, at: datetime, sent_message_id: int | None
    ) -> None:
        """Record that Telegram accepted the message."""
        await self._attempted(
            message_id,
            OutboxStatus.SENT,
            last_attempt_at=at,
            sent_at=at,
            sent_message_id=sent_message_id,
        )

    async def mark_failed(self, message_id: int, *, at: datetime, error: str, final: bool) -> None:
        """Record a failed attempt; ``final`` stops further attempts."""
        status = OutboxStatus.FAILED if final else OutboxStatus.PENDING
        await self._attempted(message_id, status, last_attempt_at=at, last_error=error)

    async def claim(self, message_id: int, *, at: datetime, by: str | None = None) -> bool:
        """Take a pending message for sending (``by``: the process); False if taken or done."""
        result = await self._session.execute(
            update(_OUTBOX)  # the table's: a Core statement, not the ORM's bulk update
            .where(_OUTBOX.c.id == message_id, _OUTBOX.c.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.SENDING.value, last_attempt_at=at, claimed_by=by)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    async def claimers(self) -> set[str]:
        """Return the processes holding Telegram messages (not broadcasts') for sending now."""
        rows = await self._session.scalars(
            select(OutboxRow.claimed_by)
            .where(
                OutboxRow.status == OutboxStatus.SENDING.value,
                OutboxRow.broadcast_id.is_(None),
                OutboxRow.claimed_by.is_not(None),
                _TELEGRAM,
            )
            .distinct()
        )
        return {claimer for claimer in rows if claimer is not None}

    async def held_chats(self, claimer: str) -> set[int]:
        """Return the chats (of every channel) with messages ``claimer`` holds for sending."""
        rows = await self._session.scalars(
            select(OutboxRow.chat_id)
            .where(OutboxRow.status == OutboxStatus.SENDING.value, OutboxRow.claimed_by == claimer)
            .distinct()
        )
        return set(rows)

    async def release_claims(
        self, claimers: Collection[str], *, taken_before: datetime | None = None
    ) -> int:
        """Put back the messages these processes took (they are gone); return how many.

        ``taken_before``: only those taken before then. Of every channel: the processes named
        are gone, and whatever they held must go back to be sent, a Zalo message too.
        """
        if not claimers:
            return 0
        which: list[ColumnElement[bool]] = [OutboxRow.claimed_by.in_(sorted(claimers))]
        if taken_before is not None:
            which.append(OutboxRow.last_attempt_at < taken_before)
        return await self._put_back(*which)

    async def sendable(
        self, chat_id: int, *, limit: int, done: Collection[int] = ()
    ) -> Sequence[OutgoingMessage]:
        """Return the chat's pending Telegram messages (not broadcasts') in id order.

        None at all while a sender holds one of them: it sends the rest after it, in order.
        ``done``: messages the asking sender has sent but not yet recorded as sent.
        """
        rows = [
            row
            for row in await self._session.scalars(
                select(OutboxRow)
                .where(
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.status.in_(_UNSENT),
                    OutboxRow.broadcast_id.is_(None),
                    _TELEGRAM,
                )
                .order_by(OutboxRow.id)
                .limit(limit)
                .execution_options(populate_existing=True)
            )
            if row.id not in done
        ]
        if any(row.status == OutboxStatus.SENDING.value for row in rows):
            return []
        return [_outgoing(row) for row in rows]

    async def release_stale(self, *, older_than: datetime) -> int:
        """Put back messages taken for sending before ``older_than`` (their sender died).

        Telegram's replies and notices, and every Zalo message, a broadcast's too: a Zalo
        sender holds one for seconds, so one held that long has lost its sender, whichever
        sender's sweep finds it. Telegram's broadcasts are the bulk sender's (its lease).
        """
        return await self._put_back(
            OutboxRow.last_attempt_at < older_than,
            or_(OutboxRow.broadcast_id.is_(None), ~_TELEGRAM),
        )

    async def add_bulk(self, broadcast_id: int, messages: Sequence[OutgoingMessage]) -> int:
        """Queue one message per chat for a broadcast; return how many rows were written."""
        if not messages:
            return 0
        already = set(
            await self._session.scalars(
                select(OutboxRow.chat_id).where(OutboxRow.broadcast_id == broadcast_id)
            )
        )
        rows = [
            {
                "chat_id": m.chat_id,
                "method": m.method,
                "params": m.params,
                "created_at": m.created_at,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "broadcast_id": broadcast_id,
                "channel": _channel(m),
            }
            for m in messages
            if m.chat_id not in already
        ]
        for start in range(0, len(rows), 1000):
            await self._session.execute(insert(OutboxRow), rows[start : start + 1000])
        return len(rows)

    async def pending_bulk(
        self, *, limit: int, now: datetime, urgent_only: bool
    ) -> Sequence[OutgoingMessage]:
        """Return pending Telegram messages of running broadcasts due now, in id order.

        Read broadcast by broadcast: each one's pending rows come in id order from its index
        (broadcast, status), so no read sorts every pending row of the outbox; and as Core
        rows, not ORM objects. A batch is read while the last one is paced out (bot.bulk),
        and reading it held the event loop for tens of milliseconds before.
        """
        running = select(BroadcastRow.id).where(
            BroadcastRow.status == BroadcastStatus.SENDING.value
        )
        if urgent_only:
            running = running.where(BroadcastRow.urgent.is_(True))
        found: list[OutgoingMessage] = []
        for broadcast_id in list(await self._session.scalars(running.order_by(BroadcastRow.id))):
            rows = await self._session.execute(
                _PENDING_OF_BROADCAST, {"broadcast_id": broadcast_id, "now": now, "limit": limit}
            )
            found += [to_entity(OutgoingMessage, row, params=dict(row.params)) for row in rows]
        found.sort(key=lambda message: message.id or 0)
        return found[:limit]

    async def claim_many(self, message_ids: Sequence[int], *, at: datetime) -> list[int]:
        """Take pending messages for sending; return the ids taken."""
        if not message_ids:
            return []
        result = await self._session.execute(
            update(OutboxRow)
            # By primary key: the status compared as an expression (``|| ''``), or SQLite
            # walks every pending row of the outbox through the status index instead.
            .where(
                OutboxRow.id.in_(message_ids),
                (_OUTBOX.c.status + "") == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.SENDING.value, last_attempt_at=at)
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(result.scalars())

    async def mark_sent_many(
        self, sent: Sequence[tuple[int, int | None]], *, at: datetime, forget: Collection[int] = ()
    ) -> None:
        """Record that Telegram accepted each (message id, Telegram's message id).

        The messages in ``forget`` (those to be forgotten once sent) are deleted instead.
        """
        kept = [(mid, tid) for mid, tid in sent if mid not in forget]
        if kept:
            await self._session.execute(
                _MARK_SENT, [{"message_id": mid, "telegram_id": tid, "at": at} for mid, tid in kept]
            )
        if forget:
            await self.forget(forget)

    async def forget(self, message_ids: Collection[int]) -> None:
        """Delete these messages, whatever became of them."""
        await self._session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(list(message_ids))))

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Put a message back for another attempt at ``at`` (a network error's back-off)."""
        await self._attempted(
            message_id, OutboxStatus.PENDING, last_error=error[:1000], retry_at=at
        )

    async def mark_undeliverable(
        self, message_id: int, *, at: datetime, failure: str, error: str
    ) -> None:
        """Record that the message will never go (``failure``: blocked, chat_not_found...)."""
        await self._attempted(
            message_id,
            OutboxStatus.FAILED,
            last_attempt_at=at,
            last_error=error[:1000],
            failure=failure,
        )

    async def mark_expired(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record that the message is given up: Telegram could not be reached for too long."""
        await self._attempted(
            message_id,
            OutboxStatus.EXPIRED,
            last_attempt_at=at,
            last_error=error[:1000],
            failure="expired",
        )

    async def retry_bulk_now(self) -> int:
        """Make Telegram's broadcast messages waiting out a back-off due now; return how many.

        Zalo's are left waiting: Telegram answering says nothing of Zalo (or of its night).
        """
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.broadcast_id.is_not(None),
                OutboxRow.retry_at.is_not(None),
                _TELEGRAM,
            )
            .values(retry_at=None)
            .execution_options(synchronize_session=False)
        )
        return cast("CursorResult[Any]", result).rowcount

    async def release_bulk(self) -> int:
        """Put back every Telegram broadcast message taken for sending (its sender is gone).

        Zalo's are its sender's, taken one by one: :meth:`release_stale` puts those back.
        """
        return await self._put_back(OutboxRow.broadcast_id.is_not(None), _TELEGRAM)

    async def unclaim(self, message_ids: Sequence[int]) -> None:
        """Put back messages taken but not attempted (a pause for flood control)."""
        if message_ids:
            await self._put_back(OutboxRow.id.in_(message_ids))

    async def zalo_due(self, *, now: datetime, limit: int) -> Sequence[OutgoingMessage]:
        """Return each Zalo chat's next message if it is pending and due, oldest first.

        A chat's next message is its first unfinished one (pending, being sent or waiting),
        a broadcast's too: while that one is held, waits for the person or is in flight,
        the chat's later messages do not overtake it.
        """
        first = (
            select(func.min(OutboxRow.id).label("id"))
            .where(OutboxRow.channel == Channel.ZALO.value, OutboxRow.status.in_(_UNFINISHED))
            .group_by(OutboxRow.chat_id)
            .subquery()
        )
        rows = await self._session.scalars(
            select(OutboxRow)
            .join(first, OutboxRow.id == first.c.id)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                or_(OutboxRow.retry_at.is_(None), OutboxRow.retry_at <= now),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_outgoing(row) for row in rows]

    async def hold(self, message_id: int, *, at: datetime, error: str) -> None:
        """Keep a message until the person writes again (:meth:`release_waiting`).

        Not counted as an attempt: the channel's rules, not a failure, keep it.
        """
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=OutboxStatus.WAITING.value,
                last_attempt_at=at,
                last_error=error[:1000],
                retry_at=None,
            )
            .execution_options(synchronize_session=False)
        )

    async def release_waiting(self, chat_id: int) -> int:
        """Make the chat's waiting messages pending and due now; return how many."""
        self._ahead.unsent.clear()
        return await rowcount(
            self._session,
            update(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status == OutboxStatus.WAITING.value)
            .values(status=OutboxStatus.PENDING.value, retry_at=None)
            .execution_options(synchronize_session=False),
        )

    async def recent(self, chat_id: int, *, limit: int) -> Sequence[OutgoingMessage]:
        """Return the chat's latest messages, newest first, but those that never went."""
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status.not_in(_NEVER_WENT))
            .order_by(OutboxRow.id.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_outgoing(row) for row in rows]

    async def _attempted(self, message_id: int, status: OutboxStatus, **values: Any) -> None:
        """Count an attempt at the message, after which it is in ``status``, with ``values``."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(status=status.value, attempts=OutboxRow.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )

    async def _put_back(self, *which: ColumnElement[bool]) -> int:
        """Make messages taken for sending (and matching ``which``) pending again."""
        return await rowcount(
            self._session,
            update(OutboxRow)
            .where(OutboxRow.status == OutboxStatus.SENDING.value, *which)
            .values(status=OutboxStatus.PENDING.value)
            .execution_options(synchronize_session=False),
        )

    async def cancel_broadcast(self, broadcast_id: int) -> int:
        """Stop the broadcast's messages not sent yet (pending, or waiting); return how many."""
        return await rowcount(
            self._session,
            update(OutboxRow)
            .where(
                OutboxRow.broadcast_id == broadcast_id,
                OutboxRow.status.in_((OutboxStatus.PENDING.value, OutboxStatus.WAITING.value)),
            )
            .values(status=OutboxStatus.CANCELLED.value)
            .execution_options(synchronize_session=False),
        )

    async def broadcast_outcomes(self, broadcast_id: int) -> dict[Outcome, int]:
        """Count the broadcast's messages by outcome."""
        rows = await self._session.execute(
            select(OutboxRow.status, OutboxRow.failure, func.count())
            .where(OutboxRow.broadcast_id == broadcast_id)
            .group_by(OutboxRow.status, OutboxRow.failure)
        )
        counts: dict[Outcome, int] = {}
        for status, failure, count in rows:
            outcome = _OUTCOMES.get(status, Outcome.PENDING)
            if outcome is Outcome.FAILED and failure == Outcome.BLOCKED.value:
                outcome = Outcome.BLOCKED
            counts[outcome] = counts.get(outcome, 0) + count
        return counts

    async def broadcast_last_attempt(self, broadcast_id: int) -> datetime | None:
        """Return when the broadcast's last message was attempted."""
        return await self._session.scalar(
            select(func.max(OutboxRow.last_attempt_at)).where(
                OutboxRow.broadcast_id == broadcast_id
            )
        )

    async def backlog(self, *, broadcasts: bool) -> tuple[int, datetime | None]:
        """Return how many Telegram messages are unsent and when the oldest was queued.

        Zalo's are left out: they wait out the night by rule, which is no sign of an outage.
        """
        kind = (
            OutboxRow.broadcast_id.is_not(None) if broadcasts else OutboxRow.broadcast_id.is_(None)
        )
        row = (
            await self._session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(
                    OutboxRow.status.in_(_UNSENT), kind, _TELEGRAM
                )
            )
        ).one()
        return row[0], row[1]

    async def finished_before(self, before: datetime, *, after: int, limit: int) -> OutboxWindow:
        """Return the next ``limit`` messages after id ``after`` as a window of the walk.

        The window is bounded on the primary key first (its last id, its oldest message),
        then searched for what is due within those ids only: a walk over a table that keeps
        every broadcast's rows reads each row once, whatever plan the statistics suggest.
        """
        window = (
            select(_OUTBOX.c.id, _OUTBOX.c.created_at)
            .where(_OUTBOX.c.id > after)
            .order_by(_OUTBOX.c.id)
            .limit(limit)
            .subquery()
        )
        last_id, oldest = (
            await self._session.execute(
                select(func.max(window.c.id), func.min(window.c.created_at))
            )
        ).one()
        if last_id is None:
            return OutboxWindow((), None, young=True)
        rows = await self._session.execute(
            select(_OUTBOX.c.id, _OUTBOX.c.broadcast_id)
            .where(_OUTBOX.c.id > after, _OUTBOX.c.id <= last_id, *_finished_before(before))
            .order_by(_OUTBOX.c.id)
        )
        due = tuple(FinishedMessage(row.id, row.broadcast_id) for row in rows)
        return OutboxWindow(due, last_id, young=oldest >= before)

    async def count_finished_before(self, before: datetime) -> tuple[int, int]:
        """Count what :meth:`finished_before` would return: (replies and notices, broadcasts')."""
        reply = case((_OUTBOX.c.broadcast_id.is_(None), 1), else_=0)
        row = (
            await self._session.execute(
                select(func.count(), func.coalesce(func.sum(reply), 0)).where(
                    *_finished_before(before)
                )
            )
        ).one()
        return int(row[1]), int(row[0]) - int(row[1])

    async def delete_finished(self, message_ids: Sequence[int]) -> int:
        """Delete these messages if they went (or never will); return how many."""
        if not message_ids:
            return 0
        return await rowcount(
            self._session,
            delete(_OUTBOX).where(_OUTBOX.c.id.in_(message_ids), _OUTBOX.c.status.in_(_FINISHED)),
        )

    async def forget_texts(self, message_ids: Sequence[int]) -> int:
        """Empty the parameters (the text) of these messages that went; return how many."""
        if not message_ids:
            return 0
        return await rowcount(
            self._session,
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(message_ids), _OUTBOX.c.status.in_(_FINISHED))
            .values(params={}),
        )


_OUTCOMES = {
    OutboxStatus.SENT.value: Outcome.DELIVERED,
    OutboxStatus.FAILED.value: Outcome.FAILED,
    OutboxStatus.EXPIRED.value: Outcome.FAILED,
    OutboxStatus.CANCELLED.value: Outcome.CANCELLED,
}


# Failed, cancelled or given up: what a person never saw (left out of recent()).
_NEVER_WENT = (
    OutboxStatus.FAILED.value,
    OutboxStatus.CANCELLED.value,
    OutboxStatus.EXPIRED.value,
)


def _outgoing(row: OutboxRow) -> OutgoingMessage:
    return to_entity(OutgoingMessage, row, params=dict(row.params))


def _channel(message: OutgoingMessage) -> str:
    """Return the stored value of the message's channel (its chat's)."""
    return message.channel.value


# What went, or never will: what the retention purge may act on (core.retention).
_FINISHED = (
    OutboxStatus.SENT.value,
    OutboxStatus.FAILED.value,
    OutboxStatus.EXPIRED.value,
    OutboxStatus.CANCELLED.value,
)
# JSON as stored: "{}" on both backends (the default serializer), compared as text because
# PostgreSQL's json type has no equality.
_EMPTY = "{}"


def _finished_before(before: datetime) -> tuple[ColumnElement[bool], ...]:
    """Messages that went (or never will) before ``before`` and still hold their parameters."""
    went_at = func.coalesce(_OUTBOX.c.sent_at, _OUTBOX.c.last_attempt_at, _OUTBOX.c.created_at)
    return (
        _OUTBOX.c.status.in_(_FINISHED),
        went_at < before,
        or_(_OUTBOX.c.broadcast_id.is_(None), sql_cast(_OUTBOX.c.params, Text) != _EMPTY),
    )
