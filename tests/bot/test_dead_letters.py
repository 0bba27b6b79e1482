"""One bad update stops nothing: it is set aside, and the bot goes on answering (issue 11.1).

Each test feeds the real PTB application, through the local Bot API, an update Telegram could
send but python-telegram-bot cannot read, or a turn that fails, and asserts what residents
see, what is stored and what the log says (never the update's content).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import bot.runtime as turns
from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from bot.turn_log import TURN_LOGGER
from core.inbound import MAX_ATTEMPTS
from storage.tables import InboundUpdateRow
from storage.uow import Database, SqlUnitOfWork
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.updates import HELP, payload

Starter = Callable[..., AbstractAsyncContextManager[Any]]
SECRET_NAME = "Nguyễn Thị Bí Mật"


def unreadable(update_id: int, chat_id: int) -> dict[str, Any]:
    """An update PTB cannot parse (a date that is not a number), carrying personal data."""
    return {
        "update_id": update_id,
        "message": {
            "chat": {"id": chat_id},
            "date": "x",
            "from": {"id": chat_id, "is_bot": False, "first_name": SECRET_NAME},
            "text": f"Tôi là {SECRET_NAME}, số 0912345678",
        },
    }


async def row(runtime: Any, update_id: int) -> Any:
    """The stored update's bookkeeping (not its payload), or None."""
    async with runtime.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        result = await uow.session.execute(
            select(
                InboundUpdateRow.processed_at,
                InboundUpdateRow.set_aside_at,
                InboundUpdateRow.failure,
                InboundUpdateRow.attempts,
            ).where(InboundUpdateRow.update_id == update_id)
        )
        return result.first()


async def settled(runtime: Any, update_id: int) -> Any:
    """The stored update's bookkeeping once it is processed or set aside (or in 10 s).

    The start queues stored updates and processes them after it returns: a Bot API with no
    call in flight does not say they are done.
    """
    deadline = time.monotonic() + 10.0
    while True:
        found = await row(runtime, update_id)
        if found is not None and (found.processed_at or found.set_aside_at):
            return found
        if time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def store(database: Database, *payloads: dict[str, Any]) -> None:
    """Store updates as a process that died before processing them would have left them."""
    async with database.uow() as uow:
        for item in payloads:
            await uow.inbound.record(item["update_id"], item, turns.system_clock())
        await uow.commit()


def assert_no_content_logged(caplog: pytest.LogCaptureFixture) -> None:
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert SECRET_NAME not in logged and "0912345678" not in logged


