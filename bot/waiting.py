"""Waiting for a wake-up with a time limit, in loops that run until they are cancelled."""

from __future__ import annotations

import asyncio


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``; return whether it was set.

    Not ``asyncio.wait_for(event.wait(), seconds)``: on Python 3.11, a cancellation that
    arrives while the event is being set is swallowed there, and the loop around it goes on
    for ever (a shutdown that never ends: seen as a hung test). ``asyncio.timeout`` keeps
    the cancellation.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
