"""``ntvt zalo``: install the OA's first token pair, and see where the OA stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from bot.settings import Settings
from bot.zalo.channel import oa_settings
from bot.zalo.tokens import OaTokens, TokenEndpoint, TokenGrant
from storage.uow import open_database

# What Zalo gives an access token (90000 s, 25 hours) when the admin does not say.
ACCESS_LIFETIME = timedelta(seconds=90000)


async def install_lines(
    settings: Settings, *, access_token: str, refresh_token: str, lifetime: timedelta
) -> list[str]:
    """Store the pair an OA admin's authorisation gave; say until when it serves.

    The refresh token is single-use: once the running bot refreshed it, the pair installed
    here is spent, and only the database holds the current one.
    """
    app_id, app_secret, _key, oa_id = oa_settings(settings)
    db = await open_database(settings.database_url, wait=settings.database_wait)
    try:
        async with aiohttp.ClientSession() as http:
            endpoint = TokenEndpoint(
                http, oauth_url=settings.zalo_oauth_url, app_id=app_id, app_secret=app_secret
            )
            tokens = OaTokens(db.uow, endpoint, oa_id=oa_id, clock=_now)
            await tokens.install(TokenGrant(access_token, refresh_token, lifetime))
        async with db.uow() as uow:
            stored = await uow.zalo_tokens.get(oa_id)
    finally:
        await db.dispose()
    assert stored is not None
    until = stored.access_expires_at.astimezone(settings.tz)
    return [
        f"ntvt: the tokens of the Zalo OA {oa_id} are stored",
        f"the access token serves until {until:%d/%m/%Y %H:%M} ({settings.timezone}); "
        "the running bot refreshes it before then",
    ]


async def status_lines(settings: Settings) -> list[str]:
    """Return the OA's tokens' times and how many events wait to be processed."""
    _app_id, _secret, _key, oa_id = oa_settings(settings)
    db = await open_database(settings.database_url, wait=settings.database_wait)
    try:
        async with db.uow() as uow:
            stored = await uow.zalo_tokens.get(oa_id)
            waiting = await uow.zalo_events.waiting(limit=10_000)
    finally:
        await db.dispose()
    lines = [f"Zalo OA {oa_id}"]
    if stored is None:
        lines.append("tokens: none stored (ntvt zalo tokens installs the first pair)")
    else:
        tz = settings.tz
        lines.append(
            f"access token: serves until {stored.access_expires_at.astimezone(tz):%d/%m/%Y %H:%M}"
            f", last refreshed {stored.refreshed_at.astimezone(tz):%d/%m/%Y %H:%M}"
        )
    lines.append(f"events stored and not processed yet: {len(waiting)}")
    return lines


def _now() -> datetime:
    return datetime.now(UTC)
