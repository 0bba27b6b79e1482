"""What became of a broadcast's messages, as the desk's delivery report counts them.

A broadcast's messages are outbox rows (:mod:`core.broadcasting`); their status says where
each stands and, for one that will never go, its ``failure`` says why (``blocked``,
``outside_window``, ``chat_not_found``...). Here those raw counts become the report's
figures: sent, failed by reason, cancelled, waiting (Zalo's closed window) and pending, in
all and per channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.broadcasts import Broadcast
from core.outbox import OutboxStatus

# The reason given to a failed message that names none (an old row, say).
UNKNOWN_REASON = "unknown"


class Delivery(StrEnum):
    """Where one recipient's message stands, for the report."""

    SENT = "sent"
    FAILED = "failed"  # will never go: see its reason
    CANCELLED = "cancelled"  # the broadcast was stopped before it went
    WAITING = "waiting"  # kept until the person writes again (Zalo's 7-day window)
    PENDING = "pending"  # not sent yet


_BY_STATUS = {
    OutboxStatus.SENT.value: Delivery.SENT,
    OutboxStatus.FAILED.value: Delivery.FAILED,
    OutboxStatus.EXPIRED.value: Delivery.FAILED,
    OutboxStatus.CANCELLED.value: Delivery.CANCELLED,
    OutboxStatus.WAITING.value: Delivery.WAITING,
}


def delivery_of(status: str) -> Delivery:
    """Return where a message of outbox status ``status`` stands (pending, sending: pending)."""
    return _BY_STATUS.get(status, Delivery.PENDING)


def reason_of(status: str, failure: str | None) -> str:
    """Return why a failed message never went: its failure, else what its status says."""
    if failure:
        return failure
    return "expired" if status == OutboxStatus.EXPIRED.value else UNKNOWN_REASON


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    """How many of a broadcast's messages stand at one status, on one channel, for one reason."""

    broadcast_id: int
    channel: str
    status: str
    failure: str | None
    count: int


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """One recipient whose message will never go: their chat, its channel, why, and when."""

    chat_id: int
    channel: str
    reason: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryTally:
    """A broadcast's messages counted by where they stand; ``reasons`` splits the failed."""

    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    waiting: int = 0
    pending: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Return every message of the broadcast (its recipients once expanded)."""
        return self.sent + self.failed + self.cancelled + self.waiting + self.pending


def tally(counts: Iterable[DeliveryCount]) -> DeliveryTally:
    """Return the counts added up by where each message stands, failures by reason."""
    by: dict[Delivery, int] = dict.fromkeys(Delivery, 0)
    reasons: dict[str, int] = {}
    for count in counts:
        delivery = delivery_of(count.status)
        by[delivery] += count.count
        if delivery is Delivery.FAILED:
            reason = reason_of(count.status, count.failure)
            reasons[reason] = reasons.get(reason, 0) + count.count
    return DeliveryTally(
        sent=by[Delivery.SENT],
        failed=by[Delivery.FAILED],
        cancelled=by[Delivery.CANCELLED],
        waiting=by[Delivery.WAITING],
        pending=by[Delivery.PENDING],
        reasons=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
    )


@dataclass(frozen=True, slots=True)
class BroadcastLine:
    """A broadcast in a list, with its messages counted."""

    broadcast: Broadcast
    tally: DeliveryTally


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A broadcast's delivery report: in all, per channel, and the recipients it failed.

    ``failures`` holds at most the report's limit; ``tally.failed`` counts them all.
    """

    broadcast: Broadcast
    tally: DeliveryTally
    channels: Sequence[tuple[str, DeliveryTally]]
    failures: Sequence[FailedDelivery]


def lines_of(
    broadcasts: Sequence[Broadcast], counts: Iterable[DeliveryCount]
) -> list[BroadcastLine]:
    """Return each broadcast with its own counts, in the order given."""
    grouped: dict[int, list[DeliveryCount]] = {}
    for count in counts:
        grouped.setdefault(count.broadcast_id, []).append(count)
    return [BroadcastLine(b, tally(grouped.get(b.id or 0, ()))) for b in broadcasts]


def per_channel(counts: Sequence[DeliveryCount]) -> list[tuple[str, DeliveryTally]]:
    """Return the counts added up per channel, channels by name."""
    channels = sorted({count.channel for count in counts})
    return [(name, tally(c for c in counts if c.channel == name)) for name in channels]
