"""Sends what the outbox holds, in order per chat, and records what Telegram answered."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.transport import call_bot_api
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# A reply waits at most this long for Telegram's flood control before it is left for a retry.
MAX_REPLY_WAIT_SECONDS = 30.0
MAX_ATTEMPTS = 5
# A message taken for sending this long ago by a sender that never finished is sent again.
STALE_CLAIM = timedelta(minutes=2)
# How long recording what was sent waits after a failed attempt (a database hiccup).
RECORD_RETRY_SECONDS = 1.0
# How often a chat's messages queued behind another process's look whether it went.
HELD_POLL_SECONDS = 0.02
# Where several processes send (PostgreSQL), each renews a lease saying it is alive every
# HEARTBEAT_SECONDS; messages taken by a process whose lease lapsed are sent by another.
ALIVE = "alive:"
HEARTBEAT_SECONDS = 10.0
ALIVE_SECONDS = 30.0
_ALREADY_DONE = ("message is not modified", "message to delete not found")


def this_process() -> str:
    """Name who takes messages for sending: this process on this host.

    Asked when a sender is made, not at import: workers forked from one parent that imported
    this module are processes of their own.
    """
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_here(claimers: set[str]) -> list[str]:
    """Return the claimers that were processes of this host that no longer run."""
    host = socket.gethostname()
    dead = []
    for claimer in claimers:
        name, _, pid = claimer.rpartition(":")
        if name != host or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(claimer)
        except PermissionError:
            pass  # alive, another user's
    return dead


class OutboxSender:
    """Delivers outgoing messages; a message is marked sent only after Telegram took it.

    A turn takes its replies for this sender in its own transaction (:meth:`may_take`,
    :meth:`deliver`); other messages are taken one by one (:meth:`flush_chat`). What Telegram
    accepted is recorded in batches, by a task of its own, in one transaction for everything
    answered since the last one. Only messages in flight or answered but not yet recorded when
    the process dies can be sent twice (a restart on the same host puts them back at once);
    none is lost.

    ``shared``: other processes send this database's messages too (PostgreSQL); a turn whose
    replies queue behind another process's message waits for it (:meth:`flush_chat`).
    """

    def __init__(
        self,
        bot: Bot,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        *,
        shared: bool = False,
    ) -> None:
        self._bot = bot
        self._uow = uow_factory
        self._clock = clock
        self.shared = shared
        self.name = this_process()
        # Sent, not yet recorded: message id -> Telegram's message id.
        self._unrecorded: dict[int, int | None] = {}
        # Chats whose messages wait for one this sender holds: it looks again when done.
        self._behind: set[int] = set()
        self._recording = asyncio.Lock()
        self._wake = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None

    def may_take(self, chat_id: int, unsent: Collection[int]) -> bool:
        """Tell whether a turn may take its new messages to ``chat_id`` for this sender.

        ``unsent``: the chat's messages pending or being sent, as the turn just read them. Only
        if each of them was sent by this sender already: otherwise the new ones queue behind
        them (and this sender, if it holds one, sends them when done).
        """
        if all(message_id in self._unrecorded for message_id in unsent):
            return True
        self._behind.add(chat_id)
        return False

    async def deliver(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send messages a turn took for this sender, in order per chat.

        A chat's messages after one that must wait (flood control, a network error) are put
        back for the sweep, still in order.
        """
        for _chat_id, group in groupby(messages, key=lambda m: m.chat_id):
            await self._deliver_chat(list(group))
        await self._catch_up()

    async def _deliver_chat(self, messages: list[OutgoingMessage]) -> None:
        """Send one chat's taken messages in order; after one that must wait, put back the rest."""
        for index, message in enumerate(messages):
            if not await self._attempt(message):
                await self._put_back([m.id for m in messages[index + 1 :]])
                return

    async def flush_chat(self, chat_id: int, *, wait: float = 0.0) -> None:
        """Send the chat's pending messages in order, stopping at the first that must wait.

        While another sender holds one of them, this one leaves the rest to it: a sender of
        this process looks again when it is done. Another process's does not know about
        them: ``wait`` (seconds) makes this one look again until that message went, so a
        chat's messages leave in order even when two processes serve it.
        """
        self._behind.discard(chat_id)
        deadline = time.monotonic() + wait
        while True:
            async with self._uow() as uow:
                messages = await uow.outbox.sendable(chat_id, limit=100, done=self._unrecorded)
                held = not messages and wait > 0 and await self._held_elsewhere(uow, chat_id)
            if held and time.monotonic() < deadline:
                await asyncio.sleep(HELD_POLL_SECONDS)
                continue
            if not messages:
                return
            for message in messages:
                if not await self._send(message):
                    return

    async def _held_elsewhere(self, uow: UnitOfWork, chat_id: int) -> bool:
        """Tell whether the chat has messages this sender did not send, pending or being sent.

        Asked after :meth:`OutboxRepository.sendable` found none to send: another sender holds
        one of them, or, read a moment later, has just recorded it as sent and left the rest
        pending. Either way the caller looks again rather than leave them to the sweep.
        """
        unsent = await uow.outbox.unsent(chat_id, limit=100)
        return any(message_id not in self._unrecorded for message_id in unsent)

    async def send_ids(self, ids: list[int]) -> None:
        """Send the given queued messages (notices just written), in order per chat."""
        wanted = set(ids)
        async with self._uow() as uow:
            messages = [m for m in await uow.outbox.pending(limit=100_000) if m.id in wanted]
        await self._send_all(messages)

    async def flush_all(self, *, min_age: timedelta = timedelta(0)) -> int:
        """Send every pending message at least ``min_age`` old; return how many were attempted.

        Run at start (everything) and every minute (what a chat's own turn did not send: a
        network failure, a process that died). Messages another sender took but never
        finished are put back first.
        """
        now = self._clock()
        async with self._uow() as uow:
            claimers = await uow.outbox.claimers()
            await uow.outbox.release_claims(dead_here(claimers))
            if self.shared and claimers - {self.name}:
                # Another host's process that stopped saying it is alive; a process that
                # never said so (an older version) keeps what it took for ALIVE_SECONDS.
                alive = await uow.leases.holders(ALIVE, now=now)
                await uow.outbox.release_claims(
                    claimers - alive - {self.name},
                    taken_before=now - timedelta(seconds=ALIVE_SECONDS),
                )
            await uow.outbox.release_stale(older_than=now - STALE_CLAIM)
            await uow.commit()
        async with self._uow() as uow:
            messages = [
                m for m in await uow.outbox.pending(limit=10_000) if m.created_at <= now - min_age
            ]
        await self._send_all(messages)
        return len(messages)

    async def say_alive(self) -> None:
        """Renew this process's lease saying it is alive (see :data:`ALIVE`)."""
        async with self._uow() as uow:
            await uow.leases.acquire(
                self._alive_lease, self.name, now=self._clock(), seconds=ALIVE_SECONDS
            )
            await uow.commit()

    async def say_gone(self) -> None:
        """Give up the alive lease: this process stops (what it took was recorded or put back)."""
        async with self._uow() as uow:
            await uow.leases.release(self._alive_lease, self.name)
            await uow.commit()

    @property
    def _alive_lease(self) -> str:
        # Lease names are short; a host name may not be.
        return ALIVE + hashlib.sha1(self.name.encode()).hexdigest()[:32]

    async def record(self) -> None:
        """Record as sent, in one transaction, everything Telegram accepted and is unrecorded."""
        async with self._recording:
            if not self._unrecorded:
                return
            async with self._uow() as uow:
                # Taken once the transaction may write: what was answered while it waited
                # for the database goes in too.
                batch = dict(self._unrecorded)
                await uow.outbox.mark_sent_many(list(batch.items()), at=self._clock())
                await uow.commit()
            for message_id in batch:
                del self._unrecorded[message_id]

    async def close(self) -> None:
        """Stop the recording task and record what is left."""
        if self._recorder is not None:
            self._recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recorder
            self._recorder = None
        await self.record()

    async def _record_continuously(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.record()
            except Exception:
                log.exception("could not record sent messages; trying again")
                await asyncio.sleep(RECORD_RETRY_SECONDS)
                self._wake.set()

    def _accepted(self, message: OutgoingMessage, sent_message_id: int | None) -> None:
        assert message.id is not None
        self._unrecorded[message.id] = sent_message_id
        if self._recorder is None:
            self._recorder = asyncio.create_task(self._record_continuously())
        self._wake.set()

    async def _send_all(self, messages: Sequence[OutgoingMessage]) -> None:
        blocked: set[int] = set()
        for message in messages:
            if message.chat_id not in blocked and not await self._send(message):
                blocked.add(message.chat_id)
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Send what queued behind messages this sender held."""
        while self._behind:
            await self.flush_chat(self._behind.pop())

    async def _send(self, message: OutgoingMessage) -> bool:
        """Take a pending message for sending, then send it (see :meth:`_attempt`)."""
        assert message.id is not None
        async with self._uow() as uow:
            taken = await uow.outbox.claim(message.id, at=self._clock(), by=self.name)
            await uow.commit()
        if not taken:
            return False  # another sender has it (and goes on after it), or it went already
        return await self._attempt(message)

    async def _attempt(self, message: OutgoingMessage) -> bool:
        """Send a message this sender holds; False if the chat's next ones must wait."""
        for _ in range(2):
            try:
                result = await call_bot_api(self._bot, message.method, message.params)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                if wait > MAX_REPLY_WAIT_SECONDS:
                    await self._failed(message, f"flood control: retry after {wait}s", final=False)
                    return False
                await asyncio.sleep(wait)
                continue
            except Forbidden as exc:
                # Blocked by the user: nothing more goes to them until they unblock the bot.
                await self._failed(message, exc.message, final=True, blocked=True)
                return True
            except BadRequest as exc:
                if any(reason in exc.message.lower() for reason in _ALREADY_DONE):
                    self._accepted(message, None)
                    return True
                log.error(
                    "Telegram refused %s to chat %s: %s",
                    message.method,
                    message.chat_id,
                    exc.message,
                )
                await self._failed(message, exc.message, final=True)
                return True
            except (TimedOut, NetworkError) as exc:
                final = message.attempts + 1 >= MAX_ATTEMPTS
                await self._failed(message, f"network: {exc.message}", final=final)
                return final
            self._accepted(message, _message_id(result))
            return True
        await self._failed(message, "flood control twice in a row", final=False)
        return False

    async def _put_back(self, ids: list[int | None]) -> None:
        taken = [message_id for message_id in ids if message_id is not None]
        if taken:
            async with self._uow() as uow:
                await uow.outbox.unclaim(taken)
                await uow.commit()

    async def _failed(
        self, message: OutgoingMessage, error: str, *, final: bool, blocked: bool = False
    ) -> None:
        assert message.id is not None
        async with self._uow() as uow:
            now = self._clock()
            await uow.outbox.mark_failed(message.id, at=now, error=error, final=final)
            if blocked:
                await uow.subscriptions.set_blocked(message.chat_id, at=now)
            await uow.commit()


def _message_id(result: Any) -> int | None:
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return int(result["message_id"])
    return None


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
