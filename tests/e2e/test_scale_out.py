"""Several ``ntvt serve`` processes on one PostgreSQL database serve one bot correctly.

First the test stands in for Telegram and a load balancer: it posts each chat's updates in
turn (the next once the last was acknowledged, as Telegram does), alternating two servers, and
posts some updates to both. Each chat must get exactly one answer per update, in order.

Then the fake Bot API delivers residents' nominations through a round-robin proxy (nginx's
``proxy_next_upstream error timeout http_503``) to three servers, and one is stopped while
residents are mid-flow: SIGTERM (a rolling restart) repeats nothing and loses nothing; then
SIGKILL (a crash): every resident whose turn the killed server held is answered within
seconds, by the others taking over (bot.failover), and nothing is lost.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.local_api import LocalBotApi
from bot.sender import ALIVE
from tests.e2e.conftest import STARTUP_TIMEOUT, NtvtProcess, StartNtvt, free_port, telegram_env
from tests.e2e.proxy import RoundRobinProxy
from tests.e2e.residents import Resident, listen, stopped_turns

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK = "/telegram/webhook"
CHATS = 24
UPDATES_PER_CHAT = 6
RESIDENTS = 8
STEPS_TAKEN = 9  # of the nomination: up to the deed's place, enough to be mid-flow
MID_FLOW = 1.0  # seconds after the residents start when a server is stopped
# Every affected resident answered within this many seconds of the kill (issue 20 asks 5;
# the bench prints the distribution: ~3 s at the 1 s heartbeat and 3 s lease).
FAILOVER_BOUND = 8.0


async def _serve(
    api: LocalBotApi, ntvt: StartNtvt, database_url: str, secret: str, webhook_url: str
) -> tuple[NtvtProcess, str]:
    """Start ``ntvt serve`` on a free port; return it and its webhook URL once it is healthy."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = telegram_env(
        api,
        database_url,
        NTVT_WEBHOOK_URL=webhook_url,
        NTVT_WEBHOOK_SECRET=secret,
        NTVT_NOTICE_INTERVAL="1",
    )
    process = await ntvt("serve", "--host", "127.0.0.1", "--port", str(port), env=env)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            process.assert_running("waiting for /healthz")
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return process, f"{base}/telegram/webhook"
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz not 200 after {STARTUP_TIMEOUT}s: {process.describe()}")
            await asyncio.sleep(0.1)


