"""Sends the outbox's Zalo messages: in order per chat, within Zalo's rules, at a steady pace.

The outbox holds every message in Telegram's form; :func:`bot.zalo.render.render` turns one
into the OA API calls that carry it, and :class:`ZaloSender` makes them. One sender runs per
process; several processes may run one each on the same database: a message is claimed
before it is sent, and a chat's next message is offered only once the one before it is done
(:meth:`core.ports.OutboxRepository.zalo_due`), so a chat's messages leave in order.

Zalo's rules (:func:`core.channels.earliest_send`) are applied before anything is sent:

* in the night ban (22:00-06:00, Hà Nội) a message waits until it ends, and Zalo's own -234
  says the same if our clock and Zalo's disagree;
* to a person silent for longer than the free window (7 days) a message is held
  (``WAITING``) until they write again: the Zalo edge then calls
  :meth:`~core.ports.OutboxRepository.release_waiting` and :meth:`ZaloSender.wake`. A ZNS
  template (``Capabilities.template_id``, paid, by phone number) would reach them; sending
  one is not done here.

What Zalo answers decides the rest: a rate limit, an outage or a refused token waits a
back-off (:func:`bot.sender.back_off`) and is tried again, without end; a person who
unfollowed the OA fails the message as ``blocked`` (and stops broadcasts to them, as a
Telegram block does); a message Zalo refuses, or one with no Zalo form at all, fails as
``bad_request``; a person whose account is no longer known (erased) as ``chat_not_found``;
a photo or file the media store no longer has as ``gone``. While the OA's tokens are missing
or void, messages wait a minute at a time, and it is logged as an error once a pass. A
message with nothing to send on Zalo (a Telegram-only tidy-up) is recorded as sent at once.
A message sent as several calls (a photo, then its buttons) that fails halfway is taken up,
by this process, at the call that failed; another process (after a crash) starts it again.

The logs name messages by id and chats by our id, never a text, a name or a Zalo id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from bot.keyboards import ButtonSigner
from bot.sender import STALE_CLAIM, back_off, this_process
from bot.waiting import woken
from bot.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloNightBan,
    ZaloNotFollowing,
    ZaloOutsideWindow,
    ZaloRequestRefused,
)
from bot.zalo.media import MediaStore
from bot.zalo.render import CallKind, ZaloCall, render
from bot.zalo.tokens import AuthorisationLost, TokenEndpointUnavailable, TokensMissing
from core.channels import Capabilities, Channel, ChannelIdentity, earliest_send
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# How often the outbox is looked at when nothing wakes the sender.
POLL_SECONDS = 1.0
# Messages asked for at once; a pass asks again until nothing new is due.
BATCH = 100
# Zalo said -234 while our clock says it is day: look again in a while.
NIGHT_BAN_RECHECK = timedelta(minutes=15)
# The OA's tokens are missing or void: an admin must authorise the app; look again then.
TOKENS_RETRY = timedelta(seconds=60)
# How often messages held by a sender that stopped (STALE_CLAIM ago) are put back.
SWEEP_EVERY = timedelta(minutes=1)

# Errors of one message's calls, each answered by _failed_attempt.
_EXPECTED = (
    ZaloError,
    TokensMissing,
    AuthorisationLost,
    TokenEndpointUnavailable,
    ValueError,  # NotForChannel, or a call the client refuses to make
    FileNotFoundError,  # the media store lost the file
)


class ZaloSender:
    """Sends the outbox's Zalo messages, one at a time, at ``rate`` messages a second.

    ``clock`` is "now" for Zalo's rules and for what is recorded; ``tz`` the zone of the
    quiet hours (Hà Nội); ``sleep`` paces the messages (a test may make it instant).
    """

    def __init__(
        self,
        client: ZaloClient,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        *,
        capabilities: Capabilities,
        tz: tzinfo,
        media: MediaStore,
        buttons: ButtonSigner | None = None,
        rate: float = 20.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate is a positive number of messages a second")
        self._client = client
        self._uow = uow_factory
        self._clock = clock
        self._capabilities = capabilities
        self._tz = tz
        self._media = media
        self._buttons = buttons
        self._interval = 1.0 / rate
        self._sleep = sleep
        self._random = random.Random()
        self.name = this_process()
        self._wake = asyncio.Event()
        self._next_slot = 0.0  # time.monotonic() of the next message's turn
        self._next_retry: datetime | None = None  # the earliest retry this sender set
        self._swept_at: datetime | None = None
        self._tokens_lost = False  # in this pass: the rest wait without calling Zalo
        # Calls already made of messages not finished: message id -> how many.
        self._progress: dict[int, int] = {}

    def wake(self) -> None:
        """Look at the outbox now: something was queued, or a person wrote again."""
        self._wake.set()

    async def run(self) -> None:
        """Send what is due until cancelled; between passes wait for :meth:`wake`.

        Or for :data:`POLL_SECONDS`, or until the earliest retry this sender set, if sooner.
        A pass that fails (the database) is tried again after a growing back-off. Cancelled
        mid-message, the message stays taken and goes back after :data:`bot.sender.STALE_CLAIM`.
        """
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.send_due()
                failures = 0
                wait = self._idle_seconds()
            except Exception:
                log.exception("a pass over Zalo's messages failed; trying again")
                wait = back_off(failures, self._random)
                failures += 1
            await woken(self._wake, wait)

    async def send_due(self) -> int:
        """Send every Zalo message due now, in order per chat; return how many went.

        Asks the outbox again after each batch: a chat's next message becomes due once the
        one before it went. Each message is attempted at most once a pass.
        """
        self._next_retry = None
        self._tokens_lost = False
        await self._sweep()
        went = 0
        seen: set[int] = set()
        while True:
            async with self._uow() as uow:
                due = await uow.outbox.zalo_due(now=self._clock(), limit=BATCH)
            fresh = [m for m in due if m.id is not None and m.id not in seen]
            if not fresh:
                return went
            for message in fresh:
                assert message.id is not None
                seen.add(message.id)
                went += await self._send_safely(message)

    def _idle_seconds(self) -> float:
        """Return how long to wait for a wake: the poll, or less if a retry is due sooner."""
        if self._next_retry is None:
            return POLL_SECONDS
        until = (self._next_retry - self._clock()).total_seconds()
        return max(0.0, min(POLL_SECONDS, until))

    async def _sweep(self) -> None:
        """Put back messages a stopped sender held (every :data:`SWEEP_EVERY`)."""
        now = self._clock()
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY:
            return
        async with self._uow() as uow:
            released = await uow.outbox.release_stale(older_than=now - STALE_CLAIM)
            await uow.commit()
        self._swept_at = now
        if released:
            log.info("put back %d messages held by a sender that stopped", released)

    async def _send_safely(self, message: OutgoingMessage) -> int:
        """Attempt one message (see :meth:`_attempt`); whatever fails, the next goes on."""
        assert message.id is not None
        try:
            return await self._attempt(message)
        except Exception:
            log.exception(
                "Zalo message %s to chat %s failed unexpectedly", message.id, message.chat_id
            )
        with contextlib.suppress(Exception):
            await self._defer(message, self._back_off(message), "unexpected failure")
        return 0

    async def _attempt(self, message: OutgoingMessage) -> int:
        """Take the message, render it, apply Zalo's rules, send it; 1 if it went, else 0.

        A message with nothing to send on Zalo (a Telegram-only tidy-up) is recorded as sent
        at once, whatever the hour; one with no Zalo form fails at once.
        """
        now = self._clock()
        taken, identity = await self._take(message, now)
        if not taken:
            return 0  # another process has it, or it is done
        if identity is None:
            identity = _named_recipient(message)
        if identity is None:
            await self._undeliverable(message, "chat_not_found", "no Zalo account for the chat")
            return 0
        try:
            calls = render(self._signed(message), self._capabilities)
            if calls and not await self._may_call_now(message, identity, now):
                return 0
            await self._make_calls(message, calls, identity.external_id)
        except _EXPECTED as exc:
            await self._failed_attempt(message, exc)
            return 0
        await self._went(message)
        return 1

    def _signed(self, message: OutgoingMessage) -> OutgoingMessage:
        """Return a broadcast's message with its buttons signed for its chat.

        A broadcast's rows are written unsigned, for every recipient at once; Telegram's
        bulk sender signs each as it sends it (:mod:`bot.bulk`), and so does this sender.
        """
        markup = message.params.get("reply_markup")
        if message.broadcast_id is None or self._buttons is None or not markup:
            return message
        signed = self._buttons.sign_markup(message.chat_id, markup)
        return replace(message, params={**message.params, "reply_markup": signed})

    async def _take(
        self, message: OutgoingMessage, now: datetime
    ) -> tuple[bool, ChannelIdentity | None]:
        """Claim the message; return whether it was taken, and its person's Zalo account."""
        assert message.id is not None
        async with self._uow() as uow:
            taken = await uow.outbox.claim(message.id, at=now, by=self.name)
            identity = (
                await uow.identities.of_user(message.chat_id, Channel.ZALO) if taken else None
            )
            await uow.commit()
        return taken, identity

    async def _may_call_now(
        self, message: OutgoingMessage, identity: ChannelIdentity, now: datetime
    ) -> bool:
        """Tell whether the message may go now; if not, defer it or hold it.

        Not while the OA's tokens are unusable (this pass), nor against Zalo's rules.
        """
        if self._tokens_lost:
            await self._defer(message, now + TOKENS_RETRY, "Zalo tokens unusable")
            return False
        when = earliest_send(now, identity.last_inbound_at, self._capabilities, self._tz)
        if when is None and message.broadcast_id is not None:
            # An announcement is not kept for when they write: it is not free to send them
            # (Zalo's paid "tin truyền thông"); the broadcast's report counts it as failed.
            await self._undeliverable(message, "outside_window", "outside Zalo's free window")
            return False
        if when is None:
            await self._hold(message, "outside Zalo's free window")
            return False
        if when > now:
            await self._defer(message, when, "quiet hours")
            return False
        return True

    async def _make_calls(
        self, message: OutgoingMessage, calls: list[ZaloCall], user_id: str
    ) -> None:
        """Make the message's calls in order, from the first this process has not made."""
        assert message.id is not None
        done = self._progress.get(message.id, 0)
        if done < len(calls):
            await self._pace()
        for index, call in enumerate(calls):
            if index < done:
                continue
            await self._call(user_id, call)
            self._progress[message.id] = index + 1

    async def _call(self, user_id: str, call: ZaloCall) -> None:
        """Make one OA API call; a photo or a file is uploaded from the media store first."""
        client = self._client
        match call.kind:
            case CallKind.TEXT:
                await client.send_text(user_id, call.text)
            case CallKind.BUTTONS:
                await client.send_buttons(user_id, call.text, call.buttons)
            case CallKind.REQUEST_INFO:
                await client.request_user_info(user_id, title=call.title, subtitle=call.subtitle)
            case CallKind.IMAGE:
                data, name, kind = await self._media_of(call, "image/jpeg")
                attachment = await client.upload_image(data, filename=name, content_type=kind)
                await client.send_image(user_id, attachment, text=call.text)
            case CallKind.FILE:
                # A file carries no text; the renderer gives a caption a TEXT call of its own.
                data, name, kind = await self._media_of(call, "application/octet-stream")
                token = await client.upload_file(data, filename=name, content_type=kind)
                await client.send_file(user_id, token)

    async def _media_of(self, call: ZaloCall, default_type: str) -> tuple[bytes, str, str]:
        """Return the bytes, file name and content type of the media store's file a call names."""
        if call.media_key is None:
            raise ValueError("the call names no file of the media store")
        data = await self._media.read(call.media_key)
        name = call.file_name or call.media_key
        return data, name, mimetypes.guess_type(name)[0] or default_type

    async def _pace(self) -> None:
        """Wait for this message's turn: ``rate`` a second at most, whichever chat it goes to."""
        now = time.monotonic()
        turn = max(now, self._next_slot)
        if turn > now:
            await self._sleep(turn - now)
        self._next_slot = turn + self._interval

    # what became of a message -----------------------------------------------------------------

    async def _failed_attempt(self, message: OutgoingMessage, exc: Exception) -> None:
        """Record what an error of the message's calls means for it (see the module's text)."""
        now = self._clock()
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ZaloNightBan):
            await self._defer(message, self._night_ends(now), error)
        elif isinstance(exc, ZaloOutsideWindow):
            await self._hold(message, error)
        elif isinstance(exc, ZaloNotFollowing):
            await self._undeliverable(message, "blocked", error)
        elif isinstance(exc, ZaloRequestRefused | ValueError):
            log.error(
                "Zalo message %s (%s) to chat %s cannot go: %s",
                message.id,
                message.method,
                message.chat_id,
                _named(exc),
            )
            await self._undeliverable(message, "bad_request", error)
        elif isinstance(exc, FileNotFoundError):
            await self._undeliverable(message, "gone", "the media store has no such file")
        elif isinstance(exc, TokensMissing | AuthorisationLost):
            log.error(
                "Zalo messages wait: the OA's tokens are unusable (%s); authorise the app "
                "for the OA again (README, Zalo)",
                _named(exc),
            )
            self._tokens_lost = True  # the pass's other messages wait without asking Zalo
            await self._defer(message, now + TOKENS_RETRY, error)
        else:  # rate limited, unreachable, a token refused or not refreshed: try again
            log.warning("Zalo message %s to chat %s: %s", message.id, message.chat_id, _named(exc))
            await self._defer(message, self._back_off(message), error)

    def _night_ends(self, now: datetime) -> datetime:
        """Return when Zalo's night ban ends, as our rules see it; soon if they see day."""
        quiet = self._capabilities.quiet_hours
        local = now.astimezone(self._tz)
        if quiet is not None and quiet.contains(local.time()):
            return quiet.end_after(local)
        return now + NIGHT_BAN_RECHECK

    def _back_off(self, message: OutgoingMessage) -> datetime:
        """Return when to try the message again after a failure that is not its own."""
        return self._clock() + timedelta(seconds=back_off(message.attempts, self._random))

    async def _went(self, message: OutgoingMessage) -> None:
        """Record that every call of the message went (or delete it: ``forget_when_sent``)."""
        assert message.id is not None
        async with self._uow() as uow:
            if message.forget_when_sent:
                await uow.outbox.forget([message.id])
            else:
                await uow.outbox.mark_sent(message.id, at=self._clock(), sent_message_id=None)
            await uow.commit()
        self._progress.pop(message.id, None)

    async def _defer(self, message: OutgoingMessage, at: datetime, error: str) -> None:
        """Put the message back, not to be tried before ``at``."""
        assert message.id is not None
        async with self._uow() as uow:
            await uow.outbox.retry_later(message.id, at=at, error=error)
            await uow.commit()
        if self._next_retry is None or at < self._next_retry:
            self._next_retry = at

    async def _hold(self, message: OutgoingMessage, error: str) -> None:
        """Keep the message until the person writes again (their free window is closed)."""
        assert message.id is not None
        async with self._uow() as uow:
            await uow.outbox.hold(message.id, at=self._clock(), error=error)
            await uow.commit()

    async def _undeliverable(self, message: OutgoingMessage, failure: str, error: str) -> None:
        """Record that the message will never go, and why (as :mod:`bot.sender` names it)."""
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
        self._progress.pop(message.id, None)


def _named(exc: Exception) -> str:
    """Name an error for the logs: Zalo's code, never a text that might quote a message."""
    if isinstance(exc, ZaloError):
        return f"{type(exc).__name__} {exc.code}"
    return type(exc).__name__


# A message may name its recipient's Zalo id itself: the answer to an erasure, whose account
# the same transaction forgot (bot.conversations.erasure). It goes out once, then is deleted.
RECIPIENT = "zalo_recipient"


def _named_recipient(message: OutgoingMessage) -> ChannelIdentity | None:
    """Return the account a message names itself (written as they wrote: the window is open)."""
    external = message.params.get(RECIPIENT)
    if not isinstance(external, str) or not external or not message.forget_when_sent:
        return None
    return ChannelIdentity(
        Channel.ZALO,
        external,
        message.chat_id,
        message.created_at,
        last_inbound_at=message.created_at,
    )
