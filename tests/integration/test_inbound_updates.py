"""Updates are recorded once and processed once, even when two workers race for one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.outbox import OutgoingMessage
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
UPDATE_ID = 3_000_000_001  # update ids grow past 2**31 too


def payload(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"text": "/start", "chat": {"id": 1}}}


async def _record(database: Database, *update_ids: int) -> None:
    async with database.uow() as uow:
        for offset, update_id in enumerate(update_ids):
            await uow.inbound.record(update_id, payload(update_id), NOW + timedelta(seconds=offset))
        await uow.commit()


async def test_recording_an_update_twice_stores_it_once(database: Database) -> None:
    async with database.uow() as uow:
        first = await uow.inbound.record(UPDATE_ID, payload(UPDATE_ID), NOW)
        await uow.commit()
    async with database.uow() as uow:
        second = await uow.inbound.record(UPDATE_ID, {"changed": True}, NOW)
        await uow.commit()

    async with database.uow() as uow:
        stored = await uow.inbound.unprocessed(limit=10)

    assert (first, second) == (True, False)
    assert stored == [payload(UPDATE_ID)]


async def test_claiming_an_update_twice_succeeds_only_the_first_time(database: Database) -> None:
    await _record(database, UPDATE_ID)

    async with database.uow() as uow:
        first = await uow.inbound.claim(UPDATE_ID, NOW)
        await uow.commit()
    async with database.uow() as uow:
        second = await uow.inbound.claim(UPDATE_ID, NOW)
        await uow.commit()

    assert (first, second) == (True, False)


async def test_a_claim_rolled_back_leaves_the_update_to_claim_again(database: Database) -> None:
    await _record(database, UPDATE_ID)

    async with database.uow() as uow:
        assert await uow.inbound.claim(UPDATE_ID, NOW)
    async with database.uow() as uow:
        assert await uow.inbound.claim(UPDATE_ID, NOW)
        await uow.commit()


async def test_an_update_never_recorded_cannot_be_claimed(database: Database) -> None:
    async with database.uow() as uow:
        assert not await uow.inbound.claim(UPDATE_ID, NOW)


async def test_unprocessed_updates_are_listed_oldest_first_without_the_claimed_ones(
    database: Database,
) -> None:
    await _record(database, 10, 11, 12, 13)
    async with database.uow() as uow:
        await uow.inbound.claim(11, NOW)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.inbound.unprocessed(limit=10) == [payload(10), payload(12), payload(13)]
        assert await uow.inbound.unprocessed(limit=2) == [payload(10), payload(12)]


@pytest.mark.parametrize(
    "database_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_workers_claiming_one_update_at_once_apply_it_exactly_once(
    database: Database,
) -> None:
    # Both transactions are open before either claims: the second claim waits on the row
    # lock and, once the first commits, finds the update processed. (SQLite cannot have two
    # write transactions open at once; the next test covers it.)
    await _record(database, UPDATE_ID)
    both_in_transaction = asyncio.Barrier(2)

    async def worker() -> bool:
        async with database.uow() as uow:
            await uow.outbox.pending(limit=1)  # the transaction is open from here
            await both_in_transaction.wait()
            claimed = await uow.inbound.claim(UPDATE_ID, NOW)
            if claimed:
                await uow.outbox.add(OutgoingMessage(1, "sendMessage", {"text": "ok"}, NOW))
            await uow.commit()
            return claimed

    async with asyncio.timeout(20):
        results = await asyncio.gather(worker(), worker())

    async with database.uow() as uow:
        replies = await uow.outbox.pending(limit=10)
    assert sorted(results) == [False, True]
    assert len(replies) == 1


async def test_two_units_of_work_claiming_one_update_together_claim_it_once(
    database: Database,
) -> None:
    await _record(database, UPDATE_ID)

    async def worker() -> bool:
        async with database.uow() as uow:
            claimed = await uow.inbound.claim(UPDATE_ID, NOW)
            await asyncio.sleep(0.05)  # hold the transaction while the other one tries
            await uow.commit()
            return claimed

    async with asyncio.timeout(20):
        results = await asyncio.gather(worker(), worker())

    assert sorted(results) == [False, True]


async def test_recording_many_updates_stores_the_new_ones_and_names_them(
    database: Database,
) -> None:
    await _record(database, 11)

    async with database.uow() as uow:
        new = await uow.inbound.record_many(
            [
                (13, payload(13), 1),
                (11, {"changed": True}, 1),  # stored before
                (UPDATE_ID, payload(UPDATE_ID), None),
                (12, payload(12), 2),
                (13, {"changed": True}, 1),  # twice in one call: the first is kept
            ],
            NOW + timedelta(seconds=1),
        )
        await uow.commit()

    async with database.uow() as uow:
        stored = await uow.inbound.unprocessed(limit=10)
        assert await uow.inbound.earlier_unprocessed(2, 13)  # chat ids are stored
        assert not await uow.inbound.earlier_unprocessed(2, 12)
    assert new == {12, 13, UPDATE_ID}
    assert stored == [payload(11), payload(12), payload(13), payload(UPDATE_ID)]


async def test_recording_no_updates_stores_nothing(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.inbound.record_many([], NOW) == set()
        await uow.commit()
        assert await uow.inbound.unprocessed(limit=10) == []


async def test_updates_recorded_together_are_left_out_if_the_transaction_rolls_back(
    database: Database,
) -> None:
    async with database.uow() as uow:
        assert await uow.inbound.record_many([(1, payload(1), 1), (2, payload(2), 1)], NOW)

    async with database.uow() as uow:
        assert await uow.inbound.unprocessed(limit=10) == []


async def test_an_update_set_aside_is_neither_waiting_nor_claimed_nor_holding_its_chat(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.inbound.record_many(
            [(10, payload(10), 1), (11, payload(11), 1)], NOW, set_aside={10: "cannot be read"}
        )
        await uow.commit()
    async with database.uow() as uow:
        assert [u.update_id for u in await uow.inbound.waiting(limit=10)] == [11]
        assert not await uow.inbound.earlier_unprocessed(1, 11)
        assert not await uow.inbound.claim(10, NOW)
        assert not await uow.inbound.set_aside(10, NOW, "again")
        assert await uow.inbound.count_set_aside() == 1
        (letter,) = await uow.inbound.set_aside_updates(limit=10)
        assert (letter.update_id, letter.chat_id, letter.failure) == (10, 1, "cannot be read")
        assert await uow.inbound.put_back(10)
        assert not await uow.inbound.put_back(10)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.inbound.earlier_unprocessed(1, 11)
        assert [u.update_id for u in await uow.inbound.waiting(limit=10)] == [10, 11]
        assert await uow.inbound.claim(10, NOW)
        assert await uow.inbound.count_set_aside() == 0


async def test_taking_up_stored_updates_counts_attempts_and_sets_aside_the_fifth(
    database: Database,
) -> None:
    from core.inbound import MAX_ATTEMPTS
    from core.stored_updates import take_up_stored

    await _record(database, 20, 21, 22)
    async with database.uow() as uow:
        for _ in range(MAX_ATTEMPTS):
            await uow.inbound.count_attempt([20])
        await uow.commit()
    taken, set_aside = await take_up_stored(
        database.uow(), limit=10, received_before=None, skip={22}, now=NOW
    )
    assert [u.update_id for u in taken] == [21] and taken[0].attempts == 0
    assert list(set_aside) == [20] and "taken up 5 times" in set_aside[20]
    async with database.uow() as uow:
        attempts = {u.update_id: u.attempts for u in await uow.inbound.waiting(limit=10)}
    assert attempts == {21: 1, 22: 0}
