"""Subscriptions to announcements: an explicit opt-in, separate from the privacy consent.

Residents subscribe, list and end them through :mod:`core.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.errors import DomainError


class Scope(StrEnum):
    """What a resident subscribes to."""

    ALL = "all"  # every announcement
    WARD = "ward"  # announcements to one ward (``target`` is its unit key)
    CAMPAIGN = "campaign"  # one campaign's announcements (``target`` is its key)


class UnknownTargetError(DomainError):
    """The ward or campaign subscribed to does not exist."""

    code = "subscription.unknown_target"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One opt-in, with its time and scope; ``ended_at`` is set when the resident leaves."""

    user_id: int
    scope: Scope
    target: str | None
    created_at: datetime
    ended_at: datetime | None = None
    id: int | None = None
