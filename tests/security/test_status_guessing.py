"""Guessing tracking codes with /status is throttled per user, in the database.

Issue 11, item 6: 60 wrong codes were answered in 0.3 s. Now the 11th code not found within
an hour is refused with the time to wait (Hà Nội time and minutes). While a user waits,
somebody else's right code is refused too, or the refusal would tell right codes from wrong
ones; the user's own nominations are still shown. The count is in the database: a restart
or another process does not reset it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import say
from tests.security.people import NOMINEE, nominate

Starter = Callable[..., AbstractAsyncContextManager[Any]]
UNKNOWN = "Không tìm thấy đề cử"
THROTTLED = "nhập sai mã đề cử"
ALLOWED = 10


def wrong_code(n: int) -> str:
    return f"NT-ZZZZ-{n:04d}"


async def guess(
    user: SimUser, count: int, *, first: int = 0, clock: FakeClock | None = None
) -> None:
    """Type ``count`` wrong codes, a minute apart if given the clock."""
    for n in range(first, first + count):
        reply = await say(user, f"/status {wrong_code(n)}")
        assert UNKNOWN in reply.text, reply.text
        if clock is not None and n < first + count - 1:
            clock.now += timedelta(minutes=1)


async def test_the_eleventh_wrong_code_in_an_hour_is_refused_with_the_waiting_time(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(31_001, "Dò mã")
    await guess(user, ALLOWED)
    clock.now += timedelta(minutes=20)
    refused = await say(user, f"/status {wrong_code(99)}")
    assert THROTTLED in refused.text and UNKNOWN not in refused.text
    # The first guess was at 09:00 Hà Nội time: one more may be tried at 10:00, in 40 minutes.
    assert "10:00 20/11/2026" in refused.text and "40 phút" in refused.text, refused.text
    assert wrong_code(99) not in refused.text


async def test_a_right_code_is_refused_too_while_throttled_but_ones_own_is_shown(
    api: LocalBotApi, bot: RunningBot
) -> None:
    owner, guesser = api.user(31_011, "Chủ"), api.user(31_012, "Dò mã")
    code = await nominate(owner)
    own = await nominate(guesser, name="Trần Thị Lan")
    await guess(guesser, ALLOWED)
    refused = await say(guesser, f"/status {code}")
    assert THROTTLED in refused.text and code not in refused.text
    assert "Đã tiếp nhận" not in refused.text
    mine = await say(guesser, f"/status {own}")
    assert "Trần Thị Lan" in mine.text
    # The owner of the right code is not held back by somebody else's guessing.
    shown = await say(owner, f"/status {code}")
    assert NOMINEE in shown.text


async def test_every_way_of_typing_a_code_counts(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(31_021, "Dò mã")
    for n in range(ALLOWED):
        if n % 3 == 0:
            reply = await say(user, f"/tracuu {wrong_code(n)}")
        elif n % 3 == 1:
            await say(user, "/status")
            reply = await say(user, wrong_code(n))
        else:
            reply = await say(user, wrong_code(n))
        assert UNKNOWN in reply.text, (n, reply.text)
    typed_alone = await say(user, wrong_code(50))
    assert THROTTLED in typed_alone.text
    await say(user, "/status")
    in_the_dialog = await say(user, wrong_code(51))
    assert THROTTLED in in_the_dialog.text


async def test_a_malformed_code_is_not_counted(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(31_031, "Gõ nhầm")
    for _ in range(ALLOWED + 2):
        reply = await say(user, "/status NT-12")
        assert "chưa đúng dạng" in reply.text
    await guess(user, 1)


async def test_the_count_survives_a_restart(
    api: LocalBotApi, start_bot: Starter, clock: FakeClock
) -> None:
    user = api.user(31_041, "Dò mã")
    async with start_bot():
        await guess(user, ALLOWED)
    async with start_bot():
        refused = await say(user, f"/status {wrong_code(77)}")
        assert THROTTLED in refused.text


async def test_after_the_hour_lookups_work_again(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(31_051, "Dò mã")
    first = clock()
    await guess(user, ALLOWED, clock=clock)  # one a minute
    clock.now = first + timedelta(minutes=59)
    assert THROTTLED in (await say(user, f"/status {wrong_code(60)}")).text
    clock.now = first + timedelta(minutes=60, seconds=1)
    await guess(user, 1, first=61)
    # Only the oldest guess left the hour: the next one is refused again.
    assert THROTTLED in (await say(user, f"/status {wrong_code(62)}")).text
    async with bot.runtime.uow() as uow:
        kept = await uow.failed_lookups.since(user.id, clock() - timedelta(days=1))
    assert len(kept) == ALLOWED, "what left the hour is forgotten"
