"""Sends what the outbox holds, in order per chat, and records what Telegram answered."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# A reply waits at most this long for Telegram's flood control before it is left for a retry.
MAX_REPLY_WAIT_SECONDS = 30.0
MAX_ATTEMPTS = 5
# A message taken for sending this long ago by a sender that never finished is sent again.
STALE_CLAIM = timedelta(minutes=2)
_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ALREADY_DONE = ("message is not modified", "message to delete not found")


# Who takes messages for sending: this process on this host.
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def dead_here(claimers: set[str]) -> list[str]:
    """Return the claimers that were processes of this host that no longer run."""
    host = socket.gethostname()
    dead = []
    for claimer in claimers:
        name, _, pid = claimer.rpartition(":")
        if name != host or not pid.isdigit() or claimer == PROCESS:
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(claimer)
        except PermissionError:
            pass  # alive, another user's
    return dead


class OutboxSender:
    """Delivers pending outgoing messages; a message is marked sent only after Telegram took it.

    Only messages in flight when the process dies can be sent twice; none is lost.
    """

    def __init__(
        self, bot: Bot, uow_factory: Callable[[], UnitOfWork], clock: Callable[[], datetime]
    ) -> None:
        self._bot = bot
        self._uow = uow_factory
        self._clock = clock

    async def flush_chat(self, chat_id: int) -> None:
        """Send the chat's pending messages in order, stopping at the first that must wait.

        Another sender (another process's turn in this chat) may hold one of them: then this
        one stops and leaves the rest to it, which looks again when it is done; so a chat's
        messages leave in order even when two processes serve it.
        """
        while True:
            async with self._uow() as uow:
                messages = await uow.outbox.sendable(chat_id, limit=100)
            if not messages:
                return
            for message in messages:
                if not await self._send(message):
                    return

    async def send_ids(self, ids: list[int]) -> None:
        """Send the given queued messages (notices just written), in order per chat."""
        wanted = set(ids)
        async with self._uow() as uow:
            messages = [m for m in await uow.outbox.pending(limit=100_000) if m.id in wanted]
        blocked: set[int] = set()
        for message in messages:
            if message.chat_id not in blocked and not await self._send(message):
                blocked.add(message.chat_id)

    async def flush_all(self, *, min_age: timedelta = timedelta(0)) -> int:
        """Send every pending message at least ``min_age`` old; return how many were attempted.

        Run at start (everything) and every minute (what a chat's own turn did not send: a
        network failure, a process that died). Messages another sender took but never
        finished are put back first.
        """
        now = self._clock()
        async with self._uow() as uow:
            await uow.outbox.release_claims(dead_here(await uow.outbox.claimers()))
            await uow.outbox.release_stale(older_than=now - STALE_CLAIM)
            await uow.commit()
        async with self._uow() as uow:
            messages = [
                m for m in await uow.outbox.pending(limit=10_000) if m.created_at <= now - min_age
            ]
        blocked: set[int] = set()
        for message in messages:
            if message.chat_id in blocked:
                continue
            if not await self._send(message):
                blocked.add(message.chat_id)
        return len(messages)

    async def _send(self, message: OutgoingMessage) -> bool:
        assert message.id is not None
        async with self._uow() as uow:
            taken = await uow.outbox.claim(message.id, at=self._clock(), by=PROCESS)
            await uow.commit()
        if not taken:
            return False  # another sender has it (and goes on after it), or it went already
        for _ in range(2):
            try:
                result = await self._call(message)
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
                    await self._sent(message, None)
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
            await self._sent(message, _message_id(result))
            return True
        await self._failed(message, "flood control twice in a row", final=False)
        return False

    async def _call(self, message: OutgoingMessage) -> Any:
        """Make the Bot API call through PTB's typed method of the same name."""
        method = getattr(self._bot, _SNAKE.sub("_", message.method).lower(), None)
        if method is None:
            raise ValueError(f"no Bot API method {message.method!r} in PTB")
        return await method(**message.params)

    async def _sent(self, message: OutgoingMessage, sent_message_id: int | None) -> None:
        assert message.id is not None
        async with self._uow() as uow:
            await uow.outbox.mark_sent(
                message.id, at=self._clock(), sent_message_id=sent_message_id
            )
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
    return result.message_id if isinstance(result, Message) else None


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
