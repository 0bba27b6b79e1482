"""Sends what the outbox holds, in order per chat, and records what Telegram answered."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, Protocol

from telegram import Bot, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.budget import SendBudget
from bot.transport import call_bot_api
from core.failover import say_gone
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# Network errors, timeouts and 5xx are not the message's fault: it is tried again after a
# back-off of BACK_OFF_FIRST seconds, doubled after each failure up to BACK_OFF_CAP, each
# ±BACK_OFF_JITTER (so a thousand chats do not all knock at once), for as long as Telegram
# itself keeps updates (RETRY_FOR); then it is given up as expired. The chat's later
# messages wait for it. As soon as Telegram answers any call again, the waits end.
BACK_OFF_FIRST = 1.0
BACK_OFF_CAP = 180.0
BACK_OFF_JITTER = 0.2
RETRY_FOR = timedelta(hours=24)
FLOOD = "flood control"  # how the last error of a message waiting for retry_after begins
# Chats whose wait ended tried again at once, at most.
RETRY_CONCURRENCY = 16
# A message taken for sending this long ago by a sender that never finished is sent again.
STALE_CLAIM = timedelta(minutes=2)
# How long recording what was sent waits after a failed attempt (a database hiccup).
RECORD_RETRY_SECONDS = 1.0
# How often a chat's messages queued behind another process's look whether it went.
HELD_POLL_SECONDS = 0.02
# Where several processes send (PostgreSQL), each renews a lease saying it is alive every
# NTVT_HEARTBEAT_SECONDS; what a process whose lease lapsed held is taken over by another
# (bot.failover). The outbox sweep's own fallback, for a process that never said it is
# alive (an older version), waits ALIVE_SECONDS after such a message was taken.
ALIVE = "alive:"
ALIVE_SECONDS = 30.0
_ALREADY_DONE = ("message is not modified", "message to delete not found")


def back_off(failures: int, rng: random.Random | None = None) -> float:
    """Return the seconds to wait after a message's ``failures``-th network failure (from 0)."""
    base = min(BACK_OFF_CAP, BACK_OFF_FIRST * 2.0 ** min(failures, 32))
    jitter: float = (rng or random).uniform(1 - BACK_OFF_JITTER, 1 + BACK_OFF_JITTER)
    return base * jitter


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


class FileGoneError(Exception):
    """The file a message names can no longer be made: what it is made from is gone."""


