"""The webhook server: Telegram POSTs updates here; each is stored before it is acknowledged.

Updates POSTed at the same time are stored in one transaction (see :mod:`bot.journal`).

On SIGTERM the server drains before it stops (:class:`DrainingServer`, :func:`drain`): the
webhook answers 503 to every new update (a proxy passes it to another server at once,
Telegram would send it again later), ``/healthz`` answers 503 ``draining``, the turns in hand
finish and their replies go (waited for at most ``NTVT_DRAIN_SECONDS``); then the bot stops
and ends its alive lease, so another process takes over at once whatever is left
(bot.failover).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from telegram import Update

from bot.app import running_bot
from bot.desk.routes import desk_router
from bot.failures import Unreadable, describe, parse_update
from bot.health import HealthCheck
from bot.journal import UpdateJournal
from bot.monitoring import monitoring_routes
from bot.runtime import system_clock
from bot.settings import Settings, SettingsError
from bot.webhook_route import Answer, SecretJsonPost, refusal
from bot.zalo.webhook import zalo_router
from core.channels import Channel
from core.inbound import shape_problem

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a photo's caption or a poll stays far below this.
MAX_BODY = 1024 * 1024
# How often a draining server looks whether its turns are done.
DRAIN_POLL = 0.05

ACKNOWLEDGED = Answer.of(200, {"ok": True})
NOT_JSON = refusal(400, "not JSON")
NOT_AN_UPDATE = refusal(400, "not an update")
DRAINING = refusal(503, "draining: send it to another server")
CANNOT_STORE = refusal(503, "cannot store the update now")


def _wake_zalo(request: Request) -> None:
    """Have the running bot process the Zalo event just stored."""
    wake = request.app.state.runtime.channel_inputs.get(Channel.ZALO)
    if wake is not None:
        wake()


async def _answered_in_front() -> None:
    """Never called: :class:`SecretJsonPost` answers these POSTs before FastAPI routes them."""
    raise AssertionError(f"POST {WEBHOOK_PATH} reached FastAPI's router")


def webhook_secret(settings: Settings) -> str:
    """Return the configured secret, or a fresh one when the bot registers its own webhook."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    if settings.webhook_url:
        return secrets.token_urlsafe(32)
    raise SettingsError(
        "NTVT_WEBHOOK_SECRET is not set: set it to the secret_token your webhook was "
        "registered with, or set NTVT_WEBHOOK_URL so the bot registers the webhook itself"
    )


