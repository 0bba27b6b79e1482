"""The fake Bot API's outages and its group limit: what the bot's fault tests stand on."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.local_api import LocalBotApi


async def test_during_an_outage_every_call_answers_500_and_nothing_is_done(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    user = api.user(1001)
    api.start_outage(500)
    assert api.in_outage
    with pytest.raises(NetworkError) as error:
        await bot.send_message(1001, "không tới")
    assert not isinstance(error.value, BadRequest)
    with pytest.raises(NetworkError):
        await bot.get_me()
    assert user.messages == []
    assert [c.error_code for c in api.calls_for("sendMessage")] == [500]

    api.end_outage()
    assert not api.in_outage
    await bot.send_message(1001, "đã tới")
    assert user.last_text == "đã tới"


async def test_updates_still_arrive_during_an_outage_unless_asked_otherwise(
    bot: telegram.Bot, api: LocalBotApi
) -> None:
    user = api.user(1001)
    api.start_outage(502)
    await user.send_text("xin chào")
    assert [u.message.text for u in await bot.get_updates(timeout=0) if u.message] == ["xin chào"]

    api.start_outage(503, updates=True)
    with pytest.raises(NetworkError):
        await bot.get_updates(timeout=0)
    api.end_outage()


async def test_a_timeout_outage_answers_nothing_until_it_ends(api: LocalBotApi) -> None:
    user = api.user(1001)
    request = HTTPXRequest(read_timeout=0.3, connect_timeout=1.0)
    async with telegram.Bot(api.token, base_url=api.base_url, request=request) as impatient:
        api.start_outage("timeout")
        with pytest.raises(TimedOut):
            await impatient.send_message(1001, "không có trả lời")
        # A call still waiting when the outage ends gets a 502: it never reached Telegram.
        waiting = asyncio.create_task(impatient.send_message(1001, "chờ", read_timeout=5))
        await asyncio.sleep(0.2)
        api.end_outage()
        with pytest.raises(NetworkError):
            await waiting
        await impatient.send_message(1001, "bình thường")
    assert [m.text for m in user.messages] == ["bình thường"]


def test_an_outage_answers_5xx_or_times_out() -> None:
    with pytest.raises(ValueError, match="5xx"):
        LocalBotApi().start_outage(429)


async def test_a_group_gets_twenty_messages_a_minute(bot: telegram.Bot, api: LocalBotApi) -> None:
    api.group(-100123)
    api.rate_limits(per_group_per_minute=20)
    for n in range(20):
        await bot.send_message(-100123, f"tin {n}")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(-100123, "tin 21")
    assert 50 <= error.value.retry_after.total_seconds() <= 60  # type: ignore[union-attr]
    api.user(1001)
    await bot.send_message(1001, "private chats are not limited per minute")
