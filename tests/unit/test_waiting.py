"""A loop waiting for a wake-up ends when cancelled, even as the wake-up comes."""

from __future__ import annotations

import asyncio

import pytest

from bot.waiting import woken


async def test_the_event_or_the_time_limit_ends_the_wait() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 5) is True


async def test_a_loop_cancelled_as_it_is_woken_ends() -> None:
    """Python 3.11's ``wait_for(event.wait(), ...)`` swallows this cancellation: no end."""
    event = asyncio.Event()
    rounds = 0

    async def wait_for_ever() -> None:
        nonlocal rounds
        while True:
            event.clear()
            rounds += 1
            await asyncio.sleep(0)
            await woken(event, 5)

    task = asyncio.create_task(wait_for_ever())
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(task), 1)
    assert task.cancelled() and rounds == 1
