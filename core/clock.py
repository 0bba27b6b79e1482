"""Time comes from outside the domain, so tests and tools can move it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, timezone-aware."""

    def __call__(self) -> datetime:
        """Return the current instant."""
        ...
