"""The journal of inbound updates: updates are stored in few transactions, before processing.

A transaction costs more CPU than the row it writes (``BEGIN IMMEDIATE``, commit, the
writer gate), so updates arriving together share one: callers hand their updates to
:meth:`UpdateJournal.record` and wait; one writer task stores whatever is waiting in one
transaction, then whatever arrived meanwhile in the next. Nothing is delayed to make a
batch: a batch is what piled up while the previous transaction ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import Bot, Update

from bot.failures import screen_batch
from bot.processing import chat_of
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

Payload = dict[str, Any]

# How long a poll that could acknowledge nothing waits before the next (see record_polled).
UNACKNOWLEDGED_PAUSE = 1.0


@dataclass
class _Request:
    """One caller's updates and the future it waits on for the ids stored new."""

    payloads: Sequence[Payload]
    set_aside: Mapping[int, str]
    done: asyncio.Future[set[int]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class UpdateJournal:
    """Stores inbound updates (as Bot API JSON) durably, group-committing concurrent callers."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        *,
        in_hand: set[int] | None = None,
        receiver: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._waiting: list[_Request] = []
        self._writer: asyncio.Task[None] | None = None
        # The updates this process has taken to process (its sweep leaves them alone).
        self._in_hand = in_hand if in_hand is not None else set()
        # Who stores them (bot.sender.this_process): if it dies, another takes them over.
        self._receiver = receiver

    async def record(
        self, payloads: Sequence[Payload], *, set_aside: Mapping[int, str] | None = None
    ) -> set[int]:
        """Store the updates; return once they are committed, with the ids that were new.

        An update stored before (by id) is not stored again and its id is not returned; of
        two callers in one batch handing the same update, only the first gets its id. If the
        transaction fails, its error is raised to every caller whose updates it held. Those
        in ``set_aside`` (id to reason: they cannot be read) are stored set aside; the other
        new ones are taken in hand for processing.
        """
        if not payloads:
            return set()
        request = _Request(payloads, set_aside or {})
        self._waiting.append(request)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting(), name="update-journal")
        return await request.done

    @property
    def idle(self) -> bool:
        """Tell whether nothing handed in waits to be stored."""
        return self._writer is None and not self._waiting

    async def drain(self) -> None:
        """Wait until every update handed in so far is written (or failed)."""
        while self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write_waiting(self) -> None:
        """Write batches until nobody waits; never leave a caller waiting forever."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        except BaseException:
            # Cancelled (the loop is closing): those not written yet are not stored.
            for request in self._waiting:
                request.done.cancel()
            self._waiting = []
            raise
        finally:
            self._writer = None

    async def _write(self, batch: list[_Request]) -> None:
        """Store one batch in one transaction and tell its callers how it went."""
        try:
            new = await self._store(batch)
        except asyncio.CancelledError:
            for request in batch:
                request.done.cancel()
            raise
        except Exception as error:
            # Each caller raises it (PTB retries the poll, the webhook answers 500): no trace here.
            log.warning("storing the updates of %d caller(s) failed: %r", len(batch), error)
            for request in batch:
                if not request.done.done():
                    request.done.set_exception(error)
            return
        for request in batch:
            mine = {payload["update_id"] for payload in request.payloads} & new
            new -= mine  # a later caller with the same update did not store it
            self._in_hand.update(mine - request.set_aside.keys())
            if not request.done.done():
                request.done.set_result(mine)

    async def record_polled(self, updates: list[Payload], bot: Bot | None = None) -> list[Update]:
        """Store a batch getUpdates returned; return it read into PTB's updates for ``bot``.

        Unreadable updates are stored set aside and replaced for PTB, so the poll's offset
        moves past them (see :func:`bot.failures.screen_batch`). A batch of nothing but
        updates without a usable id cannot move the offset: the poll pauses instead of
        spinning on it.
        """
        batch = screen_batch(updates, bot)
        await self.record(batch.stored, set_aside=batch.set_aside)
        for update_id, reason in batch.set_aside.items():
            log.error("update %s set aside: %s", update_id, reason)
        if batch.dropped and not batch.for_ptb:
            await asyncio.sleep(UNACKNOWLEDGED_PAUSE)
        return batch.for_ptb

    async def _store(self, batch: list[_Request]) -> set[int]:
        updates = [
            (payload["update_id"], payload, chat_of(payload))
            for request in batch
            for payload in request.payloads
        ]
        set_aside: dict[int, str] = {}
        for request in batch:
            set_aside.update(request.set_aside)
        async with self._uow() as uow:
            new = await uow.inbound.record_many(
                updates, self._clock(), set_aside=set_aside, received_by=self._receiver
            )
            await uow.commit()
        return new