class FileMaker(Protocol):
    """Makes the file a message names when the message is sent, so the outbox holds no copy.

    A message may carry a reference instead of a file's bytes (a copy of a person's data,
    :mod:`bot.personal_copy`): the file is made at each attempt and never stored.
    """

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the call's parameters with the file made, or None if it names no file.

        Raises :class:`FileGoneError` when there is nothing to make it from any more.
        """


class FileMakers:
    """Several file makers: the first that makes the message's file makes it."""

    def __init__(self, *makers: FileMaker) -> None:
        self._makers = makers

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the message's parameters with its file made by one maker, or None."""
        for maker in self._makers:
            made = await maker.make(message)
            if made is not None:
                return made
        return None


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

    Every call draws a slot from ``budget`` (shared with the broadcasts), so Telegram's flood
    control is rarely met; when it is, the message is tried again at ``retry_after``. Only a
    definitive answer (403, 400) fails a message; anything else puts it back with a back-off
    (:func:`back_off`), which this sender waits out itself (``clock`` and ``sleep``): nothing
    is left to the minute's sweep.

    ``files`` makes the files messages name rather than hold (see :class:`FileMaker`).
    """

    def __init__(
        self,
        bot: Bot,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        *,
        shared: bool = False,
        budget: SendBudget | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        files: FileMaker | None = None,
        autocommit_uow: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._bot = bot
        self._files = files
        self._uow = uow_factory
        # For the writes of one statement: the record of what went, a message's claim.
        self._one_write = autocommit_uow or uow_factory
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random()
        self.shared = shared
        self.budget = budget if budget is not None else SendBudget()
        self.budget.on_answer_after_failures(self.end_back_off)
        self.name = this_process()
        # Sent, not yet recorded: message id -> Telegram's message id.
        self._unrecorded: dict[int, int | None] = {}
        # Those of them to delete rather than record (OutgoingMessage.forget_when_sent).
        self._forgotten: set[int] = set()
        # Chats whose messages wait for one this sender holds: it looks again when done.
        self._behind: set[int] = set()
        self._recording = asyncio.Lock()
        self._wake = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        # Chats whose first unsent message waits (a back-off, flood control): their waiter.
        self._waiters: dict[int, _Waiter] = {}
        self._outage: set[int] = set()  # those of them waiting for Telegram to answer again
        self._retrying = asyncio.Semaphore(RETRY_CONCURRENCY)

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
        back, still in order, and go after it when its wait is over.
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
        await self._flush_chat(chat_id, wait=wait)

    async def _flush_chat(self, chat_id: int, *, wait: float = 0.0, due: bool = False) -> None:
        """See :meth:`flush_chat`; ``due``: the chat's wait is over, whatever its messages say."""
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
                if not due and self._must_wait(message):
                    return
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
        """Send the given queued messages (notices just written), in order per chat.

        A chat's earlier messages still waiting go first: a notice never overtakes them.
        """
        wanted = set(ids)
        async with self._uow() as uow:
            pending = await uow.outbox.pending(limit=100_000)
        last: dict[int, int] = {}
        for message in pending:
            if message.id in wanted:
                last[message.chat_id] = message.id
        await self._send_all(
            [m for m in pending if m.id is not None and m.id <= last.get(m.chat_id, 0)]
        )

    async def flush_all(self, *, min_age: timedelta = timedelta(0)) -> int:
        """Send every pending message at least ``min_age`` old; return how many were attempted.

        Run at start (everything) and every minute (what a chat's own turn did not send: a
        network failure, a process that died). Messages another sender took but never
        finished are put back first, and their chats' messages go now, whatever their age:
        a chat's newer replies may be queued behind them.
        """
        now = self._clock()
        async with self._uow() as uow:
            claimers = await uow.outbox.claimers()
            gone = dead_here(claimers)
            released: set[int] = set()
            for claimer in gone:
                released |= await uow.outbox.held_chats(claimer)
            await uow.outbox.release_claims(gone)
            if self.shared and claimers - {self.name}:
                # Another host's process that stopped saying it is alive (bot.failover takes
                # over what it held within seconds; this is the fallback); a process that
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
                m
                for m in await uow.outbox.pending(limit=10_000)
                if m.created_at <= now - min_age or m.chat_id in released
            ]
        await self._send_all(messages)
        return len(messages)

    async def say_alive(self, seconds: float = ALIVE_SECONDS) -> None:
        """Renew this process's lease saying it is alive for ``seconds`` (see :data:`ALIVE`)."""
        async with self._uow() as uow:
            await uow.leases.acquire(
                self.alive_lease, self.name, now=self._clock(), seconds=seconds
            )
            await uow.commit()

    async def say_gone(self) -> None:
        """End the alive lease now: another process takes over at once what is left.

        Called as the process stops, once what it sent is recorded (bot.failover); the lease
        is ended rather than deleted, so the others see a process that went and hand over
        the messages it still holds (waiting out a back-off) and the updates it did not finish.
        """
        await say_gone(self._uow(), lease=self.alive_lease, holder=self.name, now=self._clock())

    @property
    def alive_lease(self) -> str:
        """Return the name of this process's alive lease."""
        # Lease names are short; a host name may not be.
        return ALIVE + hashlib.sha1(self.name.encode()).hexdigest()[:32]

    async def record(self) -> None:
        """Record as sent, in one transaction, everything Telegram accepted and is unrecorded."""
        async with self._recording:
            if not self._unrecorded:
                return
            async with self._one_write() as uow:
                # Taken once the transaction may write: what was answered while it waited
                # for the database goes in too. Two statements when some are forgotten:
                # each alone is atomic, and a crash between them at worst sends the
                # forgotten ones again, as one before the record would.
                batch = dict(self._unrecorded)
                forget = self._forgotten.intersection(batch)
                await uow.outbox.mark_sent_many(
                    list(batch.items()), at=self._clock(), forget=forget
                )
                await uow.commit()
            for message_id in batch:
                del self._unrecorded[message_id]
            self._forgotten -= forget

    async def close(self) -> None:
        """Stop the recording and retrying tasks and record what is left."""
        waiters = [waiter.task for waiter in self._waiters.values()]
        self._waiters.clear()
        for task in waiters:
            task.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
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
        self.budget.answered()
        self._unrecorded[message.id] = sent_message_id
        if message.forget_when_sent:
            self._forgotten.add(message.id)
        if self._recorder is None:
            self._recorder = asyncio.create_task(self._record_continuously())
        self._wake.set()

    async def _send_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send messages in order; a chat stops at its first that must wait (or waits)."""
        blocked: set[int] = set()
        for message in messages:
            if message.chat_id in blocked:
                continue
            if self._must_wait(message) or not await self._send(message):
                blocked.add(message.chat_id)
        await self._catch_up()

    # waiting out back-offs and flood control ----------------------------------------------

    def _must_wait(self, message: OutgoingMessage) -> bool:
        """Tell whether the message waits out a back-off still; if so, come back for it then."""
        now = self._clock()
        if message.retry_at is None or message.retry_at <= now:
            return False
        if message.chat_id not in self._waiters:  # after a restart, or another process's
            flood = (message.last_error or "").startswith(FLOOD)
            wait = (message.retry_at - now).total_seconds()
            self._wait_for(message.chat_id, wait, outage=not flood)
        return True

    def _wait_for(self, chat_id: int, seconds: float, *, outage: bool) -> None:
        """Try the chat's messages again in ``seconds`` (sooner if Telegram answers: ``outage``).

        The wait is slept with the injected ``sleep``: Telegram's ``retry_after`` is real
        time, whatever a test does to the clock. A newer wait replaces an older one.
        """
        waiter = _Waiter(asyncio.Event())
        self._waiters[chat_id] = waiter
        if outage:
            self._outage.add(chat_id)
        else:
            self._outage.discard(chat_id)
        waiter.task = asyncio.create_task(self._retry_when_due(chat_id, seconds, waiter))

    def end_back_off(self) -> None:
        """Telegram answered again: the chats waiting for it are tried again now.

        Without this, recovery after an outage would wait out each chat's back-off, up to
        :data:`BACK_OFF_CAP`. Waits for flood control are kept: Telegram asked for them.
        """
        for chat_id in self._outage:
            waiter = self._waiters.get(chat_id)
            if waiter is not None:
                waiter.ended.set()
        self._outage.clear()

    async def _retry_when_due(self, chat_id: int, seconds: float, waiter: _Waiter) -> None:
        """Sleep out the chat's wait (or until it is ended), then send its messages in order."""
        sleeping = asyncio.ensure_future(self._sleep(max(0.0, seconds)))
        ending = asyncio.ensure_future(waiter.ended.wait())
        try:
            await asyncio.wait({sleeping, ending}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            ending.cancel()
        if self._waiters.get(chat_id) is not waiter:
            return  # a newer wait replaced this one
        del self._waiters[chat_id]
        self._outage.discard(chat_id)
        async with self._retrying:
            try:
                await self._flush_chat(chat_id, due=True)
            except Exception:
                # The database failed us; the chat is tried again in a while.
                log.exception("could not try chat %s's messages again", chat_id)
                if chat_id not in self._waiters:
                    self._wait_for(chat_id, back_off(0, self._random), outage=False)
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Send what queued behind messages this sender held."""
        while self._behind:
            await self.flush_chat(self._behind.pop())

    async def _send(self, message: OutgoingMessage) -> bool:
        """Take a pending message for sending, then send it (see :meth:`_attempt`)."""
        assert message.id is not None
        async with self._one_write() as uow:
            taken = await uow.outbox.claim(message.id, at=self._clock(), by=self.name)
            await uow.commit()
        if not taken:
            return False  # another sender has it (and goes on after it), or it went already
        return await self._attempt(message)

    async def _attempt(self, message: OutgoingMessage) -> bool:
        """Send a message this sender holds; False if the chat's next ones must wait.

        Only a definitive answer fails a message: 403 (blocked) or 400 (a reason retrying
        cannot change). Flood control waits ``retry_after``; network errors, timeouts, 5xx and
        any other error of Telegram's wait a back-off; the message's chat waits with it.
        A file the message names is made first; if it cannot be any more, the message fails.
        """
        try:
            params = await self._params(message)
        except FileGoneError as exc:
            await self._failed(message, str(exc), failure="gone")
            return True
        await self.budget.reply(message.chat_id, message.method)
        try:
            result = await call_bot_api(self._bot, message.method, params)
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self.budget.flood(message.chat_id, time.monotonic(), wait)
            await self._retry_later(message, wait, f"{FLOOD}: retry after {wait:g}s", outage=False)
            return False
        except Forbidden as exc:
            # Blocked by the user: nothing more goes to them until they unblock the bot.
            self.budget.answered()
            await self._failed(message, exc.message, failure="blocked")
            return True
        except ChatMigrated as exc:
            self.budget.answered()
            await self._failed(message, exc.message, failure="chat_migrated")
            return True
        except BadRequest as exc:
            self.budget.answered()
            if any(reason in exc.message.lower() for reason in _ALREADY_DONE):
                self._accepted(message, None)
                return True
            if message.method == "editMessageText":
                # The pressed question could not become the next one (deleted, too old...):
                # the next one is sent as a new message rather than lost.
                log.info(
                    "Telegram refused to edit message %s in chat %s (%s): sent anew",
                    params.get("message_id"),
                    message.chat_id,
                    exc.message,
                )
                return await self._attempt(as_new_message(message))
            log.error(
                "Telegram refused %s to chat %s: %s",
                message.method,
                message.chat_id,
                exc.message,
            )
            reason = "chat_not_found" if "chat not found" in exc.message.lower() else "bad_request"
            await self._failed(message, exc.message, failure=reason)
            return True
        except TelegramError as exc:
            self.budget.failed()
            return await self._network_failure(message, f"network: {exc.message}")
        self._accepted(message, _message_id(result))
        return True

    async def _params(self, message: OutgoingMessage) -> dict[str, Any]:
        """Return the message's parameters, with the file it names made (:class:`FileMaker`)."""
        made = await self._files.make(message) if self._files is not None else None
        return made if made is not None else message.params

    async def _network_failure(self, message: OutgoingMessage, error: str) -> bool:
        """Put the message back for a back-off, or give it up once it is too old."""
        assert message.id is not None
        now = self._clock()
        if now - message.created_at >= RETRY_FOR:
            log.warning(
                "message %s to chat %s expired: Telegram unreachable since it was queued at "
                "%s (%s)",
                message.id,
                message.chat_id,
                message.created_at.isoformat(),
                error,
            )
            async with self._uow() as uow:
                if message.forget_when_sent:
                    await uow.outbox.forget([message.id])
                else:
                    await uow.outbox.mark_expired(message.id, at=now, error=error)
                await uow.commit()
            return True  # the chat's next messages are tried (and expire too if as old)
        await self._retry_later(
            message, back_off(message.attempts, self._random), error, outage=True
        )
        return False

    async def _retry_later(
        self, message: OutgoingMessage, seconds: float, error: str, *, outage: bool
    ) -> None:
        assert message.id is not None
        until = self._clock() + timedelta(seconds=seconds)
        async with self._uow() as uow:
            await uow.outbox.retry_later(message.id, at=until, error=error)
            await uow.commit()
        self._wait_for(message.chat_id, seconds, outage=outage)

    async def _put_back(self, ids: list[int | None]) -> None:
        taken = [message_id for message_id in ids if message_id is not None]
        if taken:
            async with self._uow() as uow:
                await uow.outbox.unclaim(taken)
                await uow.commit()

    async def _failed(self, message: OutgoingMessage, error: str, *, failure: str) -> None:
        """Record that the message will never go, and why (``failure``)."""
        assert message.id is not None
        async with self._uow() as uow:
            now = self._clock()
            if message.forget_when_sent:
                await uow.outbox.forget([message.id])
            else:
                await uow.outbox.mark_undeliverable(
                    message.id, at=now, failure=failure, error=error
                )
            if failure == "blocked":
                await uow.subscriptions.set_blocked(message.chat_id, at=now)
            await uow.commit()


@dataclass(slots=True)
class _Waiter:
    """A chat's wait before its messages are tried again; ``ended`` cuts it short."""

    ended: asyncio.Event
    task: asyncio.Task[None] = field(init=False)


def as_new_message(edit: OutgoingMessage) -> OutgoingMessage:
    """Return an ``editMessageText`` as the ``sendMessage`` of its text and inline buttons.

    The same outbox row: what Telegram answers is recorded on it.
    """
    params = {key: value for key, value in edit.params.items() if key != "message_id"}
    return replace(edit, method="sendMessage", params=params)


def _message_id(result: Any) -> int | None:
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return int(result["message_id"])
    return None


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
