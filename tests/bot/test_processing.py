"""The update processor keeps each chat's order and lets other chats through."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.processing import ChatOrderedProcessor
from tests.bot.updates import payload


def _update(update_id: int, chat_id: int) -> Update:
    update = Update.de_json(payload(update_id, chat_id), None)
    assert update is not None
    return update


async def test_updates_of_one_chat_are_processed_in_order() -> None:
    processor = ChatOrderedProcessor(workers=8)
    await processor.initialize()
    seen: list[int] = []

    async def work(n: int) -> None:
        # Later updates finish faster: only the chat lock keeps them in order.
        await asyncio.sleep(0.01 * (5 - n))
        seen.append(n)

    await asyncio.gather(
        *(processor.process_update(_update(n, chat_id=7), work(n)) for n in range(5))
    )
    assert seen == [0, 1, 2, 3, 4]
    assert processor.chats_in_progress == 0


async def test_a_burst_from_one_chat_does_not_starve_another() -> None:
    processor = ChatOrderedProcessor(workers=2)
    await processor.initialize()
    finished: list[tuple[int, int]] = []
    release = asyncio.Event()

    async def slow(n: int) -> None:
        await release.wait()
        finished.append((1, n))

    async def quick() -> None:
        finished.append((2, 0))

    burst = [
        asyncio.create_task(processor.process_update(_update(n, chat_id=1), slow(n)))
        for n in range(50)
    ]
    await asyncio.sleep(0.01)
    other = asyncio.create_task(processor.process_update(_update(100, chat_id=2), quick()))
    await asyncio.wait_for(other, timeout=1)
    assert finished == [(2, 0)]
    release.set()
    await asyncio.gather(*burst)
    assert [n for chat, n in finished if chat == 1] == list(range(50))
