"""Messages waiting to be sent: written in the same transaction as the change they report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.channels import Channel
from core.identity import channel_of_chat


class OutboxStatus(StrEnum):
    """Where an outgoing message stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a broadcast's message, stopped before it went
    EXPIRED = "expired"  # Telegram could not be reached for as long as a message is worth it
    # Kept until the person writes again: the channel's free window closed (Zalo's 7 days).
    WAITING = "waiting"


@dataclass(slots=True)
class OutgoingMessage:
    """One Bot API call to make, such as ``sendMessage`` with its parameters.

    Messages of one chat are sent in the order of their ids, so a resend after a crash keeps
    the order the user would have seen.

    Every message is written in Telegram's form (the bot's first channel): :attr:`channel`
    says where it goes, the channel of its chat (:func:`core.identity.channel_of_chat`), and
    that channel's sender renders it for its own API (a Zalo OA message, ``bot.zalo``).
    """

    chat_id: int
    method: str
    params: dict[str, Any]
    created_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None
    sent_message_id: int | None = None
    broadcast_id: int | None = None  # set for a broadcast's messages: paced bulk sending
    failure: str | None = None  # why it will never go: blocked, chat_not_found, bad_request...
    retry_at: datetime | None = None  # not attempted again before this (network back-off)
    # Deleted, not kept, once sent or given up: the answer to an erasure, to a chat the
    # database must no longer know.
    forget_when_sent: bool = False
    id: int | None = None

    @property
    def channel(self) -> Channel:
        """Return the channel the message goes through: its chat's."""
        return channel_of_chat(self.chat_id)


@dataclass(frozen=True, slots=True)
class FinishedMessage:
    """A message that went, or never will (sent, failed, expired, cancelled).

    ``broadcast_id`` is set for a broadcast's message: its row is what the broadcast's report
    counts and what keeps its chat from getting the broadcast twice.
    """

    id: int
    broadcast_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxWindow:
    """A stretch of the outbox in id order, as the retention purge walks it.

    ``due``: its messages that went before the purge's instant and still hold their text.
    ``last_id``: where it ends (None: there was nothing after where it began). ``young``:
    every message in it was queued at or after that instant; ids follow the order messages
    are queued in, so the walk may stop there (one queued out of order goes the next day).
    """

    due: tuple[FinishedMessage, ...]
    last_id: int | None
    young: bool
