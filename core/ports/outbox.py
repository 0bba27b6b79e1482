"""What goes out: the outbox of Bot API calls, and the leases of the processes sending them."""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from datetime import datetime

from core.broadcasts import Outcome
from core.outbox import OutboxWindow, OutgoingMessage


class OutboxRepository(abc.ABC):
    """Outgoing Bot API calls, written with the change that causes them.

    Each message names its channel; the queries by which the Telegram senders find work
    (:meth:`unsent`, :meth:`pending`, :meth:`sendable`, :meth:`claimers`,
    :meth:`pending_bulk`, :meth:`retry_bulk_now`, :meth:`release_bulk`) return Telegram's
    messages only, and :meth:`zalo_due` Zalo's.
    """

    @abc.abstractmethod
    async def add(self, message: OutgoingMessage) -> OutgoingMessage:
        """Queue a message; return it with its id set."""

    @abc.abstractmethod
    async def add_many(
        self, messages: Sequence[OutgoingMessage], *, taken_by: str | None, at: datetime
    ) -> list[OutgoingMessage]:
        """Queue messages in order; return them with their ids set.

        ``taken_by`` (a sender) takes them for sending at ``at`` in the same statement, so
        the sender that will send them at once needs no transaction of its own to claim them.
        """

    @abc.abstractmethod
    async def unsent(self, chat_id: int, *, limit: int) -> list[int]:
        """Return the ids of the chat's Telegram messages (not broadcasts') pending or sending."""

    @abc.abstractmethod
    async def pending(self, *, limit: int, chat_id: int | None = None) -> Sequence[OutgoingMessage]:
        """Return pending Telegram messages in id order, for one chat or for all."""

    @abc.abstractmethod
    async def mark_sent(
        self, message_id: int, *, at: datetime, sent_message_id: int | None
    ) -> None:
        """Record that Telegram accepted the message."""

    @abc.abstractmethod
    async def mark_failed(self, message_id: int, *, at: datetime, error: str, final: bool) -> None:
        """Record a failed attempt; ``final`` stops further attempts."""

    @abc.abstractmethod
    async def claim(self, message_id: int, *, at: datetime, by: str | None = None) -> bool:
        """Take a pending message for sending (``by``: the process); False if taken or done.

        Two processes flushing the same chat therefore never send one message twice.
        """

    @abc.abstractmethod
    async def claimers(self) -> set[str]:
        """Return the processes holding Telegram messages (not broadcasts') for sending now."""

    @abc.abstractmethod
    async def held_chats(self, claimer: str) -> set[int]:
        """Return the chats (of every channel) with messages ``claimer`` holds for sending."""

    @abc.abstractmethod
    async def release_claims(
        self, claimers: Collection[str], *, taken_before: datetime | None = None
    ) -> int:
        """Put back the messages these processes took (they are gone); return how many.

        ``taken_before``: only those taken before then. Of every channel: the processes are
        gone, and what they held goes back whichever sender sends it.
        """

    @abc.abstractmethod
    async def sendable(
        self, chat_id: int, *, limit: int, done: Collection[int] = ()
    ) -> Sequence[OutgoingMessage]:
        """Return the chat's pending Telegram messages (not broadcasts') in id order.

        None at all while a sender holds one of them: it sends the rest after it, in order.
        ``done``: messages the asking sender has sent but not yet recorded as sent.
        """

    @abc.abstractmethod
    async def release_stale(self, *, older_than: datetime) -> int:
        """Put back messages taken for sending before ``older_than`` (their sender died).

        Replies and notices, and every Zalo message, a broadcast's too; Telegram's broadcasts
        are the bulk sender's (:meth:`release_bulk`).
        """

    @abc.abstractmethod
    async def add_bulk(self, broadcast_id: int, messages: Sequence[OutgoingMessage]) -> int:
        """Queue one message per chat for a broadcast; return how many rows were written.

        A chat already queued for the broadcast is not queued again.
        """

    @abc.abstractmethod
    async def pending_bulk(
        self, *, limit: int, now: datetime, urgent_only: bool
    ) -> Sequence[OutgoingMessage]:
        """Return pending Telegram messages of running broadcasts due now, in id order."""

    @abc.abstractmethod
    async def claim_many(self, message_ids: Sequence[int], *, at: datetime) -> list[int]:
        """Take pending messages for sending; return the ids taken."""

    @abc.abstractmethod
    async def mark_sent_many(
        self, sent: Sequence[tuple[int, int | None]], *, at: datetime, forget: Collection[int] = ()
    ) -> None:
        """Record that Telegram accepted each (message id, Telegram's message id).

        The messages in ``forget`` (those to be forgotten once sent) are deleted instead.
        """

    @abc.abstractmethod
    async def forget(self, message_ids: Collection[int]) -> None:
        """Delete these messages, whatever became of them."""

    @abc.abstractmethod
    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Put a message back for another attempt at ``at`` (a network error's back-off)."""

    @abc.abstractmethod
    async def mark_undeliverable(
        self, message_id: int, *, at: datetime, failure: str, error: str
    ) -> None:
        """Record that the message will never go (``failure``: blocked, chat_not_found...)."""

    @abc.abstractmethod
    async def mark_expired(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record that the message is given up: Telegram could not be reached for too long."""

    @abc.abstractmethod
    async def zalo_due(self, *, now: datetime, limit: int) -> Sequence[OutgoingMessage]:
        """Return each Zalo chat's next message if it is pending and due at ``now``.

        A chat's next message is its first unfinished one (lowest id pending, being sent or
        waiting), a broadcast's included: while it is held or in flight, the chat's later
        messages wait behind it. Oldest first; ``retry_at`` null or past counts as due.
        """

    @abc.abstractmethod
    async def hold(self, message_id: int, *, at: datetime, error: str) -> None:
        """Keep a message, not attempted, until the person writes again (``WAITING``)."""

    @abc.abstractmethod
    async def release_waiting(self, chat_id: int) -> int:
        """Make the chat's waiting messages pending and due now; return how many.

        Called when the person writes again: their channel's free window is open.
        """

    @abc.abstractmethod
    async def recent(self, chat_id: int, *, limit: int) -> Sequence[OutgoingMessage]:
        """Return the chat's latest messages, newest first, but failed, cancelled or expired.

        What the chat was last offered: a channel whose buttons come back as text reads here
        what choices its person had.
        """

    @abc.abstractmethod
    async def retry_bulk_now(self) -> int:
        """Make Telegram's broadcast messages waiting out a back-off due now; return how many.

        Telegram answers again after an outage: what waited for it need not wait longer.
        """

    @abc.abstractmethod
    async def release_bulk(self) -> int:
        """Put back every Telegram broadcast message taken for sending (its sender is gone)."""

    @abc.abstractmethod
    async def unclaim(self, message_ids: Sequence[int]) -> None:
        """Put back messages taken but not attempted (a pause for flood control)."""

    @abc.abstractmethod
    async def cancel_broadcast(self, broadcast_id: int) -> int:
        """Stop the broadcast's messages not sent yet (pending or waiting); return how many."""

    @abc.abstractmethod
    async def broadcast_outcomes(self, broadcast_id: int) -> dict[Outcome, int]:
        """Count the broadcast's messages by outcome."""

    @abc.abstractmethod
    async def broadcast_last_attempt(self, broadcast_id: int) -> datetime | None:
        """Return when the broadcast's last message was attempted."""

    @abc.abstractmethod
    async def backlog(self, *, broadcasts: bool) -> tuple[int, datetime | None]:
        """Return how many Telegram messages are unsent and when the oldest was queued.

        ``broadcasts``: count the broadcasts' messages; otherwise replies and notices. Zalo's
        are left out: they wait out the night by rule, which is no sign of an outage.
        """

    @abc.abstractmethod
    async def finished_before(self, before: datetime, *, after: int, limit: int) -> OutboxWindow:
        """Return the next ``limit`` messages after id ``after`` as a window of the walk.

        Its ``due`` are those sent, failed, expired or cancelled before ``before`` (when
        sent, else last attempted, else queued) that still hold their parameters: a
        broadcast's message keeps its row once emptied, and is not due again.
        """

    @abc.abstractmethod
    async def count_finished_before(self, before: datetime) -> tuple[int, int]:
        """Count what :meth:`finished_before` would return: (replies and notices, broadcasts')."""

    @abc.abstractmethod
    async def delete_finished(self, message_ids: Sequence[int]) -> int:
        """Delete these messages if they went (or never will); return how many."""

    @abc.abstractmethod
    async def forget_texts(self, message_ids: Sequence[int]) -> int:
        """Empty the parameters (the text) of these messages that went; return how many.

        The rows stay, with their chat, outcome and times: a broadcast's report counts them.
        """


class LeaseRepository(abc.ABC):
    """Named leases: one process at a time does a job (sending bulk messages)."""

    @abc.abstractmethod
    async def acquire(self, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
        """Take or renew the lease until ``now + seconds``; False if another holder has it."""

    @abc.abstractmethod
    async def release(self, name: str, holder: str) -> None:
        """Give the lease up if ``holder`` has it."""

    @abc.abstractmethod
    async def holders(self, prefix: str, *, now: datetime) -> set[str]:
        """Return the holders of the leases named ``prefix…`` that have not expired at ``now``."""

    @abc.abstractmethod
    async def lapsed(self, prefix: str, *, now: datetime) -> list[tuple[str, str]]:
        """Return ``(name, holder)`` of the leases named ``prefix…`` expired at ``now``."""

    @abc.abstractmethod
    async def remove_lapsed(self, name: str, holder: str, *, now: datetime) -> bool:
        """Delete the lease if ``holder`` still has it and it expired; False if not.

        One conditional statement: of several processes removing one lapsed lease, one wins.
        """

    @abc.abstractmethod
    async def expire(self, name: str, holder: str, *, now: datetime) -> None:
        """End the lease at ``now`` if ``holder`` has it: it lapses without waiting."""
