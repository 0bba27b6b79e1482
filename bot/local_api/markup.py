"""``reply_markup``: the keyboards Telegram accepts, checked like Telegram checks them."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.local_api.errors import ApiError, bad_request

__all__ = [
    "INLINE_ACTIONS",
    "MAX_BUTTONS_PER_ROW",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_INLINE_BUTTONS",
    "button_labels",
    "inline_rows",
    "keyboard_button",
    "parse_reply_markup",
    "refuse_private_requests",
]

MAX_INLINE_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_CALLBACK_DATA_BYTES = 64
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
REPLY_ACTIONS = (
    "request_users",
    "request_chat",
    "request_managed_bot",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
# A button that sends the user's phone number or place: Boolean, Telegram refuses anything else.
_BOOLEAN_REQUESTS = ("request_contact", "request_location")
_KEYBOARD_FLAGS = ("is_persistent", "resize_keyboard", "one_time_keyboard", "selective")
_URL_RE = re.compile(r"(?:(?:https?|tg|ton)://\S+|[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?)")
_MARKUP_ERROR = "can't parse reply keyboard markup JSON object"


def _inline_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request(prefix + "Text must be non-empty")
    cleaned = {key: value for key, value in button.items() if value is not None}
    if cleaned.get("callback_data") == "":
        del cleaned["callback_data"]
    actions = [key for key in INLINE_ACTIONS if key in cleaned]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            prefix + "exactly one of the optional fields must be used, got " + ", ".join(actions)
        )
    action = actions[0]
    if action == "callback_data":
        data = cleaned["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        url = cleaned["url"]
        if not isinstance(url, str) or not _URL_RE.fullmatch(url):
            raise bad_request("BUTTON_URL_INVALID")
    return cleaned


def _inline_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    total = sum(len(row) for row in rows)
    if total > MAX_INLINE_BUTTONS:
        raise bad_request(f"too many inline keyboard buttons: {total} > {MAX_INLINE_BUTTONS}")
    for row in rows:
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise bad_request(
                f"too many inline keyboard buttons in a row: {len(row)} > {MAX_BUTTONS_PER_ROW}"
            )
    cleaned_rows = [[_inline_button(button) for button in row] for row in rows]
    return {"inline_keyboard": [row for row in cleaned_rows if row]}


def _keyboard_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse keyboard button: "
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict):
        raise bad_request(prefix + "KeyboardButton must be a String or an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request(prefix + "Text must be non-empty")
    for key in _BOOLEAN_REQUESTS:
        if key in button and button[key] is not None and not isinstance(button[key], bool):
            raise bad_request(prefix + f'Field "{key}" must be of type Boolean')
    cleaned = {
        key: value for key, value in button.items() if value is not None and value is not False
    }
    actions = [key for key in REPLY_ACTIONS if key in cleaned]
    if len(actions) > 1:
        raise bad_request(prefix + "at most one of the optional fields can be used")
    return cleaned


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for key in _KEYBOARD_FLAGS:
        if markup.get(key) is not None and not isinstance(markup[key], bool):
            raise bad_request(f'Field "{key}" must be of type Boolean')
    cleaned = {key: value for key, value in markup.items() if value is not None}
    cleaned["keyboard"] = [[_keyboard_button(b) for b in row] for row in rows if row]
    if not cleaned["keyboard"]:
        raise bad_request("keyboard must be non-empty")
    placeholder = cleaned.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad_request("input field placeholder must be at most 64 characters")
    return cleaned


def parse_reply_markup(value: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a ``reply_markup`` parameter and return it cleaned of ``null`` fields.

    Accepts a dict or its JSON text. ``inline_only`` is for the edit methods, which take
    only an inline keyboard.

    Raises:
        ApiError: 400 with Telegram's description of what is wrong.

    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise bad_request(_MARKUP_ERROR) from exc
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in value:
        return _inline_keyboard(value)
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        return _reply_keyboard(value)
    if "remove_keyboard" in value:
        if value["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" must be true')
        return {k: v for k, v in value.items() if v is not None}
    if "force_reply" in value:
        if value["force_reply"] is not True:
            raise bad_request('field "force_reply" must be true')
        placeholder = value.get("input_field_placeholder")
        if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
            raise bad_request("input field placeholder must be at most 64 characters")
        return {k: v for k, v in value.items() if v is not None}
    raise ApiError(400, f"Bad Request: {_MARKUP_ERROR}")


def inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    """Return the rows of buttons of an inline keyboard (empty for anything else)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    rows: list[list[dict[str, Any]]] = markup["inline_keyboard"]
    return rows


def button_labels(rows: list[list[dict[str, Any]]]) -> list[list[str]]:
    """Return the labels of keyboard buttons, row by row."""
    return [[str(button.get("text", "")) for button in row] for row in rows]


def keyboard_button(markup: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    """Return the button labelled ``label`` of a reply keyboard, or None."""
    if not markup or "keyboard" not in markup:
        return None
    rows: list[list[dict[str, Any]]] = markup["keyboard"]
    return next((b for row in rows for b in row if b.get("text") == label), None)


# What Telegram answers when a button asking for the user's own data is sent outside a
# private chat ("Available in private chats only", KeyboardButton).
_PRIVATE_ONLY = {
    "request_contact": "Phone number can be requested in private chats only",
    "request_location": "Location can be requested in private chats only",
    "request_poll": "Poll can be requested in private chats only",
    "request_users": "Users can be requested in private chats only",
    "request_chat": "Chat can be requested in private chats only",
}


def refuse_private_requests(markup: dict[str, Any] | None, chat_type: str) -> None:
    """Refuse a reply keyboard with a private-chat-only button sent to any other chat.

    Raises:
        ApiError: 400, as Telegram answers.

    """
    if chat_type == "private" or not markup or "keyboard" not in markup:
        return
    for row in markup["keyboard"]:
        for button in row:
            for key, description in _PRIVATE_ONLY.items():
                if button.get(key):
                    raise bad_request(description)
