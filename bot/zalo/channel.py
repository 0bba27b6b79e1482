"""The Zalo side of a running bot: the OA's client, its stored events' turns, its sender.

Started by :func:`bot.app.running_bot` when the settings name an OA (README, "Zalo"): the
webhook stores events and wakes :class:`~bot.zalo.turns.ZaloTurns`, whose replies the
:class:`~bot.zalo.sender.ZaloSender` sends within Zalo's rules. Both also look by themselves
every second, for what another process stored or queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp

from bot.flows import Flows
from bot.runtime import Runtime
from bot.settings import Settings, SettingsError
from bot.zalo.client import ZaloClient
from bot.zalo.media import MediaStore
from bot.zalo.sender import ZaloSender
from bot.zalo.tokens import OaTokens, TokenEndpoint
from bot.zalo.turns import ZaloTurns
from core.channels import Channel

log = logging.getLogger(__name__)


def oa_settings(settings: Settings) -> tuple[str, str, str, str]:
    """Return the OA's app id, app secret, OA secret key and OA id, or say what is missing."""
    missing = [
        name
        for name, value in (
            ("NTVT_ZALO_APP_ID", settings.zalo_app_id),
            ("NTVT_ZALO_APP_SECRET", settings.zalo_app_secret),
            ("NTVT_ZALO_SECRET_KEY", settings.zalo_secret_key),
            ("NTVT_ZALO_OA_ID", settings.zalo_oa_id),
        )
        if not value
    ]
    if missing:
        raise SettingsError("Zalo needs " + ", ".join(missing))
    assert settings.zalo_app_id and settings.zalo_oa_id
    assert settings.zalo_app_secret and settings.zalo_secret_key
    return (
        settings.zalo_app_id,
        settings.zalo_app_secret.get_secret_value(),
        settings.zalo_secret_key.get_secret_value(),
        settings.zalo_oa_id,
    )


def oa_tokens(rt: Runtime, http: aiohttp.ClientSession) -> OaTokens:
    """Return the configured OA's tokens, as stored in the database."""
    settings = rt.settings
    app_id, app_secret, _key, oa_id = oa_settings(settings)
    endpoint = TokenEndpoint(
        http, oauth_url=settings.zalo_oauth_url, app_id=app_id, app_secret=app_secret
    )
    return OaTokens(
        rt.uow,
        endpoint,
        oa_id=oa_id,
        clock=rt.clock,
        margin=timedelta(seconds=settings.zalo_token_margin),
    )


class ZaloChannel:
    """A running OA: its turns and its sender, sharing one HTTP session."""

    def __init__(self, turns: ZaloTurns, sender: ZaloSender) -> None:
        self.turns = turns
        self.sender = sender

    @classmethod
    @asynccontextmanager
    async def running(cls, rt: Runtime, flows: Flows) -> AsyncIterator[ZaloChannel]:
        """Run the OA's turns and sender until the block exits; wire them into ``rt``."""
        settings = rt.settings
        async with aiohttp.ClientSession() as http:
            client = ZaloClient(http, oa_tokens(rt, http), api_url=settings.zalo_api_url)
            media = MediaStore(settings.zalo_media_dir)
            turns = ZaloTurns(
                rt, flows, client=client, media=media, max_bytes=settings.zalo_media_max_bytes
            )
            sender = ZaloSender(
                client,
                rt.uow,
                rt.clock,
                capabilities=settings.zalo_capabilities(),
                tz=settings.tz,
                media=media,
                buttons=rt.buttons,
                rate=settings.zalo_send_rate,
            )
            rt.channel_senders[Channel.ZALO] = sender.wake
            rt.channel_inputs[Channel.ZALO] = turns.wake
            tasks = [asyncio.create_task(turns.run()), asyncio.create_task(sender.run())]
            try:
                yield cls(turns, sender)
            finally:
                rt.channel_senders.pop(Channel.ZALO, None)
                rt.channel_inputs.pop(Channel.ZALO, None)
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
