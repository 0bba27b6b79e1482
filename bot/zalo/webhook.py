"""``POST /zalo/webhook``: a Zalo OA's events, each stored durably before the 200.

In order: the body is read (at most :data:`MAX_BODY` bytes), the ``X-ZEvent-Signature`` is
checked against the app id and the OA secret key (a forged, missing or stale one is answered
401 and nothing is stored), the event is stored in ``zalo_events`` under its event id
(:func:`core.zalo.event_id_of`) and only then answered 200. A redelivered event finds its id
stored and is answered 200 again, unchanged. When the database cannot take it the answer is
503, and Zalo sends it again.

Nothing here acts on an event: turning stored events into the flows' input is the next step,
through :func:`bot.zalo.inbound.take_event` (the seam).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from bot.failures import describe
from bot.request_body import body_at_most
from bot.settings import Settings, SettingsError
from bot.zalo.signature import SIGNATURE_HEADER, SignatureRefused, verify
from core.ports import UnitOfWork
from core.zalo import UnreadableEvent, read_event

log = logging.getLogger(__name__)

ZALO_WEBHOOK_PATH = "/zalo/webhook"
# An event is a few kilobytes (attachments come as URLs).
MAX_BODY = 256 * 1024


def _answer(status: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": status == 200, "description": description}, status_code=status)


def zalo_router(
    settings: Settings,
    *,
    uow: Callable[[Request], UnitOfWork],
    clock: Callable[[], datetime],
    stored: Callable[[Request], None] | None = None,
) -> APIRouter:
    """Return the router of ``POST /zalo/webhook`` for the configured OA.

    ``uow`` gives a unit of work for the request (the running bot's, or a test's);
    ``stored`` is told of each new event once it is stored (the bot processes it).
    """
    if settings.zalo_app_id is None or settings.zalo_secret_key is None:
        raise SettingsError("NTVT_ZALO_APP_ID and NTVT_ZALO_SECRET_KEY are needed for Zalo")
    app_id = settings.zalo_app_id
    secret_key = settings.zalo_secret_key.get_secret_value()
    max_skew = timedelta(seconds=settings.zalo_signature_skew)
    router = APIRouter()

    @router.post(ZALO_WEBHOOK_PATH)
    async def zalo_webhook(
        request: Request,
        signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    ) -> Response:
        """Check the event's signature, store the event, then acknowledge it."""
        body = await body_at_most(request, MAX_BODY)
        if body is None:
            return _answer(413, f"an event is at most {MAX_BODY} bytes")
        now = clock()
        try:
            signed = verify(
                signature, body, app_id=app_id, secret_key=secret_key, now=now, max_skew=max_skew
            )
        except SignatureRefused as refusal:
            log.warning("a Zalo webhook call was refused: %s", refusal)
            return _answer(401, "signature refused")
        try:
            event = read_event(signed.payload, received_at=now)
        except UnreadableEvent as unreadable:
            log.error("a signed Zalo event could not be read (%s): not stored", unreadable)
            return _answer(400, "not an event")
        try:
            async with uow(request) as work:
                new = await work.zalo_events.record(event)
                await work.commit()
        except Exception as error:
            log.warning(
                "Zalo event %s could not be stored (%s): answered 503, Zalo sends it again",
                event.event_id,
                describe(error),
            )
            return _answer(503, "cannot store the event now")
        if not new:
            log.info("Zalo event %s arrived again: already stored", event.event_id)
        elif stored is not None:
            stored(request)
        return _answer(200, "stored")

    return router
