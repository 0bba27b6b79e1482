"""Telegram's HTML parse mode: the subset of HTML the Bot API accepts, and nothing more.

:func:`parse_html` turns a ``parse_mode=HTML`` text into the plain text Telegram stores and
the list of ``MessageEntity`` dicts it derives, with offsets and lengths in UTF-16 code
units like the Bot API. Anything Telegram would refuse raises :class:`ParseError`, whose
message reads like the part after ``Bad Request: can't parse entities:`` in Telegram's answer.

Accepted: ``b``/``strong``, ``i``/``em``, ``u``/``ins``, ``s``/``strike``/``del``,
``span class="tg-spoiler"``, ``tg-spoiler``, ``a href``, ``tg-emoji emoji-id``, ``code``,
``pre`` (optionally wrapping ``code class="language-x"``), ``blockquote`` (optionally
``expandable``). Entities: ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` and numeric ``&#NN;`` /
``&#xNN;``. A bare ``<``, an ``&`` that does not start one of those entities, an unknown tag
and unbalanced or crossed tags are refused. A bare ``>`` is accepted, as Telegram does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParseError", "ParsedText", "parse_html", "utf16_len"]

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_END = " \t\r\n/>"
_SPACES = " \t\r\n"


class ParseError(ValueError):
    """The text is not valid Telegram HTML (Telegram answers 400 "can't parse entities")."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text and the entities Telegram derives from a formatted text."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how the Bot API counts and offsets)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(slots=True)
class _OpenTag:
    name: str
    offset: int
    byte_offset: int
    entity: dict[str, Any] | None
    sequence: int = 0


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(source: str, index: int) -> tuple[str, int]:
    """Decode the character reference starting at ``source[index] == '&'``."""
    end = source.find(";", index + 1, index + 12)
    where = f"at byte offset {_byte_offset(source, index)}"
    if end == -1:
        raise ParseError(
            f'Character "&" {where} must be escaped as "&amp;" '
            "(it does not start a supported HTML entity)"
        )
    body = source[index + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    if body.startswith("#"):
        digits, base = (body[2:], 16) if body[1:2] in ("x", "X") else (body[1:], 10)
        valid = bool(digits) and all(
            c in ("0123456789abcdefABCDEF" if base == 16 else "0123456789") for c in digits
        )
        if valid:
            code_point = int(digits, base)
            if 0 < code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF:
                return chr(code_point), end + 1
    raise ParseError(f'Unsupported HTML entity "&{body};" {where}')


def _decode_text(source: str, start: int, stop: int) -> str:
    """Decode character references in ``source[start:stop]`` (an attribute value)."""
    parts: list[str] = []
    index = start
    while index < stop:
        amp = source.find("&", index, stop)
        if amp == -1:
            parts.append(source[index:stop])
            break
        parts.append(source[index:amp])
        decoded, index = _decode_entity(source, amp)
        parts.append(decoded)
    return "".join(parts)


def _parse_attributes(
    source: str, index: int, tag: str, tag_start: int
) -> tuple[dict[str, str], int]:
    """Parse attributes from ``index`` up to and including the closing ``>``."""
    attributes: dict[str, str] = {}
    length = len(source)
    unclosed = f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
    while True:
        while index < length and source[index] in _SPACES:
            index += 1
        if index >= length:
            raise ParseError(unclosed)
        if source[index] == ">":
            return attributes, index + 1
        name_start = index
        while index < length and source[index] not in _SPACES + "=>":
            index += 1
        name = source[name_start:index].lower()
        if not name or index >= length:
            raise ParseError(unclosed)
        while index < length and source[index] in _SPACES:
            index += 1
        if index >= length:
            raise ParseError(unclosed)
        if source[index] != "=":
            attributes[name] = ""
            continue
        index += 1
        while index < length and source[index] in _SPACES:
            index += 1
        if index >= length:
            raise ParseError(unclosed)
        quote = source[index]
        if quote in "\"'":
            value_end = source.find(quote, index + 1)
            if value_end == -1:
                raise ParseError(
                    f'Unclosed value of the attribute "{name}" of the tag "{tag}" '
                    f"at byte offset {_byte_offset(source, index)}"
                )
            value = _decode_text(source, index + 1, value_end)
            index = value_end + 1
        else:
            value_start = index
            while index < length and source[index] not in _SPACES + ">":
                index += 1
            value = _decode_text(source, value_start, index)
        attributes[name] = value


def _start_entity(
    tag: str, attributes: dict[str, str], stack: list[_OpenTag], byte_offset: int
) -> dict[str, Any] | None:
    """Return the entity a start tag opens (``None``: merged into its parent, or empty)."""
    entity_type = _TAG_ENTITY[tag]
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    entity: dict[str, Any] = {"type": entity_type}
    if tag == "a":
        href = attributes.get("href", "").strip()
        if not href:
            return None
        entity["url"] = href
    elif tag == "tg-emoji":
        emoji_id = attributes.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise ParseError(
                f'Tag "tg-emoji" must have a numeric attribute "emoji-id" at byte offset '
                f"{byte_offset}"
            )
        entity["custom_emoji_id"] = emoji_id
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and stack and stack[-1].name == "pre" and stack[-1].entity is not None:
        language = attributes.get("class", "")
        pre = stack[-1].entity
        if language.startswith("language-") and len(language) > len("language-"):
            pre.setdefault("language", language[len("language-") :])
        return None
    return entity


def parse_html(source: str) -> ParsedText:
    """Parse a Telegram-HTML text into plain text and ``MessageEntity`` dicts.

    Offsets and lengths are UTF-16 code units. Entities are sorted by offset, longer (outer)
    ones first; empty ones are dropped, like Telegram does.

    Raises:
        ParseError: the text is not something Telegram's HTML parser accepts.

    """
    parts: list[str] = []
    offset = 0
    closed: list[tuple[int, dict[str, Any]]] = []
    stack: list[_OpenTag] = []
    opened = 0
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "&":
            decoded, index = _decode_entity(source, index)
            parts.append(decoded)
            offset += utf16_len(decoded)
            continue
        if char != "<":
            stop = index + 1
            while stop < length and source[stop] not in "<&":
                stop += 1
            chunk = source[index:stop]
            parts.append(chunk)
            offset += utf16_len(chunk)
            index = stop
            continue
        tag_start = index
        if source.startswith("</", index):
            close = source.find(">", index + 2)
            if close == -1:
                raise ParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(source, tag_start)}"
                )
            name = source[index + 2 : close].strip().lower()
            if not stack:
                raise ParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, tag_start)}"
                )
            top = stack[-1]
            if name != top.name:
                raise ParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, tag_start)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            stack.pop()
            if top.entity is not None and offset > top.offset:
                top.entity["offset"] = top.offset
                top.entity["length"] = offset - top.offset
                closed.append((top.sequence, top.entity))
            index = close + 1
            continue
        name_end = index + 1
        while name_end < length and source[name_end] not in _TAG_NAME_END:
            name_end += 1
        tag = source[index + 1 : name_end].lower()
        if tag not in _TAG_ENTITY:
            raise ParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, tag_start)}'
            )
        if name_end < length and source[name_end] == "/":
            raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
        attributes, index = _parse_attributes(source, name_end, tag, tag_start)
        entity = _start_entity(tag, attributes, stack, _byte_offset(source, tag_start))
        opened += 1
        stack.append(_OpenTag(tag, offset, _byte_offset(source, tag_start), entity, opened))
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    closed.sort(key=lambda item: (item[1]["offset"], -item[1]["length"], item[0]))
    return ParsedText("".join(parts), [entity for _, entity in closed])


