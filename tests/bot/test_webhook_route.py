"""The webhook's bare ASGI path: what it reads, what it answers, and what it leaves to FastAPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.local_api import LocalBotApi
from bot.settings import Settings
from bot.webhook import MAX_BODY, SECRET_HEADER, WEBHOOK_PATH, create_app
from tests.bot.conftest import FakeClock
from tests.bot.updates import HELP

SECRET = "s3cret-token"
CHUNK = 65536


@dataclass
class Exchange:
    """One request played to the app in bare ASGI: the body's messages, and what came back."""

    headers: list[tuple[bytes, bytes]]
    messages: list[dict[str, Any]]
    endless: bool = False  # after the messages, more chunks of CHUNK bytes without end
    reads: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        if self.reads <= len(self.messages):
            return self.messages[self.reads - 1]
        assert self.endless, "the app read past the end of the body"
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        return starts[0] if starts else None


async def play(app: Any, exchange: Exchange, method: str = "POST") -> Exchange:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": WEBHOOK_PATH,
        "raw_path": WEBHOOK_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bot"), *exchange.headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    await app(scope, exchange.receive, exchange.send)
    return exchange


def _settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})


async def test_a_wrong_or_missing_secret_is_refused_before_a_byte_of_the_body_is_read(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    app = create_app(_settings(bot_settings), token=api.token, clock=clock)
    huge = [(b"content-length", str(10 * MAX_BODY).encode())]
    wrong = await play(app, Exchange([(b"x-telegram-bot-api-secret-token", b"guess"), *huge], []))
    missing = await play(app, Exchange(huge, [], endless=True))
    assert (wrong.status, wrong.reads) == (403, 0)
    assert (missing.status, missing.reads) == (403, 0)
    assert wrong.sent[1]["body"] == b'{"ok":false,"description":"forbidden"}'


async def test_an_endless_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    app = create_app(_settings(bot_settings), token=api.token, clock=clock)
    secret = (SECRET_HEADER.lower().encode(), SECRET.encode())
    endless = await play(app, Exchange([secret], [], endless=True))
    declared = await play(app, Exchange([secret, (b"content-length", b"12abc")], []))
    assert (endless.status, endless.reads) == (413, MAX_BODY // CHUNK + 1)
    assert (declared.status, declared.reads) == (413, 0)


async def test_a_client_gone_before_its_body_is_read_gets_no_answer(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    app = create_app(_settings(bot_settings), token=api.token, clock=clock)
    secret = (SECRET_HEADER.lower().encode(), SECRET.encode())
    part = {"type": "http.request", "body": b'{"update_id": 1', "more_body": True}
    gone = await play(app, Exchange([secret], [part, {"type": "http.disconnect"}]))
    assert (gone.reads, gone.sent) == (2, [])


async def test_other_methods_on_the_webhook_path_are_answered_by_fastapi_as_before(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    app = create_app(_settings(bot_settings), token=api.token, clock=clock)
    user = api.user(1450, "Hạnh")
    update = {
        "update_id": 900,
        "message": api.state.add_message(user.state, HELP, sender=user.user).snapshot(),
    }
    headers = {SECRET_HEADER: SECRET}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client,
    ):
        others = [
            await client.request(method, WEBHOOK_PATH, headers=headers)
            for method in ("GET", "HEAD", "PUT", "DELETE")
        ]
        slash = await client.post(f"{WEBHOOK_PATH}/", json=update, headers=headers)
        taken = await client.post(WEBHOOK_PATH, json=update, headers=headers)
        assert "/nominate" in (await user.next_message(timeout=10)).text
    assert [(o.status_code, o.headers["allow"]) for o in others] == [(405, "POST")] * 4
    assert others[0].json() == {"detail": "Method Not Allowed"}
    assert (slash.status_code, slash.headers["location"]) == (307, f"http://bot{WEBHOOK_PATH}")
    assert (taken.status_code, taken.content) == (200, b'{"ok":true}')
    assert taken.headers["content-type"] == "application/json"
    assert taken.headers["content-length"] == "11"
