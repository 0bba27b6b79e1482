"""Residents opt in to announcements explicitly, see what they chose, and stop with one command."""

from __future__ import annotations

from bot.local_api import LocalBotApi
from tests.bot.conftest import RunningBot
from tests.bot.flows import press, say


async def _consent(user) -> None:  # type: ignore[no-untyped-def]
    await user.send_command("/start")
    await user.wait_for_messages(2)
    await press(user, "✅ Tôi đồng ý")  # the thanks, in place of the notice


async def test_subscribing_is_an_explicit_opt_in_recorded_with_its_scope(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1201, "Hạnh")
    offer = await say(user, "/subscribe")
    assert offer.buttons[0] == ["🔔 Tất cả thông báo"]
    refused = await press(user, "🔔 Tất cả thông báo")
    assert "đồng ý với thông báo về dữ liệu cá nhân" in refused.text
    async with bot.runtime.uow() as uow:
        assert await uow.subscriptions.active_of(user.id) == []  # no consent yet

    await _consent(user)
    await say(user, "/subscribe")
    done = await press(user, "🔔 Tất cả thông báo")
    assert "mọi thông báo" in done.text
    ward = await say(user, "/subscribe hoan kiem")
    assert "Phường Hoàn Kiếm" in ward.text
    again = await say(user, "/subscribe phuong hoan kiem")
    assert "đã đăng ký nhận thông báo này rồi" in again.text
    listing = await say(user, "/subscriptions")
    assert "Tất cả thông báo" in listing.text and "Phường Hoàn Kiếm" in listing.text
    async with bot.runtime.uow() as uow:
        found = await uow.subscriptions.active_of(user.id)
    assert [(s.scope.value, s.target) for s in found] == [
        ("all", None),
        ("ward", "phuong-hoan-kiem"),
    ]


async def test_one_command_or_button_stops_everything(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(1202, "Khải")
    await _consent(user)
    await say(user, "/subscribe cua nam")
    listing = await say(user, "/subscriptions")
    stopped = await press(user, listing.buttons[0][0])
    assert "Đã hủy 1 đăng ký" in stopped.text
    nothing = await say(user, "/unsubscribe")
    assert "chưa đăng ký" in nothing.text


async def test_an_ambiguous_ward_is_offered_as_buttons(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(1203, "Lâm")
    await _consent(user)
    offer = await say(user, "/subscribe hang")
    assert ["Phường Hoàn Kiếm"] in offer.buttons
    done = await press(user, "Phường Hoàn Kiếm")
    assert "Phường Hoàn Kiếm" in done.text


async def test_blocking_the_bot_is_remembered_and_unblocking_forgets_it(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1204, "Minh")
    await _consent(user)
    await user.block_bot()
    await api.wait_until_idle(timeout=5)
    async with bot.runtime.uow() as uow:
        assert await uow.subscriptions.is_blocked(user.id)
    await user.unblock_bot()
    await api.wait_until_idle(timeout=5)
    async with bot.runtime.uow() as uow:
        assert not await uow.subscriptions.is_blocked(user.id)


async def test_a_403_from_telegram_marks_the_chat_blocked(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1205, "Nga")
    await _consent(user)
    api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    await user.send_command("/help")
    await api.wait_until_idle(timeout=5)
    async with bot.runtime.uow() as uow:
        assert await uow.subscriptions.is_blocked(user.id)
