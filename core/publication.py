"""What publicity keeps: the lists put out for comment, their comments, the exemplars published.

Pure records; what may be done with them is :mod:`core.publicity`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class CommentWindow:
    """A list of cases published for comment from ``opened_on`` through ``closes_on``."""

    opened_on: date
    closes_on: date
    days: int
    case_ids: tuple[int, ...]
    opened_by: int
    opened_at: datetime
    id: int | None = None

    def takes_comments(self, day: date) -> bool:
        """Tell whether a comment is taken on ``day``."""
        return self.opened_on <= day <= self.closes_on


@dataclass(frozen=True, slots=True)
class PublicComment:
    """What someone wrote about a listed case: for the standing office only."""

    window_id: int
    nomination_id: int
    user_id: int
    text: str
    at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Exemplar:
    """A commended case made known, with the nominee's consent given through the nominator."""

    nomination_id: int
    published_at: datetime
    with_photo: bool
    id: int | None = None
