"""The Bot API methods the local server implements for real (all but updates and webhooks).

Every handler takes the decoded parameters of one call and returns its ``result`` or raises
:class:`~bot.local_api.errors.ApiError`. Handlers are synchronous on purpose: a check and the
change it guards happen without a chance for another request to run in between.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import re
import struct
import time
from collections.abc import Callable
from typing import Any

from bot.local_api.errors import ApiError, bad_request
from bot.local_api.markup import parse_reply_markup, refuse_private_requests
from bot.local_api.models import (
    BotMessage,
    CallbackAnswer,
    ChatEvent,
    ChatState,
    FileRecord,
    UploadedFile,
)
from bot.local_api.state import BotState
from bot.local_api.text import format_text

__all__ = ["CHAT_ACTIONS", "MEDIA_METHODS", "Handler", "MethodHandlers"]

Handler = Callable[[dict[str, Any]], Any]

MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendVoice": "voice",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_MEDIA_FOLDERS = {
    "photo": ("photos", ".jpg", "image/jpeg"),
    "document": ("documents", "", "application/octet-stream"),
    "audio": ("music", ".mp3", "audio/mpeg"),
    "video": ("videos", ".mp4", "video/mp4"),
    "voice": ("voice", ".oga", "audio/ogg"),
    "animation": ("animations", ".mp4", "video/mp4"),
    "sticker": ("stickers", ".webp", "image/webp"),
    "video_note": ("video_notes", ".mp4", "video/mp4"),
}
_CAPTIONLESS = frozenset({"sticker", "video_note"})


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, if recognisable."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return None


class MethodHandlers:
    """Implementations of the message, file, command and chat methods over a :class:`BotState`."""

    def __init__(self, state: BotState) -> None:
        self.state = state

    def registry(self) -> dict[str, Handler]:
        """Handlers by canonical method name."""
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "sendMessage": self.send_message,
            "sendLocation": self.send_location,
            "sendContact": self.send_contact,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getChat": self.get_chat,
        }
        for method, kind in MEDIA_METHODS.items():
            handlers[method] = functools.partial(self.send_media, kind)
        return handlers

    # identity ----------------------------------------------------------------------------

    def get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        """``getMe``: the bot's User object with the getMe-only fields."""
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # sending -----------------------------------------------------------------------------

    def _reply_target(self, chat: ChatState, reply: Any) -> BotMessage | None:
        if not isinstance(reply, dict):
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self.state.resolve_chat(reply["chat_id"])
        message = self.state.find_message(target_chat, reply.get("message_id"))
        if message is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return message

    def _send(
        self,
        params: dict[str, Any],
        build: Callable[[ChatState], dict[str, Any]],
    ) -> dict[str, Any]:
        chat = self.state.resolve_chat(params["chat_id"], for_sending=True)
        content = build(chat)
        markup = parse_reply_markup(params.get("reply_markup"))
        refuse_private_requests(markup, str(chat.chat.get("type")))
        reply_to = self._reply_target(chat, params.get("reply_parameters"))
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        if params.get("protect_content"):
            content["has_protected_content"] = True
        if markup and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup and "remove_keyboard" in markup:
            chat.reply_keyboard = None
        chat.force_reply = markup if markup and "force_reply" in markup else None
        return self.state.add_message(chat, content, reply_to=reply_to).snapshot()

    @staticmethod
    def _formatted(
        params: dict[str, Any], key: str, entities_key: str, *, caption: bool
    ) -> dict[str, Any]:
        if caption and not params.get(key):
            return {}
        parsed = format_text(
            params[key],
            parse_mode=params.get("parse_mode"),
            entities=params.get(entities_key),
            caption=caption,
        )
        content: dict[str, Any] = {key: parsed.text} if parsed.text else {}
        if parsed.entities:
            content[entities_key] = parsed.entities
        return content

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """``sendMessage``: text 1-4096 UTF-16 units after parsing, checked markup."""
        return self._send(
            params, lambda chat: self._formatted(params, "text", "entities", caption=False)
        )

    def send_location(self, params: dict[str, Any]) -> dict[str, Any]:
        """``sendLocation``: latitude in [-90, 90], longitude in [-180, 180]."""
        latitude, longitude = float(params["latitude"]), float(params["longitude"])
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise bad_request("wrong latitude or longitude")
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if params.get(key) is not None:
                location[key] = params[key]
        return self._send(params, lambda chat: {"location": location})

    def send_contact(self, params: dict[str, Any]) -> dict[str, Any]:
        """``sendContact``."""
        contact = {
            key: params[key]
            for key in ("phone_number", "first_name", "last_name", "vcard")
            if params.get(key) is not None
        }
        return self._send(params, lambda chat: {"contact": contact})

    def _input_file(self, kind: str, value: Any, params: dict[str, Any]) -> FileRecord:
        """Resolve a media parameter: an upload, ``attach://name``, a file_id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value[len("attach://") :])
            if not isinstance(attached, UploadedFile):
                raise bad_request(f"file {value} not found in the request")
            value = attached
        folder, extension, mime = _MEDIA_FOLDERS[kind]
        if isinstance(value, UploadedFile):
            limit = (
                self.state.max_photo_upload_size if kind == "photo" else self.state.max_upload_size
            )
            if value.size > limit:
                raise ApiError(413, "Request Entity Too Large")
            if not value.size:
                raise bad_request(f"file must be non-empty ({kind})")
            if value.filename and "." in value.filename and kind == "document":
                extension = "." + value.filename.rsplit(".", 1)[1]
            record = self.state.register_file(folder, extension, content=value.data)
            guessed = mimetypes.guess_type(value.filename or "")[0]
            record.media.update(
                file_name=value.filename or f"file{extension}",
                mime_type=(
                    value.content_type
                    if value.content_type and value.content_type != "application/octet-stream"
                    else guessed or mime
                ),
            )
            if kind == "photo":
                width, height = _image_size(value.data) or (1280, 960)
                record.media.update(width=width, height=height)
            return record
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        known = self.state.files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            record = self.state.register_file(folder, extension, size=50_000)
            record.media.update(file_name=value.rsplit("/", 1)[-1] or "file", mime_type=mime)
            return record
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _media_object(self, kind: str, record: FileRecord, params: dict[str, Any]) -> Any:
        base = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
        }
        media = record.media
        if kind == "photo":
            width = int(media.get("width", 1280))
            height = int(media.get("height", 960))
            scale = min(1.0, 90 / max(width, height, 1))
            thumb = {
                "file_id": record.file_id + "_s",
                "file_unique_id": record.file_unique_id + "s",
                "file_size": max(record.file_size // 20, 1),
                "width": max(int(width * scale), 1),
                "height": max(int(height * scale), 1),
            }
            return [thumb, {**base, "width": width, "height": height}]
        duration = int(params.get("duration") or media.get("duration") or 1)
        width = int(params.get("width") or media.get("width") or 640)
        height = int(params.get("height") or media.get("height") or 480)
        if kind == "document":
            return {
                **base,
                "file_name": media.get("file_name", "file"),
                "mime_type": media.get("mime_type", "application/octet-stream"),
            }
        if kind == "audio":
            return {
                **base,
                "duration": duration,
                "mime_type": media.get("mime_type", "audio/mpeg"),
                "file_name": media.get("file_name", "audio.mp3"),
            }
        if kind == "voice":
            return {**base, "duration": duration, "mime_type": "audio/ogg"}
        if kind in ("video", "animation"):
            return {
                **base,
                "width": width,
                "height": height,
                "duration": duration,
                "mime_type": media.get("mime_type", "video/mp4"),
            }
        if kind == "video_note":
            return {**base, "length": int(params.get("length") or 240), "duration": duration}
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": params.get("emoji") or "🙂",
        }

    def send_media(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """``sendPhoto``/``sendDocument``/...: the file, caption ≤ 1024, checked markup."""

        def build(chat: ChatState) -> dict[str, Any]:
            record = self._input_file(kind, params[kind], params)
            content: dict[str, Any] = {kind: self._media_object(kind, record, params)}
            if kind not in _CAPTIONLESS:
                content.update(self._formatted(params, "caption", "caption_entities", caption=True))
            if params.get("has_spoiler"):
                content["has_media_spoiler"] = True
            return content

        return self._send(params, build)

    def send_chat_action(self, params: dict[str, Any]) -> bool:
        """``sendChatAction``: one of Telegram's actions, refused for a blocked user."""
        chat = self.state.resolve_chat(params["chat_id"], for_sending=True)
        action = params["action"]
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        self.state.emit(ChatEvent("chat_action", chat.chat_id, detail=action))
        return True

    # editing -----------------------------------------------------------------------------

    def _edit_target(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        if params.get("chat_id") is None:
            raise bad_request("chat_id is empty")
        if params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.state.resolve_chat(params["chat_id"], for_sending=True)
        message = self.state.find_message(chat, params["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self, message: BotMessage, changes: dict[str, Any], keys: tuple[str, ...]
    ) -> dict[str, Any]:
        if all(message.raw.get(key) == changes.get(key) for key in keys):
            raise bad_request(_NOT_MODIFIED)
        removed = tuple(key for key in keys if key not in changes)
        self.state.edit_message(message, changes, removed)
        return message.snapshot()

    def edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """``editMessageText``: refuses a missing message and an edit that changes nothing."""
        message = self._edit_target(params)
        if "text" not in message.raw:
            raise bad_request("there is no text in the message to edit")
        if not params.get("text"):
            raise bad_request("message text is empty")
        changes = self._formatted(params, "text", "entities", caption=False)
        markup = parse_reply_markup(params.get("reply_markup"), inline_only=True)
        if markup:
            changes["reply_markup"] = markup
        return self._apply_edit(message, changes, ("text", "entities", "reply_markup"))

    def edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        """``editMessageCaption``: only for media messages."""
        message = self._edit_target(params)
        if "text" in message.raw:
            raise bad_request("there is no caption in the message to edit")
        changes = self._formatted(params, "caption", "caption_entities", caption=True)
        markup = parse_reply_markup(params.get("reply_markup"), inline_only=True)
        if markup:
            changes["reply_markup"] = markup
        return self._apply_edit(message, changes, ("caption", "caption_entities", "reply_markup"))

    def edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """``editMessageReplyMarkup``: no ``reply_markup`` removes the inline keyboard."""
        message = self._edit_target(params)
        markup = parse_reply_markup(params.get("reply_markup"), inline_only=True)
        changes = {"reply_markup": markup} if markup else {}
        return self._apply_edit(message, changes, ("reply_markup",))

    def delete_message(self, params: dict[str, Any]) -> bool:
        """``deleteMessage``: the message must exist in that chat."""
        chat = self.state.resolve_chat(params["chat_id"])
        message = self.state.find_message(chat, params["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        self.state.delete_message(message)
        return True

    def delete_messages(self, params: dict[str, Any]) -> bool:
        """``deleteMessages``: 1-100 ids; the ones that do not exist are skipped."""
        chat = self.state.resolve_chat(params["chat_id"])
        ids = params["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            message = self.state.find_message(chat, message_id)
            if message is not None:
                self.state.delete_message(message)
        return True

    def _copy_content(self, params: dict[str, Any]) -> tuple[BotMessage, dict[str, Any]]:
        source_chat = self.state.resolve_chat(params["from_chat_id"])
        source = self.state.find_message(source_chat, params["message_id"])
        if source is None:
            raise bad_request("message to copy not found")
        skip = {
            "message_id",
            "from",
            "chat",
            "date",
            "edit_date",
            "reply_to_message",
            "reply_markup",
            "forward_origin",
        }
        return source, {k: v for k, v in source.snapshot().items() if k not in skip}

    def copy_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """``copyMessage``: the content of a message, sent by the bot; returns a MessageId."""
        _source, content = self._copy_content(params)
        if params.get("caption") is not None and "text" not in content:
            content.pop("caption_entities", None)
            content.update(self._formatted(params, "caption", "caption_entities", caption=True))
        sent = self._send(params, lambda chat: content)
        return {"message_id": sent["message_id"]}

    def forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """``forwardMessage``: a copy carrying ``forward_origin``."""
        source, content = self._copy_content(params)
        sender = source.raw["from"]
        content["forward_origin"] = {
            "type": "user",
            "date": source.raw["date"],
            "sender_user": sender,
        }
        return self._send(
            {k: v for k, v in params.items() if k != "reply_markup"}, lambda chat: content
        )

    # button presses ----------------------------------------------------------------------

    def answer_callback_query(self, params: dict[str, Any]) -> bool:
        """``answerCallbackQuery``: once per press, text ≤ 200 characters."""
        record = self.state.callback_queries.get(params["callback_query_id"])
        timeout = self.state.callback_answer_timeout
        if (
            record is None
            or record.answered
            or (timeout is not None and time.monotonic() - record.created > timeout)
        ):
            raise bad_request(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        answer = CallbackAnswer(
            callback_query_id=record.query_id,
            text=text,
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
            cache_time=int(params.get("cache_time") or 0),
        )
        if record.chat_id is not None and record.chat_id in self.state.chats:
            self.state.chats[record.chat_id].callback_answers.append(answer)
            self.state.emit(ChatEvent("callback_answer", record.chat_id, detail=answer))
        self.state.signal.fire()
        return True

    # files -------------------------------------------------------------------------------

    def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        """``getFile``: refuses unknown ids and files over the 20 MB download limit."""
        file_id = params["file_id"]
        record = self.state.files.get(file_id)
        if record is None and file_id.endswith("_s"):
            record = self.state.files.get(file_id[:-2])
        if record is None:
            raise bad_request("invalid file_id")
        if record.file_size > self.state.max_download_size:
            raise bad_request("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
            "file_path": record.file_path,
        }

    # commands and menu -------------------------------------------------------------------

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        kind = scope.get("type")
        if kind not in _SCOPES:
            raise bad_request("unsupported bot command scope type")
        normal: dict[str, Any] = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            if scope.get("chat_id") is None:
                raise bad_request("chat_id is empty")
            normal["chat_id"] = self.state.resolve_chat(scope["chat_id"]).chat_id
        if kind == "chat_member":
            if not isinstance(scope.get("user_id"), int):
                raise bad_request("user_id is empty")
            normal["user_id"] = scope["user_id"]
        language = params.get("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return json.dumps(normal, sort_keys=True), language

    def set_my_commands(self, params: dict[str, Any]) -> bool:
        """``setMyCommands``: ≤ 100 commands of 1-32 ``[a-z0-9_]``, descriptions 1-256."""
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            name = str(command["command"]).removeprefix("/")
            if not _COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(command["description"]).strip()
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters")
            cleaned.append({"command": name, "description": description})
        self.state.commands[self._scope_key(params)] = cleaned
        return True

    def get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``getMyCommands``: the list set for exactly this scope and language."""
        return list(self.state.commands.get(self._scope_key(params), []))

    def delete_my_commands(self, params: dict[str, Any]) -> bool:
        """``deleteMyCommands``."""
        self.state.commands.pop(self._scope_key(params), None)
        return True

    def set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        """``setChatMenuButton``: for one chat, or the default when ``chat_id`` is absent."""
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type")
        if kind not in ("commands", "web_app", "default"):
            raise bad_request("unsupported menu button type")
        if kind == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not button.get("text") or not url.startswith("https://"):
                raise bad_request("menu button web app must have a text and an HTTPS URL")
        if params.get("chat_id") is None:
            self.state.default_menu_button = button if kind != "default" else {"type": "commands"}
        else:
            self.state.resolve_chat(params["chat_id"]).menu_button = (
                None if kind == "default" else button
            )
        return True

    def get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        """``getChatMenuButton``."""
        if params.get("chat_id") is not None:
            chat = self.state.resolve_chat(params["chat_id"])
            if chat.menu_button is not None:
                return chat.menu_button
        return self.state.default_menu_button

    # chats -------------------------------------------------------------------------------

    def get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """``getChat``: a ChatFullInfo for a chat the server knows."""
        chat = self.state.resolve_chat(params["chat_id"])
        return {
            **chat.chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
