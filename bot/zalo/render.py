"""Outgoing messages, written for Telegram's Bot API, rendered as calls of the Zalo OA API.

Every message in the outbox is a Bot API call (:class:`core.outbox.OutgoingMessage`); the
Zalo sender turns each into the :class:`ZaloCall` list :func:`render` returns and makes them
in order with :class:`bot.zalo.client.ZaloClient`. Zalo shows plain text of at most 2,000
characters, up to 5 ``oa.query.hide`` buttons whose payload comes back as the person's text,
cannot edit a sent message and cannot ask for a location (:func:`core.channels.zalo_capabilities`):

* Telegram's HTML becomes plain text (:func:`plain_text`); a long text goes in several parts;
* an inline button's payload is :data:`PAYLOAD_PREFIX` and its signed callback data, which
  comes back as text (:func:`data_of_payload`) and is checked like a Telegram button press;
  a reply keyboard's button sends its label, as Telegram's does;
* more choices than buttons become a numbered list whose number or label the person types
  back (:func:`choice_typed`);
* an edit is sent as a new message; what only tidies Telegram's view sends nothing.

Pure: no I/O. The media store's files are named by their key; uploading them is the sender's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

from bot.zalo.client import Button
from bot.zalo.media import media_key
from core.channels import Capabilities
from core.outbox import OutgoingMessage
from core.text import fold

PAYLOAD_PREFIX = "#"

# Calls that only change how Telegram shows the chat: Zalo has nothing to match them with.
_TIDYING = frozenset(
    {
        "answerCallbackQuery",
        "deleteMessage",
        "deleteMessages",
        "deleteMyCommands",
        "editMessageReplyMarkup",
        "sendChatAction",
        "setChatMenuButton",
        "setMessageReaction",
        "setMyCommands",
    }
)
_TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_TYPED_NUMBER = re.compile(r"([0-9]+)[.)]?")
# A character followed by one of these is drawn as an emoji ("ℹ️", "1️⃣"), not read as a word.
_EMOJI_SELECTORS = frozenset("\ufe0f\u20e3")
_ELLIPSIS = "…"


class CallKind(StrEnum):
    """Which OA API call a :class:`ZaloCall` is made with."""

    TEXT = "text"  # ZaloClient.send_text
    BUTTONS = "buttons"  # ZaloClient.send_buttons
    REQUEST_INFO = "request_info"  # ZaloClient.request_user_info
    IMAGE = "image"  # ZaloClient.upload_image, then send_image
    FILE = "file"  # ZaloClient.upload_file, then send_file


@dataclass(frozen=True, slots=True)
class ZaloCall:
    """One message to send through the OA API.

    ``text``: a TEXT's text, the text above a BUTTONS' buttons, an IMAGE's caption.
    ``title``/``subtitle``: a REQUEST_INFO's. ``media_key``: the media store's file an IMAGE
    or FILE sends, ``file_name`` the name to upload it under.
    """

    kind: CallKind
    text: str = ""
    buttons: tuple[Button, ...] = ()
    title: str = ""
    subtitle: str = ""
    media_key: str | None = None
    file_name: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """An answer the message offers.

    An inline button (``data``: its signed callback data) or a reply keyboard's label
    (``data`` None: choosing it sends the label as text).
    """

    label: str
    data: str | None = None


class NotForChannel(ValueError):
    """The message cannot go to this channel at all (a Telegram file id to a Zalo person)."""


def render(message: OutgoingMessage, capabilities: Capabilities) -> list[ZaloCall]:
    """Return the calls that show ``message`` on Zalo, in order (empty: nothing to send).

    Raises :class:`NotForChannel` for a call Zalo has no form of, or a file outside the
    media store; :class:`ValueError` for a message that is wrong anyway (no text at all, a
    button payload over ``capabilities.max_button_payload``).
    """
    method, params = message.method, message.params
    if method in _TIDYING:
        return []
    if method in _TEXT_METHODS:
        calls = _text_calls(plain_text(_string(params, "text")), params, capabilities)
        if not calls:
            raise ValueError(f"{method} has no text to send")
        return calls
    if method == "sendPhoto":
        return _media_calls(CallKind.IMAGE, params, "photo", capabilities)
    if method == "sendDocument":
        return _media_calls(CallKind.FILE, params, "document", capabilities)
    raise NotForChannel(f"{method} has no Zalo form")


def choices_of(params: Mapping[str, Any]) -> list[Choice]:
    """Return the answers a message's ``reply_markup`` offers, in reading order.

    An inline keyboard's buttons with callback data (a URL button is no choice), or a reply
    keyboard's plain labels; a reply button that asks for something (``request_contact``,
    ``request_location``…) is not a choice.
    """
    markup = params.get("reply_markup")
    if not isinstance(markup, Mapping):
        return []
    if "inline_keyboard" in markup:
        return [
            Choice(button["text"], button["callback_data"])
            for button in _buttons(markup["inline_keyboard"])
            if _has_text(button, "text") and _has_text(button, "callback_data")
        ]
    return [
        Choice(button["text"])
        for button in _buttons(markup.get("keyboard"))
        if _has_text(button, "text") and not _asks(button)
    ]


def choice_typed(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Return the choice the person typed back, or None.

    A choice is picked by its number in the list (1-based, ``2``, ``2.`` or ``2)``) or by
    its label, accent-, case-, emoji- and punctuation-insensitive.
    """
    typed = text.strip()
    if not typed:
        return None
    number = _TYPED_NUMBER.fullmatch(typed)
    if number is not None and 1 <= int(number.group(1)) <= len(choices):
        return choices[int(number.group(1)) - 1]
    key = _match_key(typed)
    if not key:
        return None
    return next((choice for choice in choices if _match_key(choice.label) == key), None)


