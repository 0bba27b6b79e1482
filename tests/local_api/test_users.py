"""Simulated users: the updates they send are real Bot API updates PTB understands."""

from __future__ import annotations

import datetime as dtm

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.local_api import ChatEvent, LocalBotApi


async def test_every_kind_of_user_message_deserialises_in_ptb(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    user = api.user(3001, "Dũng", username="dung_nv")
    await user.send_text("liên hệ @ntvt_admin hoặc https://ntvt.vn #đềcử")
    await user.send_command("/start", payload="abc")
    await user.send_photo(file_size=5_000, width=1600, height=1200, caption="ảnh")
    await user.send_document("to-trinh.docx", "application/msword", file_size=3_000)
    await user.send_sticker("🎉")
    await user.send_location(21.03, 105.85)
    await user.send_contact("+84901234567")
    await user.send_voice(duration=4)
    updates = [Update.de_json(u, bot) for u in api.pending_updates]
    messages = [u.message for u in updates]
    assert all(m is not None and m.chat.id == 3001 for m in messages)
    text, command, photo, document, sticker, location, contact, voice = messages
    assert text is not None and [e.type for e in text.entities] == ["url", "mention", "hashtag"]
    assert command is not None and command.text == "/start abc"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert photo is not None and [p.width for p in photo.photo] == [90, 320, 1600]
    assert photo.caption == "ảnh"
    assert document is not None and document.document is not None
    assert document.document.file_name == "to-trinh.docx"
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🎉"
    assert location is not None and location.location is not None
    assert contact is not None and contact.contact is not None
    assert contact.contact.user_id == 3001 and contact.contact.first_name == "Dũng"
    assert voice is not None and voice.voice is not None
    assert voice.voice.duration == dtm.timedelta(seconds=4)
    ids = [u.update_id for u in updates]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [m.message_id for m in messages if m] == list(range(1, 9))


async def test_user_edits_arrive_as_edited_message(api: LocalBotApi, bot: telegram.Bot) -> None:
    user = api.user(3001)
    sent = await user.send_text("bản đầu")
    await user.edit_text(sent, "bản sửa")
    edited = Update.de_json(api.pending_updates[-1], bot).edited_message
    assert edited is not None and edited.text == "bản sửa" and edited.edit_date is not None


async def test_callback_answers_are_checked_and_recorded(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    user = api.user(3001)
    await bot.send_message(
        3001,
        "Chọn",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    query = await user.press("A")
    assert query["data"] == "a" and query["message"]["text"] == "Chọn"
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query["id"], text="x" * 201)
    assert await bot.answer_callback_query(query["id"], text="x" * 200, show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])
    [answer] = user.callback_answers
    assert answer.show_alert and answer.text == "x" * 200


async def test_max_file_size_is_adjustable(api: LocalBotApi, bot: telegram.Bot) -> None:
    user = api.user(3001)
    api.max_file_size = 1_000
    sent = await user.send_document("a.pdf", "application/pdf", file_size=1_001)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(sent["document"]["file_id"])


async def test_listeners_see_what_the_bot_does(api: LocalBotApi, bot: telegram.Bot) -> None:
    events: list[ChatEvent] = []
    api.add_listener(events.append)
    api.user(3001)
    sent = await bot.send_message(3001, "một")
    await bot.edit_message_text("hai", 3001, sent.message_id)
    await bot.send_chat_action(3001, "typing")
    await bot.delete_message(3001, sent.message_id)
    assert [(e.kind, e.chat_id) for e in events] == [
        ("sent", 3001),
        ("edited", 3001),
        ("chat_action", 3001),
        ("deleted", 3001),
    ]
    assert events[0].message is not None and events[0].message.text == "hai"


async def test_last_message_without_messages_is_a_clear_failure(api: LocalBotApi) -> None:
    user = api.user(3001)
    assert user.messages == [] and user.inline_buttons() == []
    with pytest.raises(AssertionError, match="the bot has sent nothing"):
        _ = user.last_message
    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await user.press("A")
