"""One send budget per bot token: Telegram's limits, shared by replies and broadcasts.

Telegram answers 429 ("retry after N seconds") to a bot that sends more than about 30
messages a second overall, more than about one a second to a private chat (short bursts
tolerated) or more than twenty a minute to a group. Replies (:class:`bot.sender.OutboxSender`)
and broadcasts (:class:`bot.bulk.BulkSender`) both draw their slots from one
:class:`SendBudget`, so together they stay under the limits and flood control is rarely met.

Replies come first. A reply books the next free slot at once, with a small burst allowed;
a broadcast message takes a slot only when one is free at that moment, so it yields to every
reply waiting. A chat that just got a broadcast message keeps a margin
(:data:`BULK_MARGIN`) before its next reply counts, and the other way round: the broadcast's
message and the reply are not answered at the same instant, and Telegram counts them when
they arrive, not when they were sent.

Only new messages count (``send*``, copies, forwards): edits and deletions, and the answers to
button presses, go at once, as Telegram's limits are stated for messages sent.

The budget belongs to a process. With several processes on one token, each is given its
share (``NTVT_SEND_RATE`` divided by the number of processes).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DEFAULT_RATE = 27.0  # messages a second overall: under Telegram's ~30, with room for jitter
BURST = 2  # messages a reply may use at once: rate + burst stays under 30 in any second
CHAT_INTERVAL = 1.0  # seconds between messages to one chat, over time
CHAT_BURST = 3  # a turn's few replies to one chat go at once ("short bursts are tolerated")
GROUP_PER_MINUTE = 20
GROUP_WINDOW = 60.0
BULK_MARGIN = 1.25  # seconds between a broadcast's message to a chat and any other to it
_PRUNE_EVERY = 10_000  # bookings between clean-ups of idle chats
_SEND_LIKE = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def is_new_message(method: str) -> bool:
    """Tell whether a Bot API call puts a new message in a chat (what per-chat limits count)."""
    return (method.startswith("send") and method != "sendChatAction") or method in _SEND_LIKE


@dataclass(slots=True)
class _Chat:
    # The earliest time (of a steady 1/s) the chat's next message is due: a message may go
    # chat_burst - 1 intervals before it.
    due: float = 0.0
    not_before: float = 0.0  # after a broadcast's message or a 429: nothing sooner
    group: deque[float] = field(default_factory=deque)  # a group's last minute of messages


class SendBudget:
    """Slots to send at Telegram's limits, for one process of one bot (see the module).

    ``chat_interval`` and ``chat_burst``: the pace of one chat (Telegram: about a second, after
    a short burst). The pure part (:meth:`reply_ready_at`, :meth:`book_reply`,
    :meth:`try_bulk`, :meth:`flood`) takes the time as an argument; :meth:`reply` and
    :meth:`bulk` wait with ``clock`` and ``sleep`` (monotonic seconds).
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        burst: int = BURST,
        chat_interval: float = CHAT_INTERVAL,
        chat_burst: int = CHAT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the send rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._tolerance = (max(1, burst) - 1) * self._interval
        self._chat_interval = chat_interval
        self._chat_tolerance = (max(1, chat_burst) - 1) * chat_interval
        self._clock = clock
        self._sleep = sleep
        self._due = 0.0  # the overall schedule: the next slot of a steady rate
        self._chats: dict[int, _Chat] = {}
        self._bookings = 0
        self.flood_waits = 0  # 429 answers reported (:meth:`flood`)
        self._unanswered = False  # a call failed (network, 5xx) and none succeeded since
        self._listeners: list[Callable[[], None]] = []

    # Telegram's health, as every sender of the process sees it ----------------------------

    def failed(self) -> None:
        """Note that a call got no answer, or a 5xx: Telegram may be down."""
        self._unanswered = True

    def answered(self) -> None:
        """Note that Telegram answered a call; if calls failed before, tell who waits for it."""
        if self._unanswered:
            self._unanswered = False
            for listener in list(self._listeners):
                listener()

    @property
    def unanswered(self) -> bool:
        """Whether the last calls failed and none succeeded since (an outage, perhaps)."""
        return self._unanswered

    def on_answer_after_failures(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` each time Telegram answers after calls failed (see :meth:`failed`)."""
        self._listeners.append(listener)

    # the pure part ------------------------------------------------------------------------

    def reply_ready_at(self, chat_id: int, now: float) -> float:
        """Return when a reply to the chat may book a slot (``now`` if it may now)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return now
        ready = max(now, chat.not_before, chat.due - self._chat_tolerance)
        return max(ready, self._group_ready(chat_id, chat, now))

    def book_reply(self, chat_id: int, now: float) -> float:
        """Book the next overall slot for a reply whose chat is ready; return its time."""
        at = max(now, self._due - self._tolerance)
        self._due = max(self._due, at) + self._interval
        self._book_chat(chat_id, at, not_before=0.0)
        return at

    def try_bulk(self, chat_id: int, now: float, *, overall: bool = True) -> float:
        """Book a slot now for a broadcast's message if one is free; else return the wait.

        A broadcast's message uses no burst and waits for every reply booked: it goes only
        when the overall schedule is free now, and the chat has been quiet for
        :data:`BULK_MARGIN`. ``overall=False`` (paid broadcasts, not bound by the overall
        limit) looks at the chat only. Return 0.0 when booked.
        """
        chat = self._chats.get(chat_id)
        ready = now
        if chat is not None:
            ready = max(ready, chat.not_before, chat.due - self._chat_interval + BULK_MARGIN)
            ready = max(ready, self._group_ready(chat_id, chat, now))
        if overall:
            ready = max(ready, self._due)
        if ready > now:
            return ready - now
        if overall:
            self._due = max(self._due, now) + self._interval
        self._book_chat(chat_id, now, not_before=now + BULK_MARGIN)
        return 0.0

    def flood(self, chat_id: int, now: float, retry_after: float) -> None:
        """Telegram answered 429 for the chat: nothing more goes to it for ``retry_after``."""
        self.flood_waits += 1
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.not_before = max(chat.not_before, now + retry_after)

    def chat_free(self, chat_id: int, now: float) -> bool:
        """Tell whether a broadcast's message to the chat could go now, as far as it counts."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return True
        ready = max(chat.not_before, chat.due - self._chat_interval + BULK_MARGIN)
        return max(ready, self._group_ready(chat_id, chat, now)) <= now

    # waiting ------------------------------------------------------------------------------

    async def reply(self, chat_id: int, method: str = "sendMessage") -> None:
        """Wait for a slot for a reply (or a notice) to the chat, and take it.

        Only new messages wait (:func:`is_new_message`): Telegram's limits count messages, and
        an edit or a deletion (a button pressed) goes at once.
        """
        if not is_new_message(method):
            return
        while True:
            now = self._clock()
            ready = self.reply_ready_at(chat_id, now)
            if ready <= now:
                break
            await self._sleep(ready - now)
        at = self.book_reply(chat_id, now)
        if at > now:
            await self._sleep(at - now)

    async def bulk(self, chat_id: int, *, overall: bool = True) -> None:
        """Wait for a slot for a broadcast's message to the chat (after replies), and take it."""
        while True:
            wait = self.try_bulk(chat_id, self._clock(), overall=overall)
            if wait <= 0:
                return
            await self._sleep(wait)

    # internals ----------------------------------------------------------------------------

    @staticmethod
    def _group_ready(chat_id: int, chat: _Chat, now: float) -> float:
        if chat_id >= 0:
            return now
        window = chat.group
        while window and window[0] <= now - GROUP_WINDOW:
            window.popleft()
        return window[0] + GROUP_WINDOW if len(window) >= GROUP_PER_MINUTE else now

    def _book_chat(self, chat_id: int, at: float, *, not_before: float) -> None:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.due = max(chat.due, at) + self._chat_interval
        chat.not_before = max(chat.not_before, not_before)
        if chat_id < 0:
            chat.group.append(at)
        self._bookings += 1
        if self._bookings % _PRUNE_EVERY == 0:
            self._prune(at)

    def _prune(self, now: float) -> None:
        """Forget chats with nothing to remember: quiet for longer than any limit looks back."""
        quiet = now - GROUP_WINDOW
        self._chats = {
            chat_id: chat
            for chat_id, chat in self._chats.items()
            if chat.due > quiet or chat.not_before > now or (chat.group and chat.group[-1] > quiet)
        }
