"""Supporters: residents who back an existing nomination instead of filing a copy of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.nomination import Evidence


@dataclass(frozen=True, slots=True)
class Supporter:
    """A resident who backs a nomination with their own account and evidence."""

    nomination_id: int
    user_id: int
    account: str | None
    evidence: tuple[Evidence, ...]
    created_at: datetime
    id: int | None = None
