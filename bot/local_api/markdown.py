r"""Telegram's MarkdownV2 and legacy Markdown parse modes, parsed loosely but usefully.

The MarkdownV2 parser enforces the rule bots break most often: every reserved character
(``_*[]()~`>#+-=|{}.!``) outside an entity must be escaped with ``\\``, and every entity must
be closed. Entities it understands: bold, italic, underline, strikethrough, spoiler, code,
pre (with language), inline links, custom emoji and ``>`` block quotes. The legacy Markdown
parser understands ``*bold*``, ``_italic_``, ``` `code` ```, ````` ```pre``` ````` and
``[text](url)``. Both raise :class:`~bot.local_api.html.ParseError` like Telegram would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.local_api.html import ParsedText, ParseError, utf16_len

__all__ = ["parse_markdown", "parse_markdown_v2"]

_RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class _Open:
    kind: str
    offset: int
    source_index: int
    language: str = ""


class _Builder:
    """Accumulates plain text and entities with UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.offset - start, **extra}
            )

    def result(self) -> ParsedText:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.parts), self.entities)


def _read_link_target(source: str, index: int) -> tuple[str | None, int]:
    r"""Read ``(url)`` starting at ``index``; ``)`` and ``\\`` may be escaped inside."""
    if index >= len(source) or source[index] != "(":
        return None, index
    chars: list[str] = []
    cursor = index + 1
    while cursor < len(source):
        char = source[cursor]
        if char == "\\" and cursor + 1 < len(source):
            chars.append(source[cursor + 1])
            cursor += 2
            continue
        if char == ")":
            return "".join(chars), cursor + 1
        chars.append(char)
        cursor += 1
    raise ParseError(f"Can't find end of a URL at byte offset {_byte_offset(source, index)}")


def parse_markdown_v2(source: str) -> ParsedText:
    """Parse a MarkdownV2 text into plain text and ``MessageEntity`` dicts.

    Raises:
        ParseError: an unescaped reserved character or an unclosed entity.

    """
    out = _Builder()
    stack: list[_Open] = []
    quote: _Open | None = None
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        top = stack[-1] if stack else None
        at_line_start = index == 0 or source[index - 1] == "\n"
        if at_line_start and (top is None or top.kind not in ("code", "pre")):
            if source.startswith("**>", index) and quote is None:
                quote = _Open("expandable_blockquote", out.offset, index)
                index += 3
                continue
            if char == ">":
                if quote is None:
                    quote = _Open("blockquote", out.offset, index)
                index += 1
                continue
            if quote is not None and index > 0:
                out.offset -= 1
                out.entity(quote.kind, quote.offset)
                out.offset += 1
                quote = None
        if top is not None and top.kind in ("code", "pre"):
            if char == "\\" and index + 1 < length and source[index + 1] in "`\\":
                out.add(source[index + 1])
                index += 2
            elif top.kind == "code" and char == "`":
                stack.pop()
                out.entity("code", top.offset)
                index += 1
            elif top.kind == "pre" and source.startswith("```", index):
                stack.pop()
                extra = {"language": top.language} if top.language else {}
                out.entity("pre", top.offset, **extra)
                index += 3
            else:
                out.add(char)
                index += 1
            continue
        if char == "\\" and index + 1 < length and 0 < ord(source[index + 1]) < 127:
            out.add(source[index + 1])
            index += 2
            continue
        if char not in _RESERVED_V2:
            out.add(char)
            index += 1
            continue
        if (
            quote is not None
            and quote.kind == "expandable_blockquote"
            and source.startswith("||", index)
            and (index + 2 == length or source[index + 2] == "\n")
        ):
            index += 2
            continue
        closing = {
            "bold": "*",
            "italic": "_",
            "underline": "__",
            "strikethrough": "~",
            "spoiler": "||",
        }
        if top is not None and top.kind in closing and source.startswith(closing[top.kind], index):
            stack.pop()
            out.entity(top.kind, top.offset)
            index += len(closing[top.kind])
            continue
        if top is not None and top.kind in ("text_link", "custom_emoji") and char == "]":
            stack.pop()
            target, index = _read_link_target(source, index + 1)
            if top.kind == "custom_emoji":
                emoji_id = (target or "").removeprefix("tg://emoji?id=")
                if not emoji_id.isdigit():
                    raise ParseError(
                        "Custom emoji entity must contain a tg://emoji URL at byte offset "
                        f"{_byte_offset(source, top.source_index)}"
                    )
                out.entity("custom_emoji", top.offset, custom_emoji_id=emoji_id)
            elif target:
                out.entity("text_link", top.offset, url=target)
            continue
        if char == "*":
            stack.append(_Open("bold", out.offset, index))
            index += 1
        elif char == "_":
            double = source.startswith("__", index)
            stack.append(_Open("underline" if double else "italic", out.offset, index))
            index += 2 if double else 1
        elif char == "~":
            stack.append(_Open("strikethrough", out.offset, index))
            index += 1
        elif source.startswith("||", index):
            stack.append(_Open("spoiler", out.offset, index))
            index += 2
        elif char == "[":
            stack.append(_Open("text_link", out.offset, index))
            index += 1
        elif source.startswith("![", index):
            stack.append(_Open("custom_emoji", out.offset, index))
            index += 2
        elif source.startswith("```", index):
            opened = _Open("pre", out.offset, index)
            index += 3
            newline = source.find("\n", index)
            first_line = source[index:newline] if newline != -1 else ""
            if newline != -1 and first_line and not any(c in first_line for c in " `\t"):
                opened.language = first_line
                index = newline + 1
            stack.append(opened)
        elif char == "`":
            stack.append(_Open("code", out.offset, index))
            index += 1
        else:
            raise ParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        top = stack[-1]
        raise ParseError(
            f"Can't find end of {_ENTITY_NAMES[top.kind]} entity at byte offset "
            f"{_byte_offset(source, top.source_index)}"
        )
    if quote is not None:
        out.entity(quote.kind, quote.offset)
    return out.result()


def parse_markdown(source: str) -> ParsedText:
    """Parse a legacy ``Markdown`` text into plain text and ``MessageEntity`` dicts.

    Raises:
        ParseError: an entity is not closed ("Can't find end of the entity ...").

    """
    out = _Builder()
    index = 0
    length = len(source)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while index < length:
        char = source[index]
        if char == "\\" and index + 1 < length and source[index + 1] in "_*`[":
            out.add(source[index + 1])
            index += 2
            continue
        if char not in "_*`[":
            out.add(char)
            index += 1
            continue
        unclosed = ParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}"
        )
        start = out.offset
        if char == "[":
            end = source.find("]", index + 1)
            if end == -1:
                raise unclosed
            out.add(source[index + 1 : end])
            target, index = _read_link_target(source, end + 1)
            if target:
                out.entity("text_link", start, url=target)
            continue
        if source.startswith("```", index):
            end = source.find("```", index + 3)
            if end == -1:
                raise unclosed
            body = source[index + 3 : end]
            language = ""
            newline = body.find("\n")
            if newline > 0 and " " not in body[:newline]:
                language, body = body[:newline], body[newline + 1 :]
            out.add(body)
            extra = {"language": language} if language else {}
            out.entity("pre", start, **extra)
            index = end + 3
            continue
        end = source.find(char, index + 1)
        if end == -1:
            raise unclosed
        out.add(source[index + 1 : end])
        out.entity(kinds[char], start)
        index = end + 1
    return out.result()
