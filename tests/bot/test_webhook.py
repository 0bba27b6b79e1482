"""The webhook stores updates POSTed together at once, and refuses what is not an update."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError

from bot.local_api import LocalBotApi
from bot.settings import Settings
from bot.webhook import MAX_BODY, SECRET_HEADER, WEBHOOK_PATH, create_app, drain
from core.ports import UnitOfWork
from storage.uow import Database
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


async def _post_each(
    api: LocalBotApi, settings: Settings, clock: FakeClock, *requests: dict[str, object]
) -> list[httpx.Response]:
    """POST each request's ``content``/``headers`` to a running webhook app; the answers."""
    app = create_app(settings, token=api.token, clock=clock)
    transport = httpx.ASGITransport(app=app)
    answers = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as client,
    ):
        for request in requests:
            headers = {SECRET_HEADER: SECRET, **request.get("headers", {})}  # type: ignore[dict-item]
            answers.append(
                await client.post(WEBHOOK_PATH, content=request["content"], headers=headers)  # type: ignore[arg-type]
            )
    return answers


async def test_the_webhook_refuses_oversized_and_malformed_bodies_without_a_500(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    big = json.dumps({"update_id": 1, "message": {"text": "a" * (MAX_BODY + 1)}}).encode()

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    answers = await _post_each(
        api,
        settings,
        clock,
        {"content": big},  # Content-Length says too much: refused before reading
        {"content": chunked()},  # no Content-Length: counted while it streams
        {"content": b"[" * 100_000 + b"]" * 100_000},
        {"content": json.dumps({"update_id": 1, "message": _nested(200)}).encode()},
        {"content": json.dumps({"update_id": 1, "message": {"chat": {"id": 2**70}}}).encode()},
        {"content": b'{"update_id": 1, "message": {"date": 1' + b"0" * 5000 + b"}}"},
        {"content": json.dumps({"update_id": True, "message": "x"}).encode()},
        {"content": json.dumps({"update_id": 0}).encode()},
        {"content": json.dumps({"update_id": 2**53}).encode()},
    )
    assert [answer.status_code for answer in answers] == [413, 413, *[400] * 7]


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"x": value}
    return value


async def test_an_update_the_library_cannot_read_is_acknowledged_and_set_aside(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock, database: Database
) -> None:
    settings = bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    bad = {"update_id": 500020, "message": {"chat": {"id": 7003}, "date": "x"}}
    (answer,) = await _post_each(api, settings, clock, {"content": json.dumps(bad).encode()})
    assert answer.status_code == 200
    async with database.uow() as uow:
        (letter,) = await uow.inbound.set_aside_updates(limit=10)
    assert letter.update_id == 500020 and letter.chat_id == 7003
    assert letter.failure.startswith("cannot be read")


async def test_the_webhook_answers_503_when_it_cannot_store_the_update(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    app = create_app(settings, token=api.token, clock=clock)
    user = api.user(1390, "Xuân")
    update = {
        "update_id": 600,
        "message": api.state.add_message(user.state, HELP, sender=user.user).snapshot(),
    }

    def database_away() -> UnitOfWork:
        raise OperationalError("BEGIN", {}, ConnectionRefusedError("connection refused"))

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client,
    ):
        working = app.state.journal._uow
        app.state.journal._uow = database_away
        refused = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        app.state.journal._uow = working
        retried = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert "/nominate" in (await user.next_message(timeout=10)).text
        docs = [(await client.get(p)).status_code for p in ("/docs", "/redoc", "/openapi.json")]
    assert (refused.status_code, retried.status_code) == (503, 200)
    assert docs == [404, 404, 404]


async def test_a_draining_server_finishes_its_turn_says_draining_and_refuses_new_updates(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    app = create_app(settings, token=api.token, clock=clock)
    first, second = api.user(1401, "Đang"), api.user(1402, "Sau")
    in_hand, refused = (
        {
            "update_id": 700 + n,
            "message": api.state.add_message(user.state, HELP, sender=user.user).snapshot(),
        }
        for n, user in enumerate((first, second))
    )
    headers = {SECRET_HEADER: SECRET}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as client,
    ):
        api.latency = 0.5  # the turn's reply is still on its way while the server drains
        assert (await client.post(WEBHOOK_PATH, json=in_hand, headers=headers)).status_code == 200
        draining = asyncio.create_task(drain(app, grace=10))
        await asyncio.sleep(0.1)

        health = await client.get("/healthz")
        assert (health.status_code, health.json()["status"]) == (503, "draining")
        answer = await client.post(WEBHOOK_PATH, json=refused, headers=headers)
        assert answer.status_code == 503  # a proxy passes it to another server at once
        assert not draining.done()

        assert await draining  # the turn in hand finished within the grace period
        assert "/nominate" in first.messages[-1].text  # its reply went before the drain ended
        async with app.state.runtime.uow() as uow:
            waiting = await uow.inbound.waiting(limit=10)
        assert waiting == []  # the refused update was not stored: another server takes it
    assert second.messages == []
