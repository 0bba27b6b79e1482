"""A real ``telegram.Bot`` against the local Bot API: results, errors and recorded state."""

from __future__ import annotations

import datetime as dtm
import io
import struct
import zlib

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.local_api import LocalBotApi


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def tiny_png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


async def test_get_me_through_ptb(bot: telegram.Bot, api: LocalBotApi) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_user.id == 123456
    assert me.username == "ntvt_test_bot"
    assert me.is_bot


async def test_send_message_returns_a_full_message(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001, "An", username="an_nguyen")
    sent = await bot.send_message(
        1001,
        "<b>Chào</b> bạn, gõ /help",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard([("Đề cử", "nominate"), ("Huỷ", "cancel")]),
    )
    assert sent.message_id == 1
    assert sent.text == "Chào bạn, gõ /help"
    assert sent.from_user is not None and sent.from_user.id == api.bot_user.id
    assert sent.chat.id == 1001 and sent.chat.username == "an_nguyen"
    assert isinstance(sent.date, dtm.datetime)
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("bot_command", 13, 5),
    ]
    assert sent.reply_markup == keyboard([("Đề cử", "nominate"), ("Huỷ", "cancel")])
    assert user.last_text == "Chào bạn, gõ /help"
    assert user.last_message.html == "<b>Chào</b> bạn, gõ /help"
    assert user.inline_buttons() == [["Đề cử", "Huỷ"]]
    second = await bot.send_message(1001, "tiếp")
    assert second.message_id == 2


async def test_malformed_html_is_bad_request(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(1001, "Điểm < 5", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(1001, "Công ty A&B", parse_mode=ParseMode.HTML)
    assert user.messages == []
    failed = api.calls_for("sendMessage")[-1]
    assert (failed.ok, failed.error_code) == (False, 400)
    assert failed.description is not None
    assert failed.description.startswith("Bad Request: can't parse entities:")


async def test_text_length_is_counted_after_parsing_in_utf16(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    api.user(1001)
    await bot.send_message(1001, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units


async def test_callback_data_over_64_bytes_is_refused(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.user(1001)
    await bot.send_message(1001, "ok", reply_markup=keyboard([("x", "d" * 64)]))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1001, "quá dài", reply_markup=keyboard([("x", "d" * 65)]))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        # 22 Vietnamese letters of 3 bytes each: 22 characters but 66 bytes
        await bot.send_message(1001, "quá dài", reply_markup=keyboard([("x", "ệ" * 22)]))


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ({"inline_keyboard": [[{"text": "x"}]]}, "Text buttons are unallowed"),
        ({"inline_keyboard": [[{"text": "", "callback_data": "a"}]]}, "Text must be non-empty"),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://a.vn"}]]},
            "exactly one of the optional fields",
        ),
        (
            {"inline_keyboard": [[{"text": str(i), "callback_data": str(i)} for i in range(9)]]},
            "too many inline keyboard buttons in a row",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "a"}]] * 101},
            "too many inline keyboard buttons",
        ),
        ({"inline_keyboard": [[{"text": "x", "url": "not a url"}]]}, "Button_url_invalid"),
        ({"sth": 1}, "Can't parse reply keyboard markup json object"),
        (
            {"keyboard": [[{"text": "📱", "request_contact": "yes"}]]},
            'Field "request_contact" must be of type Boolean',
        ),
        (
            {"keyboard": [[{"text": "📍", "request_location": 1}]]},
            'Field "request_location" must be of type Boolean',
        ),
        (
            {"keyboard": [[{"text": "x", "request_contact": True, "request_location": True}]]},
            "at most one of the optional fields",
        ),
        ({"keyboard": [["x"]], "one_time_keyboard": "true"}, 'Field "one_time_keyboard"'),
        ({"keyboard": [["x"]], "input_field_placeholder": "x" * 65}, "placeholder"),
        ({"keyboard": [[]]}, "keyboard must be non-empty"),
        ({"keyboard": [[{"text": " ", "request_contact": True}]]}, "Text must be non-empty"),
        (
            {"inline_keyboard": [[{"text": "📱", "request_contact": True}]]},
            "Text buttons are unallowed in the inline keyboard",
        ),
    ],
)
async def test_invalid_keyboards_are_refused(
    api: LocalBotApi, markup: dict[str, object], message: str
) -> None:
    api.user(1001)
    body, status = await api.execute(
        "sendMessage", {"chat_id": 1001, "text": "x", "reply_markup": markup}
    )
    assert status == 400
    assert message.lower() in body["description"].lower()


