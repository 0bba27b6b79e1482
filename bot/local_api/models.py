"""Records the local Bot API keeps: the bot itself, calls, deliveries, messages, files, chats."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.local_api.html import to_html
from bot.local_api.markup import button_labels, inline_rows

__all__ = [
    "ApiCall",
    "BotMessage",
    "BotUser",
    "CallbackAnswer",
    "ChatEvent",
    "ChatState",
    "FileRecord",
    "Signal",
    "UploadedFile",
    "WebhookDelivery",
]


@dataclass(frozen=True, slots=True)
class BotUser:
    """The bot's own Telegram identity (what ``getMe`` returns)."""

    id: int
    username: str
    first_name: str
    is_bot: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the ``User`` object."""
        return {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def __repr__(self) -> str:
        return f"UploadedFile({self.field_name!r}, {self.filename!r}, {self.size} bytes)"


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API call as the server saw it.

    ``params`` are the decoded parameters (numbers as numbers, markup as dicts); ``at`` is
    ``time.monotonic()`` when the answer was sent; ``result`` is the ``result`` of a
    successful answer.
    """

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    at: float
    result: Any = None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook."""

    update_id: int
    url: str
    attempt: int
    status: int | None
    error: str | None
    at: float
    secret_token_sent: bool = False

    @property
    def ok(self) -> bool:
        """Whether the webhook answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press (``answerCallbackQuery``)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(slots=True)
class FileRecord:
    """A file the server knows: ids, size, path, content and its media object.

    ``media`` is the object a message carries for it (a ``Document``, ``PhotoSize`` ...), so
    sending the same ``file_id`` again produces the same object.
    """

    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str
    content: bytes | None = None
    media: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> bytes:
        """Return the bytes served at the download URL (generated without content)."""
        if self.content is not None:
            return self.content
        seed = self.file_unique_id.encode()
        return (seed * (self.file_size // max(len(seed), 1) + 1))[: self.file_size]


class BotMessage:
    """A message in a chat, kept up to date with edits and deletions.

    ``raw`` is the current ``Message`` object as the Bot API would return it.
    """

    __slots__ = ("deleted", "from_bot", "history", "raw")

    def __init__(self, raw: dict[str, Any], *, from_bot: bool) -> None:
        self.raw = raw
        self.from_bot = from_bot
        self.deleted = False
        self.history: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<BotMessage {self.chat_id}/{self.message_id}{state} {self.text[:40]!r}>"

    @property
    def message_id(self) -> int:
        """The id of the message inside its chat."""
        return int(self.raw["message_id"])

    @property
    def chat_id(self) -> int:
        """The id of the chat."""
        return int(self.raw["chat"]["id"])

    @property
    def text(self) -> str:
        """The text, or the caption of a media message ("" when there is neither)."""
        return str(self.raw.get("text", self.raw.get("caption", "")))

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Entities of the text or caption."""
        value: list[dict[str, Any]] = self.raw.get("entities", self.raw.get("caption_entities", []))
        return value

    @property
    def html(self) -> str:
        """The text with its formatting rendered back as Telegram HTML."""
        return to_html(self.text, self.entities)

    @property
    def kind(self) -> str:
        """What the message carries: text, photo, document, location, contact, ..."""
        for key in (
            "text",
            "photo",
            "document",
            "audio",
            "video",
            "voice",
            "animation",
            "sticker",
            "video_note",
            "location",
            "venue",
            "contact",
        ):
            if key in self.raw:
                return key
        return "other"

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The inline keyboard attached to the message, if any."""
        markup: dict[str, Any] | None = self.raw.get("reply_markup")
        return markup

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons (dicts with text and callback_data/url/...)."""
        return inline_rows(self.reply_markup)

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline buttons, row by row."""
        return button_labels(self.inline_keyboard)

    @property
    def callback_data(self) -> list[list[str | None]]:
        """``callback_data`` of the inline buttons, row by row."""
        return [[b.get("callback_data") for b in row] for row in self.inline_keyboard]

    @property
    def edited(self) -> bool:
        """Whether the message was edited at least once."""
        return bool(self.history)

    def snapshot(self) -> dict[str, Any]:
        """Return a deep copy of the current ``Message`` object."""
        return copy.deepcopy(self.raw)


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something the bot did in a chat (for listeners such as the terminal chat)."""

    kind: Literal["sent", "edited", "deleted", "callback_answer", "chat_action"]
    chat_id: int
    message: BotMessage | None = None
    detail: Any = None


@dataclass(slots=True)
class ChatState:
    """Everything the server knows about one chat."""

    chat: dict[str, Any]
    user: dict[str, Any] | None = None
    messages: dict[int, BotMessage] = field(default_factory=dict)
    bot_messages: list[BotMessage] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    reply_keyboard: dict[str, Any] | None = None
    force_reply: dict[str, Any] | None = None
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    chat_actions: list[str] = field(default_factory=list)
    menu_button: dict[str, Any] | None = None

    @property
    def chat_id(self) -> int:
        """The chat's id."""
        return int(self.chat["id"])

    def take_message_id(self) -> int:
        """Reserve the next message id of this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


class Signal:
    """A broadcast "something changed" notification for waiters (no polling loops)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every current waiter."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline
        """Wait until the next :meth:`fire`, at most ``timeout`` seconds."""
        if timeout <= 0:
            return
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - the deadline is the point of the method
    ) -> bool:
        """Wait until ``predicate()`` holds (re-checked on every fire); ``False`` on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self.wait(remaining)
        return True
