"""One log record per processed turn, for logs read by machines (``NTVT_LOG_FORMAT=json``).

Each says which update (``update_id``; a Zalo event's id), whose chat as an opaque tag
(``chat``: :meth:`bot.keyboards.ButtonSigner.pseudonym`, never the id), the ``channel``, the
``handler`` that took it (a command's or the router's entry), the ``flow`` and ``step`` of
the chat's dialog when the turn began (none outside a dialog), ``duration_ms`` and the
``outcome``: ``done``, ``failed`` (the database could not be reached: the update waits for
the sweep) or ``set aside`` (it kept failing; the person got an apology). Never what anyone
wrote nor a name. Off in text logs, so they read as they always did: the dialog is then
not even looked up.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

from core.ports import UnitOfWork

TURN_LOGGER = "bot.turns"
OUTCOMES = {"ok": "done", "failed": "failed", "set_aside": "set aside"}

log = logging.getLogger(TURN_LOGGER)


class TurnLog:
    """Notes where each turn began and logs it once it ended (one per process)."""

    def __init__(self) -> None:
        self._began: dict[Hashable, tuple[str | None, str | None, str]] = {}

    @staticmethod
    def enabled() -> bool:
        """Tell whether turn lines are logged (JSON logs)."""
        return log.isEnabledFor(logging.INFO)

    async def note(self, uow: UnitOfWork, update: Hashable, chat_id: int, handler: str) -> None:
        """Note the dialog the chat is in as the turn begins, in its transaction."""
        if not self.enabled():
            return
        dialog = await uow.dialogs.get(chat_id)
        flow, step = (dialog.flow, dialog.step) if dialog is not None else (None, None)
        self._began[update] = (flow, step, handler)

    def done(self, update: Hashable, chat: str, channel: str, outcome: str, seconds: float) -> None:
        """Log the turn of ``update`` (``chat`` already a pseudonym) as ended."""
        flow, step, handler = self._began.pop(update, (None, None, None))
        if not self.enabled():
            return
        log.info(
            "turn %s",
            OUTCOMES.get(outcome, outcome),
            extra={
                "update_id": update,
                "chat": chat,
                "channel": channel,
                "handler": handler,
                "flow": flow,
                "step": step,
                "duration_ms": round(seconds * 1000, 1),
                "outcome": OUTCOMES.get(outcome, outcome),
            },
        )
