"""Why a due day moved, in the words a reader sees: core's codes rendered by the catalogue."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from bot.rendering import Renderer
from core.calendar import ShiftReason


@functools.cache
def _renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


def words(reason: ShiftReason | None, locale: str = "vi") -> str | None:
    """Return the clause a notice shows for ``reason`` in ``locale`` (None for no reason)."""
    if reason is None:
        return None
    return _renderer().render(locale, "deadlines/shift_reason", reason=reason)
