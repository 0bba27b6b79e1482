"""Raw updates and statement counters shared by the tests of update handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

HELP = {"text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}


def payload(update_id: int, chat_id: int = 1) -> dict[str, Any]:
    """Return a text message update (Bot API JSON) from a private chat; its text is its id."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "text": str(update_id),
        },
    }


@contextmanager
def inbound_inserts() -> Iterator[list[int]]:
    """Yield a list that gets, per INSERT into ``inbound_updates`` run meanwhile, its rows."""
    rows: list[int] = []

    def collect(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO inbound_updates"):
            # update_id, payload, received_at, chat_id, set_aside_at, failure, received_by
            rows.append(len(parameters) // 7)

    event.listen(Engine, "before_cursor_execute", collect)
    try:
        yield rows
    finally:
        event.remove(Engine, "before_cursor_execute", collect)
