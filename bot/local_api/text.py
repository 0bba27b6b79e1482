"""Message text as Telegram stores it: parse modes, explicit entities, automatic entities.

:func:`format_text` applies Telegram's rules to the text and caption parameters of
``sendMessage``, ``editMessageText``, ``sendPhoto`` ...: it parses the formatting, trims
surrounding whitespace, adds the entities Telegram detects by itself (commands, links,
mentions, hashtags, e-mail addresses) and checks the length in UTF-16 code units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.local_api.errors import ApiError
from bot.local_api.html import ParsedText, ParseError, parse_html, utf16_len
from bot.local_api.markdown import parse_markdown, parse_markdown_v2

__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "detect_entities",
    "format_text",
    "utf16_len",
    "utf16_offset",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_SPACES = " \t\r\n\f\v"
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
_NO_AUTODETECT_INSIDE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("bot_command", re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)


def utf16_offset(text: str, index: int) -> int:
    """UTF-16 offset of the character at Python index ``index`` of ``text``."""
    return utf16_len(text[:index])


def detect_entities(text: str, existing: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Find the entities Telegram detects on its own in ``text``.

    Returns ``bot_command``, ``url``, ``email``, ``mention`` and ``hashtag`` entities that do
    not overlap each other nor fall inside the ``existing`` code, pre or link entities.
    """
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing
        if e.get("type") in _NO_AUTODETECT_INSIDE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_offset(text, match.start())
            end = start + utf16_len(match.group())
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found


def _check_entities(text: str, entities: list[Any]) -> list[dict[str, Any]]:
    """Validate explicit ``entities`` against ``text`` like the Bot API does."""
    text_length = utf16_len(text)
    checked: list[dict[str, Any]] = []
    for index, entity in enumerate(entities):
        if not isinstance(entity, dict):
            raise ApiError(
                400, f"Bad Request: can't parse entities: entity {index} is not an object"
            )
        kind = entity.get("type")
        offset = entity.get("offset")
        length = entity.get("length")
        if kind not in ENTITY_TYPES:
            raise ApiError(
                400, f"Bad Request: can't parse entities: unsupported entity type {kind!r}"
            )
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise ApiError(400, "Bad Request: can't parse entities: wrong entity offset or length")
        if offset + length > text_length:
            raise ApiError(
                400,
                f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end "
                f"of the text at UTF-16 offset {text_length}",
            )
        if kind == "text_link" and not entity.get("url"):
            raise ApiError(400, "Bad Request: can't parse entities: text_link entity without url")
        if kind == "text_mention" and not isinstance(entity.get("user"), dict):
            raise ApiError(400, "Bad Request: can't parse entities: text_mention without user")
        if kind == "custom_emoji" and not entity.get("custom_emoji_id"):
            raise ApiError(400, "Bad Request: can't parse entities: custom_emoji without id")
        if length > 0:
            checked.append(dict(entity))
    return checked


def _parse(text: str, parse_mode: str | None) -> ParsedText:
    mode = (parse_mode or "").strip().lower()
    try:
        if not mode:
            return ParsedText(text, [])
        if mode == "html":
            return parse_html(text)
        if mode == "markdownv2":
            return parse_markdown_v2(text)
        if mode == "markdown":
            return parse_markdown(text)
    except ParseError as exc:
        raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")


def _trim(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    stripped = text.strip(_SPACES)
    if not stripped:
        return ParsedText("", [])
    shift = utf16_len(text[: len(text) - len(text.lstrip(_SPACES))])
    new_length = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, new_length)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, kept)


def format_text(
    text: str,
    *,
    parse_mode: str | None = None,
    entities: list[Any] | None = None,
    caption: bool = False,
    limit: int | None = None,
) -> ParsedText:
    """Turn a text or caption parameter into the text and entities Telegram stores.

    Explicit ``entities`` win over ``parse_mode`` (as in the Bot API). The result is trimmed,
    completed with automatically detected entities and sorted.

    Raises:
        ApiError: 400 for unparsable formatting, an empty text or one that is too long.

    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, "Bad Request: strings must be encoded in UTF-8") from exc
    if entities is not None:
        parsed = ParsedText(text, _check_entities(text, entities))
    else:
        parsed = _parse(text, parse_mode)
    parsed = _trim(parsed.text, parsed.entities)
    if not parsed.text and not caption:
        raise ApiError(400, "Bad Request: message text is empty")
    maximum = limit if limit is not None else (CAPTION_LIMIT if caption else TEXT_LIMIT)
    if utf16_len(parsed.text) > maximum:
        what = "message caption is too long" if caption else "message is too long"
        raise ApiError(400, f"Bad Request: {what}")
    all_entities = parsed.entities + detect_entities(parsed.text, parsed.entities)
    all_entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(parsed.text, all_entities)
