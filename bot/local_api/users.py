"""Simulated Telegram users: they send real updates and read what the bot answered."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

from bot.local_api.html import utf16_len
from bot.local_api.markup import button_labels, keyboard_button
from bot.local_api.models import BotMessage, BotUser, CallbackAnswer, ChatState
from bot.local_api.state import BotState
from bot.local_api.text import detect_entities

__all__ = ["NoReplyError", "SimChat", "SimGroup", "SimUser"]


class ChatServer(Protocol):
    """What a simulated chat needs of the server (:class:`~bot.local_api.server.LocalBotApi`)."""

    state: BotState

    @property
    def bot_user(self) -> BotUser:
        """The bot's identity."""

    async def send_user_message(
        self,
        sender: SimUser,
        chat: ChatState,
        content: dict[str, Any],
        *,
        reply_to: BotMessage | None = None,
        tapped: bool = False,
    ) -> dict[str, Any]:
        """Store a message written by ``sender`` in ``chat`` and deliver it as an update."""

    async def edit_user_message(
        self, sender: SimUser, chat: ChatState, message: dict[str, Any], text: str
    ) -> dict[str, Any]:
        """Edit a text message ``sender`` wrote and deliver an ``edited_message`` update."""

    async def send_callback_query(
        self, sender: SimUser, chat: ChatState, message: BotMessage, data: str
    ) -> dict[str, Any]:
        """Deliver a ``callback_query`` for a button of ``message`` pressed by ``sender``."""

    async def set_blocked(self, sender: SimUser, chat: ChatState, blocked: bool) -> None:
        """Block or unblock the bot in a private chat, with the ``my_chat_member`` update."""


class NoReplyError(AssertionError):
    """The bot did not answer as expected within the time allowed."""


def _describe_keyboard(message: BotMessage) -> str:
    rows = [
        "["
        + ", ".join(
            f"{b.get('text')!r}" + (f" -> {b['callback_data']!r}" if "callback_data" in b else "")
            for b in row
        )
        + "]"
        for row in message.inline_keyboard
    ]
    return "; ".join(rows) or "(no buttons)"