async def test_ptb_text_only_button_is_refused(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.user(1001)
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed in the inline keyboard"):
        await bot.send_message(
            1001, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
        )


async def test_reply_keyboards_are_tracked_not_echoed(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Gửi số điện thoại", request_contact=True)], ["Huỷ"]],
        one_time_keyboard=True,
    )
    sent = await bot.send_message(1001, "Số điện thoại?", reply_markup=markup)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    assert user.reply_keyboard == [["Gửi số điện thoại"], ["Huỷ"]]
    await user.send_text("Huỷ")  # a one-time keyboard hides after use
    assert user.reply_keyboard is None
    await bot.send_message(1001, "Trả lời", reply_markup=ForceReply())
    await bot.send_message(1001, "ẩn", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None


async def test_contact_and_location_buttons_work_in_private_chats_only(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    user = api.user(1001, "Lan", phone_number="84912345678")
    group = api.group(-100500)
    markup = ReplyKeyboardMarkup(
        [
            [KeyboardButton("📱 Gửi số điện thoại của tôi", request_contact=True)],
            [KeyboardButton("📍 Gửi vị trí hiện tại", request_location=True)],
            ["Bỏ qua"],
        ],
        one_time_keyboard=True,
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Gõ số hoặc bấm nút",
    )
    await bot.send_message(1001, "Số điện thoại?", reply_markup=markup)
    assert user.reply_keyboard_markup is not None
    assert user.reply_keyboard_markup["input_field_placeholder"] == "Gõ số hoặc bấm nút"
    for button, refusal in (
        (KeyboardButton("📱", request_contact=True), "Phone number can be requested"),
        (KeyboardButton("📍", request_location=True), "Location can be requested"),
    ):
        with pytest.raises(BadRequest, match=f"{refusal} in private chats only"):
            await bot.send_message(-100500, "?", reply_markup=ReplyKeyboardMarkup([[button]]))
    assert group.messages == []

    await user.tap("📱 Gửi số điện thoại của tôi")  # the user's own number, with their id
    contact = api.pending_updates[-1]["message"]["contact"]
    assert contact == {"phone_number": "84912345678", "first_name": "Lan", "user_id": 1001}
    assert user.reply_keyboard is None  # one-time: hidden once used
    await bot.send_message(1001, "Địa điểm?", reply_markup=markup)
    await user.tap("📍 Gửi vị trí hiện tại", latitude=21.0245, longitude=105.8562)
    location = api.pending_updates[-1]["message"]["location"]
    assert location == {"latitude": 21.0245, "longitude": 105.8562}
    await bot.send_message(1001, "Địa điểm?", reply_markup=markup)
    await user.press("Bỏ qua")  # no inline keyboard on the latest message: the reply one
    assert api.pending_updates[-1]["message"]["text"] == "Bỏ qua"
    with pytest.raises(AssertionError, match="no reply-keyboard button"):
        await user.tap("📱 Gửi số điện thoại của tôi")


async def test_edits_and_their_refusals(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    sent = await bot.send_message(1001, "Bản nháp", reply_markup=keyboard([("Gửi", "send")]))
    edited = await bot.edit_message_text(
        "<i>Đã gửi</i>",
        1001,
        sent.message_id,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard([("Xem", "view")]),
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Đã gửi" and edited.edit_date is not None
    assert user.last_message.buttons == [["Xem"]]
    assert user.last_message.edited
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "<i>Đã gửi</i>",
            1001,
            sent.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard([("Xem", "view")]),
        )
    # no reply_markup in an edit removes the keyboard: that is a modification
    await bot.edit_message_text("<i>Đã gửi</i>", 1001, sent.message_id, parse_mode=ParseMode.HTML)
    assert user.inline_buttons() == []
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1001, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 1001, 999)
    api.user(1002)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 1002, sent.message_id)


async def test_user_messages_cannot_be_edited_but_can_be_deleted(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    user = api.user(1001)
    own = await user.send_text("của tôi")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", 1001, own["message_id"])
    assert await bot.delete_message(1001, own["message_id"]) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, own["message_id"])


async def test_deleted_bot_messages_leave_the_chat(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    first = await bot.send_message(1001, "một")
    await bot.send_message(1001, "hai")
    await bot.delete_message(1001, first.message_id)
    assert [m.text for m in user.messages] == ["hai"]
    assert [m.text for m in user.all_messages] == ["một", "hai"]
    assert user.all_messages[0].deleted


async def test_injected_429_raises_retry_after(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    api.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(1001, "x")
    assert error.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(1001, "lần hai")  # only the next call failed
    assert user.last_text == "lần hai"
    assert [c.error_code for c in api.calls_for("sendMessage")] == [429, None]


async def test_injected_failure_for_any_method(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.fail_next("*", error_code=502, times=2)
    with pytest.raises(telegram.error.NetworkError, match="Bad Gateway"):
        await bot.get_me()
    with pytest.raises(telegram.error.NetworkError):
        await bot.get_me()
    assert (await bot.get_me()).username == "ntvt_test_bot"


async def test_blocked_user_is_forbidden(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001, "An")
    await user.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "x")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(1001, "typing")
    [update] = api.pending_updates
    member = update["my_chat_member"]
    assert member["from"]["id"] == 1001
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    await user.unblock_bot()
    assert api.pending_updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "member"
    await bot.send_message(1001, "lại được")
    assert user.last_text == "lại được"


async def test_rate_limit_per_chat_answers_429(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.user(1001)
    api.user(1002)
    api.rate_limits(per_chat_per_second=2)
    await bot.send_message(1001, "1")
    await bot.send_message(1001, "2")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(1001, "3")
    assert error.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(1002, "another chat is fine")
    api.rate_limits(global_per_second=1)
    await bot.send_message(1002, "1")
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "2")


async def test_replies_quote_the_original(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    asked = await user.send_text("Làm sao đề cử?")
    answer = await bot.send_message(
        1001, "Gõ /nominate", reply_parameters=ReplyParameters(asked["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Làm sao đề cử?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_parameters=ReplyParameters(999))


async def test_user_photo_can_be_fetched_up_to_20_mb(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    sent = await user.send_photo(file_size=2_000, width=800, height=600)
    largest = sent["photo"][-1]
    assert (largest["width"], largest["height"], largest["file_size"]) == (800, 600, 2_000)
    file = await bot.get_file(largest["file_id"])
    assert file.file_size == 2_000 and file.file_path is not None
    data = await file.download_as_bytearray()
    assert len(data) == 2_000
    big = await user.send_document("hồ sơ.pdf", "application/pdf", file_size=21 * 1024 * 1024)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["document"]["file_id"])
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nonsense")


async def test_bot_uploads_are_stored_and_downloadable(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    png = tiny_png(320, 240)
    photo = await bot.send_photo(1001, io.BytesIO(png), caption="<b>Ảnh</b>", parse_mode="HTML")
    assert photo.photo[-1].width == 320 and photo.photo[-1].height == 240
    assert photo.caption == "Ảnh"
    assert user.last_message.kind == "photo"
    document = await bot.send_document(1001, io.BytesIO(b"%PDF-1.4 demo"), filename="bao-cao.pdf")
    assert document.document is not None
    assert document.document.file_name == "bao-cao.pdf"
    assert document.document.mime_type == "application/pdf"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 demo"
    again = await bot.send_document(1001, document.document.file_id)  # resend by file_id
    assert again.document is not None and again.document.file_name == "bao-cao.pdf"
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(1001, photo.photo[-1].file_id, caption="x" * 1025)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(1001, "no-such-file")


async def test_location_contact_and_chat_action(bot: telegram.Bot, api: LocalBotApi) -> None:
    user = api.user(1001)
    sent = await bot.send_location(1001, latitude=21.0285, longitude=105.8542)
    assert sent.location is not None and sent.location.latitude == pytest.approx(21.0285)
    assert await bot.send_chat_action(1001, "typing") is True
    assert user.chat_actions == ["typing"]
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(1001, "dance")


async def test_commands_are_kept_per_scope_and_language(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    api.user(1001)
    await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("admin", "Quản trị")], scope=BotCommandScopeChat(1001))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(1001))] == [
        "admin"
    ]
    assert api.commands(language_code="en") == [{"command": "start", "description": "Start"}]
    await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "viết hoa")])
    with pytest.raises(BadRequest, match="description"):
        await bot.set_my_commands([BotCommand("start", "")])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(404))


async def test_menu_button_and_get_chat(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.user(1001, "An", username="an")
    assert await bot.set_chat_menu_button(1001, MenuButtonCommands()) is True
    assert isinstance(await bot.get_chat_menu_button(1001), MenuButtonCommands)
    chat = await bot.get_chat(1001)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (1001, "private", "An", "an")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(404)


async def test_webhook_settings_are_validated(bot: telegram.Bot, api: LocalBotApi) -> None:
    with pytest.raises(BadRequest, match="secret token"):
        await bot.set_webhook("https://example.org/hook", secret_token="có dấu")
    with pytest.raises(BadRequest, match="secret token"):
        await bot.set_webhook("https://example.org/hook", secret_token="x" * 257)
    with pytest.raises(BadRequest, match="max_connections"):
        await bot.set_webhook("https://example.org/hook", max_connections=101)
    with pytest.raises(BadRequest, match=r"(?i)wrong http url"):
        await bot.set_webhook("ftp://example.org/hook")
    assert (await bot.get_webhook_info()).url == ""
