"""The one paced sender of bulk messages: broadcasts, at Telegram's rate, through the outbox.

One process at a time holds the ``bulk`` lease and sends; the others wait to take over if it
dies. Replies to residents never wait here: they go through :class:`bot.sender.OutboxSender`
on their own connections. Both draw from one :class:`bot.budget.SendBudget`, replies first:
a broadcast's message takes a slot only when no reply is waiting for it.

When Telegram stops answering (network errors, timeouts, 5xx, several in a row), bulk
sending pauses and probes with one message at a time, the pause doubling up to the back-off
cap, instead of burning its rows; every row it tried goes back with a back-off of its own. As
soon as Telegram answers (a probe, or a reply to a resident), it goes on at full rate.

Crash safety: a broadcast is expanded into outbox rows before anything goes. Rows are taken
("sending") in batches, the next one while the last is paced out, sent, and their results
written every quarter second. After a crash
the next holder puts every taken row back, so nobody is skipped; the only messages sent twice
are those whose answer had not been written yet: at most the in-flight cap plus a quarter
second's worth (see :attr:`BulkSender.max_duplicates`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.budget import SendBudget
from bot.keyboards import MAX_DATA_BYTES
from bot.messages import locale_of, text_message
from bot.rendering import N_
from bot.runtime import Runtime
from bot.sender import BACK_OFF_CAP, BACK_OFF_FIRST, RETRY_FOR, back_off
from bot.subscription_buttons import campaign_button_data
from bot.transport import AiohttpRequest
from bot.waiting import woken
from core.broadcasting import finish_delivered, start_due
from core.broadcasts import Broadcast, Outcome, QuietHours, Report
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

LEASE = "bulk"
PHOTO_PENDING = "ntvt:photo"  # stands for the broadcast's photo until Telegram has it
RESULT_FLUSH_SECONDS = 0.25
MAX_ATTEMPTS = 5  # for a message that fails with an error not Telegram's (a bug, a bad row)
MAX_BACKOFF_SECONDS = 300
OUTAGE_AFTER = 3  # network failures in a row, with no answer between: Telegram is down
PAUSE_SLICE = 0.5  # seconds a pause is slept at a time before looking whether it ended
GROUP_PER_MINUTE = 20
CATCH_UP = 0.05  # seconds of slots a late sender may use at once; and how much faster it goes
MAKE_UP = 1.0  # seconds of slots missed while sending (the process held up) made up later
SUBSCRIBE_LABEL = N_("🔔 Nhận tin về phong trào này")


def quiet_hours(rt: Runtime) -> QuietHours:
    """Return the configured quiet hours."""
    return QuietHours(rt.settings.quiet_start, rt.settings.quiet_end, rt.settings.tz)


def render_broadcast(
    rt: Runtime, broadcast: Broadcast, locale: str | None
) -> tuple[str, dict[str, object]]:
    """Return the Bot API call of a broadcast for a reader of ``locale`` (without chat_id)."""
    lang = locale or rt.settings.default_locale
    text = rt.renderer.render(lang, "broadcasts/announcement", text=broadcast.text)
    params: dict[str, object] = {"parse_mode": "HTML"}
    if broadcast.campaign_key:
        # Signed for each recipient's chat when it is sent (BulkSender._deliver).
        data = campaign_button_data(broadcast.campaign_key)
        if len(data.encode()) <= MAX_DATA_BYTES:
            label = rt.renderer.text(lang, SUBSCRIBE_LABEL)
            params["reply_markup"] = {"inline_keyboard": [[{"text": label, "callback_data": data}]]}
    if broadcast.has_photo:
        params["photo"] = broadcast.photo_file_id or PHOTO_PENDING
        params["caption"] = text
        return "sendPhoto", params
    params["text"] = text
    params["link_preview_options"] = {"is_disabled": True}
    return "sendMessage", params


@dataclass(slots=True)
class BulkStats:
    """What the sender did since it started (the benchmark and the tests read it)."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    flood_waits: int = 0  # 429 answers, each followed by a pause of all bulk sending
    probes: int = 0  # messages sent one at a time to see whether Telegram answers again


