"""Telegram's HTML parse mode: what it accepts, what it refuses, and the entities it derives."""

from __future__ import annotations

import pytest

from bot.local_api.html import ParseError, parse_html, to_html, utf16_len
from bot.local_api.markdown import parse_markdown, parse_markdown_v2


def entity_types(html: str) -> list[tuple[str, int, int]]:
    parsed = parse_html(html)
    return [(e["type"], e["offset"], e["length"]) for e in parsed.entities]


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>đậm</b> <strong>x</strong>", "đậm x", [("bold", 0, 3), ("bold", 4, 1)]),
        ("<i>a</i><em>b</em>", "ab", [("italic", 0, 1), ("italic", 1, 1)]),
        ("<u>a</u><ins>b</ins>", "ab", [("underline", 0, 1), ("underline", 1, 1)]),
        (
            "<s>a</s><strike>b</strike><del>c</del>",
            "abc",
            [("strikethrough", 0, 1), ("strikethrough", 1, 1), ("strikethrough", 2, 1)],
        ),
        (
            '<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>',
            "ab",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<code>x = 1</code>", "x = 1", [("code", 0, 5)]),
        ("<pre>block</pre>", "block", [("pre", 0, 5)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("<B>upper case tag</B>", "upper case tag", [("bold", 0, 14)]),
        ("<b>a <i>b</i></b>", "a b", [("bold", 0, 3), ("italic", 2, 1)]),
        ("<b></b>empty", "empty", []),
        ("a > b", "a > b", []),
    ],
)
def test_supported_tags_become_entities(
    html: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    assert parse_html(html).text == text
    assert entity_types(html) == entities


def test_link_keeps_its_href_with_entities_decoded() -> None:
    parsed = parse_html('<a href="https://t.me/x?a=1&amp;b=2">liên kết</a>')
    assert parsed.text == "liên kết"
    assert parsed.entities == [
        {"type": "text_link", "offset": 0, "length": 8, "url": "https://t.me/x?a=1&b=2"}
    ]


def test_single_quoted_and_unquoted_attributes_are_accepted() -> None:
    assert parse_html("<a href='https://a.vn'>x</a>").entities[0]["url"] == "https://a.vn"
    assert parse_html("<a href=https://a.vn>x</a>").entities[0]["url"] == "https://a.vn"


def test_pre_with_code_language_is_one_pre_entity() -> None:
    parsed = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]


def test_custom_emoji_carries_its_id() -> None:
    parsed = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert parsed.entities == [
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"}
    ]


def test_character_references_are_decoded() -> None:
    parsed = parse_html("a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &#65;&#x42;&#X1F600;")
    assert parsed.text == 'a < b && c > d "e" AB😀'


def test_offsets_are_utf16_code_units() -> None:
    # "😀" is one Python character but two UTF-16 code units, like Telegram counts.
    assert utf16_len("😀") == 2
    assert entity_types("😀 <b>x</b> Việt <i>y</i>") == [("bold", 3, 1), ("italic", 10, 1)]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Việt <b", "Unclosed start tag at byte offset 7"),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("&#0;", 'Unsupported HTML entity "&#0;"'),
        ("&#xZZ;", 'Unsupported HTML entity "&#xZZ;"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<tg-emoji emoji-id="">x</tg-emoji>', 'Tag "tg-emoji" must have a numeric attribute'),
        ('<a href="x>y</a>', 'Unclosed value of the attribute "href" of the tag "a"'),
        ("<b/>", "Unclosed start tag at byte offset 0"),
        ("</b", "Unclosed end tag at byte offset 0"),
    ],
)
def test_invalid_html_is_refused(html: str, message: str) -> None:
    with pytest.raises(ParseError) as error:
        parse_html(html)
    assert message in str(error.value)


def test_byte_offsets_count_utf8_bytes() -> None:
    prefix = "Tiếng Việt "  # 11 characters, 15 UTF-8 bytes
    assert len(prefix.encode()) == 15
    with pytest.raises(ParseError, match="at byte offset 15"):
        parse_html(prefix + "<x>")


def test_to_html_renders_formatting_back() -> None:
    source = '<b>Đề cử</b> <i>mới</i>: <a href="https://a.vn/?q=1&amp;r=2">xem</a> &lt;3'
    parsed = parse_html(source)
    assert to_html(parsed.text, parsed.entities) == source


def test_to_html_ignores_detected_entities() -> None:
    entities = [{"type": "bot_command", "offset": 0, "length": 6}]
    assert to_html("/start <x>", entities) == "/start &lt;x&gt;"


def test_markdown_v2_entities_and_escapes() -> None:
    parsed = parse_markdown_v2(
        r"*đậm* _nghiêng_ __gạch__ ~xoá~ ||ẩn|| `mã` [link](https://a.vn) 1\.5"
    )
    assert parsed.text == "đậm nghiêng gạch xoá ẩn mã link 1.5"
    assert [e["type"] for e in parsed.entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Xin chào.", "Character '.' is reserved"),
        ("a-b", "Character '-' is reserved"),
        ("*open", "Can't find end of Bold entity at byte offset 0"),
    ],
)
def test_markdown_v2_refuses_unescaped_reserved_characters(source: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_markdown_v2(source)


def test_legacy_markdown_needs_closed_entities() -> None:
    assert parse_markdown("*b* _i_ `c`").text == "b i c"
    with pytest.raises(ParseError, match="Can't find end of the entity starting at byte offset 5"):
        parse_markdown("snake_case")
