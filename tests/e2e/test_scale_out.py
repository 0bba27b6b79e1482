"""Two ``ntvt serve`` processes on one PostgreSQL database serve one bot correctly.

The test stands in for Telegram and a load balancer: it posts each chat's updates in turn
(the next once the last was acknowledged, as Telegram does), alternating the two servers, and
posts some updates to both. Each chat must get exactly one answer per update, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.local_api import LocalBotApi
from bot.sender import ALIVE
from tests.e2e.conftest import STARTUP_TIMEOUT, NtvtProcess, StartNtvt, free_port, telegram_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHATS = 24
UPDATES_PER_CHAT = 6


async def _serve(
    api: LocalBotApi, ntvt: StartNtvt, database_url: str, secret: str
) -> tuple[NtvtProcess, str]:
    """Start ``ntvt serve`` on a free port; return it and its webhook URL once it is healthy."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = telegram_env(
        api,
        database_url,
        NTVT_WEBHOOK_URL=f"{base}/telegram/webhook",
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
async def test_two_servers_keep_each_chats_order_and_process_each_update_once(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    secret = secrets.token_urlsafe(24)
    (first, first_url), (second, second_url) = await asyncio.gather(
        _serve(api, ntvt, migrated_database_url, secret),
        _serve(api, ntvt, migrated_database_url, secret),
    )
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
    engine = create_async_engine(migrated_database_url)
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
    assert alive == {f"{socket.gethostname()}:{p.pid}" for p in (first, second)}, holders


def _tokens(messages: list[Any]) -> list[str]:
    """The tokens echoed back, in the order the bot's answers arrived in the chat."""
    found = []
    for message in messages:
        body = message.text or ""
        if "“k" in body:
            found.append(body.split("“", 1)[1].split("”", 1)[0])
    return found