def data_of_payload(text: str) -> str | None:
    """Return the callback data an inline button's payload carries, or None if it is none."""
    if not text.startswith(PAYLOAD_PREFIX):
        return None
    return text[len(PAYLOAD_PREFIX) :] or None


def plain_text(html: str) -> str:
    """Return Telegram's HTML as plain text: tags dropped, links spelt out, entities read.

    ``<a href="URL">label</a>`` reads ``label (URL)`` unless the label already says the URL
    or the link is a mention (``tg://user``). Line breaks stay. Never raises: input the
    parser still cannot read comes back with only its entities unescaped.
    """
    # Telegram's subset has no comments, declarations or processing instructions, so "<!"
    # and "<?" are text; html.parser would read them as markup, and asserts on some ("<![").
    literal = html.replace("<!", "&lt;!").replace("<?", "&lt;?")
    try:
        return _PlainTextParser().text_of(literal)
    except Exception:
        return unescape(html)


class _PlainTextParser(HTMLParser):
    """Collects the text of Telegram HTML, links spelt out as :func:`_link_text` says."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._links: list[tuple[str, list[str]]] = []

    def text_of(self, html: str) -> str:
        """Return the plain text of ``html`` (one use per parser)."""
        self.feed(html)
        self.close()
        while self._links:
            self._close_link()
        return "".join(self._out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a link, or break the line at a ``<br>``; every other tag is dropped."""
        if tag == "a":
            self._links.append((dict(attrs).get("href") or "", []))
        elif tag == "br":
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        """Close the open link."""
        if tag == "a" and self._links:
            self._close_link()

    def handle_data(self, data: str) -> None:
        """Keep the text, its entities already read."""
        self._write(data)

    def _write(self, text: str) -> None:
        (self._links[-1][1] if self._links else self._out).append(text)

    def _close_link(self) -> None:
        href, label = self._links.pop()
        self._write(_link_text("".join(label), href))


def _link_text(label: str, href: str) -> str:
    """Return how a link reads in plain text: its label, and its URL if the label hides it."""
    if not href or href.startswith("tg://"):
        return label
    if not label.strip():
        return href
    bare = href.removeprefix("mailto:").removeprefix("tel:")
    return label if label.strip() in (href, bare) else f"{label} ({href})"


def _text_calls(text: str, params: Mapping[str, Any], capabilities: Capabilities) -> list[ZaloCall]:
    """Return the calls of a text with the message's choices, then its request for contact."""
    calls = _with_choices(text, choices_of(params), capabilities)
    request = _contact_request(params) if capabilities.can_request_contact else None
    if request is not None:
        calls.append(_request_info(request, text, capabilities))
    return calls


def _with_choices(
    text: str, choices: Sequence[Choice], capabilities: Capabilities
) -> list[ZaloCall]:
    """Return TEXT calls, the last a BUTTONS one if the choices fit as buttons.

    More choices than buttons, or no text for the buttons to stand under, make a numbered
    list appended to the text instead.
    """
    if choices and len(choices) <= capabilities.max_buttons and text.strip():
        *head, last = _split_text(text, capabilities.max_text_length)
        buttons = tuple(_button(choice, capabilities) for choice in choices)
        return [*_texts(head), ZaloCall(CallKind.BUTTONS, text=last, buttons=buttons)]
    if choices:
        text = "\n\n".join(part for part in (text.strip(), _numbered(choices)) if part)
    return _texts(_split_text(text, capabilities.max_text_length))


def _texts(parts: Sequence[str]) -> list[ZaloCall]:
    """Return one TEXT call per part."""
    return [ZaloCall(CallKind.TEXT, text=part) for part in parts]


def _numbered(choices: Sequence[Choice]) -> str:
    """Return the choices as the list whose numbers :func:`choice_typed` reads."""
    return "\n".join(f"{number}. {choice.label}" for number, choice in enumerate(choices, 1))


def _button(choice: Choice, capabilities: Capabilities) -> Button:
    """Return the button of a choice; refuse a payload Zalo would not carry back."""
    payload = choice.label if choice.data is None else PAYLOAD_PREFIX + choice.data
    size = len(payload.encode())
    if size > capabilities.max_button_payload:
        raise ValueError(
            f"a button payload of {size} bytes; Zalo carries {capabilities.max_button_payload}"
        )
    return Button(_clip(choice.label, capabilities.max_button_label), payload)


