"""One JSON POST route answered in bare ASGI, in front of the FastAPI app.

Telegram's webhook is the hot path: every update of every resident comes through it. Served
by FastAPI, each one paid for the routing over every route, the dependency injection and a
Request object; here it costs one comparison of the path, a look through the headers and the
body's chunks. Every other request (another method on the same path too) and the lifespan go
on to the app unchanged.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.request_body import body_at_most


@dataclass(frozen=True)
class Answer:
    """A JSON answer, encoded once: the same bytes FastAPI's ``JSONResponse`` would send."""

    status: int
    body: bytes

    @classmethod
    def of(cls, status: int, content: object) -> Answer:
        """Encode ``content`` as ``JSONResponse`` does (compact, UTF-8, no NaN)."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return cls(status, text.encode())


def refusal(status: int, description: str) -> Answer:
    """Telegram's own shape for a refusal: ``{"ok": false, "description": ...}``."""
    return Answer.of(status, {"ok": False, "description": description})


# What the route does with a body: decides the answer (and may store and process it).
Take = Callable[[bytes], Awaitable[Answer]]


class SecretJsonPost:
    """ASGI middleware answering ``POST path`` itself; everything else goes on to ``app``.

    A request without ``secret`` in ``secret_header`` is refused (403) before its body is
    read; a body over ``max_body`` bytes is refused (413) without ever being held whole (a
    declared Content-Length is checked first, a chunked body counted as it streams). Any
    other body is handed to ``take``, whose answer is sent.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        secret_header: str,
        secret: str,
        max_body: int,
        take: Take,
    ) -> None:
        self.app = app
        self.path = path
        self.secret_header = secret_header.lower().encode()  # ASGI's header names: lower case
        self.secret = secret.encode()
        self.max_body = max_body
        self.take = take
        self.forbidden = refusal(403, "forbidden")
        self.too_large = refusal(413, f"an update is at most {max_body} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``POST path``; pass anything else on."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        given = request.headers.get(self.secret_header.decode("latin-1"))
        if given is None or not hmac.compare_digest(given.encode("latin-1"), self.secret):
            await _send(send, self.forbidden)
            return
        try:
            body = await body_at_most(request, self.max_body)  # the desk's and Zalo's limit too
        except ClientDisconnect:
            return  # nobody to answer
        await _send(send, self.too_large if body is None else await self.take(body))


async def _send(send: Send, answer: Answer) -> None:
    headers = [
        (b"content-length", str(len(answer.body)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
