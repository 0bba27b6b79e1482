"""Deadlines' storage: event dates, completions, notices sent and emulation registrations.

Everything runs on SQLite and PostgreSQL; the migration from 0003 adds only four tables.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import inspect, select

from storage.database import create_engine
from storage.migrate import current_revision, downgrade, upgrade
from storage.tables import DeadlineCompletionRow, DeadlineEventRow
from storage.uow import Database, open_database

NOW = datetime(2018, 1, 15, 8, 0, tzinfo=UTC)
HANOI = timezone(timedelta(hours=7))
PLAN = "hoan-kiem-2018"
OTHER_PLAN = "hoan-kiem-2019"
HANG_BAC = f"{PLAN}:19:phuong-hang-bac"  # a relative deadline, before an event
HANG_DAO = f"{PLAN}:19:phuong-hang-dao"
MONTHLY = f"{PLAN}:7:phuong-hang-bac"  # a monthly report
OFFICER = 7_123_456_789  # granted before writing to the bot: referenced by no users row
DEPUTY = 7_123_456_790
REMINDER = f"{HANG_BAC}:2018-03:reminder:1"

# The longest keys the columns take: an obligation of 300 characters, a notice of 400.
LONG_OBLIGATION = f"{PLAN}:19:" + "phuong-" * 40 + "x" * (300 - len(f"{PLAN}:19:") - 280)
LONG_NOTICE = LONG_OBLIGATION + ":2018-Q1:" + "r" * (400 - len(LONG_OBLIGATION) - 9)


# --- event dates ------------------------------------------------------------------------------


async def test_an_entered_event_day_comes_back_for_its_plan_only(database: Database) -> None:
    async with database.uow() as uow:
        await uow.deadlines.set_event_day(PLAN, HANG_BAC, date(2018, 4, 30), by=OFFICER, at=NOW)
        await uow.deadlines.set_event_day(PLAN, HANG_DAO, date(2018, 5, 19), by=OFFICER, at=NOW)
        await uow.deadlines.set_event_day(
            OTHER_PLAN, f"{OTHER_PLAN}:3:phuong-hang-bac", date(2019, 4, 30), by=OFFICER, at=NOW
        )
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.deadlines.event_days(PLAN) == {
            HANG_BAC: date(2018, 4, 30),
            HANG_DAO: date(2018, 5, 19),
        }
        assert await uow.deadlines.event_days("hoan-kiem-2020") == {}


async def test_entering_an_event_day_again_replaces_it_with_who_and_when_of_the_latest(
    database: Database,
) -> None:
    later = NOW + timedelta(days=3)
    async with database.uow() as uow:
        await uow.deadlines.set_event_day(PLAN, HANG_BAC, date(2018, 4, 30), by=OFFICER, at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        await uow.deadlines.set_event_day(
            PLAN, HANG_BAC, date(2018, 5, 2), by=DEPUTY, at=later.astimezone(HANOI)
        )
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.deadlines.event_days(PLAN) == {HANG_BAC: date(2018, 5, 2)}
        entry = (
            await uow.session.execute(
                select(DeadlineEventRow.entered_by, DeadlineEventRow.entered_at)
            )
        ).one()
    assert tuple(entry) == (DEPUTY, later)
    assert entry.entered_at.tzinfo == UTC


async def test_an_event_day_not_committed_is_not_kept(database: Database) -> None:
    async with database.uow() as uow:
        await uow.deadlines.set_event_day(PLAN, HANG_BAC, date(2018, 4, 30), by=OFFICER, at=NOW)

    async with database.uow() as uow:
        assert await uow.deadlines.event_days(PLAN) == {}


# --- completions ------------------------------------------------------------------------------


async def test_completed_occurrences_come_back_by_obligation_and_occurrence(
    database: Database,
) -> None:
    async with database.uow() as uow:
        assert await uow.deadlines.complete(
            PLAN, MONTHLY, "2018-01", on=date(2018, 1, 28), by=OFFICER, at=NOW
        )
        assert await uow.deadlines.complete(
            PLAN, MONTHLY, "2018-02", on=date(2018, 2, 26), by=OFFICER, at=NOW
        )
        assert await uow.deadlines.complete(
            PLAN, HANG_BAC, "once", on=date(2018, 4, 20), by=DEPUTY, at=NOW
        )
        assert await uow.deadlines.complete(
            OTHER_PLAN, f"{OTHER_PLAN}:7:phuong-hang-bac", "2019-Q1", on=date(2019, 3, 30),
            by=OFFICER, at=NOW,
        )  # fmt: skip
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.deadlines.completions(PLAN) == {
            (MONTHLY, "2018-01"): date(2018, 1, 28),
            (MONTHLY, "2018-02"): date(2018, 2, 26),
            (HANG_BAC, "once"): date(2018, 4, 20),
        }
        assert await uow.deadlines.completions("hoan-kiem-2020") == {}


async def test_completing_an_occurrence_again_is_refused_and_keeps_the_first_mark(
    database: Database,
) -> None:
    async with database.uow() as uow:
        assert await uow.deadlines.complete(
            PLAN, MONTHLY, "2018-01", on=date(2018, 1, 28), by=OFFICER, at=NOW
        )
        await uow.commit()

    async with database.uow() as uow:
        again = await uow.deadlines.complete(
            PLAN, MONTHLY, "2018-01", on=date(2018, 1, 31), by=DEPUTY, at=NOW + timedelta(days=3)
        )
        await uow.commit()

    assert again is False
    async with database.uow() as uow:
        assert await uow.deadlines.completions(PLAN) == {(MONTHLY, "2018-01"): date(2018, 1, 28)}
        mark = (
            await uow.session.execute(
                select(DeadlineCompletionRow.done_by, DeadlineCompletionRow.done_at)
            )
        ).one()
    assert tuple(mark) == (OFFICER, NOW)


async def test_two_officers_completing_at_once_record_one_completion(database: Database) -> None:
    async def complete(by: int, on: date) -> bool:
        async with database.uow() as uow:
            done = await uow.deadlines.complete(PLAN, MONTHLY, "2018-Q1", on=on, by=by, at=NOW)
            await uow.commit()
            return done

    results = await asyncio.gather(
        complete(OFFICER, date(2018, 3, 30)), complete(DEPUTY, date(2018, 3, 31))
    )

    assert sorted(results) == [False, True]
    async with database.uow() as uow:
        assert len(await uow.deadlines.completions(PLAN)) == 1


async def test_the_longest_keys_round_trip(database: Database) -> None:
    assert (len(LONG_OBLIGATION), len(LONG_NOTICE)) == (300, 400)
    async with database.uow() as uow:
        await uow.deadlines.set_event_day(
            PLAN, LONG_OBLIGATION, date(2018, 4, 30), by=OFFICER, at=NOW
        )
        assert await uow.deadlines.complete(
            PLAN, LONG_OBLIGATION, "2018-Q1", on=date(2018, 3, 30), by=OFFICER, at=NOW
        )
        assert await uow.deadlines.claim_notice(LONG_NOTICE, recipient_id=OFFICER, at=NOW)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.deadlines.event_days(PLAN) == {LONG_OBLIGATION: date(2018, 4, 30)}
        assert await uow.deadlines.completions(PLAN) == {
            (LONG_OBLIGATION, "2018-Q1"): date(2018, 3, 30)
        }
        assert not await uow.deadlines.claim_notice(LONG_NOTICE, recipient_id=OFFICER, at=NOW)


# --- notices sent -----------------------------------------------------------------------------


async def test_a_notice_is_claimed_once_per_recipient(database: Database) -> None:
    async with database.uow() as uow:
        first = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
        again_same_transaction = await uow.deadlines.claim_notice(
            REMINDER, recipient_id=OFFICER, at=NOW
        )
        await uow.commit()
    async with database.uow() as uow:
        after_restart = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
        to_deputy = await uow.deadlines.claim_notice(REMINDER, recipient_id=DEPUTY, at=NOW)
        next_reminder = await uow.deadlines.claim_notice(
            f"{HANG_BAC}:2018-03:reminder:2", recipient_id=OFFICER, at=NOW
        )
        await uow.commit()

    assert (first, again_same_transaction, after_restart) == (True, False, False)
    assert (to_deputy, next_reminder) == (True, True)


async def test_a_claim_rolled_back_leaves_the_notice_to_be_sent(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
        # The process stops before committing: nothing was sent.

    async with database.uow() as uow:
        assert await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
        await uow.commit()


async def test_two_processes_claiming_one_notice_at_once_send_it_once(database: Database) -> None:
    first_has_claimed = asyncio.Event()

    async def first_process() -> bool:
        async with database.uow() as uow:
            claimed = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
            first_has_claimed.set()
            await asyncio.sleep(0.1)  # the second claim now waits for this transaction
            await uow.commit()
            return claimed

    async def second_process() -> bool:
        await first_has_claimed.wait()
        async with database.uow() as uow:
            claimed = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
            await uow.commit()
            return claimed

    first, second = await asyncio.gather(first_process(), second_process())

    assert (first, second) == (True, False)


async def test_many_claims_of_one_notice_at_once_let_exactly_one_send_it(
    database: Database,
) -> None:
    async def claim() -> bool:
        async with database.uow() as uow:
            claimed = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
            await uow.commit()
            return claimed

    results = await asyncio.gather(*(claim() for _ in range(5)))

    assert sorted(results) == [False, False, False, False, True]


async def test_a_concurrent_claim_takes_over_when_the_first_rolls_back(
    database: Database,
) -> None:
    first_has_claimed = asyncio.Event()

    async def first_process_fails() -> bool:
        async with database.uow() as uow:
            claimed = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
            first_has_claimed.set()
            await asyncio.sleep(0.1)
            await uow.rollback()  # sending failed
            return claimed

    async def second_process() -> bool:
        await first_has_claimed.wait()
        async with database.uow() as uow:
            claimed = await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
            await uow.commit()
            return claimed

    first, second = await asyncio.gather(first_process_fails(), second_process())

    assert (first, second) == (True, True)


# --- emulation registrations ------------------------------------------------------------------


async def test_registrations_come_back_by_unit_for_their_year(database: Database) -> None:
    async with database.uow() as uow:
        await uow.deadlines.register(
            "phuong-hang-bac",
            2018,
            ["Cờ thi đua của UBND Thành phố", "Tập thể lao động xuất sắc"],
            by=OFFICER,
            at=NOW.astimezone(HANOI),
        )
        await uow.deadlines.register("phuong-hang-dao", 2018, (), by=DEPUTY, at=NOW)
        await uow.deadlines.register("phuong-hang-bac", 2019, ["Giấy khen"], by=OFFICER, at=NOW)
        await uow.commit()

    async with database.uow() as uow:
        registered = await uow.deadlines.registrations(2018)
        assert await uow.deadlines.registrations(2020) == {}

    assert registered == {
        "phuong-hang-bac": (("Cờ thi đua của UBND Thành phố", "Tập thể lao động xuất sắc"), NOW),
        "phuong-hang-dao": ((), NOW),
    }
    assert registered["phuong-hang-bac"][1].tzinfo == UTC


async def test_registering_again_replaces_the_titles_and_time(database: Database) -> None:
    later = NOW + timedelta(days=10)
    async with database.uow() as uow:
        await uow.deadlines.register("phuong-hang-bac", 2018, ["Giấy khen"], by=OFFICER, at=NOW)
        await uow.commit()
    async with database.uow() as uow:
        await uow.deadlines.register(
            "phuong-hang-bac", 2018, ["Tập thể lao động tiên tiến"], by=DEPUTY, at=later
        )
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.deadlines.registrations(2018) == {
            "phuong-hang-bac": (("Tập thể lao động tiên tiến",), later)
        }


# --- the migration ----------------------------------------------------------------------------

DEADLINE_TABLES = {
    "deadline_events",
    "deadline_completions",
    "notices_sent",
    "emulation_registrations",
}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_the_migration_adds_the_four_tables_once_and_downgrading_drops_only_them(
    database_url: str,
) -> None:
    await upgrade(database_url, "0003")
    before = await _tables(database_url)

    await upgrade(database_url, "0004")
    await upgrade(database_url, "0004")
    assert await current_revision(database_url) == "0004"
    assert await _tables(database_url) == before | DEADLINE_TABLES

    await downgrade(database_url, "0003")
    assert await current_revision(database_url) == "0003"
    assert await _tables(database_url) == before

    await upgrade(database_url, "0004")
    assert await _tables(database_url) == before | DEADLINE_TABLES


async def test_downgrading_and_upgrading_again_starts_the_deadlines_empty(
    database_url: str,
) -> None:
    await upgrade(database_url)
    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
        await uow.deadlines.register("phuong-hang-bac", 2018, ["Giấy khen"], by=OFFICER, at=NOW)
        await uow.commit()

    await downgrade(database_url, "0003")
    await upgrade(database_url)

    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        assert await uow.deadlines.registrations(2018) == {}
        assert await uow.deadlines.claim_notice(REMINDER, recipient_id=OFFICER, at=NOW)
