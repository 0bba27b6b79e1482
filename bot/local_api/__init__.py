"""A local, Telegram-faithful Bot API server: the real PTB bot talks to it over HTTP.

Used by the test suite (a real ``telegram.ext.Application`` against simulated users) and by
``ntvt chat`` (the bot in a terminal, without a Telegram token). See :mod:`.server`.
"""

from bot.local_api.errors import ApiError
from bot.local_api.html import ParsedText, ParseError, parse_html, to_html, utf16_len
from bot.local_api.models import (
    ApiCall,
    BotMessage,
    BotUser,
    CallbackAnswer,
    ChatEvent,
    FileRecord,
    UploadedFile,
    WebhookDelivery,
)
from bot.local_api.ptb import local_application_builder, local_bot, local_request
from bot.local_api.server import LocalBotApi
from bot.local_api.spec import BotApiSpec, load_spec
from bot.local_api.users import NoReplyError, SimChat, SimGroup, SimUser

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiSpec",
    "BotMessage",
    "BotUser",
    "CallbackAnswer",
    "ChatEvent",
    "FileRecord",
    "LocalBotApi",
    "NoReplyError",
    "ParseError",
    "ParsedText",
    "SimChat",
    "SimGroup",
    "SimUser",
    "UploadedFile",
    "WebhookDelivery",
    "load_spec",
    "local_application_builder",
    "local_bot",
    "local_request",
    "parse_html",
    "to_html",
    "utf16_len",
]
