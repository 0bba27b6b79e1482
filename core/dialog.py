"""The state of a guided conversation, kept in the database between messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Dialog:
    """Which flow a chat is in, at which step, with the data gathered so far.

    ``token`` changes at every step and is part of every button's data, so a press on a button
    of an earlier step is recognised and refused instead of being applied to the wrong step.
    """

    chat_id: int
    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    token: int = 0
    updated_at: datetime | None = None

    def move_to(self, step: str, now: datetime) -> None:
        """Go to ``step``, invalidating every button shown so far."""
        self.step = step
        self.token += 1
        self.updated_at = now