class SimChat:
    """The reading side of a chat: the bot's messages, keyboards and waits for new ones."""

    def __init__(self, api: ChatServer, chat: ChatState) -> None:
        self._api = api
        self._chat = chat
        self._cursor = len(chat.bot_messages)

    @property
    def chat_id(self) -> int:
        """The id of the chat."""
        return self._chat.chat_id

    @property
    def chat(self) -> dict[str, Any]:
        """The Chat object."""
        return self._chat.chat

    @property
    def state(self) -> ChatState:
        """Everything the server keeps about the chat."""
        return self._chat

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat that still exist, oldest first, as edited."""
        return [m for m in self._chat.bot_messages if not m.deleted]

    @property
    def all_messages(self) -> list[BotMessage]:
        """Every bot message ever sent to this chat, including deleted ones."""
        return list(self._chat.bot_messages)

    @property
    def last_message(self) -> BotMessage:
        """The bot's latest message that still exists (AssertionError when there is none)."""
        messages = self.messages
        if not messages:
            raise NoReplyError(f"the bot has sent nothing (left) in chat {self.chat_id}")
        return messages[-1]

    @property
    def last_text(self) -> str:
        """Text (or caption) of the bot's latest message."""
        return self.last_message.text

    def inline_buttons(self, message: BotMessage | None = None) -> list[list[str]]:
        """Labels of the inline keyboard of ``message`` (default: the bot's latest message)."""
        if message is None:
            messages = self.messages
            if not messages:
                return []
            message = messages[-1]
        return message.buttons

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown, ``None`` when none is shown."""
        markup = self._chat.reply_keyboard
        return None if markup is None else button_labels(markup["keyboard"])

    @property
    def reply_keyboard_markup(self) -> dict[str, Any] | None:
        """The ReplyKeyboardMarkup currently shown, as sent by the bot."""
        return self._chat.reply_keyboard

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Answers the bot gave to button presses in this chat."""
        return list(self._chat.callback_answers)

    @property
    def chat_actions(self) -> list[str]:
        """Chat actions ("typing", ...) the bot sent to this chat."""
        return list(self._chat.chat_actions)

    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
    ) -> list[BotMessage]:
        """Wait for ``count`` new bot messages since the previous wait and return them.

        Raises:
            NoReplyError: fewer messages arrived within ``timeout`` seconds.

        """
        start = self._cursor
        arrived = await self._api.state.signal.wait_for(
            lambda: len(self._chat.bot_messages) - start >= count, timeout
        )
        new = self._chat.bot_messages[start : start + count]
        if not arrived:
            got = self._chat.bot_messages[start:]
            raise NoReplyError(
                f"expected {count} new bot message(s) in chat {self.chat_id} within "
                f"{timeout}s, got {len(got)}: {[m.text for m in got]!r}"
            )
        self._cursor = start + count
        return new

    async def next_message(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
    ) -> BotMessage:
        """Wait for the next new bot message and return it."""
        return (await self.wait_for_messages(1, timeout))[0]

    def skip_pending(self) -> None:
        """Treat every bot message so far as seen by the next wait."""
        self._cursor = len(self._chat.bot_messages)

    async def wait_until(
        self,
        predicate: Callable[[SimChat], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
    ) -> None:
        """Wait until ``predicate(self)`` is true (e.g. a message was edited).

        Raises:
            NoReplyError: it is still false after ``timeout`` seconds.

        """
        if not await self._api.state.signal.wait_for(lambda: bool(predicate(self)), timeout):
            raise NoReplyError(f"condition still false after {timeout}s in chat {self.chat_id}")


class SimUser(SimChat):
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        api: ChatServer,
        user: dict[str, Any],
        chat: ChatState,
        *,
        phone_number: str | None = None,
    ) -> None:
        super().__init__(api, chat)
        self.user = user
        # Telegram shares the number as digits with the country code and no "+".
        self.phone_number = phone_number or f"849{int(user['id']) % 10**8:08d}"

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.first_name!r}>"

    @property
    def id(self) -> int:
        """The user's id."""
        return int(self.user["id"])

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return str(self.user["first_name"])

    @property
    def chat_instance(self) -> str:
        """The ``chat_instance`` of button presses in this chat."""
        digest = hashlib.sha1(f"{self.chat_id}:{self._api.bot_user.id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    # sending -------------------------------------------------------------------------

    async def _send(
        self, content: dict[str, Any], reply_to: BotMessage | None = None
    ) -> dict[str, Any]:
        return await self._api.send_user_message(self, self._chat, content, reply_to=reply_to)

    async def send_text(self, text: str, *, reply_to: BotMessage | None = None) -> dict[str, Any]:
        """Send a text message (commands, links and mentions get their entities)."""
        content: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return await self._send(content, reply_to)

    async def send_command(self, command: str, payload: str | None = None) -> dict[str, Any]:
        """Send ``/command`` (or ``/command payload``) with its ``bot_command`` entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = command if payload is None else f"{command} {payload}"
        return await self._send(
            {
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}],
            }
        )

    async def send_photo(
        self,
        file_size: int = 150_000,
        width: int = 1280,
        height: int = 960,
        *,
        caption: str | None = None,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """Send a photo (three sizes, like Telegram); the bot can getFile every size."""
        state = self._api.state
        sizes: list[dict[str, Any]] = []
        for scale, share in ((90, 0.02), (320, 0.15), (None, 1.0)):
            if scale is None:
                w, h = width, height
                record = state.register_file("photos", ".jpg", size=file_size, content=content)
            else:
                ratio = min(1.0, scale / max(width, height))
                w, h = max(int(width * ratio), 1), max(int(height * ratio), 1)
                record = state.register_file("photos", ".jpg", size=max(int(file_size * share), 1))
            item = {
                "file_id": record.file_id,
                "file_unique_id": record.file_unique_id,
                "file_size": record.file_size,
                "width": w,
                "height": h,
            }
            record.media.update(width=w, height=h)
            sizes.append(item)
        message: dict[str, Any] = {"photo": sizes}
        if caption:
            message["caption"] = caption
        return await self._send(message)

    async def send_document(
        self,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        file_size: int = 100_000,
        *,
        caption: str | None = None,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """Send a document the bot can getFile and download."""
        extension = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        record = self._api.state.register_file(
            "documents", extension, size=file_size, content=content
        )
        document = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": record.file_size,
        }
        record.media.update(file_name=file_name, mime_type=mime_type)
        message: dict[str, Any] = {"document": document}
        if caption:
            message["caption"] = caption
        return await self._send(message)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a (static) sticker."""
        record = self._api.state.register_file("stickers", ".webp", size=20_000)
        sticker = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": record.file_size,
        }
        return await self._send({"sticker": sticker})

    async def send_voice(self, duration: int = 3, file_size: int = 12_000) -> dict[str, Any]:
        """Send a voice note."""
        record = self._api.state.register_file("voice", ".oga", size=file_size)
        voice = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": record.file_size,
        }
        return await self._send({"voice": voice})

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location."""
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(
        self,
        phone_number: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; ``own=True`` is the user's own (as a request_contact button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or (self.first_name if own else "Contact"),
        }
        if own:
            contact["user_id"] = self.id
            if "last_name" in self.user:
                contact["last_name"] = self.user["last_name"]
        elif user_id is not None:
            contact["user_id"] = user_id
        return await self._send({"contact": contact})

    async def tap(
        self, label: str, *, latitude: float = 21.0287, longitude: float = 105.8524
    ) -> dict[str, Any]:
        """Tap a button of the reply keyboard shown, as the Telegram app does.

        A plain button sends its text; «request_contact» shares the user's own contact
        (:attr:`phone_number`, with their id, as Telegram does); «request_location» the
        place the phone is at (``latitude``, ``longitude``; by default Hoàn Kiếm lake).

        Raises:
            NoReplyError: no reply keyboard is shown, or it has no such button.

        """
        button = keyboard_button(self._chat.reply_keyboard, label)
        if button is None:
            shown = self.reply_keyboard
            raise NoReplyError(f"no reply-keyboard button {label!r}; shown: {shown!r}")
        content: dict[str, Any]
        if button.get("request_contact"):
            contact: dict[str, Any] = {
                "phone_number": self.phone_number,
                "first_name": self.first_name,
                "user_id": self.id,
            }
            if "last_name" in self.user:
                contact["last_name"] = self.user["last_name"]
            content = {"contact": contact}
        elif button.get("request_location"):
            content = {"location": {"latitude": latitude, "longitude": longitude}}
        elif any(key.startswith("request_") or key == "web_app" for key in button):
            raise NotImplementedError(f"the simulated app cannot tap {button!r}")
        else:
            content = {"text": label}
            entities = detect_entities(label)
            if entities:
                content["entities"] = entities
        return await self._api.send_user_message(self, self._chat, content, tapped=True)

    async def edit_text(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        return await self._api.edit_user_message(self, self._chat, message, text)

    # buttons -------------------------------------------------------------------------

    def _last_with_keyboard(self) -> BotMessage:
        for message in reversed(self.messages):
            if message.inline_keyboard:
                return message
        raise NoReplyError(f"no bot message with an inline keyboard in chat {self.chat_id}")

    async def press(self, text_or_data: str) -> dict[str, Any]:
        """Press a button of the latest bot message that has an inline keyboard.

        Matches the button label exactly, else its ``callback_data``. When the bot's latest
        message has no inline keyboard and the reply keyboard shown has a button with that
        label, that button is tapped instead (:meth:`tap`): the one the user sees.
        """
        messages = self.messages
        if (
            messages
            and not messages[-1].inline_keyboard
            and keyboard_button(self._chat.reply_keyboard, text_or_data) is not None
        ):
            return await self.tap(text_or_data)
        return await self.press_on(self._last_with_keyboard(), text_or_data)

    async def press_on(self, message: BotMessage, text_or_data: str) -> dict[str, Any]:
        """Press a button of a specific (possibly older) bot message."""
        if message.deleted:
            raise NoReplyError(f"message {message.message_id} was deleted; it cannot be pressed")
        buttons = [button for row in message.inline_keyboard for button in row]
        match = next((b for b in buttons if b.get("text") == text_or_data), None)
        if match is None:
            match = next((b for b in buttons if b.get("callback_data") == text_or_data), None)
        if match is None:
            raise NoReplyError(
                f"no button {text_or_data!r} on message {message.message_id}; "
                f"available: {_describe_keyboard(message)}"
            )
        if "callback_data" not in match:
            kind = next(
                (k for k in match if k not in ("text", "style", "icon_custom_emoji_id")), "?"
            )
            raise NoReplyError(
                f"button {match['text']!r} is a {kind} button, not a callback button"
            )
        return await self.send_callback(str(match["callback_data"]), message)

    async def press_for_reply(
        self,
        text_or_data: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
    ) -> BotMessage:
        """Press a button as :meth:`press` does and return the bot's answer to it.

        The answer is the next new message, or the pressed message itself once the bot has
        edited its text (a question turned into the next one), whichever comes first.
        """
        messages = self.messages
        if (
            messages
            and not messages[-1].inline_keyboard
            and keyboard_button(self._chat.reply_keyboard, text_or_data) is not None
        ):
            await self.tap(text_or_data)
            return await self.next_message(timeout)
        return await self.press_on_for_reply(self._last_with_keyboard(), text_or_data, timeout)

    async def press_on_for_reply(
        self,
        pressed: BotMessage,
        text_or_data: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
    ) -> BotMessage:
        """Press a button of ``pressed`` and return the bot's answer (:meth:`press_for_reply`)."""
        before = pressed.text
        start = self._cursor
        await self.press_on(pressed, text_or_data)
        if not await self._api.state.signal.wait_for(
            lambda: len(self._chat.bot_messages) > start or pressed.text != before, timeout
        ):
            raise NoReplyError(f"no answer to {text_or_data!r} within {timeout}s")
        if len(self._chat.bot_messages) > start:
            self._cursor = start + 1
            return self._chat.bot_messages[start]
        return pressed

    async def send_callback(self, data: str, message: BotMessage) -> dict[str, Any]:
        """Deliver a callback query with arbitrary ``data`` (a forged or stale button)."""
        return await self._api.send_callback_query(self, self._chat, message, data)

    # blocking ------------------------------------------------------------------------

    async def block_bot(self) -> None:
        """Block the bot: sends fail with 403 and a ``my_chat_member`` update arrives."""
        await self._api.set_blocked(self, self._chat, True)

    async def unblock_bot(self) -> None:
        """Unblock the bot (another ``my_chat_member`` update)."""
        await self._api.set_blocked(self, self._chat, False)

    @property
    def blocked(self) -> bool:
        """Whether the user currently blocks the bot."""
        return self._chat.blocked


