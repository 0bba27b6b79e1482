"""A real PTB ``Application`` against simulated users: polling, webhooks, idleness."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.local_api import LocalBotApi, NoReplyError

if TYPE_CHECKING:
    from .conftest import WebhookReceiver

RunApp = Callable[..., Awaitable[Application[Any, Any, Any, Any, Any, Any]]]

MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Đề cử mới", callback_data="nominate")],
        [InlineKeyboardButton("Hướng dẫn", url="https://example.org/help")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user by name with the main menu."""
    assert update.effective_message and update.effective_user
    payload = f" ({context.args[0]})" if context.args else ""
    await update.effective_message.reply_html(
        f"Chào <b>{update.effective_user.first_name}</b>{payload}", reply_markup=MENU
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo text back."""
    assert update.effective_message and update.effective_message.text
    await update.effective_message.reply_text(f"Bạn viết: {update.effective_message.text}")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and replace the menu by the chosen step."""
    query = update.callback_query
    assert query is not None
    await query.answer("Đã chọn")
    await query.edit_message_text(f"Bước 1 cho {query.data}")


HANDLERS: tuple[BaseHandler[Any, Any, Any], ...] = (
    CommandHandler("start", start),
    CallbackQueryHandler(on_button),
    MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
)


async def test_polling_application_answers_text_and_button(
    api: LocalBotApi, run_app: RunApp
) -> None:
    await run_app(*HANDLERS)
    user = api.user(2001, "Bình")
    await user.send_command("/start", payload="ref42")
    greeting = await user.next_message()
    assert greeting.text == "Chào Bình (ref42)"
    assert greeting.html == "Chào <b>Bình</b> (ref42)"
    assert greeting.buttons == [["Đề cử mới"], ["Hướng dẫn"]]

    await user.press("Đề cử mới")
    await user.wait_until(lambda chat: chat.last_text == "Bước 1 cho nominate")
    assert greeting.text == "Bước 1 cho nominate"  # the same message, edited
    assert [a.text for a in user.callback_answers] == ["Đã chọn"]

    await user.send_text("xin chào")
    assert (await user.next_message()).text == "Bạn viết: xin chào"
    await api.wait_until_idle(timeout=2)
    assert api.pending_updates == []
    assert [c.method for c in api.calls if c.method not in ("getUpdates",)][:2] == [
        "getMe",
        "deleteWebhook",
    ]


async def test_press_reports_the_buttons_it_could_not_find(
    api: LocalBotApi, run_app: RunApp
) -> None:
    await run_app(*HANDLERS)
    user = api.user(2001)
    await user.send_command("start")
    await user.next_message()
    with pytest.raises(NoReplyError, match="available: \\['Đề cử mới' -> 'nominate'\\]"):
        await user.press("Không có")
    with pytest.raises(NoReplyError, match="is a url button"):
        await user.press("Hướng dẫn")


async def test_stale_button_on_an_older_message(api: LocalBotApi, run_app: RunApp) -> None:
    await run_app(*HANDLERS)
    user = api.user(2001)
    await user.send_command("/start")
    first = await user.next_message()
    await user.send_command("/start")
    await user.next_message()
    await user.press_on(first, "nominate")
    await user.wait_until(lambda chat: first.text == "Bước 1 cho nominate")
    assert user.messages[-1].buttons == [["Đề cử mới"], ["Hướng dẫn"]]  # the newer menu is intact


async def test_wait_for_messages_times_out_with_what_arrived(
    api: LocalBotApi, run_app: RunApp
) -> None:
    await run_app(*HANDLERS)
    user = api.user(2001)
    await user.send_text("một")
    with pytest.raises(NoReplyError, match="expected 2 new bot message"):
        await user.wait_for_messages(2, timeout=0.3)
    assert [m.text for m in await user.wait_for_messages(1)] == ["Bạn viết: một"]


async def test_same_update_delivered_twice(api: LocalBotApi, run_app: RunApp) -> None:
    await run_app(*HANDLERS)
    user = api.user(2001)
    update = await user.send_text("lặp")
    api.deliver_raw({"update_id": api.updates[-1]["update_id"], "message": update})
    replies = await user.wait_for_messages(2)
    assert [m.text for m in replies] == ["Bạn viết: lặp", "Bạn viết: lặp"]


async def test_get_updates_is_refused_while_a_webhook_is_set(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(telegram.error.Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_webhook_gets_updates_with_the_secret_header(
    api: LocalBotApi, bot: telegram.Bot, webhook_receiver: WebhookReceiver
) -> None:
    user = api.user(2001)
    await bot.set_webhook(webhook_receiver.url, secret_token="s3cr3t-Token_1")
    info = await bot.get_webhook_info()
    assert info.url == webhook_receiver.url and info.max_connections == 40
    sent = [await user.send_text(f"tin {i}") for i in range(3)]
    await api.wait_until_idle(timeout=2)
    assert [body["message"]["text"] for _, body in webhook_receiver.requests] == [
        m["text"] for m in sent
    ]
    headers, body = webhook_receiver.requests[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
    assert headers["Content-Type"] == "application/json"
    assert body["message"]["from"]["id"] == 2001
    assert all(d.ok for d in api.webhook_deliveries)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_webhook_retries_until_2xx_keeping_order(
    api: LocalBotApi, bot: telegram.Bot, webhook_receiver: WebhookReceiver
) -> None:
    user = api.user(2001)
    webhook_receiver.statuses = [500, 502]
    await bot.set_webhook(webhook_receiver.url)
    await user.send_text("một")
    await user.send_text("hai")
    await api.wait_until_idle(timeout=2)
    first, second = (u["update_id"] for u in api.updates)
    assert webhook_receiver.update_ids == [first, first, first, second]
    assert [(d.update_id, d.status) for d in api.webhook_deliveries] == [
        (first, 500),
        (first, 502),
        (first, 200),
        (second, 200),
    ]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"


async def test_webhook_gives_up_after_the_configured_attempts(
    api: LocalBotApi, bot: telegram.Bot, webhook_receiver: WebhookReceiver
) -> None:
    user = api.user(2001)
    webhook_receiver.statuses = [500, 500, 500]
    await bot.set_webhook(webhook_receiver.url)
    await user.send_text("mất")
    await api.wait_until_idle(timeout=2)
    assert [d.attempt for d in api.webhook_deliveries] == [1, 2, 3]
    assert api.dropped_updates[-1]["message"]["text"] == "mất"


async def test_webhook_answer_can_carry_a_method_call(api: LocalBotApi, bot: telegram.Bot) -> None:
    from aiohttp import web

    async def reply(request: web.Request) -> web.Response:
        update = await request.json()
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "nhận"})

    app = web.Application()
    app.router.add_post("/", reply)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        user = api.user(2001)
        await bot.set_webhook(f"http://127.0.0.1:{port}/")
        await user.send_text("hello")
        assert (await user.next_message()).text == "nhận"
    finally:
        await runner.cleanup()


async def test_blocking_delivers_my_chat_member_to_the_bot(
    api: LocalBotApi, run_app: RunApp
) -> None:
    seen: list[tuple[str, str]] = []

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the status change."""
        change = update.my_chat_member
        assert change is not None
        seen.append((change.old_chat_member.status, change.new_chat_member.status))

    from telegram.ext import ChatMemberHandler

    await run_app(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    user = api.user(2001)
    await user.block_bot()
    await user.unblock_bot()
    await api.wait_until_idle(timeout=2)
    assert seen == [("member", "kicked"), ("kicked", "member")]


async def test_wait_until_idle_waits_for_slow_calls(api: LocalBotApi, run_app: RunApp) -> None:
    await run_app(*HANDLERS)
    api.latency = 0.15
    user = api.user(2001)
    await user.send_text("chậm")
    await api.wait_until_idle(timeout=3)
    assert user.last_text == "Bạn viết: chậm"


async def test_wait_until_idle_times_out_without_a_bot(api: LocalBotApi) -> None:
    user = api.user(2001)
    await user.send_text("không ai đọc")
    with pytest.raises(TimeoutError, match="not acknowledged"):
        await api.wait_until_idle(timeout=0.2)


async def test_two_pollers_conflict(api: LocalBotApi, run_app: RunApp) -> None:
    async with api.make_bot() as other_instance:
        poll = asyncio.create_task(other_instance.get_updates(timeout=5))
        await asyncio.sleep(0.05)  # the other instance is now long polling
        await run_app(*HANDLERS)
        with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(poll, 2)


async def test_group_chat_commands_and_buttons(api: LocalBotApi, run_app: RunApp) -> None:
    await run_app(*HANDLERS)
    group = api.group(-100200, "Hội đồng")
    member = api.user(2001, "Chi")
    await group.send_command(member, "/start")
    menu = await group.next_message()
    assert menu.text == "Chào Chi" and menu.chat_id == -100200
    await group.press(member, "nominate")
    await group.wait_until(lambda chat: chat.last_text == "Bước 1 cho nominate")