def _update(update_id: int, chat_id: int, text_: str) -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, "first_name": f"Cư dân {chat_id}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": person["first_name"]},
            "from": {**person, "language_code": "vi"},
            "text": text_,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/status")}],
        },
    }


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_servers_keep_order_process_once_restart_unnoticed_and_fail_over_in_seconds(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    secret = secrets.token_urlsafe(24)
    async with RoundRobinProxy([]) as proxy:
        started = await asyncio.gather(
            *(
                _serve(api, ntvt, migrated_database_url, secret, f"{proxy.url}{WEBHOOK}")
                for _ in range(3)
            )
        )
        (first, first_url), (second, second_url), (third, _) = started
        await _two_servers_keep_order_and_process_once(
            api, migrated_database_url, secret, (first, first_url), (second, second_url)
        )
        proxy.backends = [url.removesuffix(WEBHOOK) for _, url in started]
        await _a_rolling_restart_goes_unnoticed(api, proxy, first, (second, third))
        await _a_crash_is_taken_over_within_seconds(api, proxy, second, third)


async def _two_servers_keep_order_and_process_once(
    api: LocalBotApi,
    database_url: str,
    secret: str,
    first_server: tuple[NtvtProcess, str],
    second_server: tuple[NtvtProcess, str],
) -> None:
    (first, first_url), (second, second_url) = first_server, second_server
    chats = [api.user(9_100 + n, f"Cư dân {n}") for n in range(CHATS)]
    ids = itertools.count(500_000)
    plan = {
        user.id: [(next(ids), f"k{user.id}-{step}") for step in range(UPDATES_PER_CHAT)]
        for user in chats
    }
    headers = {SECRET_HEADER: secret}

    async def one_chat(client: httpx.AsyncClient, chat_id: int) -> None:
        for step, (update_id, token) in enumerate(plan[chat_id]):
            update = _update(update_id, chat_id, f"/status {token}")
            url = first_url if (chat_id + step) % 2 else second_url
            answer = await client.post(url, json=update, headers=headers)
            assert answer.status_code == 200, answer.text
            if step % 3 == 1:  # Telegram retrying: the same update at the other server
                other = second_url if url == first_url else first_url
                again = await client.post(other, json=update, headers=headers)
                assert again.status_code == 200, again.text

    async with httpx.AsyncClient(timeout=10.0) as client:
        await asyncio.gather(*(one_chat(client, user.id) for user in chats))

    def answered() -> bool:
        return all(len(_tokens(user.messages)) >= UPDATES_PER_CHAT for user in chats)

    deadline = time.monotonic() + 30
    while not answered() and time.monotonic() < deadline:
        first.assert_running("answering")
        second.assert_running("answering")
        await asyncio.sleep(0.1)
    await api.wait_until_idle(timeout=10, quiet=1.0)

    for user in chats:
        expected = [token for _, token in plan[user.id]]
        assert _tokens(user.messages) == expected, f"chat {user.id}"  # once each, in order
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            waiting = await connection.scalar(
                text("SELECT count(*) FROM inbound_updates WHERE processed_at IS NULL")
            )
            holders = (await connection.execute(text("SELECT name, holder FROM leases"))).all()
    finally:
        await engine.dispose()
    assert waiting == 0
    leaders = [holder for name, holder in holders if name == "notices"]
    assert len(leaders) == 1, holders  # one process leads the notices
    alive = {holder for name, holder in holders if name.startswith(ALIVE)}
    assert {f"{socket.gethostname()}:{p.pid}" for p in (first, second)} <= alive, holders


def _last_attempts(proxy: RoundRobinProxy, residents: dict[int, Resident]) -> list[object]:
    """Where each unfinished resident's last update went (for a failure's message)."""
    found: list[object] = []
    for chat_id, resident in residents.items():
        if not resident.finished:
            sent = [u for u in proxy.updates.values() if u.chat_id == chat_id]
            found.append((chat_id, sent[-1] if sent else None))
    return found


async def _nominating(
    api: LocalBotApi,
    proxy: RoundRobinProxy,
    first_id: int,
    stop: Callable[[], Awaitable[None]],
) -> tuple[dict[int, Resident], float]:
    """Residents nominate at once; ``stop`` a server mid-flow; return them when all are done.

    Also when it was stopped. Each resident must get through their steps: nothing is lost.
    """
    residents = {
        first_id + n: Resident(api.user(first_id + n, f"Cư dân {n}"), step_timeout=30)
        for n in range(RESIDENTS)
    }
    listen(api, residents)
    tasks = [asyncio.create_task(r.nominate(STEPS_TAKEN)) for r in residents.values()]
    await asyncio.sleep(MID_FLOW)
    stopped_at = time.monotonic()
    await stop()
    stuck = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if r is not None]
    assert stuck == [], (stuck, api.dropped_updates, _last_attempts(proxy, residents))
    await api.wait_until_idle(timeout=10, quiet=0.5)
    assert all(resident.finished for resident in residents.values())
    return residents, stopped_at


async def _a_rolling_restart_goes_unnoticed(
    api: LocalBotApi,
    proxy: RoundRobinProxy,
    stopped: NtvtProcess,
    others: tuple[NtvtProcess, NtvtProcess],
) -> None:
    async def sigterm() -> None:
        assert await stopped.interrupt(signal.SIGTERM) == 0, stopped.describe()

    residents, stopped_at = await _nominating(api, proxy, 9_300, sigterm)

    _, unanswered, waiting = stopped_turns(residents.values(), proxy, proxy.backends[0], stopped_at)
    assert waiting, "no resident was mid-flow at the signal"
    assert unanswered == 0
    assert sum(resident.repeated for resident in residents.values()) == 0
    assert "drained: every turn in hand is done" in stopped.output(), stopped.describe()
    for other in others:
        other.assert_running("taking over from a draining server")


async def _a_crash_is_taken_over_within_seconds(
    api: LocalBotApi, proxy: RoundRobinProxy, killed: NtvtProcess, survivor: NtvtProcess
) -> None:
    async def sigkill() -> None:
        assert await killed.kill9() == -signal.SIGKILL

    residents, killed_at = await _nominating(api, proxy, 9_400, sigkill)

    waits, unanswered, _ = stopped_turns(residents.values(), proxy, proxy.backends[1], killed_at)
    assert waits, "no resident was mid-turn on the killed server"
    assert unanswered == 0
    assert waits[-1] < FAILOVER_BOUND, waits  # measured: bench/failover.py
    repeated = sum(resident.repeated for resident in residents.values())
    assert repeated <= len(waits), "at most the messages in flight are sent again"
    survivor.assert_running("taking over")
    assert "is gone" in survivor.output(), survivor.describe()


def _tokens(messages: list[Any]) -> list[str]:
    """The tokens echoed back, in the order the bot's answers arrived in the chat."""
    found = []
    for message in messages:
        body = message.text or ""
        if "“k" in body:
            found.append(body.split("“", 1)[1].split("”", 1)[0])
    return found
