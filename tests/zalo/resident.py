"""A resident on Zalo, as the tests drive one: types, taps buttons, reads what the OA sent."""

from __future__ import annotations

import asyncio
import re

from bot.zalo.local_api import LocalZaloOA
from bot.zalo.local_api.server import SentMessage

WAIT = 10.0
_NUMBERED = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


class ZaloResident:
    """One person of the local OA: what they send goes through the signed webhook."""

    def __init__(self, zalo: LocalZaloOA, user_id: str) -> None:
        self.zalo = zalo
        self.user_id = user_id
        self._read = 0

    @property
    def inbox(self) -> list[SentMessage]:
        """Everything the OA sent them, oldest first."""
        return self.zalo.messages_to(self.user_id)

    async def next_messages(self, count: int = 1, *, within: float = WAIT) -> list[SentMessage]:
        """Wait for ``count`` messages after those read so far; return them."""
        deadline = asyncio.get_running_loop().time() + within
        while len(self.inbox) < self._read + count:
            if asyncio.get_running_loop().time() > deadline:
                texts = [m.text[:80] for m in self.inbox[self._read :]]
                raise AssertionError(f"{count} messages awaited, {len(texts)} came: {texts}")
            await asyncio.sleep(0.02)
        got = self.inbox[self._read : self._read + count]
        self._read += count
        return got

    async def next_message(self, *, within: float = WAIT) -> SentMessage:
        """Wait for the next message; return it."""
        (message,) = await self.next_messages(1, within=within)
        return message

    async def quiet(self, seconds: float = 0.5) -> list[SentMessage]:
        """Wait ``seconds``; return what came meanwhile (marked read)."""
        await asyncio.sleep(seconds)
        got = self.inbox[self._read :]
        self._read = len(self.inbox)
        return got

    async def say(self, text: str) -> None:
        """Type ``text``."""
        assert await self.zalo.send_text(self.user_id, text) == 200

    async def tap(self, label: str) -> None:
        """Tap the button ``label`` of the latest message with buttons, or type its number.

        Zalo shows at most five buttons; more choices come as a numbered list, answered by
        typing the number.
        """
        for message in reversed(self.inbox):
            for title, payload in message.buttons:
                if title == label:
                    assert await self.zalo.press(self.user_id, payload) == 200
                    return
            numbered = dict(
                (text.strip(), number) for number, text in _NUMBERED.findall(message.text)
            )
            if label in numbered:
                await self.say(numbered[label])
                return
        raise AssertionError(f"no button {label!r} in {[m.buttons for m in self.inbox[-3:]]}")
