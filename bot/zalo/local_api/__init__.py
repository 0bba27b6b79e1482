"""A local Zalo Official Account for tests and, later, ``ntvt chat --channel zalo``.

See :class:`LocalZaloOA`; it fakes Zalo the way :mod:`bot.local_api` fakes Telegram.
"""

from bot.zalo.local_api.server import (
    ACCESS_TOKEN_INVALID as ACCESS_TOKEN_INVALID,
    BAD_REQUEST as BAD_REQUEST,
    NIGHT_BAN as NIGHT_BAN,
    NOT_FOLLOWING as NOT_FOLLOWING,
    OUTSIDE_WINDOW as OUTSIDE_WINDOW,
    RATE_LIMITED as RATE_LIMITED,
    REFRESH_TOKEN_INVALID as REFRESH_TOKEN_INVALID,
    LocalZaloOA as LocalZaloOA,
    SentMessage as SentMessage,
)

__all__ = [
    "ACCESS_TOKEN_INVALID",
    "BAD_REQUEST",
    "NIGHT_BAN",
    "NOT_FOLLOWING",
    "OUTSIDE_WINDOW",
    "RATE_LIMITED",
    "REFRESH_TOKEN_INVALID",
    "LocalZaloOA",
    "SentMessage",
]
