"""The webhook stores updates POSTed at the same time together, before answering them."""

from __future__ import annotations

import asyncio

import httpx
from pydantic import SecretStr

from bot.local_api import LocalBotApi
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, create_app
from tests.bot.conftest import FakeClock
from tests.bot.updates import HELP, inbound_inserts

SECRET = "s3cret-token"
POSTS = 20


async def test_updates_posted_at_once_share_transactions_and_each_is_answered(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    app = create_app(settings, token=api.token, clock=clock)
    users = [api.user(1300 + n, f"W{n}") for n in range(POSTS)]
    updates = [
        {
            "update_id": 500 + n,
            "message": api.state.add_message(user.state, HELP, sender=user.user).snapshot(),
        }
        for n, user in enumerate(users)
    ]
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as client,
    ):
        with inbound_inserts() as inserts:
            answers = await asyncio.gather(
                *(
                    client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
                    for update in updates
                )
            )
        for user in users:
            assert "/nominate" in (await user.next_message(timeout=10)).text

    assert [answer.status_code for answer in answers] == [200] * POSTS
    assert sum(inserts) == POSTS
    assert len(inserts) < POSTS
