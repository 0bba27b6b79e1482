"""The webhook server: Telegram POSTs updates here; each is stored before it is acknowledged.

Updates POSTed at the same time are stored in one transaction (see :mod:`bot.journal`).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from telegram import Update

from bot.app import running_bot
from bot.health import HealthCheck, monitoring_routes
from bot.journal import UpdateJournal
from bot.runtime import system_clock
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
    settings: Settings, *, token: str | None = None, clock: Callable[[], datetime] = system_clock
) -> FastAPI:
    """Return the FastAPI app; the bot starts and stops with the app's lifespan."""
    bot_token = token or settings.token()
    secret = webhook_secret(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_bot(settings, token=bot_token, polling=False, clock=clock) as (
            application,
            rt,
        ):
            app.state.application = application
            app.state.runtime = rt
            journal = app.state.journal = UpdateJournal(rt.uow, rt.clock)
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

    app = FastAPI(title="ntvt-bot", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.post(WEBHOOK_PATH)
    async def telegram_webhook(
        request: Request,
        secret_token: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
    ) -> Response:
        """Store the update durably, acknowledge it, then process it."""
        if secret_token is None or not hmac.compare_digest(secret_token.encode(), secret.encode()):
            return JSONResponse({"ok": False, "description": "forbidden"}, status_code=403)
        try:
            payload: Any = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"ok": False, "description": "not JSON"}, status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return JSONResponse({"ok": False, "description": "not an update"}, status_code=400)
        application = request.app.state.application
        journal: UpdateJournal = request.app.state.journal
        if payload["update_id"] in await journal.record([payload]):
            await application.update_queue.put(Update.de_json(payload, application.bot))
        return JSONResponse({"ok": True})

    app.include_router(monitoring_routes())  # /healthz and /metrics
    return app