def _request_info(label: str, text: str, capabilities: Capabilities) -> ZaloCall:
    """Return the call asking for the person's phone, titled by Telegram's request button.

    Its subtitle is the message's first line; the client bounds only the title, and the
    subtitle is kept to the same length for want of a documented limit.
    """
    title = _clip(label, capabilities.max_button_label)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), title)
    subtitle = _clip(first_line, capabilities.max_button_label)
    return ZaloCall(CallKind.REQUEST_INFO, title=title, subtitle=subtitle)


def _media_calls(
    kind: CallKind, params: Mapping[str, Any], field: str, capabilities: Capabilities
) -> list[ZaloCall]:
    """Return the calls of a photo or document from the media store, and its caption.

    A photo's caption goes with it when it is a single plain text; with choices, a request
    or more than one part, and always for a document, it follows in calls of its own.
    """
    key = media_key(params.get(field))
    if key is None:
        raise NotForChannel(
            f"the {field} is not in the media store (a Telegram file id, or a file made as "
            "it is sent)"
        )
    name = params.get("file_name")
    file_name = name if isinstance(name, str) and name else key
    caption = _text_calls(plain_text(_string(params, "caption")), params, capabilities)
    if kind is CallKind.IMAGE and len(caption) == 1 and caption[0].kind is CallKind.TEXT:
        return [ZaloCall(kind, text=caption[0].text, media_key=key, file_name=file_name)]
    return [ZaloCall(kind, media_key=key, file_name=file_name), *caption]


def _split_text(text: str, limit: int) -> list[str]:
    """Return ``text`` in parts of at most ``limit`` characters, without their edge spaces.

    Each part ends at the last paragraph break that fits, else the last line break, else
    the last space; a single word longer than ``limit`` is cut. Empty text has no parts.
    """
    if limit < 1:
        raise ValueError("a part holds at least one character")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> int:
    """Return where the first part of ``text`` (longer than ``limit``) ends."""
    window = text[: limit + 1]
    for finder in (_last_paragraph_break, _last_line_break, _last_space):
        cut = finder(window)
        if 0 < cut <= limit and window[:cut].strip():
            return cut
    return _mid_word(text, limit)


def _last_paragraph_break(window: str) -> int:
    """Return where the last blank line in ``window`` starts (-1: none)."""
    starts = [match.start() for match in _PARAGRAPH_BREAK.finditer(window)]
    return starts[-1] if starts else -1


def _last_line_break(window: str) -> int:
    """Return where the last line break in ``window`` is (-1: none)."""
    return window.rfind("\n")


def _last_space(window: str) -> int:
    """Return where the last whitespace in ``window`` is (-1: none)."""
    return max((i for i, c in enumerate(window) if c.isspace()), default=-1)


def _mid_word(text: str, limit: int) -> int:
    """Return a cut at ``limit`` moved back so a combining mark stays with its letter."""
    cut = limit
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut


def _contact_request(params: Mapping[str, Any]) -> str | None:
    """Return the label of the reply keyboard's button asking for the phone, if it has one."""
    markup = params.get("reply_markup")
    if not isinstance(markup, Mapping):
        return None
    return next(
        (
            button["text"]
            for button in _buttons(markup.get("keyboard"))
            if button.get("request_contact") is True and _has_text(button, "text")
        ),
        None,
    )


def _buttons(rows: object) -> Iterator[Mapping[str, Any]]:
    """Yield a keyboard's buttons row by row; a bare string is a button of that text."""
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        return
    for row in rows:
        if not isinstance(row, Sequence) or isinstance(row, str):
            continue
        for button in row:
            if isinstance(button, str):
                yield {"text": button}
            elif isinstance(button, Mapping):
                yield button


def _has_text(button: Mapping[str, Any], field: str) -> bool:
    """Tell whether the button's ``field`` is a string with something visible in it."""
    value = button.get(field)
    return isinstance(value, str) and bool(value.strip())


def _asks(button: Mapping[str, Any]) -> bool:
    """Tell whether a reply button asks for something instead of sending its label."""
    return any(key.startswith("request_") and value for key, value in button.items()) or bool(
        button.get("web_app")
    )


def _match_key(text: str) -> str:
    """Return the words of ``text`` to compare a typed answer by: folded, no emoji or marks."""
    words = "".join(
        char
        for char, following in pairwise(text + " ")
        if following not in _EMOJI_SELECTORS and not unicodedata.category(char).startswith("S")
    )
    return " ".join("".join(c if c.isalnum() else " " for c in fold(words)).split())


def _clip(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, an ellipsis showing the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + _ELLIPSIS


def _string(params: Mapping[str, Any], field: str) -> str:
    """Return a string parameter, empty when absent or not a string."""
    value = params.get(field)
    return value if isinstance(value, str) else ""
