"""The edge of :mod:`core.inbound`: reading updates safely, and naming failures without data.

Every way an update comes in (the webhook, a polled batch, the recovery at start and the
sweep) reads it through :func:`read_update`: one that python-telegram-bot cannot parse is
set aside instead of stopping the poll, the start or its chat. Log lines say the update's id
and the reason only, never what the user sent.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from core.inbound import failure_reason, shape_problem, unreadable, valid_update_id
from storage.database import is_connection_error

log = logging.getLogger(__name__)

Payload = dict[str, Any]

_PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An update that cannot become a PTB ``Update``, and why (no content)."""

    reason: str


def read_update(payload: Payload, bot: Bot | None) -> Update | Unreadable:
    """Return the PTB ``Update`` of a stored or received update, or why it cannot be one."""
    problem = shape_problem(payload)
    if problem is not None:
        return Unreadable(unreadable(problem))
    return parse_update(payload, bot)


def parse_update(payload: Payload, bot: Bot | None) -> Update | Unreadable:
    """Return PTB's ``Update`` of a payload whose shape was checked, or why PTB cannot."""
    try:
        return Update.de_json(payload, bot)
    except Exception as error:  # PTB raises TypeError, ValueError, KeyError, AttributeError...
        return Unreadable(unreadable(describe(error, with_location=False)))


def describe(error: BaseException, *, with_location: bool = True) -> str:
    """Return a short reason for ``error``: its class, its message unquoted, where it arose."""
    return failure_reason(
        type(error).__name__,
        str(error),
        where=_where(error) if with_location else None,
    )


def is_database_outage(error: BaseException) -> bool:
    """Tell whether a turn failed because the database could not be reached."""
    return is_connection_error(error)


def code_trace(error: BaseException) -> str:
    """Return the traceback's frames, without the exception's message (it may hold data)."""
    return "".join(traceback.format_tb(error.__traceback__)).rstrip()


def _where(error: BaseException) -> str | None:
    """Return the innermost frame of this project's code the error passed, as module:line."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(_PROJECT) and ".venv" not in path.parts:
            found = f"{path.relative_to(_PROJECT).with_suffix('')}:{frame.lineno}"
    return found.replace("/", ".") if found else None


@dataclass
class ScreenedBatch:
    """A polled batch sorted out: what to store, what is set aside, what PTB gets.

    ``for_ptb`` is the batch PTB processes, read into its ``Update`` objects once here: each
    unreadable update is replaced by one that holds only its ``update_id``, so PTB
    acknowledges it (its offset moves past it) and our catch-all handler finds nothing to do
    (a set-aside update cannot be claimed). An update without a usable ``update_id`` is
    dropped: it cannot be stored nor acknowledged by id.
    """

    stored: list[Payload] = field(default_factory=list)
    set_aside: dict[int, str] = field(default_factory=dict)
    for_ptb: list[Update] = field(default_factory=list)
    dropped: int = 0


def screen_batch(updates: Sequence[object], bot: Bot | None) -> ScreenedBatch:
    """Read each update of a polled batch into PTB's ``Update`` (for ``bot``)."""
    batch = ScreenedBatch()
    for update in updates:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update, dict) or not valid_update_id(update_id):
            batch.dropped += 1
            log.warning("a polled update without a usable update_id was dropped")
            continue
        assert isinstance(update_id, int)
        batch.stored.append(update)
        read = read_update(update, bot)
        if isinstance(read, Unreadable):
            batch.set_aside[update_id] = read.reason
            read = Update(update_id)
            if bot is not None:
                read.set_bot(bot)
        batch.for_ptb.append(read)
    return batch


def one_line(error: BaseException) -> str:
    """Return what went wrong in one short line: the error's class and its first line."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:160]}" if text else type(error).__name__
