"""Broadcasts leave through the paced bulk sender: once per subscriber, within Telegram's limits."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from core.broadcasts import Audience, Broadcast, BroadcastStatus, Outcome, create, report
from tests.bot.audience import add_subscribers
from tests.bot.conftest import FakeClock, RunningBot

ANNOUNCEMENT = "Phát động phong trào <Người tốt> & việc tốt tháng 12."


async def _launch(rt: Runtime, text: str = ANNOUNCEMENT, **fields: object) -> int:
    async with rt.uow() as uow:
        broadcast = await create(
            uow,
            Broadcast(text, Audience.parse(str(fields.pop("audience", "all"))), rt.clock(), **fields),  # type: ignore[arg-type]
            actor=None,
            today=rt.today(),
        )
        await uow.commit()
    assert broadcast.id is not None and rt.bulk is not None
    rt.bulk.wake()
    return broadcast.id


async def _until_done(rt: Runtime, broadcast_id: int, timeout: float = 60.0) -> None:
    async def done() -> None:
        while True:
            async with rt.uow() as uow:
                found = await uow.broadcasts.get(broadcast_id)
            assert found is not None
            if found.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(done(), timeout)


def _announcements(api: LocalBotApi) -> Counter[int]:
    return Counter(
        call.params["chat_id"]
        for call in api.calls_for("sendMessage")
        if call.ok and "Người tốt" in call.params.get("text", "")
    )


async def test_every_subscriber_gets_it_once_and_blocked_ones_become_inactive(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    ids = await add_subscribers(api, rt, range(50_001, 50_061), now=clock.now)
    for user_id in ids[:5]:
        await api.users[user_id].block_bot()
    await api.wait_until_idle()
    broadcast_id = await _launch(rt)
    await _until_done(rt, broadcast_id)

    received = _announcements(api)
    assert set(received) == set(ids[5:]) and set(received.values()) == {1}
    text = next(c for c in api.calls_for("sendMessage") if c.params["chat_id"] == ids[9])
    assert "&lt;Người tốt&gt; &amp; việc tốt" in text.params["text"]  # escaped, not markup
    result = await _report(rt, broadcast_id)
    assert result.count(Outcome.DELIVERED) == 55
    assert result.count(Outcome.BLOCKED) == 0  # the kick was seen before: never queued
    assert result.broadcast.recipients == 55

    # Blocking after the audience was taken: Telegram answers 403, the chat becomes inactive.
    await api.users[ids[10]].block_bot()
    await api.wait_until_idle()
    async with rt.uow() as uow:
        await uow.subscriptions.set_blocked(ids[10], at=None)  # as if the kick was missed
        await uow.commit()
    second = await _launch(rt, "Lần hai: Người tốt")
    await _until_done(rt, second)
    result = await _report(rt, second)
    assert result.count(Outcome.BLOCKED) == 1 and result.count(Outcome.DELIVERED) == 54
    async with rt.uow() as uow:
        assert await uow.subscriptions.is_blocked(ids[10])


async def _report(rt: Runtime, broadcast_id: int):  # type: ignore[no-untyped-def]
    async with rt.uow() as uow:
        return await report(uow, broadcast_id)
