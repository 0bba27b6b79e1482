"""Update processing: concurrent across chats, strictly in order within a chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# PTB takes one of these slots before our per-chat lock, so a burst from one chat waiting on
# its lock must not be able to fill them all: keep it far above the real worker count.
OUTER_SLOTS = 100_000


class _ChatQueue:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def ordering_key(update: Update) -> Hashable:
    """Return what must be processed in order: the chat, else the user, else the update."""
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return ("update", update.update_id)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Processes updates of different chats at once and those of one chat one after another.

    A chat's updates wait on that chat's FIFO lock; only then do they take one of ``workers``
    slots, so a chat flooding the bot queues behind itself and never starves the others.
    Updates reach it stored already (see :mod:`bot.journal`), so a crash loses none.
    """

    def __init__(self, workers: int) -> None:
        super().__init__(max_concurrent_updates=OUTER_SLOTS)
        self._worker_count = workers
        self._workers: asyncio.Semaphore | None = None
        self._chats: dict[Hashable, _ChatQueue] = {}

    @property
    def chats_in_progress(self) -> int:
        """Return how many chats have updates being processed or waiting."""
        return len(self._chats)

    async def initialize(self) -> None:
        """Create the worker slots inside the running event loop."""
        self._workers = asyncio.Semaphore(self._worker_count)

    async def shutdown(self) -> None:
        """Nothing to release: waiting updates finish through PTB's own shutdown."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once the update's chat is free and a worker slot is."""
        if not isinstance(update, Update):
            await coroutine
            return
        key = ordering_key(update)
        queue = self._chats.get(key)
        if queue is None:
            queue = self._chats[key] = _ChatQueue()
        queue.users += 1
        try:
            async with queue.lock:
                if self._workers is None:
                    await self.initialize()
                assert self._workers is not None
                async with self._workers:
                    await coroutine
        finally:
            queue.users -= 1
            if queue.users == 0:
                del self._chats[key]


# Update fields that carry a chat, in the Bot API's words.
_CHAT_FIELDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "chat_boost",
)


def chat_of(payload: dict[str, Any]) -> int | None:
    """Return the chat an update (as JSON) belongs to, or None (inline queries, polls...)."""
    for name in _CHAT_FIELDS:
        part = payload.get(name)
        if isinstance(part, dict) and isinstance(part.get("chat"), dict):
            chat_id = part["chat"].get("id")
            return chat_id if isinstance(chat_id, int) else None
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            chat_id = message["chat"].get("id")
            return chat_id if isinstance(chat_id, int) else None
    return None