class SimGroup(SimChat):
    """A group chat with the bot; members send through it."""

    async def send_text(self, user: SimUser, text: str) -> dict[str, Any]:
        """``user`` writes ``text`` in the group."""
        content: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return await self._api.send_user_message(user, self._chat, content)

    async def send_command(
        self, user: SimUser, command: str, payload: str | None = None
    ) -> dict[str, Any]:
        """``user`` sends ``/command@bot`` in the group."""
        command = command if command.startswith("/") else f"/{command}"
        command = f"{command}@{self._api.bot_user.username}"
        text = command if payload is None else f"{command} {payload}"
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return await self._api.send_user_message(
            user, self._chat, {"text": text, "entities": [entity]}
        )

    async def press(self, user: SimUser, text_or_data: str) -> dict[str, Any]:
        """``user`` presses a button of the latest bot message with an inline keyboard."""
        for message in reversed(self.messages):
            if message.inline_keyboard:
                for button in (b for row in message.inline_keyboard for b in row):
                    if text_or_data in (button.get("text"), button.get("callback_data")):
                        data = str(button.get("callback_data", ""))
                        return await self._api.send_callback_query(user, self._chat, message, data)
                raise NoReplyError(
                    f"no button {text_or_data!r}; available: {_describe_keyboard(message)}"
                )
        raise NoReplyError(f"no bot message with an inline keyboard in chat {self.chat_id}")