@dataclass(slots=True)
class _Taken:
    """Rows taken for sending (claimed), and whether more may be pending behind them."""

    rows: list[OutgoingMessage]
    full: bool  # as many rows were pending as a batch takes


@dataclass(slots=True)
class _Results:
    sent: list[tuple[int, int | None]] = field(default_factory=list)
    failed: list[tuple[OutgoingMessage, str, str]] = field(default_factory=list)
    retry: list[tuple[int, datetime, str]] = field(default_factory=list)
    expired: list[tuple[int, str]] = field(default_factory=list)
    back: list[int] = field(default_factory=list)
    stopped: set[int] = field(default_factory=set)
    retry_now: bool = False  # Telegram answers again: what waits out a back-off goes now

    def __len__(self) -> int:
        return (
            len(self.sent)
            + len(self.failed)
            + len(self.retry)
            + len(self.expired)
            + len(self.back)
            + self.retry_now
        )


class BulkSender:
    """Sends broadcasts' outbox rows at the configured rate, one process at a time."""

    def __init__(
        self,
        rt: Runtime,
        bot: Bot,
        *,
        rate: float,
        paid: bool = False,
        lease_seconds: float = 30.0,
        transport: AiohttpRequest | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        budget: SendBudget | None = None,
    ) -> None:
        self._rt = rt
        self._bot = bot
        self._transport = transport
        self.rate = rate
        self._paid = paid
        self._lease_seconds = lease_seconds
        self._monotonic = monotonic
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.max_in_flight = max(8, min(500, math.ceil(rate)))
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._holding = False
        self._ready = False
        self._next_slot = monotonic()  # the configured rate's schedule
        self._fast_slot = self._next_slot  # the pace at which missed slots are made up
        self._last_second: deque[float] = deque()  # when the sends of the last second went
        self._paused_until = 0.0
        self._last_sent: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._results = _Results()
        self._photo_locks: dict[int, asyncio.Lock] = {}
        self._photo_ids: dict[int, str] = {}
        self._last_check = 0.0
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._flusher: asyncio.Task[None] | None = None
        # Rows taken (claimed in the database) and not sent yet, in the order they go; the
        # next batch is taken while they are paced out (step).
        self._queue: deque[OutgoingMessage] = deque()
        self._more = False  # the last batch taken was full: more rows may be pending
        self._taker: asyncio.Task[None] | None = None
        # The broadcasts sending, as read with each batch and every quarter second.
        self._running: set[int | None] = set()
        self.stats = BulkStats()
        self._budget = budget if budget is not None else SendBudget()
        self._budget.on_answer_after_failures(self._outage_over)
        self._failures_in_a_row = 0
        self._outage_pause = 0.0  # seconds between probes while Telegram does not answer
        self._outage_until = 0.0

    def wake(self) -> None:
        """Look for due broadcasts now rather than at the next idle tick."""
        self._wake.set()

    @property
    def max_duplicates(self) -> int:
        """Messages a crash can make someone receive twice: in flight or answered, not written."""
        return self.max_in_flight + math.ceil(self.rate * RESULT_FLUSH_SECONDS)

    @property
    def batch_size(self) -> int:
        """Rows taken at once: about a second of sending.

        Taking and loading a batch holds the event loop for a moment; a small batch keeps
        that moment short, so the sends after it do not leave in a clump (a clump is what
        Telegram's per-second limit answers with 429).
        """
        return max(20, min(1000, math.ceil(self.rate)))

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Send until cancelled; look for due broadcasts every ``idle_seconds`` when idle."""
        try:
            while True:
                try:
                    busy = await self.step()
                except Exception:
                    log.exception("bulk sending failed; trying again shortly")
                    busy = False
                if not busy:
                    self._wake.clear()
                    await woken(self._wake, idle_seconds)
        finally:
            await self._put_back_queue()
            if self._flusher is not None:
                self._flusher.cancel()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(10):
                    await self.drain()
            if self._holding:
                with contextlib.suppress(Exception):
                    async with self._rt.uow() as uow:
                        await uow.leases.release(LEASE, self.holder)
                        await uow.commit()

    async def step(self) -> bool:
        """Do one round: start due broadcasts, send what is pending, report finished ones.

        Return whether there was anything to send (the caller then goes on at once).

        The round paces out the rows taken (claimed) first, and while they go the next ones
        are taken ahead (:meth:`_keep_ahead`): the pacing never waits for the database
        between two batches, which cost the rate what the taking took. The round ends when
        no more rows are pending (or Telegram does not answer, or the lease is lost).
        """
        await self._await_taker()  # one taking at a time: a last round's may still be going
        taken = await self._take()
        if taken is None:
            return False
        self._queue.extend(taken.rows)
        self._more = taken.full
        if not self._queue:
            if taken.full:
                await asyncio.sleep(0.2)  # every chat in the batch was just sent to
                return True
            sent_any = False
        else:
            sent_any = await self._pace()
        if self._more:
            return sent_any  # more to send: whether a broadcast is done is looked at after
        async with self._rt.uow() as uow:
            finished = await finish_delivered(uow, now=self._rt.clock())
            for broadcast in finished:
                await self._queue_report(uow, broadcast, "broadcasts/finished")
            await uow.commit()
        await self._flush_reports(finished)
        return sent_any

    async def _take(self, busy: Collection[int] = ()) -> _Taken | None:
        """Hold the lease, start due broadcasts, and take the next batch of rows.

        Return None when there is nothing to do or another process holds the lease. Taking
        a row claims it in the database: after a crash the next holder puts it back, and no
        other process takes it meanwhile. Rows to chats sent to less than a second ago, or
        in ``busy`` (taken and not sent yet), stay pending for a later batch.
        """
        rt = self._rt
        now = rt.clock()
        if not self._holding:
            async with rt.uow() as uow:
                idle = not await uow.broadcasts.due(now) and not await uow.broadcasts.running()
            if idle:
                return None
        quiet = quiet_hours(rt)
        async with rt.uow() as uow:
            holding = await uow.leases.acquire(
                LEASE, self.holder, now=now, seconds=self._lease_seconds
            )
            if holding and not self._holding:
                # The last holder died or stopped: what it had taken goes back to the queue.
                released = await uow.outbox.release_bulk()
                if released:
                    log.info("took over bulk sending: %d messages put back", released)
            started: list[Broadcast] = []
            if holding:
                # The clock is read again once the transaction holds the database: whether
                # it is the quiet hours is decided at the moment the broadcast is started.
                now = rt.clock()
                due = await uow.broadcasts.due(now)
                organisation = await uow.organisation.load() if due else None
                if organisation is not None:
                    started = await start_due(
                        uow,
                        now=now,
                        quiet=quiet,
                        organisation=organisation,
                        render=lambda b, loc: render_broadcast(rt, b, loc),
                    )
                for broadcast in started:
                    log.info(
                        "broadcast %s started: %d recipients", broadcast.id, broadcast.recipients
                    )
                    await self._queue_report(uow, broadcast, "broadcasts/started")
            await uow.commit()
        self._holding = holding
        if not holding:
            return None
        if not self._ready:
            # Connections are opened by the holder only, when there is work: most processes
            # never send a broadcast.
            await self._bot.initialize()
            if self._transport is not None:
                await self._transport.initialize()
            self._ready = True
        await self._flush_reports(started)
        await self._wait_out_outage()
        await asyncio.sleep(0)  # SQLite runs on the loop: the pacing goes on between the two
        async with rt.uow() as uow:
            now = rt.clock()
            self._running = {b.id for b in await uow.broadcasts.running()}
            self._last_check = self._monotonic()
            pending = await uow.outbox.pending_bulk(
                limit=self.batch_size, now=now, urgent_only=quiet.contains(now)
            )
            chosen = self._sendable(list(pending), busy)
            taken = set(
                await uow.outbox.claim_many([m.id for m in chosen if m.id], at=rt.clock())
                if chosen
                else []
            )
            await uow.commit()
        return _Taken([m for m in chosen if m.id in taken], full=len(pending) == self.batch_size)

    def _keep_ahead(self) -> None:
        """Take the next batch now if less than a batch waits and more may be pending.

        Not while Telegram does not answer (the probes send one message at a time).
        """
        if (
            self._more
            and self._taker is None
            and not self._outage_pause
            and len(self._queue) < self.batch_size
        ):
            self._taker = asyncio.create_task(self._take_ahead())

    async def _take_ahead(self) -> None:
        """Take a batch behind the rows waiting; stop the round if the lease is lost."""
        try:
            taken = await self._take(busy={m.chat_id for m in self._queue})
        except Exception:
            log.exception("could not take bulk messages ahead; trying again shortly")
            self._more = False  # the round ends; the next one takes them
            return
        if taken is None:
            # Another process holds the lease: it put back what this one had taken.
            self._more = False
            self._queue.clear()
            return
        self._queue.extend(taken.rows)
        self._more = taken.full

    async def _await_taker(self) -> None:
        """Wait for the batch being taken ahead, if one is (its rows join the queue)."""
        taker = self._taker
        if taker is not None:
            try:
                await asyncio.shield(taker)
            finally:
                if taker.done():
                    self._taker = None

    async def _put_back_queue(self) -> None:
        """Put back the rows taken and not sent, those taken ahead too (the sender stops)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):  # a few short transactions
                await self._await_taker()
        self._results.back.extend(m.id for m in self._queue if m.id is not None)
        self._queue.clear()
        self._more = False

    # sending ------------------------------------------------------------------------------

    def _sendable(
        self, batch: list[OutgoingMessage], busy: Collection[int] = ()
    ) -> list[OutgoingMessage]:
        """Leave out chats sent to less than a second ago, ``busy`` ones, groups at 20 a minute."""
        now = self._monotonic()
        chosen: list[OutgoingMessage] = []
        seen: set[int] = set(busy)
        for message in batch:
            chat = message.chat_id
            if chat in seen or now - self._last_sent.get(chat, -1e9) < 1.0:
                continue
            if not self._budget.chat_free(chat, now):
                continue  # a reply just went to it
            if chat < 0:
                window = self._group_sends.setdefault(chat, deque())
                while window and window[0] <= now - 60.0:
                    window.popleft()
                if len(window) >= GROUP_PER_MINUTE:
                    continue
            seen.add(chat)
            chosen.append(message)
        if len(self._last_sent) > 50_000:
            self._last_sent = {c: t for c, t in self._last_sent.items() if now - t < 1.0}
        return chosen

    async def _pace(self) -> bool:
        """Start each taken row's send at its slot; do not wait for the answers.

        The rows are taken ahead while these go (:meth:`_keep_ahead`), and the answers are
        written by the flusher every quarter second, with the broadcasts still sending read
        again: nothing on this loop's path waits for the database, but for the next rows
        when none are left.
        """
        self._ensure_flusher()
        # A new round: the slots of the time nothing was sending are not made up.
        self._next_slot = max(self._next_slot, self._monotonic())
        sent_any = False
        try:
            while True:
                self._keep_ahead()
                if not self._queue:
                    if self._taker is None:
                        return sent_any
                    await self._await_taker()
                    continue
                message = self._queue.popleft()
                assert message.id is not None
                if message.broadcast_id not in self._running:
                    # Cancelled meanwhile: put back, then cancelled with the rest of its rows.
                    self._results.back.append(message.id)
                    self._results.stopped.add(message.broadcast_id or 0)
                    continue
                await self._wait_turn()
                await self._budget.bulk(message.chat_id, overall=not self._paid)
                await self._slots.acquire()
                self._last_sent[message.chat_id] = self._monotonic()
                sent_any = True
                if self._outage_pause:
                    # Telegram did not answer lately: one message, and its answer, before more.
                    self.stats.probes += 1
                    await self._deliver(message, probe=True)
                    if self._outage_pause:
                        await self._put_back_queue()
                        return sent_any
                    continue
                task = asyncio.create_task(self._deliver(message))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        except BaseException:
            # Stopped, or failed: what was taken and not sent goes back (a row left taken
            # would wait for the next holder of the lease).
            self._results.back.extend(m.id for m in self._queue if m.id is not None)
            self._queue.clear()
            self._more = False
            raise

    async def _wait_out_outage(self) -> None:
        """Before taking rows, wait for the next probe, or for Telegram to answer a reply."""
        pause = self._outage_until - self._monotonic()
        if pause > 0:
            self._wake.clear()
            await woken(self._wake, pause)

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_periodically())

    async def drain(self) -> None:
        """Wait for the answers of every message in flight and write them."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._flush()

    async def _wait_turn(self) -> None:
        """Wait for the next slot at the configured rate, and out any flood-control pause.

        Slots missed while sending, the process held up (a busy loop, a loaded machine, the
        next rows late), are made up afterwards, up to :data:`MAKE_UP` seconds of them, at
        (1 + CATCH_UP) of the rate, and only while the last second's sends stay within
        (1 + CATCH_UP) of the rate: no second goes over that, as before, and a broadcast
        keeps its rate on a machine that others load. Nothing is made up for a pause (flood
        control, an outage) or between rounds (:meth:`_pace` starts the schedule again).
        """
        most = (1 + CATCH_UP) * self.rate
        recent = self._last_second
        while True:
            now = self._monotonic()
            # A pause's end starts the schedule again: what the pause held back is not sent
            # in a clump after it.
            self._next_slot = max(self._next_slot, self._paused_until, self._outage_until)
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            full = recent[0] + 1.0 if len(recent) >= most else now
            wait = max(self._next_slot, self._fast_slot, full) - now
            if wait <= 0:
                # After a late wake-up, the slots of the last CATCH_UP seconds may be used
                # at once, no older ones (the fast pace); the schedule keeps the slots of
                # the last MAKE_UP seconds.
                interval = 1.0 / self.rate
                self._next_slot = max(self._next_slot, now - MAKE_UP) + interval
                self._fast_slot = max(self._fast_slot, now - CATCH_UP) + interval / (1 + CATCH_UP)
                recent.append(now)
                return
            # In slices: an outage's pause ends early when a reply gets through.
            await asyncio.sleep(min(wait, PAUSE_SLICE))

    async def _deliver(self, message: OutgoingMessage, *, probe: bool = False) -> None:
        assert message.id is not None
        try:
            params = dict(message.params)
            if "reply_markup" in params:
                params["reply_markup"] = self._rt.buttons.sign_markup(
                    message.chat_id, params["reply_markup"]
                )
            if self._paid:
                params["allow_paid_broadcast"] = True
            if params.get("photo") == PHOTO_PENDING:
                result = await self._send_photo(message.broadcast_id or 0, params)
            else:
                result = await self._call(message.method, params)
            self._note_sent(message.chat_id)
            self._results.sent.append((message.id, _message_id(result)))
            self._answered()
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self._budget.flood(message.chat_id, time.monotonic(), wait)
            self.stats.flood_waits += 1
            self._paused_until = max(self._paused_until, self._monotonic() + wait)
            log.warning("flood control: all bulk sending paused for %.0f s", wait)
            self._results.back.append(message.id)
        except Forbidden as exc:
            self._answered()
            self.stats.blocked += 1
            self._results.failed.append((message, "blocked", exc.message))
        except BadRequest as exc:
            self._answered()
            self.stats.failed += 1
            reason = "chat_not_found" if "chat not found" in exc.message.lower() else "bad_request"
            self._results.failed.append((message, reason, exc.message))
        except (TimedOut, NetworkError) as exc:
            self._unreachable(message, exc.message, probe=probe)
        except Exception as exc:  # a bug, a bad row: the row must not stay taken forever
            log.exception("bulk message %s failed", message.id)
            self._retry_or_give_up(message, "error", f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    def _answered(self) -> None:
        self._failures_in_a_row = 0
        self._budget.answered()

    def _unreachable(self, message: OutgoingMessage, error: str, *, probe: bool) -> None:
        """Put the message back with a back-off (expired after a day); pause if Telegram is down.

        Several failures in a row start an outage: bulk sending pauses, then probes with one
        message; each failed probe doubles the pause, up to the back-off cap.
        """
        assert message.id is not None
        self._budget.failed()
        self._failures_in_a_row += 1
        if probe or (not self._outage_pause and self._failures_in_a_row >= OUTAGE_AFTER):
            if not self._outage_pause:
                log.warning("Telegram does not answer (%s): bulk sending paused", error)
            self._outage_pause = min(BACK_OFF_CAP, 2 * self._outage_pause or BACK_OFF_FIRST)
            self._outage_until = self._monotonic() + self._outage_pause
        now = self._rt.clock()
        if now - message.created_at >= RETRY_FOR:
            log.warning("bulk message %s expired: Telegram unreachable for a day", message.id)
            self.stats.failed += 1
            self._results.expired.append((message.id, f"network: {error}"))
            return
        self.stats.retried += 1
        at = now + timedelta(seconds=back_off(message.attempts))
        self._results.retry.append((message.id, at, f"network: {error}"))

    def _outage_over(self) -> None:
        """Telegram answers again: stop probing, and send what waits out a back-off now."""
        if not self._outage_pause:
            return  # a single failure: its message keeps its back-off
        log.info("Telegram answers again: bulk sending goes on")
        self._outage_pause = 0.0
        self._outage_until = 0.0
        self._results.retry_now = True
        self.wake()

    def _retry_or_give_up(self, message: OutgoingMessage, failure: str, error: str) -> None:
        """Try again after 2, 4, 8, 16 s; after the fifth attempt, give up with the reason."""
        assert message.id is not None
        if message.attempts + 1 >= MAX_ATTEMPTS:
            self.stats.failed += 1
            self._results.failed.append((message, failure, error))
            return
        self.stats.retried += 1
        backoff = min(MAX_BACKOFF_SECONDS, 2 ** (message.attempts + 1))
        at = self._rt.clock() + timedelta(seconds=backoff)
        self._results.retry.append((message.id, at, f"{failure}: {error}"))

    async def _send_photo(self, broadcast_id: int, params: dict[str, Any]) -> Any:
        """Send a photo broadcast's copy: the first uploads the bytes, the rest use the file id."""
        lock = self._photo_locks.setdefault(broadcast_id, asyncio.Lock())
        async with lock:
            photo = await self._photo(broadcast_id)
            if isinstance(photo, InputFile):
                result = await self._call("sendPhoto", {**params, "photo": photo})
                await self._keep_photo_id(broadcast_id, result)
                return result
        return await self._call("sendPhoto", {**params, "photo": photo})

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        """Make the call and return Telegram's raw result (a dict): no PTB object per message.

        A photo's first upload goes through PTB's ``send_photo`` (a file to encode).
        """
        if method not in ("sendMessage", "sendPhoto"):
            raise ValueError(f"bulk sending knows no {method}")
        if isinstance(params.get("photo"), InputFile) or self._transport is None:
            sent = await getattr(
                self._bot, "send_photo" if method == "sendPhoto" else "send_message"
            )(**params)
            return sent.to_dict()
        return await self._transport.call(f"{self._bot.base_url}/{method}", params)

    def _note_sent(self, chat_id: int) -> None:
        now = self._monotonic()
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(now)
        self.stats.sent += 1

    async def _photo(self, broadcast_id: int) -> str | InputFile:
        """Return the photo's file id, or its bytes for the first upload."""
        known = self._photo_ids.get(broadcast_id)
        if known:
            return known
        async with self._rt.uow() as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
        if broadcast is not None and broadcast.photo_file_id:
            self._photo_ids[broadcast_id] = broadcast.photo_file_id
            return broadcast.photo_file_id
        if broadcast is None or broadcast.photo is None:
            raise BadRequest("the broadcast's photo is gone")
        return InputFile(broadcast.photo, filename="announcement.jpg")

    async def _keep_photo_id(self, broadcast_id: int, result: Any) -> None:
        sizes = result.get("photo") if isinstance(result, dict) else None
        if not sizes:
            return
        file_id = str(sizes[-1]["file_id"])
        self._photo_ids[broadcast_id] = file_id
        async with self._rt.uow() as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
            if broadcast is not None:
                await uow.broadcasts.save(replace(broadcast, photo_file_id=file_id))
                await uow.commit()

    # results ------------------------------------------------------------------------------

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(RESULT_FLUSH_SECONDS)
            await self._flush()
            if self._queue and self._monotonic() - self._last_check > RESULT_FLUSH_SECONDS:
                # A broadcast cancelled while its rows wait: they are not sent.
                async with self._rt.uow() as uow:
                    self._running = {b.id for b in await uow.broadcasts.running()}
                self._last_check = self._monotonic()

    async def _flush(self) -> None:
        """Write the answers gathered since the last flush, in one transaction."""
        results, self._results = self._results, _Results()
        if not len(results):
            return
        now = self._rt.clock()
        try:
            async with self._rt.uow() as uow:
                await uow.outbox.mark_sent_many(results.sent, at=now)
                for message, failure, error in results.failed:
                    assert message.id is not None
                    await uow.outbox.mark_undeliverable(
                        message.id, at=now, failure=failure, error=error
                    )
                    if failure == "blocked":
                        await uow.subscriptions.set_blocked(message.chat_id, at=now)
                for message_id, at, error in results.retry:
                    await uow.outbox.retry_later(message_id, at=at, error=error)
                for message_id, error in results.expired:
                    await uow.outbox.mark_expired(message_id, at=now, error=error)
                if results.retry_now:
                    await uow.outbox.retry_bulk_now()
                await uow.outbox.unclaim(results.back)
                for broadcast_id in results.stopped:
                    await uow.outbox.cancel_broadcast(broadcast_id)
                await uow.commit()
        except Exception:
            # Keep them for the next flush rather than lose what Telegram answered.
            log.exception("could not record %d bulk results; will retry", len(results))
            self._results.sent[:0] = results.sent
            self._results.failed[:0] = results.failed
            self._results.retry[:0] = results.retry
            self._results.expired[:0] = results.expired
            self._results.retry_now |= results.retry_now
            self._results.back[:0] = results.back
            self._results.stopped |= results.stopped
            raise

    async def _queue_report(self, uow: UnitOfWork, broadcast: Broadcast, template: str) -> None:
        """Queue, with the status change, the writer's notice that it started or how it went."""
        if broadcast.created_by is None or broadcast.id is None:
            return
        rt = self._rt
        locale = await locale_of(uow, broadcast.created_by, rt.settings.default_locale)
        report = Report(broadcast, await uow.outbox.broadcast_outcomes(broadcast.id))
        await uow.outbox.add(
            text_message(
                rt.renderer,
                broadcast.created_by,
                locale,
                template,
                now=rt.clock(),
                **report_context(report),
            )
        )

    async def _flush_reports(self, broadcasts: list[Broadcast]) -> None:
        if self._rt.sender is None:
            return
        for chat_id in {b.created_by for b in broadcasts if b.created_by is not None}:
            await self._rt.sender.flush_chat(chat_id)


def report_context(report: Report) -> dict[str, Any]:
    """Return what the report templates show: counts, status, duration in minutes and seconds."""
    b = report.broadcast
    seconds = round(report.duration.total_seconds()) if report.duration is not None else None
    return {
        "id": b.id,
        "status": b.status.value,
        "recipients": b.recipients,
        "delivered": report.count(Outcome.DELIVERED),
        "blocked": report.count(Outcome.BLOCKED),
        "failed": report.count(Outcome.FAILED),
        "cancelled": report.count(Outcome.CANCELLED),
        "pending": report.count(Outcome.PENDING),
        "minutes": None if seconds is None else seconds // 60,
        "seconds": None if seconds is None else seconds % 60,
        "send_at": b.send_at,
        "urgent": b.urgent,
        "started_at": b.started_at,
    }


def _message_id(result: Any) -> int | None:
    return int(result["message_id"]) if isinstance(result, dict) else None


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
