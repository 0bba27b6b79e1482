"""The shared send budget: Telegram's limits over replies and broadcasts, replies first."""

from __future__ import annotations

import asyncio

import pytest

from bot.budget import BULK_MARGIN, GROUP_PER_MINUTE, SendBudget, is_new_message


class Ticks:
    """A monotonic clock the test moves; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0 - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_replies_to_many_chats_keep_the_overall_rate_after_a_small_burst() -> None:
    budget = SendBudget(27.0, burst=3)
    now = 1000.0
    times = [budget.book_reply(chat, now) for chat in range(1, 101)]
    assert times[:3] == pytest.approx([now, now, now])  # the burst
    assert times[3] > now + 0.01
    assert _most_in_a_second(times) <= 27 + 3
    assert times[-1] - times[0] >= (100 - 3) / 27 - 1e-9


def test_a_private_chat_gets_a_short_burst_then_one_message_a_second() -> None:
    budget = SendBudget(27.0)
    now = 1000.0
    for _ in range(3):
        assert budget.reply_ready_at(7, now) == now
        budget.book_reply(7, now)
    assert budget.reply_ready_at(7, now) == now + 1.0
    assert budget.reply_ready_at(8, now) == now, "another chat is not held up"


def test_a_group_gets_twenty_messages_a_minute() -> None:
    budget = SendBudget(27.0)
    now = 1000.0
    for _ in range(GROUP_PER_MINUTE):
        now = budget.reply_ready_at(-100, now)
        budget.book_reply(-100, now)
    first = 1000.0
    assert budget.reply_ready_at(-100, now) == first + 60.0


def test_a_broadcast_message_yields_to_replies_booked_ahead() -> None:
    budget = SendBudget(10.0, burst=3)
    now = 1000.0
    for chat in (1, 2, 3, 4):
        budget.book_reply(chat, now)
    wait = budget.try_bulk(50, now)
    assert wait > 0, "the replies' slots come first"
    later = now + wait
    assert budget.try_bulk(50, later) == 0.0
    # A reply arriving now still gets a slot within its burst; the broadcast needs a free one.
    assert budget.book_reply(5, later) <= later + 0.1 + 1e-9
    assert budget.try_bulk(51, later) > 0


def test_a_chat_that_just_got_a_broadcast_message_keeps_a_margin_before_a_reply() -> None:
    budget = SendBudget(27.0)
    now = 1000.0
    assert budget.try_bulk(7, now) == 0.0
    assert budget.reply_ready_at(7, now + 0.5) == now + BULK_MARGIN
    assert budget.reply_ready_at(8, now + 0.5) == now + 0.5


def test_a_broadcast_message_waits_for_a_chat_that_just_got_a_reply() -> None:
    budget = SendBudget(27.0)
    now = 1000.0
    budget.book_reply(7, now)
    assert budget.try_bulk(7, now + 0.5) > 0
    assert not budget.chat_free(7, now + 0.5)
    assert budget.chat_free(7, now + BULK_MARGIN)
    assert budget.try_bulk(7, now + BULK_MARGIN) == 0.0


def test_paid_broadcasts_look_at_the_chat_only() -> None:
    budget = SendBudget(1.0)
    now = 1000.0
    assert budget.try_bulk(1, now, overall=False) == 0.0
    assert budget.try_bulk(2, now, overall=False) == 0.0
    assert budget.try_bulk(3, now) == 0.0  # the overall schedule is untouched by paid ones


def test_flood_control_holds_the_chat_for_retry_after() -> None:
    budget = SendBudget(27.0)
    budget.flood(7, 1000.0, 3.0)
    assert budget.reply_ready_at(7, 1000.0) == 1003.0
    assert budget.try_bulk(7, 1002.0) > 0
    assert budget.flood_waits == 1


def test_waiting_for_a_reply_slot_sleeps_until_the_chat_and_the_rate_allow() -> None:
    ticks = Ticks()
    budget = SendBudget(27.0, clock=ticks, sleep=ticks.sleep)

    async def four_replies() -> None:
        for _ in range(4):
            await budget.reply(7, "sendMessage")

    asyncio.run(four_replies())
    assert ticks.now == 1001.0  # three at once, the fourth a second later
    asyncio.run(budget.reply(7, "editMessageReplyMarkup"))
    assert ticks.now == 1001.0, "an edit is not a new message: it goes at once"
    start = ticks.now
    asyncio.run(budget.bulk(7))
    assert ticks.now >= start + BULK_MARGIN - 1e-9


def test_idle_chats_are_forgotten() -> None:
    budget = SendBudget(1000.0)
    for chat in range(10_000):
        budget.book_reply(chat, 1000.0)
    for chat in range(10_000, 20_000):
        budget.book_reply(chat, 2000.0)
    assert len(budget._chats) <= 10_000, "the chats quiet for a minute and more are gone"


def test_new_messages_are_sends_copies_and_forwards() -> None:
    assert is_new_message("sendPhoto") and is_new_message("copyMessage")
    assert not is_new_message("sendChatAction")
    assert not is_new_message("editMessageReplyMarkup")
