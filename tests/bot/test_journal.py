"""Inbound updates are stored before they are processed, those arriving together at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.journal import UpdateJournal
from bot.local_api import LocalBotApi
from storage.uow import Database
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.updates import HELP, inbound_inserts, payload

CALLERS = 40
BATCH = 5


@contextmanager
def transactions_begun() -> Iterator[list[int]]:
    """Yield a list that gets one entry per transaction any engine begins meanwhile."""
    begun: list[int] = []

    def count(connection: Connection) -> None:
        begun.append(id(connection))

    event.listen(Engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(Engine, "begin", count)


async def stored_ids(database: Database) -> list[int]:
    async with database.uow() as uow:
        return [p["update_id"] for p in await uow.inbound.unprocessed(limit=10_000)]


async def test_concurrent_callers_share_transactions_and_all_their_updates_are_stored(
    database: Database,
) -> None:
    journal = UpdateJournal(database.uow, FakeClock())

    async def caller(n: int) -> set[int]:
        await asyncio.sleep(0.001 * (n % 4))  # arrive while an earlier batch is written
        return await journal.record([payload(2 * n), payload(2 * n + 1)])

    with transactions_begun() as begun:
        answers = await asyncio.gather(*(caller(n) for n in range(CALLERS)))

    assert answers == [{2 * n, 2 * n + 1} for n in range(CALLERS)]
    assert 1 <= len(begun) < CALLERS
    assert sorted(await stored_ids(database)) == list(range(2 * CALLERS))


async def test_an_update_stored_before_is_not_new_and_is_kept_as_first_stored(
    database: Database,
) -> None:
    journal = UpdateJournal(database.uow, FakeClock())
    assert await journal.record([payload(1)]) == {1}

    first, second = await asyncio.gather(
        journal.record([payload(1), payload(2)]), journal.record([payload(2, chat_id=9)])
    )

    assert (first, second) == ({2}, set())
    async with database.uow() as uow:
        assert await uow.inbound.unprocessed(limit=10) == [payload(1), payload(2)]


async def test_a_failed_transaction_fails_every_caller_of_its_batch(database: Database) -> None:
    journal = UpdateJournal(database.uow, FakeClock())
    unstorable = {**payload(3), "extra": object()}  # not JSON

    answers = await asyncio.gather(
        journal.record([payload(1)]),
        journal.record([unstorable]),
        journal.record([payload(2)]),
        return_exceptions=True,
    )

    assert all(isinstance(answer, Exception) for answer in answers)
    assert len({id(answer) for answer in answers}) == 1  # the one error of the transaction
    assert await stored_ids(database) == []
    assert await journal.record([payload(4)]) == {4}  # the journal goes on


async def test_a_polled_update_is_stored_before_its_handler_runs(
    api: LocalBotApi, bot: RunningBot
) -> None:
    stored_when_handled: list[bool] = []

    async def look(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        async with bot.runtime.uow() as uow:
            waiting = await uow.inbound.unprocessed(limit=100)
        stored_when_handled.append(update.update_id in [p["update_id"] for p in waiting])

    bot.application.add_handler(TypeHandler(Update, look), group=-1)
    user = api.user(1201, "Lan")
    await user.send_command("/help")
    await user.next_message()

    assert stored_when_handled == [True]


async def test_updates_fetched_in_one_poll_are_stored_in_one_transaction(
    api: LocalBotApi, bot: RunningBot
) -> None:
    users = [api.user(1210 + n, f"U{n}") for n in range(BATCH)]
    with inbound_inserts() as inserts:
        # Delivered without yielding: the waiting getUpdates answers with all of them.
        for user in users:
            message = api.state.add_message(user.state, HELP, sender=user.user)
            api.deliver({"message": message.snapshot()})
        for user in users:
            assert "/nominate" in (await user.next_message(timeout=10)).text

    assert inserts == [BATCH]
