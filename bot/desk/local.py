"""The desk beside ``ntvt chat``: the same pages, served on 127.0.0.1 by the chat's own bot.

The terminal chat runs the bot in its process (:mod:`bot.chat`); its desk is the same
router as ``ntvt serve``'s (:func:`bot.desk.routes.desk_router`), given the chat's runtime
and bot, served by uvicorn in the same event loop. It listens on the loopback only: the demo
data is no one else's business. The chat prints its address and a sign-in link for the demo
secretariat (:func:`signin_link`), made as ``/web`` makes one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from fastapi import FastAPI
from telegram import Bot

from bot.desk.links import link_token, signin_url
from bot.desk.routes import desk_router
from bot.runtime import Runtime
from bot.settings import Settings, SettingsError
from core.desk_services import issue_link
from core.review import actor_for

HOST = "127.0.0.1"
# How long the server may take to start listening (it has bound its socket already).
START_SECONDS = 10.0


def desk_socket(port: int | None) -> socket.socket:
    """Return a socket bound on the loopback: ``port``, else a free one the system picks.

    Raises :class:`SettingsError` (one line) when the port is taken or not ours to use.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port or 0))
    except OSError as error:
        sock.close()
        raise SettingsError(
            f"NTVT_DESK_PORT={port}: the desk cannot listen on {HOST}:{port} ({error.strerror})"
        ) from None
    return sock


def address_of(sock: socket.socket) -> str:
    """Return the desk's base address for a bound socket (``http://127.0.0.1:PORT``)."""
    return f"http://{HOST}:{sock.getsockname()[1]}"


class _Server(uvicorn.Server):
    """uvicorn, leaving Ctrl+C to the chat: the window ends the way it always did."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Capture nothing: the chat's own handling of signals stays."""
        yield


@contextlib.asynccontextmanager
async def serve_desk(
    settings: Settings, rt: Runtime, bot: Bot, sock: socket.socket
) -> AsyncIterator[None]:
    """Serve the desk on ``sock`` while the block runs, with the chat's runtime and bot."""
    app = FastAPI(title="ntvt-bot desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(desk_router(settings, runtime=lambda _request: rt, bot=lambda _: bot))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # it failed to start: say why
                await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()


async def signin_link(rt: Runtime, user_id: int) -> str | None:
    """Return a one-time sign-in link for ``user_id``, as ``/web`` makes it (None: not staff)."""
    base = rt.settings.desk_url
    if base is None:
        return None
    now = rt.clock()
    async with rt.uow() as uow:
        actor = await actor_for(uow, user_id, rt.today())
        if not actor.is_staff:
            return None
        secret, _ = await issue_link(uow, actor, now=now)
        await uow.commit()
    return signin_url(base, link_token(rt.buttons, user_id, secret))
