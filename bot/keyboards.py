"""Inline and reply keyboards as Bot API JSON, checked against Telegram's limits when built.

Callback data is signed for the chat it is sent to (:class:`ButtonSigner`): a client can
press only the buttons the bot sent to that chat, and cannot make up or enumerate others
(``r:1:verify:1``, ``k:0:open:2``…). The signature is added where a message is queued for
a known chat, so the code that builds a keyboard writes plain ``flow:token:action:arg`` data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CALLBACK_BYTES = 64
# 48 bits of HMAC-SHA256: a forgery must be guessed online, one button press per guess (at
# a thousand presses a second, millennia on average). 6 bytes are 8 base64url characters,
# which leaves 56 of Telegram's 64 bytes to the data itself.
SIGNATURE_BYTES = 6
SIGNATURE_CHARS = 8
MAX_DATA_BYTES = MAX_CALLBACK_BYTES - SIGNATURE_CHARS
MAX_BUTTONS = 100
MAX_PER_ROW = 8
_KEY_CONTEXT = b"ntvt-bot callback data v1"
# Chats' tags in the logs are keyed from the same secret, under a context of their own.
_PSEUDONYM_CONTEXT = b"ntvt-bot log pseudonym v1"
PSEUDONYM_HEX = 16


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label and the data sent back when it is pressed."""

    label: str
    data: str

    def __post_init__(self) -> None:
        size = len(self.data.encode())
        if not 1 <= size <= MAX_DATA_BYTES:
            raise ValueError(
                f"callback data {self.data!r} is {size} bytes; with its signature Telegram "
                f"allows 1-{MAX_DATA_BYTES} (of 64)"
            )
        if not self.label.strip():
            raise ValueError("a button needs a label")


def fit_data(text: str, max_bytes: int) -> str:
    """Return the longest start of ``text`` that is at most ``max_bytes`` in UTF-8."""
    return text.encode()[:max_bytes].decode(errors="ignore")


class ButtonSigner:
    """Signs callback data for one chat and checks the data a press sends back.

    The signature is an HMAC-SHA256 over the chat and the data, truncated and appended to
    the data. Every process of one bot signs alike, before and after a restart: the key
    comes from a configured secret, else from the bot's token (which every process of the
    bot shares and which changes only when revoked, and then every old button with it).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a button key needs at least 16 bytes")
        self._key = key
        self._pseudonym_key = hmac.new(key, _PSEUDONYM_CONTEXT, hashlib.sha256).digest()

    @classmethod
    def from_secret(cls, secret: str) -> ButtonSigner:
        """Return a signer whose key is derived from ``secret`` (a token or a set secret)."""
        return cls(hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest())

    @classmethod
    def random(cls) -> ButtonSigner:
        """Return a signer with a key of its own: buttons die with the process (tools, tests)."""
        return cls(secrets.token_bytes(32))

    def _signature(self, chat_id: int, data: str) -> str:
        message = f"{chat_id}\n{data}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode()

    def sign(self, chat_id: int, data: str) -> str:
        """Return ``data`` with its signature for ``chat_id``."""
        return data + self._signature(chat_id, data)

    def pseudonym(self, chat: int | str) -> str:
        """Return an opaque, stable tag of a chat for the logs (16 hex digits), not its id.

        Every process of the bot tags a chat alike (the key is the buttons'), so one chat's
        lines can be followed across processes; nobody without the key can tell whose it is.
        """
        digest = hmac.new(self._pseudonym_key, str(chat).encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]

    def verify(self, chat_id: int, signed: str) -> str | None:
        """Return the data of a press in ``chat_id``, or None if it was not signed for it."""
        data, signature = signed[:-SIGNATURE_CHARS], signed[-SIGNATURE_CHARS:]
        if not data:
            return None
        expected = self._signature(chat_id, data)
        return data if hmac.compare_digest(signature.encode(), expected.encode()) else None

    def sign_markup(self, chat_id: int, markup: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``reply_markup`` with each inline button's data signed for ``chat_id``."""
        rows = markup.get("inline_keyboard")
        if rows is None:
            return dict(markup)
        return {
            **markup,
            "inline_keyboard": [
                [
                    {**button, "callback_data": self.sign(chat_id, button["callback_data"])}
                    if "callback_data" in button
                    else button
                    for button in row
                ]
                for row in rows
            ],
        }


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any]:
    """Return ``reply_markup`` JSON for inline buttons, refusing what Telegram would refuse.

    The data is not signed yet: that happens when the message is queued for its chat.
    """
    rows = [row for row in rows if row]
    if sum(len(row) for row in rows) > MAX_BUTTONS or any(len(r) > MAX_PER_ROW for r in rows):
        raise ValueError("too many inline buttons for Telegram")
    return {
        "inline_keyboard": [
            [{"text": button.label, "callback_data": button.data} for button in row] for row in rows
        ]
    }


def in_rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    """Lay buttons out ``per_row`` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def reply_keyboard(
    rows: Sequence[Sequence[str]], *, placeholder: str | None = None
) -> dict[str, Any]:
    """Return ``reply_markup`` JSON for a persistent reply keyboard (the main menu)."""
    markup: dict[str, Any] = {
        "keyboard": [[{"text": label} for label in row] for row in rows],
        "resize_keyboard": True,
        "is_persistent": True,
    }
    if placeholder:
        markup["input_field_placeholder"] = placeholder[:64]
    return markup


def request_keyboard(
    label: str,
    request: str,
    rows: Sequence[Sequence[str]] = (),
    *,
    placeholder: str | None = None,
) -> dict[str, Any]:
    """Return a reply keyboard whose first button shares the user's own data, then ``rows``.

    ``request``: ``"contact"`` (the user's own phone number) or ``"location"`` (where the
    phone is). Telegram offers these buttons in private chats only and only on a reply
    keyboard (an inline button cannot ask for them). The keyboard is one-time: the app
    hides it once used, and the bot sends the main menu back after the step.
    """
    if request not in ("contact", "location"):
        raise ValueError(f"no request_{request} button in the Bot API")
    markup: dict[str, Any] = {
        "keyboard": [
            [{"text": label, f"request_{request}": True}],
            *([{"text": text} for text in row] for row in rows if row),
        ],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    if placeholder:
        markup["input_field_placeholder"] = placeholder[:64]
    return markup
