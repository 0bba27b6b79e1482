"""A restart in the middle of a nomination loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.local_api import LocalBotApi
from tests.bot.flows import DEED, agree_and_start, leave, press, say

Starter = Callable[..., AbstractAsyncContextManager[Any]]


async def test_a_new_bot_process_continues_at_the_same_step(
    api: LocalBotApi, start_bot: Starter
) -> None:
    user = api.user(801, "Phương")
    async with start_bot():
        await agree_and_start(user)
        await press(user, "👤 Cá nhân")
        await say(user, "Lương Văn Đức")
        await press(user, "Bỏ qua")
    await user.send_text(DEED)  # arrives while no bot is running
    async with start_bot():
        ask_date = await user.next_message(timeout=10)
        assert "Bước 5/10" in ask_date.text
        await press(user, "Hôm qua")
        await say(user, "cua nam")
        await leave(user, "Bỏ qua")
        await press(user, "Bỏ qua")
        await leave(user, "Bỏ qua")
        summary = await press(user, "Không cần")
        assert "Lương Văn Đức" in summary.text and DEED in summary.text


async def test_replies_queued_before_a_crash_are_sent_at_start(
    api: LocalBotApi, start_bot: Starter
) -> None:
    user = api.user(802, "Hưng")
    async with start_bot() as (_application, runtime):
        await agree_and_start(user)
        # The next reply is committed to the outbox but the process "dies" before sending.
        runtime.sender = None
        await user.send_text("/help")
        await api.wait_until_idle(timeout=5)
        assert user.messages[-1].text.startswith("Bước 1/10")
    async with start_bot():
        help_text = await user.next_message(timeout=10)
        assert "/nominate" in help_text.text


async def test_a_reply_lost_to_a_network_error_is_sent_again_after_a_back_off(
    api: LocalBotApi, start_bot: Starter
) -> None:
    user = api.user(803, "Quế")
    async with start_bot(notices=False):  # no sweep: the sender tries again by itself
        api.fail_next("sendMessage", error_code=502, description="Bad Gateway")
        await user.send_command("/help")
        assert "/nominate" in (await user.next_message(timeout=5)).text
    assert [c.error_code for c in api.calls_for("sendMessage")] == [502, None]
