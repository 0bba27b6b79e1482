"""Failover between the processes of one database: the heartbeat and the takeover.

Every ``NTVT_HEARTBEAT_SECONDS`` a process renews its alive lease (for
``NTVT_ALIVE_SECONDS``) and, in the same transaction, looks at the others' (a table of a
few rows). One that lapsed belongs to a process that is gone: killed, its host down, or
stopped gracefully (it ends its lease as it exits). The first process to see it takes over
at once what the gone one held (:func:`core.failover.take_over`): the replies it had taken
for sending go out now, from here, in their chats' order; the updates it had stored and
acknowledged but not finished are processed here now. Nothing waits for the minute's sweep.

Why leases and not PostgreSQL's own signals: a session's advisory lock is released the
moment a killed process's connection closes, but not when its host goes down (the
connection then lingers until TCP keepalive gives up, two hours by default), it costs one
connection held per process, and SQLite has none; LISTEN/NOTIFY would only wake the others
sooner, which a one-second heartbeat already does. ``bench/heartbeat.py``
measures both on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.failures import describe
from bot.runtime import Runtime
from bot.sender import ALIVE, OutboxSender
from core import failover
from core.channels import Channel
from core.failover import Handover
from core.identity import channel_of_chat
from core.inbound import StoredUpdate
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# Updates taken over from one gone process at most (it held no more than its queue).
TAKEOVER_BATCH = 10_000


class PeerWatch:
    """Says this process is alive, and takes over what a gone process held.

    ``take_up`` queues stored updates for processing here and returns how many it queued
    (:func:`bot.app.queue_stored`).
    """

    def __init__(
        self,
        rt: Runtime,
        sender: OutboxSender,
        take_up: Callable[[Sequence[StoredUpdate]], Awaitable[int]],
        *,
        alive_seconds: float,
        heartbeat_uow: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._rt = rt
        # The lease's own unit of work: it must not queue behind the turns (Database.urgent_uow).
        self._heartbeat_uow = heartbeat_uow or rt.uow
        self._sender = sender
        self._take_up = take_up
        self._alive_seconds = alive_seconds
        # Sending what was taken over runs beside the heartbeat, never delaying it.
        self._resuming: set[asyncio.Task[None]] = set()
        self._failing = False
        self._quiet_until = 0.0

    async def beat(self) -> None:
        """Renew this process's lease; take over what each lapsed process held.

        A heartbeat that fails (the database is away) is logged once, not every second. After
        one, nobody is taken over for ``alive_seconds``: when the database comes back every
        process's lease has lapsed, and each renews its own at its next beat.
        """
        try:
            lapsed = await failover.heartbeat(
                self._heartbeat_uow(),
                prefix=ALIVE,
                lease=self._sender.alive_lease,
                holder=self._sender.name,
                now=self._rt.clock(),
                seconds=self._alive_seconds,
            )
        except Exception as error:
            if not self._failing:
                log.warning("heartbeat failed (%s); trying again every beat", describe(error))
            self._failing = True
            return
        if self._failing:
            log.info("heartbeat back")
            self._failing = False
            self._quiet_until = time.monotonic() + self._alive_seconds
        if time.monotonic() < self._quiet_until:
            return
        for lease, gone in lapsed:
            await self.take_over(lease, gone)

    async def take_over(self, lease: str, gone: str) -> Handover | None:
        """Take over what ``gone`` held (its lease ``lease`` lapsed); None if another did."""
        started = time.perf_counter()
        handover = await failover.take_over(
            self._rt.uow(),
            lease=lease,
            gone=gone,
            by=self._sender.name,
            now=self._rt.clock(),
            limit=TAKEOVER_BATCH,
        )
        if handover is None:
            return None
        for update_id, reason in handover.set_aside.items():
            log.error("update %s set aside: %s", update_id, reason)
        queued = await self._take_up(handover.updates)
        if handover.empty:
            log.info("process %s is gone; it held nothing", gone)
            return handover
        log.info(
            "process %s is gone: took over %d updates and the replies of %d chats",
            gone,
            queued,
            len(handover.chats),
        )
        task = asyncio.create_task(self._send_held(handover, started))
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)
        return handover

    async def _send_held(self, handover: Handover, started: float) -> None:
        """Send the chats' messages the gone process held, in order, chats side by side."""
        chats = [c for c in sorted(handover.chats) if channel_of_chat(c) is Channel.TELEGRAM]
        results = await asyncio.gather(
            *(self._sender.flush_chat(chat_id) for chat_id in chats), return_exceptions=True
        )
        failed = sum(isinstance(result, BaseException) for result in results)
        if failed:  # the outbox sweep sends them later
            log.warning(
                "%d of %d chats taken over from %s not sent", failed, len(chats), handover.gone
            )
        if chats:
            log.info(
                "sent what %s held in %d chats (%.0f ms)",
                handover.gone,
                len(chats),
                1000 * (time.perf_counter() - started),
            )

    async def close(self) -> None:
        """Wait for what is being sent of a takeover (the process is stopping)."""
        tasks = list(self._resuming)
        for task in tasks:
            with contextlib.suppress(Exception):
                await task
