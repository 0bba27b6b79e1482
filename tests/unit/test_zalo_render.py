"""Outgoing Bot API messages become Zalo OA calls: plain text in parts, buttons or a list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.keyboards import (
    Button as InlineButton,
    ButtonSigner,
    inline_keyboard,
    reply_keyboard,
    request_keyboard,
)
from bot.messages import text_message
from bot.personal_copy import CopyReference
from bot.rendering import Renderer
from bot.runtime import MENU_LABELS
from bot.zalo.client import Button
from bot.zalo.media import media_file_id
from bot.zalo.render import (
    PAYLOAD_PREFIX,
    CallKind,
    Choice,
    NotForChannel,
    ZaloCall,
    choice_typed,
    choices_of,
    data_of_payload,
    plain_text,
    render,
)
from core.channels import zalo_capabilities
from core.identity import minted_user_id
from core.outbox import OutgoingMessage
from core.personal_data import CopyFormat

CAPS = zalo_capabilities()
CHAT = minted_user_id(7)
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KEY = "ab" * 32 + ".jpg"
TELEGRAM_FILE_ID = "AgACAgUAAxkBAAIBQ2Xg0n9vQk1mZ3VwX2lkAAJ2uzEb"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture(scope="module")
def signer() -> ButtonSigner:
    return ButtonSigner.random()


def message(method: str, **params: Any) -> OutgoingMessage:
    return OutgoingMessage(CHAT, method, {"chat_id": CHAT, **params}, NOW)


def text(body: str, markup: dict[str, Any] | None = None) -> OutgoingMessage:
    extra = {"reply_markup": markup} if markup is not None else {}
    return message("sendMessage", text=body, parse_mode="HTML", **extra)


def signed(signer: ButtonSigner, labels: list[str]) -> dict[str, Any]:
    buttons = [InlineButton(label, f"n:abc:pick:{i}") for i, label in enumerate(labels)]
    return signer.sign_markup(CHAT, inline_keyboard([[b] for b in buttons]))


# plain_text


def test_plain_text_drops_every_tag_of_telegrams_subset_and_keeps_diacritics() -> None:
    html = (
        "<b>Nguyễn Thị Ánh</b> <strong>đã</strong> <i>giúp</i> <em>cụ</em> <u>bà</u> "
        "<ins>qua</ins> <s>đường</s> <strike>ở</strike> <del>phố</del> <code>Hàng</code> "
        "<pre>Bạc</pre> <tg-spoiler>sáng</tg-spoiler> <span class='tg-spoiler'>thứ</span> "
        '<blockquote>Hai</blockquote> <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert plain_text(html) == (
        "Nguyễn Thị Ánh đã giúp cụ bà qua đường ở phố Hàng Bạc sáng thứ Hai 👍"
    )


def test_plain_text_spells_out_a_link_whose_label_hides_its_url() -> None:
    html = (
        '<a href="https://dichvucong.gov.vn/p/1">Cổng dịch vụ</a>, '
        '<a href="https://ntvt.vn">https://ntvt.vn</a>, '
        '<a href="tg://user?id=42">Chị Lan</a>, '
        '<a href="mailto:ubnd@hanoi.gov.vn">ubnd@hanoi.gov.vn</a>'
    )
    assert plain_text(html) == (
        "Cổng dịch vụ (https://dichvucong.gov.vn/p/1), https://ntvt.vn, Chị Lan, ubnd@hanoi.gov.vn"
    )


def test_plain_text_reads_entities_once() -> None:
    html = "&lt;b&gt; A &amp; B &quot;x&quot; &#7897; &#x1EA1; &amp;lt;"
    assert plain_text(html) == '<b> A & B "x" ộ ạ &lt;'


def test_plain_text_keeps_line_breaks() -> None:
    assert plain_text("<b>Mã</b>: NT-12\n\nBước 2/10\n<i>Ghi chú</i>") == (
        "Mã: NT-12\n\nBước 2/10\nGhi chú"
    )


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("a < b > c", "a < b > c"),
        ("<b>chưa đóng", "chưa đóng"),
        ('<a href="https://x.vn">mở', "mở (https://x.vn)"),
        ("<b>x</b> <![ y ]> <!-- z --> <?w", "x <![ y ]> <!-- z --> <?w"),
        ("<i>x</i> <![", "x <!["),
        ("một<br>hai", "một\nhai"),
        ("</i>lạc<b>", "lạc"),
        ("&bogus; & &#0;", "&bogus; & \ufffd"),
        ("", ""),
    ],
)
def test_plain_text_never_raises_on_odd_input(html: str, plain: str) -> None:
    assert plain_text(html) == plain


def test_a_rendered_template_is_sent_as_its_plain_text(renderer: Renderer) -> None:
    queued = text_message(renderer, CHAT, "vi", "start/welcome", now=NOW, name="Lan <A&B>")

    calls = render(queued, CAPS)

    assert len(calls) == 1
    assert calls[0].kind is CallKind.TEXT
    assert calls[0].text.startswith("Xin chào Lan <A&B>!\n\nĐây là kênh tiếp nhận đề cử “Người")
    assert "<b>" not in calls[0].text


# long texts


def test_a_long_text_with_choices_is_split_at_paragraphs_with_the_buttons_last(
    signer: ButtonSigner,
) -> None:
    paragraphs = [f"Đoạn {n}: " + "việc tốt " * 99 for n in range(1, 6)]
    body = "\n\n".join(paragraph.strip() for paragraph in paragraphs)
    markup = signed(signer, ["✅ Gửi", "✏️ Sửa"])
    assert 4400 < len(body) < 4600

    calls = render(text(body, markup), CAPS)

    assert [call.kind for call in calls] == [CallKind.TEXT, CallKind.TEXT, CallKind.BUTTONS]
    assert all(len(call.text) <= 2000 for call in calls)
    assert calls[0].text == "\n\n".join(p.strip() for p in paragraphs[:2])
    assert calls[2].text == paragraphs[4].strip()
    assert " ".join(" ".join(call.text for call in calls).split()) == " ".join(body.split())
    assert calls[2].buttons == tuple(
        Button(row[0]["text"], PAYLOAD_PREFIX + row[0]["callback_data"])
        for row in markup["inline_keyboard"]
    )
    assert calls[0].buttons == calls[1].buttons == ()


def test_a_paragraph_break_is_preferred_to_a_later_line_break() -> None:
    calls = render(text("aaa\n\nbb\ncc"), replace(CAPS, max_text_length=9))
    assert [call.text for call in calls] == ["aaa", "bb\ncc"]


def test_without_blank_lines_a_text_is_split_at_line_breaks() -> None:
    calls = render(text("một hai\nba bốn năm\nsáu"), replace(CAPS, max_text_length=12))
    assert [call.text for call in calls] == ["một hai", "ba bốn năm", "sáu"]


def test_without_line_breaks_a_text_is_split_between_words() -> None:
    calls = render(text("người tốt việc tốt phường"), replace(CAPS, max_text_length=10))
    assert [call.text for call in calls] == ["người tốt", "việc tốt", "phường"]


def test_only_a_word_longer_than_the_limit_is_cut() -> None:
    calls = render(text("ab https://ntvt.vn/x"), replace(CAPS, max_text_length=8))
    assert [call.text for call in calls] == ["ab", "https://", "ntvt.vn/", "x"]


def test_a_message_with_no_text_at_all_is_a_mistake_not_a_channel_problem() -> None:
    with pytest.raises(ValueError, match="no text") as raised:
        render(text("<b> </b>"), CAPS)
    assert not isinstance(raised.value, NotForChannel)


# choices


def test_five_choices_go_as_buttons_carrying_the_signed_data(signer: ButtonSigner) -> None:
    markup = signed(signer, ["Một", "Hai", "Ba", "Bốn", "Năm"])

    calls = render(text("Chọn <b>một</b>:", markup), CAPS)

    data = [row[0]["callback_data"] for row in markup["inline_keyboard"]]
    assert calls == [
        ZaloCall(
            CallKind.BUTTONS,
            text="Chọn một:",
            buttons=tuple(
                Button(label, "#" + d)
                for label, d in zip(["Một", "Hai", "Ba", "Bốn", "Năm"], data, strict=True)
            ),
        )
    ]
    assert data[0] == signer.sign(CHAT, "n:abc:pick:0")


def test_six_choices_become_a_numbered_list_to_type_back(signer: ButtonSigner) -> None:
    markup = signed(signer, ["Một", "Hai", "Ba", "Bốn", "Năm", "Sáu"])

    calls = render(text("Chọn <b>một</b>:", markup), CAPS)

    assert calls == [
        ZaloCall(CallKind.TEXT, text="Chọn một:\n\n1. Một\n2. Hai\n3. Ba\n4. Bốn\n5. Năm\n6. Sáu")
    ]


def test_the_main_menu_becomes_four_buttons_sending_their_labels(renderer: Renderer) -> None:
    labels = [renderer.text("vi", msgid) for msgid in MENU_LABELS]
    menu = reply_keyboard([labels[:1], labels[1:3], labels[3:]])

    calls = render(text("Xin mời chọn trong menu bên dưới.", menu), CAPS)

    assert labels[0] == "📝 Đề cử người tốt, việc tốt"
    assert calls == [
        ZaloCall(
            CallKind.BUTTONS,
            text="Xin mời chọn trong menu bên dưới.",
            buttons=tuple(Button(label, label) for label in labels),
        )
    ]


def test_an_edit_is_sent_as_a_new_message() -> None:
    edit = message("editMessageText", message_id=12, text="<i>Đã gửi</i>", parse_mode="HTML")
    assert render(edit, CAPS) == [ZaloCall(CallKind.TEXT, text="Đã gửi")]


def test_a_long_label_is_cut_but_its_payload_is_whole() -> None:
    label = "Tổ dân phố số " + "9" * 120
    calls = render(text("Chọn tổ:", reply_keyboard([[label]])), CAPS)
    (button,) = calls[0].buttons
    assert button.label == label[:99] + "…"
    assert len(button.label) == 100
    assert button.payload == label


def test_a_payload_zalo_cannot_carry_back_is_refused() -> None:
    markup = {"inline_keyboard": [[{"text": "Dài", "callback_data": "x" * 1000}]]}
    with pytest.raises(ValueError, match="1001 bytes"):
        render(text("Chọn:", markup), CAPS)


def test_choices_are_read_from_inline_and_reply_keyboards_in_order(
    signer: ButtonSigner,
) -> None:
    markup = signer.sign_markup(
        CHAT,
        inline_keyboard(
            [
                [InlineButton("Có", "n:t:yes"), InlineButton("Không", "n:t:no")],
                [InlineButton("Huỷ", "n:t:x")],
            ]
        ),
    )
    assert choices_of({"reply_markup": markup}) == [
        Choice("Có", signer.sign(CHAT, "n:t:yes")),
        Choice("Không", signer.sign(CHAT, "n:t:no")),
        Choice("Huỷ", signer.sign(CHAT, "n:t:x")),
    ]
    contact = request_keyboard("📱 Chia sẻ số", "contact", [["Bỏ qua"], ["⬅️ Quay lại"]])
    assert choices_of({"reply_markup": contact}) == [Choice("Bỏ qua"), Choice("⬅️ Quay lại")]
    assert choices_of({"reply_markup": {"remove_keyboard": True}}) == []
    assert choices_of({"text": "không có bàn phím"}) == []


# requests


def test_a_contact_request_follows_the_text_and_its_other_labels() -> None:
    keyboard = request_keyboard("📱 Chia sẻ số điện thoại", "contact", [["Bỏ qua"]])
    body = "<b>Bước 3/10</b>\nSố điện thoại của người được đề cử?"

    calls = render(text(body, keyboard), CAPS)

    assert calls == [
        ZaloCall(
            CallKind.BUTTONS,
            text="Bước 3/10\nSố điện thoại của người được đề cử?",
            buttons=(Button("Bỏ qua", "Bỏ qua"),),
        ),
        ZaloCall(CallKind.REQUEST_INFO, title="📱 Chia sẻ số điện thoại", subtitle="Bước 3/10"),
    ]


def test_a_contact_request_alone_follows_a_plain_text() -> None:
    keyboard = request_keyboard("📱 Chia sẻ số điện thoại", "contact")

    calls = render(text("Số điện thoại của anh/chị?", keyboard), CAPS)

    assert calls == [
        ZaloCall(CallKind.TEXT, text="Số điện thoại của anh/chị?"),
        ZaloCall(
            CallKind.REQUEST_INFO,
            title="📱 Chia sẻ số điện thoại",
            subtitle="Số điện thoại của anh/chị?",
        ),
    ]


def test_a_contact_requests_subtitle_is_cut_to_what_the_client_takes() -> None:
    first_line = "Xin cho biết " + "số điện thoại " * 10
    calls = render(text(first_line + "\nrồi bấm nút", request_keyboard("Gửi", "contact")), CAPS)
    assert calls[-1].subtitle == first_line.strip()[:99].rstrip() + "…"


def test_a_location_request_is_dropped_and_its_other_labels_stay() -> None:
    keyboard = request_keyboard("📍 Gửi vị trí", "location", [["Bỏ qua"]])
    assert render(text("Việc tốt ở đâu?", keyboard), CAPS) == [
        ZaloCall(CallKind.BUTTONS, text="Việc tốt ở đâu?", buttons=(Button("Bỏ qua", "Bỏ qua"),))
    ]
    alone = request_keyboard("📍 Gửi vị trí", "location")
    assert render(text("Việc tốt ở đâu?", alone), CAPS) == [
        ZaloCall(CallKind.TEXT, text="Việc tốt ở đâu?")
    ]


# media


def test_a_media_store_photo_is_an_image_with_its_caption() -> None:
    photo = message("sendPhoto", photo=media_file_id(KEY), caption="<b>Ảnh</b> 1/2")
    assert render(photo, CAPS) == [
        ZaloCall(CallKind.IMAGE, text="Ảnh 1/2", media_key=KEY, file_name=KEY)
    ]


def test_a_photo_with_a_button_is_followed_by_its_caption_and_the_button() -> None:
    markup = {"inline_keyboard": [[{"text": "🔔 Theo dõi", "callback_data": "c:k1SIGNATURE"}]]}
    photo = message("sendPhoto", photo=media_file_id(KEY), caption="Tin mới", reply_markup=markup)
    assert render(photo, CAPS) == [
        ZaloCall(CallKind.IMAGE, media_key=KEY, file_name=KEY),
        ZaloCall(
            CallKind.BUTTONS, text="Tin mới", buttons=(Button("🔔 Theo dõi", "#c:k1SIGNATURE"),)
        ),
    ]


def test_a_telegram_file_id_cannot_go_to_a_zalo_person() -> None:
    with pytest.raises(NotForChannel):
        render(message("sendPhoto", photo=TELEGRAM_FILE_ID), CAPS)
    with pytest.raises(NotForChannel):
        render(message("sendDocument", document=TELEGRAM_FILE_ID), CAPS)


def test_a_media_store_document_is_a_file_then_its_caption() -> None:
    key = "cd" * 32 + ".pdf"
    document = message(
        "sendDocument",
        document=media_file_id(key),
        file_name="bien-ban.pdf",
        caption="<i>Hồ sơ</i>",
    )
    assert render(document, CAPS) == [
        ZaloCall(CallKind.FILE, media_key=key, file_name="bien-ban.pdf"),
        ZaloCall(CallKind.TEXT, text="Hồ sơ"),
    ]
    bare = message("sendDocument", document=media_file_id(key))
    assert render(bare, CAPS) == [ZaloCall(CallKind.FILE, media_key=key, file_name=key)]


def test_a_file_made_as_it_is_sent_cannot_go_yet() -> None:
    copy = CopyReference(CHAT, CopyFormat.JSON, "vi").params(caption="Bản sao")
    with pytest.raises(NotForChannel):
        render(message("sendDocument", **copy), CAPS)
    with pytest.raises(NotForChannel):
        render(message("sendDocument", caption="không có tệp"), CAPS)


# methods


@pytest.mark.parametrize(
    "method",
    [
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteMessages",
        "sendChatAction",
        "answerCallbackQuery",
        "setMyCommands",
    ],
)
def test_what_only_tidies_telegrams_view_sends_nothing(method: str) -> None:
    assert render(message(method, message_id=3), CAPS) == []


@pytest.mark.parametrize(
    "method", ["copyMessage", "forwardMessage", "sendLocation", "editMessageCaption", "sendVideo"]
)
def test_any_other_method_is_not_for_zalo(method: str) -> None:
    with pytest.raises(NotForChannel, match=method):
        render(message(method, message_id=3), CAPS)


# typed answers and payloads

CHOICES = [
    Choice("📝 Đề cử người tốt, việc tốt"),
    Choice("📋 Đề cử của tôi"),
    Choice("ℹ️ Hướng dẫn", None),
    Choice("✅ Gửi", "n:t:sendSIGNATUR"),
    Choice("👍", "n:t:likeSIGNATUR"),
]


@pytest.mark.parametrize("typed", ["2", "2.", " 2 ", "2)", "02"])
def test_a_typed_number_picks_that_choice(typed: str) -> None:
    assert choice_typed(typed, CHOICES) == CHOICES[1]


@pytest.mark.parametrize("typed", ["0", "7", "6", "-1", "2..", "２"])
def test_a_number_outside_the_list_picks_nothing(typed: str) -> None:
    assert choice_typed(typed, CHOICES) is None


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("de cu nguoi tot viec tot", 0),
        ("ĐỀ CỬ NGƯỜI TỐT VIỆC TỐT!", 0),
        ("hướng dẫn", 2),
        ("gui", 3),
    ],
)
def test_a_typed_label_picks_its_choice_whatever_the_accents_and_emoji(
    typed: str, index: int
) -> None:
    assert choice_typed(typed, CHOICES) == CHOICES[index]


@pytest.mark.parametrize("typed", ["cảm ơn", "de cu", "", "   ", "📝", "hướng dẫn thêm"])
def test_an_unrelated_text_picks_nothing(typed: str) -> None:
    assert choice_typed(typed, CHOICES) is None


@pytest.mark.parametrize(
    ("payload", "data"),
    [("#abc", "abc"), ("#n:t:sendSIGNATUR", "n:t:sendSIGNATUR"), ("#", None), ("abc", None)],
)
def test_a_payload_gives_back_its_callback_data(payload: str, data: str | None) -> None:
    assert data_of_payload(payload) == data


def test_a_text_not_starting_with_the_prefix_carries_no_data() -> None:
    assert data_of_payload("") is None
    assert data_of_payload(" #abc") is None
    assert data_of_payload("Bỏ qua") is None
