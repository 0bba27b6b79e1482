"""A round-robin HTTP reverse proxy on loopback, standing in for nginx in front of two servers.

It passes each request to the next backend in turn and, like nginx with
``proxy_next_upstream error timeout http_503 non_idempotent``, to the one after when a
backend cannot be reached, does not answer in time or answers 503 (draining, or its database
away): Telegram's delivery then lands on a live server at once instead of being retried
later. A webhook POST may be passed on after the backend received it, because an update is
stored by its ``update_id`` and processed once whoever stores it.

It notes which backend first got each Telegram update and which acknowledged it, so a
benchmark or a test can tell whose turn a killed server held.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.processing import chat_of

# Not passed on: they describe one hop, not the request.
_HOP_BY_HOP = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "te", "upgrade"}
)


@dataclass
class Forwarded:
    """One Telegram update as the proxy passed it on."""

    update_id: int
    chat_id: int | None
    first_backend: str
    first_at: float
    acknowledged_by: str | None = None
    attempts: list[tuple[str, int | None]] = field(default_factory=list)  # backend, status


class RoundRobinProxy:
    """Spreads requests over ``backends`` (base URLs) in turn, passing on failures."""

    def __init__(self, backends: list[str], *, timeout: float = 10.0) -> None:
        self.backends = list(backends)
        self.timeout = timeout
        self.updates: dict[int, Forwarded] = {}
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Return the proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._pass_on)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # the bound port (aiohttp does not expose it otherwise)
        assert isinstance(server, asyncio.Server)
        self.port = int(server.sockets[0].getsockname()[1])
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200), auto_decompress=False
        )

    async def stop(self) -> None:
        """Stop listening and close the connections to the backends."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> RoundRobinProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _note(self, body: bytes, backend: str) -> Forwarded | None:
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return None
        update_id = payload["update_id"]
        noted = self.updates.get(update_id)
        if noted is None:
            noted = self.updates[update_id] = Forwarded(
                update_id, chat_of(payload), backend, time.monotonic()
            )
        return noted

    async def _pass_on(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        start = next(self._turn)
        backends = list(self.backends)
        noted: Forwarded | None = None
        last_error = "no backend"
        for n in range(len(backends)):
            backend = backends[(start + n) % len(backends)]
            if noted is None and request.method == "POST":
                noted = self._note(body, backend)
            try:
                async with self._session.request(
                    request.method,
                    backend + request.path_qs,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
                    if noted is not None:
                        noted.attempts.append((backend, answer.status))
                    if answer.status == 503 and n + 1 < len(backends):
                        last_error = f"{backend}: 503"
                        continue
                    if noted is not None and 200 <= answer.status < 300:
                        noted.acknowledged_by = backend
                    passed = {
                        k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    return web.Response(status=answer.status, body=content, headers=passed)
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                if noted is not None:
                    noted.attempts.append((backend, None))
                last_error = f"{backend}: {type(error).__name__}"
        return web.Response(status=502, text=f"bad gateway ({last_error})")