def create_app(
    settings: Settings,
    *,
    token: str | None = None,
    clock: Callable[[], datetime] = system_clock,
    plan_file: Path | None = None,
) -> FastAPI:
    """Return the FastAPI app; the bot starts and stops with the app's lifespan.

    ``plan_file``: a plan file loaded at start in place of what is stored (``ntvt chat``).
    """
    bot_token = token or settings.token()
    secret = webhook_secret(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_bot(
            settings, token=bot_token, polling=False, clock=clock, plan_file=plan_file
        ) as (application, rt):
            app.state.application = application
            app.state.runtime = rt
            assert rt.sender is not None
            journal = app.state.journal = UpdateJournal(
                rt.autocommit_uow or rt.uow, rt.clock, in_hand=rt.in_hand, receiver=rt.sender.name
            )
            app.state.health = HealthCheck(rt.uow, rt.clock)
            if settings.webhook_url:
                await application.bot.set_webhook(
                    url=settings.webhook_url,
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                )
                log.info("webhook registered at %s", settings.webhook_url)
            try:
                yield
            finally:
                await journal.drain()

    # No /docs, /redoc or /openapi.json: nothing here is for browsing.
    app = FastAPI(
        title="ntvt-bot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    async def take_update(body: bytes) -> Answer:
        """Store the update durably, acknowledge it, then process it."""
        try:
            payload: Any = json.loads(body)
        except (ValueError, RecursionError):  # too deep for the parser, or a huge integer
            return NOT_JSON
        if shape_problem(payload) is not None:
            return NOT_AN_UPDATE
        state = app.state
        if state.health.draining:
            return DRAINING
        application = state.application
        journal: UpdateJournal = state.journal
        update_id: int = payload["update_id"]
        read = parse_update(payload, application.bot)
        set_aside = {update_id: read.reason} if isinstance(read, Unreadable) else None
        try:
            new = update_id in await journal.record([payload], set_aside=set_aside)
        except Exception as error:
            log.warning(
                "update %s could not be stored (%s): answered 503, Telegram sends it again",
                update_id,
                describe(error),
            )
            return CANNOT_STORE
        if isinstance(read, Unreadable):
            if new:
                log.error("update %s set aside: %s", update_id, read.reason)
        elif new:
            await application.update_queue.put(read)
        return ACKNOWLEDGED

    # POST /telegram/webhook, answered in bare ASGI in front of FastAPI (every update comes
    # this way); the route is still declared, so that FastAPI answers the other methods on
    # this path (405) and the path with a slash (307) as for any route.
    app.add_api_route(WEBHOOK_PATH, _answered_in_front, methods=["POST"], include_in_schema=False)
    app.add_middleware(
        SecretJsonPost,
        path=WEBHOOK_PATH,
        secret_header=SECRET_HEADER,
        secret=secret,
        max_body=MAX_BODY,
        take=take_update,
    )
    app.include_router(monitoring_routes())  # /healthz and /metrics
    # /desk/: the secretariat's web desk, signed in to with a link from /web.
    app.include_router(
        desk_router(
            settings,
            runtime=lambda request: request.app.state.runtime,
            bot=lambda request: request.app.state.application.bot,
        )
    )
    if settings.zalo_enabled:
        # POST /zalo/webhook: a Zalo OA's events, stored before they are acknowledged.
        app.include_router(
            zalo_router(
                settings,
                uow=lambda request: request.app.state.runtime.uow(),
                clock=clock,
                stored=_wake_zalo,
            )
        )
    return app


async def drain(app: FastAPI, grace: float) -> bool:
    """Take no new update, and wait until the turns in hand are done and their replies sent.

    Return False if ``grace`` seconds were not enough: the bot stops anyway, and what it
    still holds once stopped is taken over by another process. Nothing to wait for before
    the bot has started.
    """
    health: HealthCheck | None = getattr(app.state, "health", None)
    if health is None:
        return True
    health.draining = True
    application = app.state.application
    journal: UpdateJournal = app.state.journal
    processor = application.update_processor
    log.info("draining: no new updates; finishing the turns in hand (at most %g s)", grace)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while True:
        await asyncio.sleep(DRAIN_POLL)  # a request past the check is storing its update
        busy = (
            not journal.idle
            or not application.update_queue.empty()
            or bool(app.state.runtime.in_hand)
            or getattr(processor, "chats_in_progress", 0) > 0
        )
        if not busy:
            log.info("drained: every turn in hand is done")
            return True
        if loop.time() >= deadline:
            log.warning("still busy after %g s of draining: stopping anyway", grace)
            return False


class AcknowledgedUpdatesUnlogged(logging.Filter):
    """Leave out uvicorn's access line of each update the webhook acknowledged (200).

    One line per update is noise (JSON logs have ``bot.turns``' line per turn, a proxy in
    front its own access log) and CPU on the busiest path. The webhook's refusals (403, 400,
    413, 503) and every other request keep their line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for an acknowledged update's access line."""
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        args = record.args
        return not (
            isinstance(args, tuple)
            and len(args) == 5
            and args[4] == 200
            and args[2] == WEBHOOK_PATH
            and args[1] == "POST"
        )


class DrainingServer(uvicorn.Server):
    """uvicorn's server, except that the first SIGTERM drains the bot before it stops.

    A second SIGTERM, or SIGINT, stops it as uvicorn does.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI, grace: float) -> None:
        super().__init__(config)
        self._app = app
        self._grace = grace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving; note the loop the drain will run in."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Drain on the first SIGTERM; otherwise stop as uvicorn does."""
        if sig == signal.SIGTERM and self._loop is not None and self._draining is None:
            self._loop.call_soon_threadsafe(self._start_draining)
            return
        super().handle_exit(sig, frame)

    def _start_draining(self) -> None:
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain_then_stop())

    async def _drain_then_stop(self) -> None:
        try:
            await drain(self._app, self._grace)
        finally:
            self.should_exit = True
