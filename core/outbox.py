"""Messages waiting to be sent: written in the same transaction as the change they report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxStatus(StrEnum):
    """Where an outgoing message stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(slots=True)
class OutgoingMessage:
    """One Bot API call to make, such as ``sendMessage`` with its parameters.

    Messages of one chat are sent in the order of their ids, so a resend after a crash keeps
    the order the user would have seen.
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
    id: int | None = None