_ENTITY_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "pre": "pre",
    "text_link": "a",
    "text_mention": "a",
    "custom_emoji": "tg-emoji",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}


def _escape(text: str, *, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _open_tag(entity: dict[str, Any]) -> tuple[str, str]:
    kind = entity["type"]
    tag = _ENTITY_TAGS[kind]
    if kind == "text_link":
        return f'<a href="{_escape(str(entity.get("url", "")), quote=True)}">', "</a>"
    if kind == "text_mention":
        user_id = entity.get("user", {}).get("id", "")
        return f'<a href="tg://user?id={user_id}">', "</a>"
    if kind == "custom_emoji":
        emoji_id = _escape(str(entity.get("custom_emoji_id", "")), quote=True)
        return f'<tg-emoji emoji-id="{emoji_id}">', "</tg-emoji>"
    if kind == "pre" and entity.get("language"):
        language = _escape(str(entity["language"]), quote=True)
        return f'<pre><code class="language-{language}">', "</code></pre>"
    if kind == "expandable_blockquote":
        return "<blockquote expandable>", "</blockquote>"
    return f"<{tag}>", f"</{tag}>"


def to_html(text: str, entities: list[dict[str, Any]]) -> str:
    """Render plain text and formatting entities back to Telegram HTML.

    Only formatting entities become tags; entities Telegram detects by itself (commands,
    links in the text, mentions ...) are left out. Useful to assert on formatting.
    """
    formatting = sorted(
        (e for e in entities if e.get("type") in _ENTITY_TAGS),
        key=lambda e: (e["offset"], -e["length"]),
    )
    out: list[str] = []
    open_stack: list[tuple[int, str]] = []
    next_entity = 0
    position = 0
    total = utf16_len(text)
    for char in text + "\0":
        while open_stack and open_stack[-1][0] <= position:
            out.append(open_stack.pop()[1])
        while next_entity < len(formatting) and formatting[next_entity]["offset"] <= position:
            entity = formatting[next_entity]
            opening, closing = _open_tag(entity)
            out.append(opening)
            open_stack.append((entity["offset"] + entity["length"], closing))
            next_entity += 1
        if position < total:
            out.append(_escape(char))
        position += utf16_len(char)
    while open_stack:
        out.append(open_stack.pop()[1])
    return "".join(out)
