"""Residents nominating at once through the fake Bot API, as the failover test and bench see them.

Each resident goes through the whole nomination, waiting for the bot's answer before the next
step, as a person does (a question edited into the next one is an answer too). A message
that comes again (the same text and buttons as one they had: the sender repeated it) is
counted, not taken for the answer. When a server is stopped, :func:`stopped_turns` tells whose
turn it held and how long each of them waited.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.local_api import ChatEvent, LocalBotApi, SimUser
from tests.bot.flows import DEED
from tests.e2e.proxy import RoundRobinProxy

STEP_TIMEOUT = 180.0
# (press a button | type a text | a command, what, the bot's messages in answer): welcome
# and privacy notice; the consent's answer; /nominate's first question; the ten steps (the
# place and phone steps, left, say what they took with the main menu, then ask on); the code.
STEPS: tuple[tuple[str, str, int], ...] = (
    ("command", "/start", 2),
    ("press", "✅ Tôi đồng ý", 1),
    ("command", "/nominate", 1),
    ("press", "👤 Cá nhân", 1),
    ("text", "Nguyễn Văn Bình", 1),
    ("press", "Người dân", 1),
    ("text", DEED, 1),
    ("press", "Hôm qua", 1),
    ("text", "hoan kiem", 1),
    ("press", "Bỏ qua", 2),
    ("press", "Bỏ qua", 1),
    ("press", "Bỏ qua", 2),
    ("press", "Không cần", 1),
    ("press", "✅ Gửi", 1),
)


@dataclass
class Resident:
    """One resident's chat: when they acted and what the bot sent them."""

    user: SimUser
    step_timeout: float = STEP_TIMEOUT
    acted: list[float] = field(default_factory=list)
    received: list[tuple[float, str]] = field(default_factory=list)  # (time, text)
    repeated: int = 0  # messages that came again (the same text and buttons as one before)
    finished: bool = False
    _seen: set[str] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def nominate(self, steps: int = len(STEPS)) -> None:
        """The nomination's first ``steps`` (all of it), each after the bot's answer."""
        expected = 0
        for act, answer, replies in STEPS[:steps]:
            self.acted.append(time.monotonic())
            if act == "press":
                await self.user.press(answer)
            elif act == "command":
                await self.user.send_command(answer)
            else:
                await self.user.send_text(answer)
            expected += replies
            await self._wait(expected)
        self.finished = True

    async def _wait(self, total: int) -> None:
        deadline = time.monotonic() + self.step_timeout
        while len(self.received) < total:
            self._wake.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply in chat {self.user.chat_id}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)

    def got(self, text: str, keyboard: object) -> None:
        """Note a message from the bot; one sent again is counted, not waited for."""
        key = f"{text}\n{keyboard!r}"
        if key in self._seen:
            self.repeated += 1
            return
        self._seen.add(key)
        self.received.append((time.monotonic(), text))
        self._wake.set()

    def waiting_at(self, moment: float) -> bool:
        """Tell whether the resident had acted and not yet been answered at ``moment``."""
        last_act = max((t for t in self.acted if t <= moment), default=None)
        if last_act is None:
            return False
        return not any(last_act <= t <= moment for t, _ in self.received)

    def answered_after(self, moment: float) -> float | None:
        """Return when the first message new to this chat arrived after ``moment``."""
        return next((t for t, _ in self.received if t > moment), None)


def listen(api: LocalBotApi, residents: Mapping[int, Resident]) -> None:
    """Have every message the bot sends to a resident's chat noted by that resident."""

    def on_event(event: ChatEvent) -> None:
        resident = residents.get(event.chat_id)
        message = event.message
        if resident is None or message is None:
            return
        # A press is answered in place: the pressed question edited into the next one. An
        # edit that only takes the buttons away is no answer.
        asked_anew = event.kind == "edited" and bool(message.history)
        if asked_anew and message.history[-1].get("text") == message.text:
            return
        if event.kind == "sent" or asked_anew:
            resident.got(message.text or "", message.inline_keyboard)

    api.add_listener(on_event)


def stopped_turns(
    residents: Iterable[Resident], proxy: RoundRobinProxy, stopped: str, moment: float
) -> tuple[list[float], int, int]:
    """Return the waits of the residents whose turn ``stopped`` held at ``moment``.

    A resident waiting for an answer at ``moment`` whose last update went first to the
    stopped server (it stored it, processed it, or had its reply in hand): the seconds from
    ``moment`` to their next answer, sorted; how many of them were never answered; and how
    many residents were waiting at all.
    """
    waits: list[float] = []
    unanswered = waiting = 0
    for resident in residents:
        if not resident.waiting_at(moment):
            continue
        waiting += 1
        chat_id = resident.user.chat_id
        last = max(
            (u for u in proxy.updates.values() if u.chat_id == chat_id and u.first_at <= moment),
            key=lambda u: u.first_at,
            default=None,
        )
        if last is None or last.first_backend != stopped:
            continue
        answered = resident.answered_after(moment)
        if answered is None:
            unanswered += 1
        else:
            waits.append(answered - moment)
    return sorted(waits), unanswered, waiting
