"""Opening and closing short dialogs without losing a nomination draft in progress.

A chat has one dialog row. A short flow (answering an officer's question, giving a reason)
that starts while a nomination draft is open keeps the draft inside its own row and puts
it back when it ends, so the resident can continue the draft afterwards.
"""

from __future__ import annotations

from typing import Any

from bot.runtime import Turn
from core.dialog import Dialog

SUSPENDED = "suspended"
# The nomination flow's key (bot.conversations.nomination.FLOW takes it from here): a
# dialog of that flow is a draft worth keeping.
DRAFT_FLOW = "n"


async def open_dialog(turn: Turn, flow: str, step: str, data: dict[str, Any]) -> Dialog:
    """Start ``flow`` at ``step`` in this chat, keeping an open nomination draft aside."""
    current = await turn.uow.dialogs.get(turn.chat_id)
    kept: dict[str, Any] | None = None
    if current is not None and current.flow == DRAFT_FLOW:
        kept = {"step": current.step, "data": current.data, "token": current.token}
    elif current is not None:
        kept = current.data.get(SUSPENDED)
    dialog = Dialog(turn.chat_id, turn.user.id, flow, step, dict(data), 0, turn.now)
    if current is not None:
        dialog.token = current.token
    if kept is not None:
        dialog.data[SUSPENDED] = kept
    dialog.move_to(step, turn.now)
    await turn.uow.dialogs.save(dialog)
    return dialog


async def close_dialog(turn: Turn, dialog: Dialog) -> bool:
    """End a short dialog; put back a kept nomination draft. Return True if one was kept."""
    kept = dialog.data.get(SUSPENDED)
    if kept is None:
        await turn.uow.dialogs.delete(dialog.chat_id)
        return False
    draft = Dialog(
        dialog.chat_id,
        dialog.user_id,
        DRAFT_FLOW,
        kept["step"],
        kept["data"],
        int(kept["token"]),
        turn.now,
    )
    draft.move_to(draft.step, turn.now)
    await turn.uow.dialogs.save(draft)
    return True
