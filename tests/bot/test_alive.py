"""Several processes on PostgreSQL: what a process that died had taken for sending goes out.

Each process renews a lease saying it is alive every heartbeat; the next heartbeat of another
takes over what a process whose lease lapsed held (bot.failover); the outbox sweep is the
fallback (on another host: on this one, its pid tells).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import pytest

from bot.app import BotApplication, queue_stored
from bot.failover import PeerWatch
from bot.local_api import LocalBotApi
from bot.notices import SWEEP_AGE
from bot.runtime import Runtime
from bot.sender import ALIVE, ALIVE_SECONDS
from tests.bot.conftest import OTHER_PROCESS, FakeClock, RunningBot, taken_elsewhere
from tests.bot.updates import HELP

pytestmark = pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)

StartBot = Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]]


@pytest.fixture
async def shared_bot(bot: RunningBot) -> AsyncIterator[RunningBot]:
    sender = bot.runtime.sender
    assert sender is not None and sender.shared, "PostgreSQL: processes share the outbox"
    yield bot


async def _sweep(bot: RunningBot) -> None:
    sender = bot.runtime.sender
    assert sender is not None
    await sender.flush_all(min_age=SWEEP_AGE)


async def test_a_message_taken_by_a_process_no_longer_alive_is_sent_by_the_sweep(
    api: LocalBotApi, shared_bot: RunningBot
) -> None:
    user = api.user(931, "Khánh")
    await taken_elsewhere(
        shared_bot, user.chat_id, "Thư đang gửi dở", ago=timedelta(seconds=ALIVE_SECONDS + 5)
    )

    await _sweep(shared_bot)

    sent = await user.next_message(timeout=3)
    assert sent.text == "Thư đang gửi dở"


async def test_a_message_an_alive_process_holds_is_left_to_it(
    api: LocalBotApi, shared_bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(932, "Lộc")
    # The lease first: the bot's own start-up sweep may run at any moment after it.
    async with shared_bot.runtime.uow() as uow:
        await uow.leases.acquire(ALIVE + "other", OTHER_PROCESS, now=clock(), seconds=ALIVE_SECONDS)
        await uow.commit()
    await taken_elsewhere(
        shared_bot, user.chat_id, "Thư đang gửi", ago=timedelta(seconds=ALIVE_SECONDS + 5)
    )

    await _sweep(shared_bot)
    await api.wait_until_idle(timeout=2, quiet=0.3)

    assert user.messages == [], "the process that took it is alive: it sends it"


async def test_a_message_just_taken_is_left_even_by_a_process_not_known_alive(
    api: LocalBotApi, shared_bot: RunningBot
) -> None:
    user = api.user(933, "Mai")
    await taken_elsewhere(shared_bot, user.chat_id, "Thư vừa nhận", ago=SWEEP_AGE)

    await _sweep(shared_bot)
    await api.wait_until_idle(timeout=2, quiet=0.3)

    assert user.messages == [], "an older process may not say it is alive: it gets time"


async def test_a_running_process_says_it_is_alive_and_gone_when_it_stops(
    start_bot: StartBot, clock: FakeClock
) -> None:
    async with start_bot() as (_application, runtime):
        sender = runtime.sender
        assert sender is not None
        async with runtime.uow() as uow:
            assert sender.name in await uow.leases.holders(ALIVE, now=clock())

    async with runtime.uow() as uow:
        assert sender.name not in await uow.leases.holders(ALIVE, now=clock())


async def test_what_a_gone_process_held_is_sent_and_processed_at_the_next_heartbeat(
    api: LocalBotApi, shared_bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(934, "Nam")
    runtime, application = shared_bot.runtime, shared_bot.application
    sender = runtime.sender
    assert sender is not None
    await taken_elsewhere(shared_bot, user.chat_id, "Thư đang gửi dở")
    update = {
        "update_id": 900_934,
        "message": api.state.add_message(user.state, HELP, sender=user.user).snapshot(),
    }
    async with runtime.uow() as uow:
        await uow.inbound.record_many(
            [(900_934, update, user.chat_id)], clock(), received_by=OTHER_PROCESS
        )
        # It said it was alive until 7 s ago: its lease has lapsed.
        await uow.leases.acquire(
            ALIVE + "other", OTHER_PROCESS, now=clock() - timedelta(seconds=10), seconds=3
        )
        await uow.commit()
    watch = PeerWatch(
        runtime, sender, functools.partial(queue_stored, application, runtime), alive_seconds=3
    )

    await watch.beat()  # (or the bot's own heartbeat, a moment before: the same)

    assert (await user.next_message(timeout=3)).text == "Thư đang gửi dở"
    assert "/nominate" in (await user.next_message(timeout=3)).text  # the update's answer
    await watch.close()
    async with runtime.uow() as uow:
        assert await uow.leases.lapsed(ALIVE, now=clock()) == []
        assert await uow.inbound.waiting(limit=10) == []
