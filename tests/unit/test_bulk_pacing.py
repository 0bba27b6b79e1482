"""The bulk sender's pacing: one message a second per chat, twenty a minute per group."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot import bulk
from bot.bulk import GROUP_PER_MINUTE, BulkSender
from core.outbox import OutgoingMessage

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sender(ticks: Ticks, rate: float = 25.0) -> BulkSender:
    return BulkSender(cast(Any, None), cast(Any, None), rate=rate, monotonic=ticks)


def _messages(*chats: int) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(chat, "sendMessage", {"chat_id": chat}, NOW, id=n)
        for n, chat in enumerate(chats, 1)
    ]


def test_a_chat_gets_at_most_one_message_a_second() -> None:
    ticks = Ticks()
    sender = _sender(ticks)
    chosen = sender._sendable(_messages(1, 2, 1, 3))
    assert [m.chat_id for m in chosen] == [1, 2, 3]  # chat 1's second message waits
    for message in chosen:
        sender._last_sent[message.chat_id] = ticks.now
    ticks.now += 0.5
    assert sender._sendable(_messages(1, 4)) == _messages(1, 4)[1:]
    ticks.now += 0.6
    assert [m.chat_id for m in sender._sendable(_messages(1, 4))] == [1, 4]


def test_a_group_gets_at_most_twenty_a_minute() -> None:
    ticks = Ticks()
    sender = _sender(ticks)
    for _ in range(GROUP_PER_MINUTE):
        ticks.now += 1.5
        assert sender._sendable(_messages(-100)), "under the group's limit"
        sender._last_sent[-100] = ticks.now
        sender._note_sent(-100)
    ticks.now += 1.5
    assert sender._sendable(_messages(-100)) == []
    ticks.now += 60
    assert len(sender._sendable(_messages(-100))) == 1


async def test_the_rate_holds_over_any_second(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = Ticks()
    sender = _sender(ticks, rate=10)

    async def sleep(seconds: float) -> None:
        ticks.now += seconds + 0.003  # sleeping always overshoots a little

    monkeypatch.setattr(bulk, "asyncio", SimpleNamespace(sleep=sleep))
    starts = []
    for _ in range(30):
        await sender._wait_turn()
        starts.append(ticks.now)
        ticks.now += 0.01  # much faster than the rate: the pacing must hold them back
    assert max(sum(1 for s in starts if t <= s < t + 1) for t in starts) <= 11
    assert 30 / (starts[-1] - starts[0] + 0.1) >= 9.5  # and the overshoot is not lost


async def test_slots_missed_while_held_up_are_made_up_a_little_faster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticks = Ticks()
    sender = _sender(ticks, rate=10)

    async def sleep(seconds: float) -> None:
        ticks.now += seconds + 0.003

    monkeypatch.setattr(bulk, "asyncio", SimpleNamespace(sleep=sleep))
    starts = []
    for n in range(200):
        await sender._wait_turn()
        starts.append(ticks.now)
        ticks.now += 0.6 if n == 10 else 0.01  # held up once for more than half a second
    # 200 sends at 10 a second: as long as they would have taken without the hold-up...
    assert starts[-1] - starts[0] <= 199 / 10 + 0.05
    # ... and never more than 1 + CATCH_UP of the rate in any second (a whole message).
    assert max(sum(1 for s in starts if t <= s < t + 1) for t in starts) <= math.ceil(10 * 1.05)


async def test_a_flood_control_pause_is_not_made_up(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = Ticks()
    sender = _sender(ticks, rate=10)

    async def sleep(seconds: float) -> None:
        ticks.now += seconds

    monkeypatch.setattr(bulk, "asyncio", SimpleNamespace(sleep=sleep))
    await sender._wait_turn()
    sender._paused_until = ticks.now + 0.8  # retry_after
    starts = []
    for _ in range(10):
        await sender._wait_turn()
        starts.append(ticks.now)
    assert starts[0] >= sender._paused_until
    assert starts[-1] - starts[0] >= 9 / 10 - 1e-9  # at the rate after it, not faster


def test_the_duplicates_a_crash_can_cause_are_bounded() -> None:
    sender = _sender(Ticks(), rate=25)
    assert sender.max_in_flight == 25
    assert sender.max_duplicates == 25 + 7
