"""``kill -9`` while replies are in flight and in the middle of a notice run.

The README's promise, checked from outside: nothing the bot confirmed is lost, and the only
messages that can go twice are those the killed process had taken for sending and not yet
recorded as sent. The test reads that set from the database right after the kill, so the
bound is exact rather than a guess at timing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import text

from bot.local_api import LocalBotApi
from bot.settings import Settings
from storage.uow import open_database
from tests.e2e.conftest import NtvtProcess, StartNtvt, start_polling_bot, telegram_env, wait_until
from tests.e2e.test_cli import DEMO_PLAN, RUN_TIMEOUT

pytestmark = pytest.mark.e2e

RESIDENTS = range(7101, 7121)
OFFICERS = range(5101, 5113)
# 2018-01-04 08:00 in Hà Nội: each officer of Phường Hàng Bạc is owed one digest (task 1,
# due 29/12/2017, three working days overdue; task 3, due 05/01, one working day away).
NOTICE_TIME = "2018-01-04T08:00:00+07:00"
NOTICES_EACH = 1
SLOW_API = 0.4
REPLY_TIMEOUT = 30.0


async def _unsent_at_kill(database_url: str, chats: range) -> Counter[int]:
    """Per chat, the messages left pending or taken (not recorded as sent) in the outbox."""
    db = await open_database(database_url, migrate=False)
    try:
        async with db.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT chat_id FROM outbox WHERE status IN ('pending', 'sending')")
            )
            return Counter(chat for (chat,) in rows if chat in chats)
    finally:
        await db.dispose()


async def _until_recorded(database_url: str, chats: range, process: NtvtProcess) -> None:
    """Wait until the outbox holds nothing unsent for these chats."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_TIMEOUT
    while await _unsent_at_kill(database_url, chats):
        process.assert_running("waiting for the sent replies to be recorded")
        assert loop.time() < deadline, process.describe()
        await asyncio.sleep(0.05)


def _answered(api: LocalBotApi, chats: range, method: str = "sendMessage") -> Counter[int]:
    """Per chat, the messages Telegram (the fake) accepted."""
    return Counter(
        call.params["chat_id"]
        for call in api.calls_for(method)
        if call.ok and call.params.get("chat_id") in chats
    )


async def _kill_when(
    api: LocalBotApi, process: NtvtProcess, ready: Callable[[], bool], what: str
) -> None:
    await wait_until(api, ready, what, process=process, timeout=REPLY_TIMEOUT)
    await process.kill9()


async def test_kill_9_while_replies_are_in_flight_loses_none_and_repeats_only_unrecorded_ones(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    env = telegram_env(api, migrated_database_url)
    first = await start_polling_bot(api, ntvt, env)
    residents = [api.user(chat, f"Cư dân {chat}", language_code="vi") for chat in RESIDENTS]
    early, late = residents[: len(residents) // 2], residents[len(residents) // 2 :]
    # The first half is answered and recorded; the second half's replies are still on their
    # way to Telegram when the process dies.
    await asyncio.gather(*(resident.send_command("/help") for resident in early))
    # Every early reply answered, not only a quiet moment: a loaded machine (or the send
    # budget's spacing) can leave a pause between two replies.
    early_ids = {resident.id for resident in early}
    await wait_until(
        api,
        lambda: set(_answered(api, RESIDENTS)) >= early_ids,
        "the early replies",
        process=first,
        timeout=REPLY_TIMEOUT,
    )
    await api.wait_until_idle(timeout=REPLY_TIMEOUT)
    # Telegram took them; the sender records what was sent in batches, a moment later.
    early_chats = range(RESIDENTS.start, RESIDENTS.start + len(early))
    await _until_recorded(migrated_database_url, early_chats, first)
    api.latency = SLOW_API * 5
    await asyncio.gather(*(resident.send_command("/help") for resident in late))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_TIMEOUT
    while api.calls_in_flight < len(late):
        first.assert_running("waiting for the replies to be in flight")
        assert loop.time() < deadline, first.describe()
        await asyncio.sleep(0.02)
    await first.kill9()
    may_repeat = await _unsent_at_kill(migrated_database_url, RESIDENTS)
    assert not any(may_repeat[r.id] for r in early), may_repeat

    api.latency = 0.0
    second = await start_polling_bot(api, ntvt, env)
    await wait_until(
        api,
        lambda: set(_answered(api, RESIDENTS)) == set(RESIDENTS),
        "every resident's reply",
        process=second,
        timeout=REPLY_TIMEOUT,
    )
    await api.wait_until_idle(timeout=REPLY_TIMEOUT)

    answered = _answered(api, RESIDENTS)
    for chat in RESIDENTS:
        # One reply each; a second only where the killed process had one not yet recorded.
        assert 1 <= answered[chat] <= 1 + may_repeat[chat], (chat, answered[chat], may_repeat)
    for resident in residents:
        assert any("Hướng dẫn sử dụng" in m.text for m in resident.messages), resident.id
    assert sum((await _unsent_at_kill(migrated_database_url, RESIDENTS)).values()) == 0


async def test_kill_9_in_the_middle_of_a_notice_run_leaves_the_rest_to_the_bot_each_sent_once(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    from bot.admin import grant

    env = telegram_env(api, migrated_database_url)
    loaded = await ntvt("plan", "load", str(DEMO_PLAN), env=env)
    assert await loaded.wait_exit(RUN_TIMEOUT) == 0, loaded.describe()
    settings = Settings(_env_file=None, database_url=migrated_database_url)  # type: ignore[call-arg]
    for officer in OFFICERS:
        await grant(settings, officer, "officer", "hang bac", valid_from=date(2018, 1, 1))
    for officer in OFFICERS:
        api.user(officer, f"Cán bộ {officer}", language_code="vi")

    api.latency = SLOW_API
    run = await ntvt("notices", "run-once", "--now", NOTICE_TIME, env=env)
    await _kill_when(
        api,
        run,
        lambda: sum(_answered(api, OFFICERS).values()) >= 4,
        "the first notices to be answered",
    )
    answered_before = _answered(api, OFFICERS)
    may_repeat = await _unsent_at_kill(migrated_database_url, OFFICERS)
    expected = NOTICES_EACH * len(OFFICERS)
    assert sum(answered_before.values()) < expected, "killed too late to test anything"
    # The run wrote every notice before sending: what was not answered waits in the outbox.
    assert sum(answered_before.values()) + sum(may_repeat.values()) >= expected

    api.latency = 0.0
    bot = await start_polling_bot(api, ntvt, env)
    await wait_until(
        api,
        lambda: all(_answered(api, OFFICERS)[o] >= NOTICES_EACH for o in OFFICERS),
        "every officer's notices",
        process=bot,
        timeout=REPLY_TIMEOUT,
    )
    await api.wait_until_idle(timeout=REPLY_TIMEOUT)

    answered = _answered(api, OFFICERS)
    for officer in OFFICERS:
        assert answered[officer] - NOTICES_EACH <= may_repeat[officer], (
            officer,
            answered[officer],
            may_repeat[officer],
        )
    texts = [
        call.params["text"]
        for call in api.calls_for("sendMessage")
        if call.ok and call.params.get("chat_id") == OFFICERS[0]
    ]
    assert len(set(texts)) == NOTICES_EACH, texts
