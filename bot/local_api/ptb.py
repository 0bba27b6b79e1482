"""PTB objects wired to a local Bot API (:class:`~bot.local_api.server.LocalBotApi`).

The server speaks plain HTTP on loopback, so the requests skip loading the CA bundle
(``verify=False`` has nothing to verify here); that saves about 0.1 s per ``Bot``, which
adds up over a test suite.
"""

from __future__ import annotations

from typing import Any, Protocol

import telegram
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

__all__ = ["BotApiAddress", "local_application_builder", "local_bot", "local_request"]


class BotApiAddress(Protocol):
    """Where a Bot API answers for one bot: what PTB needs of a ``LocalBotApi``."""

    @property
    def token(self) -> str:
        """The bot token the server accepts."""

    @property
    def base_url(self) -> str:
        """The ``base_url`` for PTB (the token is appended by PTB)."""

    @property
    def file_base_url(self) -> str:
        """The ``base_file_url`` for PTB."""


def local_request(*, read_timeout: float | None = 5.0, pool_size: int = 64) -> HTTPXRequest:
    """Return an HTTPX request object for a loopback Bot API (no TLS set-up)."""
    return HTTPXRequest(
        connection_pool_size=pool_size,
        read_timeout=read_timeout,
        httpx_kwargs={"verify": False},
    )


def local_bot(api: BotApiAddress) -> telegram.Bot:
    """Return a (not yet initialised) ``telegram.Bot`` talking to ``api``."""
    return telegram.Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.file_base_url,
        request=local_request(),
        get_updates_request=local_request(pool_size=1),
    )


def local_application_builder(
    api: BotApiAddress,
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """Return an ``Application.builder()`` already pointed at ``api``.

    Add handlers, ``defaults``, ``concurrent_updates`` ... and ``build()`` as usual.
    """
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = Application.builder()
    return (
        builder.token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.file_base_url)
        .request(local_request())
        .get_updates_request(local_request(pool_size=1))
    )
