"""Fixtures for the local Bot API tests: a started server, a real PTB Bot, a webhook receiver."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.ext import Application, BaseHandler

from bot.local_api import LocalBotApi

TOKEN = "123456:TEST-token_abc"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (PTBDeprecationWarning, an error under filterwarnings=error) when
    # RetryAfter.retry_after is read as an int; opting in to timedelta silences it.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def assert_conforms(api: LocalBotApi) -> None:
    """Every successful answer and every update has the shape the Bot API documents."""
    problems: list[str] = []
    for call in api.calls:
        method = api.spec.method(call.method)
        if not call.ok or method is None:
            continue
        per_type = [api.spec.conformance_errors(t, call.result) for t in method.returns]
        if all(per_type):
            problems += [f"{call.method}: {p}" for p in min(per_type, key=len)]
    for update in api.updates:
        problems += api.spec.conformance_errors("Update", update)
    assert not problems, "\n".join(problems[:20])
    assert not api.internal_errors, api.internal_errors


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    """A started local Bot API; afterwards checks that everything it emitted was well-formed."""
    server = LocalBotApi(
        TOKEN, idle_quiet_period=0.05, webhook_retry_delays=(0.01, 0.02), webhook_timeout=2.0
    )
    async with server:
        yield server
    assert_conforms(server)


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[telegram.Bot]:
    """A real, initialised ``telegram.Bot`` talking to ``api``."""
    async with api.make_bot() as ptb_bot:
        yield ptb_bot


@contextlib.asynccontextmanager
async def polling_app(
    api: LocalBotApi, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB ``Application`` polling ``api``, shut down cleanly afterwards."""
    app = api.application_builder().build()
    for handler in handlers:
        app.add_handler(handler)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def run_app(
    api: LocalBotApi,
) -> AsyncIterator[Callable[..., Awaitable[Application[Any, Any, Any, Any, Any, Any]]]]:
    """Start real polling Applications on ``api``; all are shut down before the server."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            *handlers: BaseHandler[Any, Any, Any],
        ) -> Application[Any, Any, Any, Any, Any, Any]:
            return await stack.enter_async_context(polling_app(api, *handlers))

        yield start


@dataclass
class WebhookReceiver:
    """A tiny aiohttp server recording what the local Bot API POSTs to it."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="ok")

    @property
    def update_ids(self) -> list[int]:
        return [body["update_id"] for _, body in self.requests]


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    """A started :class:`WebhookReceiver` on 127.0.0.1."""
    receiver = WebhookReceiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    with _bound_socket() as sock:
        await web.SockSite(runner, sock).start()
        receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        try:
            yield receiver
        finally:
            await runner.cleanup()


@contextlib.contextmanager
def _bound_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()
