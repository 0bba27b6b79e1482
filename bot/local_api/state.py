"""The world the local Bot API simulates: chats, messages, files, button presses, commands."""

from __future__ import annotations

import copy
import hashlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.local_api.errors import ApiError, bad_request
from bot.local_api.models import BotMessage, ChatEvent, ChatState, FileRecord, Signal

__all__ = ["BotState", "CallbackQueryRecord"]

_log = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(slots=True)
class CallbackQueryRecord:
    """A button press the bot has (or has not yet) answered."""

    query_id: str
    chat_id: int | None
    created: float
    answered: bool = False


class BotState:
    """Chats, messages, files and settings, shared by the HTTP handlers and the simulators."""

    def __init__(
        self,
        bot_user: dict[str, Any],
        *,
        clock: Callable[[], float] = time.time,
        signal: Signal | None = None,
    ) -> None:
        self.bot_user = bot_user
        self.clock = clock
        self.signal = signal or Signal()
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.default_menu_button: dict[str, Any] = {"type": "commands"}
        self.listeners: list[Callable[[ChatEvent], None]] = []
        self.max_download_size = 20 * MB
        self.max_upload_size = 50 * MB
        self.max_photo_upload_size = 10 * MB
        self.callback_answer_timeout: float | None = 15.0
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(4_000_000_000_000_000_001)

    def now(self) -> int:
        """Unix time for ``date`` fields."""
        return int(self.clock())

    # chats -----------------------------------------------------------------------------

    def add_chat(self, chat: dict[str, Any], user: dict[str, Any] | None = None) -> ChatState:
        """Register a chat (or return the one with the same id)."""
        chat_id = int(chat["id"])
        state = self.chats.get(chat_id)
        if state is None:
            state = ChatState(chat=chat, user=user)
            self.chats[chat_id] = state
        return state

    def resolve_chat(self, value: Any, *, for_sending: bool = False) -> ChatState:
        """Return the chat a ``chat_id`` parameter names.

        Raises:
            ApiError: 400 "chat not found", or 403 when the user blocked the bot and the call
                would reach them (``for_sending``).

        """
        state: ChatState | None = None
        if isinstance(value, int):
            state = self.chats.get(value)
        elif isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            state = next(
                (
                    c
                    for c in self.chats.values()
                    if c.chat.get("type") != "private"
                    and str(c.chat.get("username", "")).lower() == wanted
                ),
                None,
            )
        if state is None:
            raise bad_request("chat not found")
        if for_sending and state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return state

    # messages --------------------------------------------------------------------------

    def add_message(
        self,
        chat: ChatState,
        content: dict[str, Any],
        *,
        sender: dict[str, Any] | None = None,
        reply_to: BotMessage | None = None,
    ) -> BotMessage:
        """Store a new message in ``chat``; ``sender`` is a user (``None`` means the bot)."""
        from_bot = sender is None
        raw: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": copy.deepcopy(self.bot_user if sender is None else sender),
            "chat": copy.deepcopy(chat.chat),
            "date": self.now(),
        }
        if reply_to is not None:
            quoted = reply_to.snapshot()
            quoted.pop("reply_to_message", None)
            raw["reply_to_message"] = quoted
        raw.update(content)
        message = BotMessage(raw, from_bot=from_bot)
        chat.messages[message.message_id] = message
        if from_bot:
            chat.bot_messages.append(message)
            self.emit(ChatEvent("sent", chat.chat_id, message))
        self.signal.fire()
        return message

    def find_message(self, chat: ChatState, message_id: Any) -> BotMessage | None:
        """Return the message of ``chat`` with that id, if it still exists."""
        if not isinstance(message_id, int):
            return None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def edit_message(
        self, message: BotMessage, changes: dict[str, Any], removed: tuple[str, ...]
    ) -> None:
        """Apply an edit, keeping the previous version in ``message.history``."""
        message.history.append(message.snapshot())
        for key in removed:
            message.raw.pop(key, None)
        message.raw.update(changes)
        message.raw["edit_date"] = self.now()
        self.emit(ChatEvent("edited", message.chat_id, message))
        self.signal.fire()

    def delete_message(self, message: BotMessage) -> None:
        """Mark ``message`` deleted."""
        message.deleted = True
        self.emit(ChatEvent("deleted", message.chat_id, message))
        self.signal.fire()

    # files -----------------------------------------------------------------------------

    def register_file(
        self,
        folder: str,
        extension: str,
        *,
        size: int | None = None,
        content: bytes | None = None,
    ) -> FileRecord:
        """Create a file the bot can ``getFile`` and download."""
        number = next(self._file_counter)
        unique = hashlib.sha1(f"{folder}/{number}".encode()).hexdigest()[:16]
        file_id = f"{folder[:2].upper()}ACAgI{number:06d}{unique}"
        extension = extension if extension.startswith(".") or not extension else f".{extension}"
        record = FileRecord(
            file_id=file_id,
            file_unique_id=f"AQAD{unique[:12]}",
            file_size=len(content) if content is not None else (size or 0),
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
        )
        self.files[record.file_id] = record
        self.files_by_path[record.file_path] = record
        return record

    # button presses --------------------------------------------------------------------

    def new_callback_query(self, chat_id: int | None) -> CallbackQueryRecord:
        """Register a button press waiting for ``answerCallbackQuery``."""
        record = CallbackQueryRecord(str(next(self._query_counter)), chat_id, time.monotonic())
        self.callback_queries[record.query_id] = record
        return record

    # listeners -------------------------------------------------------------------------

    def emit(self, event: ChatEvent) -> None:
        """Tell the listeners what the bot did; a failing listener is logged, not raised."""
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                _log.exception("local Bot API listener failed on %s", event.kind)
