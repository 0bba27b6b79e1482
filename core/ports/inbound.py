"""What comes in: Telegram updates as they arrived, and the dialog each chat has open."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from core.dialog import Dialog
from core.inbound import DeadLetter, StoredUpdate


class InboundUpdateRepository(abc.ABC):
    """Telegram updates as they arrived: kept before they are processed."""

    @abc.abstractmethod
    async def record(
        self,
        update_id: int,
        payload: dict[str, Any],
        received_at: datetime,
        *,
        chat_id: int | None = None,
    ) -> bool:
        """Store an update (of ``chat_id``); return False if its ``update_id`` was stored."""

    @abc.abstractmethod
    async def record_many(
        self,
        updates: Sequence[tuple[int, dict[str, Any], int | None]],
        received_at: datetime,
        *,
        set_aside: Mapping[int, str] | None = None,
        received_by: str | None = None,
    ) -> set[int]:
        """Store ``(update_id, payload, chat_id)`` updates at once; return the ids new here.

        An update whose ``update_id`` was stored already (or comes earlier in ``updates``)
        is left as it is and its id is not returned. Those in ``set_aside`` (id to reason)
        are stored set aside already: they cannot be read. ``received_by`` names the process
        that stores them and will process them (another takes them over if it dies).
        """

    @abc.abstractmethod
    async def earlier_unprocessed(self, chat_id: int, update_id: int) -> bool:
        """Tell whether an update of the chat before ``update_id`` waits to be processed.

        One set aside does not wait: it never blocks its chat.
        """

    @abc.abstractmethod
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Mark the update processed; return False if it already was, or was set aside.

        Called first in the transaction that applies the update's effects, so effects and the
        mark are kept or lost together, and two deliveries of one update apply it once.
        """

    @abc.abstractmethod
    async def unprocessed(self, *, limit: int) -> Sequence[dict[str, Any]]:
        """Return stored updates waiting to be processed (not set aside), oldest first."""

    @abc.abstractmethod
    async def waiting(
        self,
        *,
        limit: int,
        received_before: datetime | None = None,
        received_by: str | None = None,
    ) -> Sequence[StoredUpdate]:
        """Return updates waiting to be processed, oldest first, with their attempts.

        Only those received before ``received_before``, and only those ``received_by`` that
        process, if given.
        """

    @abc.abstractmethod
    async def hand_over(self, update_ids: Sequence[int], *, to: str) -> None:
        """Name ``to`` as the process that processes these updates (it took them over)."""

    @abc.abstractmethod
    async def count_attempt(self, update_ids: Sequence[int]) -> None:
        """Count one more attempt at processing each update."""

    @abc.abstractmethod
    async def set_aside(self, update_id: int, now: datetime, reason: str) -> bool:
        """Set a waiting update aside with ``reason``; False if processed or set aside."""

    @abc.abstractmethod
    async def set_aside_updates(self, *, limit: int) -> Sequence[DeadLetter]:
        """Return the updates set aside and not processed since, oldest first."""

    @abc.abstractmethod
    async def count_set_aside(self) -> int:
        """Return how many updates are set aside and not processed since."""

    @abc.abstractmethod
    async def put_back(self, update_id: int) -> bool:
        """Clear an update's set-aside mark (and its attempts); False if it was not set aside."""

    @abc.abstractmethod
    async def count_processed_before(self, before: datetime) -> int:
        """Return how many updates were processed before ``before``."""

    @abc.abstractmethod
    async def delete_processed_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` updates processed before ``before``; return how many."""

    @abc.abstractmethod
    async def count_set_aside_before(self, before: datetime) -> int:
        """Return how many updates were set aside before ``before`` (and not processed since)."""

    @abc.abstractmethod
    async def delete_set_aside_before(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` updates set aside before ``before``; return how many.

        Only updates still set aside: one put back and waiting, or processed since, is not.
        """

    @abc.abstractmethod
    async def forget_payload(self, update_id: int) -> None:
        """Keep the update's id and times but not what it said (who sent it, their words)."""


class DialogRepository(abc.ABC):
    """The state of each chat's guided conversation."""

    @abc.abstractmethod
    async def get(self, chat_id: int) -> Dialog | None:
        """Return the chat's dialog, if one is open."""

    @abc.abstractmethod
    async def save(self, dialog: Dialog) -> None:
        """Insert or update the chat's dialog."""

    @abc.abstractmethod
    async def delete(self, chat_id: int) -> None:
        """Close the chat's dialog."""

    @abc.abstractmethod
    async def idle(self, before: datetime, *, after: int | None, limit: int) -> Sequence[Dialog]:
        """Return up to ``limit`` dialogs last touched before ``before``, by chat id.

        Only chats after ``after`` (a chat id), if given: the next page of a walk.
        """

    @abc.abstractmethod
    async def delete_idle(self, chat_id: int, *, idle_since: datetime) -> bool:
        """Delete the chat's dialog if untouched since ``idle_since``; False if it moved on.

        A resident who took a step meanwhile keeps the dialog.
        """
