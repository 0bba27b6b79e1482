"""Inbound updates: which can be stored, which are set aside, and why, without their content.

An update that cannot be read, or whose turn keeps failing, is *set aside* (a dead letter):
kept, marked with a short reason, counted, never tried again by itself and never blocking its
chat or the start. The reasons written here name the kind of failure, never what the user
sent: they go to logs and to the operator's listing. The sweep and the operator's command
act on the stored updates through :mod:`core.stored_updates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Every id or count in the Bot API fits in 52 bits and a sign (a double holds it exactly).
MAX_INTEGER = 2**53 - 1
# Telegram's update ids are positive and sequential. They are below 2**31 today, but nothing
# promises it (tests/integration/test_inbound_updates.py stores 3,000,000,001): refusing a
# real update would make Telegram resend it forever, so the bound is the Bot API's own.
MAX_UPDATE_ID = MAX_INTEGER
# The deepest real update (a callback's message replying to a message with a keyboard) is
# about a dozen levels; anything far deeper is an attack on the parser.
MAX_DEPTH = 48
# A stored update taken up this many times without its turn finishing (the process died each
# time) is set aside at the next take-up instead.
MAX_ATTEMPTS = 5
# Pauses before a failed turn is tried again in the same process; then it is set aside.
TURN_RETRY_PAUSES = (0.1, 0.5)
REASON_LENGTH = 160

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    """An update as stored, waiting for its turn: its id, its Bot API JSON, its tries."""

    update_id: int
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An update set aside: what the operator sees of it (never its content)."""

    update_id: int
    chat_id: int | None
    received_at: datetime
    set_aside_at: datetime
    attempts: int
    failure: str


def valid_update_id(value: object) -> bool:
    """Tell whether ``value`` can be a Telegram ``update_id`` (a bool cannot)."""
    return type(value) is int and 0 < value <= MAX_UPDATE_ID


def shape_problem(payload: object) -> str | None:
    """Return why ``payload`` (decoded JSON) cannot be an update, or None if it may be one.

    It must be an object with a valid ``update_id``, nest at most ``MAX_DEPTH`` levels and
    hold no integer beyond ``MAX_INTEGER``. Walked without recursion: a hostile depth cannot
    exhaust the stack.
    """
    if not isinstance(payload, dict):
        return "not a JSON object"
    if not valid_update_id(payload.get("update_id")):
        return f"update_id is not an integer from 1 to {MAX_UPDATE_ID}"
    pending: list[tuple[object, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif type(value) is int and not -MAX_INTEGER <= value <= MAX_INTEGER:
            return "an integer out of the Bot API's range"
    return None


def failure_reason(error_class: str, message: str, *, where: str | None = None) -> str:
    """Return a short reason for a failure, with nothing the user wrote.

    Quoted parts of the error's message (values, which may be names or texts) are replaced by
    an ellipsis; ``where`` is the code location, never data.
    """
    cleaned = _QUOTED.sub("'…'", " ".join(message.split()))
    reason = f"{error_class}: {cleaned}" if cleaned else error_class
    if where:
        reason = f"{reason} (at {where})"
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def unreadable(reason: str) -> str:
    """Return the failure recorded for an update the Telegram library cannot read."""
    return f"cannot be read: {reason}"


def turn_failed(tries: int, reason: str) -> str:
    """Return the failure recorded for an update whose turn failed ``tries`` times."""
    return f"its turn failed {tries} times: {reason}"


def too_many_attempts(attempts: int) -> str:
    """Return the failure recorded for an update taken up ``attempts`` times in vain."""
    return (
        f"taken up {attempts} times without its turn finishing "
        "(the process stopped during it, or the database was away, each time)"
    )