async def test_a_stored_update_that_cannot_be_read_does_not_stop_the_next_start(
    api: LocalBotApi,
    start_bot: Starter,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = api.user(1501, "Lan")
    await store(database, unreadable(500020, user.chat_id), {"update_id": 500021, "message": "x"})
    caplog.set_level(logging.INFO)
    async with start_bot() as (_application, runtime):
        await user.send_text("/help")
        assert "/nominate" in (await user.next_message(timeout=10)).text
        bad = await row(runtime, 500020)
        assert bad is not None and bad.set_aside_at is not None and bad.processed_at is None
        assert bad.failure is not None and bad.failure.startswith("cannot be read: TypeError")
        other = await row(runtime, 500021)
        assert other is not None and other.set_aside_at is not None
        async with runtime.uow() as uow:
            assert await uow.inbound.count_set_aside() == 2
    assert any("update 500020 set aside" in r.getMessage() for r in caplog.records)
    assert_no_content_logged(caplog)


async def test_an_unreadable_polled_update_moves_the_offset_and_the_poll_stays_calm(
    api: LocalBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    user = api.user(1502, "Minh")
    caplog.set_level(logging.INFO)
    polls_before = len(api.calls_for("getUpdates"))
    started = time.monotonic()
    api.deliver_raw(unreadable(500030, user.chat_id))
    await user.send_text("/help")
    assert "/nominate" in (await user.next_message(timeout=10)).text
    await asyncio.sleep(3)
    await api.wait_until_idle(timeout=5)  # every update acknowledged: the offset moved past
    seconds = time.monotonic() - started
    polls = len(api.calls_for("getUpdates")) - polls_before
    assert polls < 10 + 5 * seconds, f"{polls} getUpdates in {seconds:.1f} s"
    bad = await row(bot.runtime, 500030)
    assert bad is not None and bad.set_aside_at is not None and bad.processed_at is None
    assert_no_content_logged(caplog)


async def test_a_polled_update_with_a_boolean_id_is_dropped_without_spinning(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1503, "Nam")
    polls_before = len(api.calls_for("getUpdates"))
    started = time.monotonic()
    api.deliver_raw({"update_id": True, "message": "x"})
    await asyncio.sleep(2)
    await user.send_text("/help")
    assert "/nominate" in (await user.next_message(timeout=10)).text
    seconds = time.monotonic() - started
    polls = len(api.calls_for("getUpdates")) - polls_before
    assert polls < 10 + 5 * seconds, f"{polls} getUpdates in {seconds:.1f} s"


async def test_a_chat_is_not_held_up_by_its_earlier_update_set_aside(
    api: LocalBotApi, bot: RunningBot, database: Database
) -> None:
    user = api.user(1504, "Oanh")
    async with database.uow() as uow:
        bad = unreadable(1, user.chat_id)
        await uow.inbound.record_many(
            [(1, bad, user.chat_id)], bot.runtime.clock(), set_aside={1: "cannot be read: test"}
        )
        await uow.commit()
    started = time.monotonic()
    await user.send_text("/help")
    assert "/nominate" in (await user.next_message(timeout=10)).text
    # An earlier update still waiting would hold the chat for ORDER_WAIT (5 s) on PostgreSQL.
    assert time.monotonic() - started < turns.ORDER_WAIT / 2


async def test_a_turn_that_keeps_failing_is_set_aside_with_one_apology(
    api: LocalBotApi,
    bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = api.user(1505, "Phúc")
    tries: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        tries.append(1)
        raise RuntimeError(f"cannot handle '{SECRET_NAME}'")

    monkeypatch.setattr(turns, "meet_user", broken)
    caplog.set_level(logging.INFO)
    await user.send_text(f"Tôi là {SECRET_NAME}")
    apology = await user.next_message(timeout=10)
    assert "lỗi" in apology.text.lower() or "xin lỗi" in apology.text.lower()
    await api.wait_until_idle(timeout=5)
    assert len(tries) == 3
    assert len(user.messages) == 1  # one apology, not one per try
    update_id = api.updates[-1]["update_id"]
    stored = await row(bot.runtime, update_id)
    assert stored is not None and stored.set_aside_at is not None
    assert stored.failure is not None and "RuntimeError" in stored.failure
    assert SECRET_NAME not in stored.failure
    assert_no_content_logged(caplog)
    assert turn_outcomes(caplog) == [(update_id, "set aside")]


def turn_outcomes(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """The turns' lines (bot.turn_log): each update with its outcome."""
    ended = [r for r in caplog.records if r.name == TURN_LOGGER]
    return [(getattr(r, "update_id", None), getattr(r, "outcome", "")) for r in ended]


async def test_a_turn_failing_on_the_database_is_left_for_the_sweep(
    api: LocalBotApi,
    bot_settings: Settings,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = bot_settings.model_copy(update={"update_sweep": 0.3})
    user = api.user(1506, "Quang")
    real_meet_user = turns.meet_user
    outage = [True]

    async def database_away(*args: Any, **kwargs: Any) -> Any:
        if outage[0]:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        return await real_meet_user(*args, **kwargs)

    monkeypatch.setattr(turns, "meet_user", database_away)
    caplog.set_level(logging.INFO, logger=TURN_LOGGER)
    async with running_bot(
        settings, token=api.token, polling=True, clock=clock, poll_timeout=1
    ) as (_application, runtime):
        await user.send_text("/help")
        await api.wait_until_idle(timeout=5)
        assert user.messages == []  # no apology: the update is not given up
        update_id = api.updates[-1]["update_id"]
        stored = await row(runtime, update_id)
        assert stored is not None and stored.processed_at is None and stored.set_aside_at is None
        outage[0] = False
        clock.now += timedelta(seconds=1)
        assert "/nominate" in (await user.next_message(timeout=10)).text
    # Its first turn may still be trying when the database comes back: then one line.
    *earlier, last = turn_outcomes(caplog)
    assert last == (update_id, "done")
    assert earlier in ([], [(update_id, "failed")])


async def test_an_update_that_stopped_the_process_five_times_is_set_aside_at_start(
    api: LocalBotApi, start_bot: Starter, database: Database
) -> None:
    user = api.user(1507, "Sơn")
    crashing, fine = payload(500040, user.chat_id), payload(500041, 99)
    await store(database, crashing, fine)
    async with database.uow() as uow:
        for _ in range(MAX_ATTEMPTS):
            await uow.inbound.count_attempt([500040])
        await uow.commit()
    async with start_bot() as (_application, runtime):
        await api.wait_until_idle(timeout=10)
        crashed = await settled(runtime, 500040)
        assert crashed is not None and crashed.set_aside_at is not None
        assert crashed.failure is not None and "taken up 5 times" in crashed.failure
        taken = await settled(runtime, 500041)
        assert taken is not None and taken.processed_at is not None and taken.attempts == 1


async def test_a_set_aside_update_put_back_is_processed_by_the_sweep(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock, database: Database
) -> None:
    settings = bot_settings.model_copy(update={"update_sweep": 0.3})
    user = api.user(1508, "Tâm")
    help_update = payload(500050, user.chat_id)
    help_update["message"].update(HELP)
    async with database.uow() as uow:
        await uow.inbound.record_many(
            [(500050, help_update, user.chat_id)], clock(), set_aside={500050: "its turn failed"}
        )
        await uow.commit()
    async with running_bot(
        settings, token=api.token, polling=True, clock=clock, poll_timeout=1
    ) as (_application, runtime):
        await asyncio.sleep(0.8)
        assert user.messages == []  # set aside: not taken up by the start nor the sweep
        async with runtime.uow() as uow:
            assert await uow.inbound.put_back(500050)
            await uow.commit()
        clock.now += timedelta(seconds=1)
        assert "/nominate" in (await user.next_message(timeout=10)).text
    async with database.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        processed = await uow.session.scalar(
            select(InboundUpdateRow.processed_at).where(InboundUpdateRow.update_id == 500050)
        )
    assert processed is not None
