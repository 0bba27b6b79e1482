"""Supporters' storage: residents backing a nomination, and moving them when cases merge.

Everything runs on SQLite and PostgreSQL; the migration from 0002 adds only a table.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from core.codes import TrackingCode
from core.nomination import (
    Evidence,
    EvidenceKind,
    Nomination,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
)
from core.people import User
from core.support import Supporter
from storage.database import create_engine
from storage.migrate import current_revision, downgrade, upgrade
from storage.uow import Database, open_database

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789  # nominated first
MAI = 7_123_456_790  # nominated the same deed again
HOA = 7_123_456_792  # saw the same deed
BINH = 7_123_456_793  # saw it too
STRANGER = 7_123_456_799  # never wrote to the bot


def a_nomination(code: str, nominator: int = LAN) -> Nomination:
    return Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng"),
        unit_key="phuong-hang-bac",
        deed="Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2026, 11, 20),
        nominator=Nominator(nominator),
        status=NominationStatus.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
    )


def a_supporter(nomination_id: int, user_id: int, **changes: Any) -> Supporter:
    supporter = Supporter(
        nomination_id=nomination_id,
        user_id=user_id,
        account="Tôi đứng cạnh khi anh Hùng trả ví ở chợ Đồng Xuân.",
        evidence=(
            Evidence(EvidenceKind.DOCUMENT, "doc-9", "u-9", "xác nhận.pdf", 3_000_000),
            Evidence(EvidenceKind.PHOTO, "photo-1", "u-1", None, 120_000),
            Evidence(EvidenceKind.PHOTO, "photo-0", "u-0"),
        ),
        created_at=NOW,
    )
    return replace(supporter, **changes)


async def _two_nominations(database: Database) -> tuple[int, int]:
    """Meet the residents; Lan and Mai nominate the same deed. Return the two ids."""
    async with database.uow() as uow:
        for user_id, name in [(LAN, "Lan"), (MAI, "Mai"), (HOA, "Hoa"), (BINH, "Bình")]:
            await uow.users.save(User(user_id, name, "vi", None, NOW))
        first = await uow.nominations.add(a_nomination("NT-AAAA-0001"))
        second = await uow.nominations.add(a_nomination("NT-AAAA-0002", MAI))
        await uow.commit()
    assert first.id is not None and second.id is not None
    return first.id, second.id


async def _add(database: Database, *supporters: Supporter) -> list[Supporter]:
    async with database.uow() as uow:
        added = [await uow.supporters.add(supporter) for supporter in supporters]
        await uow.commit()
    assert all(supporter is not None for supporter in added)
    return [supporter for supporter in added if supporter is not None]


# --- supporting -------------------------------------------------------------------------------


async def test_a_supporter_comes_back_equal_with_evidence_in_the_order_sent(
    database: Database,
) -> None:
    nomination_id, _ = await _two_nominations(database)
    hanoi = timezone(timedelta(hours=7))
    supporter = a_supporter(nomination_id, HOA, created_at=NOW.astimezone(hanoi))

    (added,) = await _add(database, supporter)

    assert added == replace(supporter, id=added.id) and added.id is not None
    async with database.uow() as uow:
        (stored,) = await uow.supporters.of(nomination_id)
    assert stored == added
    assert [item.file_id for item in stored.evidence] == ["doc-9", "photo-1", "photo-0"]
    assert stored.created_at.tzinfo == UTC


async def test_a_supporter_without_account_or_evidence_comes_back_equal(
    database: Database,
) -> None:
    nomination_id, _ = await _two_nominations(database)

    (added,) = await _add(database, a_supporter(nomination_id, HOA, account=None, evidence=()))

    async with database.uow() as uow:
        assert await uow.supporters.of(nomination_id) == [added]


async def test_supporting_the_same_nomination_again_is_refused_and_keeps_the_first(
    database: Database,
) -> None:
    nomination_id, other_id = await _two_nominations(database)
    (first,) = await _add(database, a_supporter(nomination_id, HOA))

    async with database.uow() as uow:
        again = await uow.supporters.add(a_supporter(nomination_id, HOA, account="Lần hai"))
        elsewhere = await uow.supporters.add(a_supporter(other_id, HOA))
        await uow.commit()

    assert again is None
    assert elsewhere is not None
    async with database.uow() as uow:
        assert await uow.supporters.of(nomination_id) == [first]
        assert await uow.supporters.of(other_id) == [elsewhere]


async def test_supporters_are_listed_oldest_first(database: Database) -> None:
    nomination_id, _ = await _two_nominations(database)
    later = a_supporter(nomination_id, BINH, created_at=NOW + timedelta(minutes=5))
    earlier = a_supporter(nomination_id, HOA)
    same_time_added_after = a_supporter(nomination_id, MAI)

    added_later, added_earlier, added_after = await _add(
        database, later, earlier, same_time_added_after
    )

    async with database.uow() as uow:
        assert await uow.supporters.of(nomination_id) == [added_earlier, added_after, added_later]
        assert await uow.supporters.of(404) == []


async def test_only_someone_who_wrote_to_the_bot_can_support(database: Database) -> None:
    nomination_id, _ = await _two_nominations(database)

    async with database.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.supporters.add(a_supporter(nomination_id, STRANGER))


async def test_only_an_existing_nomination_can_be_supported(database: Database) -> None:
    await _two_nominations(database)

    async with database.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.supporters.add(a_supporter(404, HOA))


async def test_is_supporter_tells_who_backs_which_nomination(database: Database) -> None:
    nomination_id, other_id = await _two_nominations(database)
    await _add(database, a_supporter(nomination_id, HOA))

    async with database.uow() as uow:
        assert await uow.supporters.is_supporter(nomination_id, HOA)
        assert not await uow.supporters.is_supporter(nomination_id, BINH)
        assert not await uow.supporters.is_supporter(other_id, HOA)


async def test_what_a_resident_supports_is_listed_most_recent_first(database: Database) -> None:
    first_id, second_id = await _two_nominations(database)
    async with database.uow() as uow:
        third = await uow.nominations.add(a_nomination("NT-AAAA-0003"))
        await uow.commit()
    assert third.id is not None
    await _add(
        database,
        a_supporter(second_id, HOA, created_at=NOW + timedelta(days=1)),
        a_supporter(first_id, HOA, created_at=NOW + timedelta(days=2)),
        a_supporter(third.id, HOA, created_at=NOW + timedelta(days=1)),
        a_supporter(first_id, BINH, created_at=NOW + timedelta(days=3)),
    )

    async with database.uow() as uow:
        assert await uow.supporters.supported_by(HOA, limit=10) == [first_id, third.id, second_id]
        assert await uow.supporters.supported_by(HOA, limit=2) == [first_id, third.id]
        assert await uow.supporters.supported_by(LAN, limit=10) == []


async def test_two_taps_on_support_at_once_record_one_supporter(database: Database) -> None:
    nomination_id, _ = await _two_nominations(database)
    first_has_added = asyncio.Event()

    async def support(*, first: bool) -> Supporter | None:
        if not first:
            await first_has_added.wait()
        async with database.uow() as uow:
            added = await uow.supporters.add(a_supporter(nomination_id, HOA))
            if first:
                first_has_added.set()
                await asyncio.sleep(0.1)  # the second one is now waiting for this transaction
            await uow.commit()
            return added

    first, second = await asyncio.gather(support(first=True), support(first=False))

    assert first is not None
    assert second is None
    async with database.uow() as uow:
        assert await uow.supporters.of(nomination_id) == [first]


# --- merging ----------------------------------------------------------------------------------


async def test_a_merge_moves_supporters_and_drops_those_already_backing_the_survivor(
    database: Database,
) -> None:
    merged_id, surviving_id = await _two_nominations(database)
    hoa_on_merged, binh_on_merged, binh_on_surviving = await _add(
        database,
        a_supporter(merged_id, HOA, created_at=NOW + timedelta(minutes=1)),
        a_supporter(merged_id, BINH, account="Bình kể lần đầu"),
        a_supporter(surviving_id, BINH, created_at=NOW + timedelta(minutes=2)),
    )

    async with database.uow() as uow:
        # As a merge does it: the merged one's nominator (Lan) first, then its supporters.
        lan = await uow.supporters.add(
            a_supporter(surviving_id, LAN, created_at=NOW + timedelta(minutes=3))
        )
        moved = await uow.supporters.move(merged_id, surviving_id)
        await uow.commit()

    assert moved == 1
    async with database.uow() as uow:
        assert await uow.supporters.of(merged_id) == []
        # Hoa keeps her id, time, account and evidence; Bình keeps the row he had there.
        assert await uow.supporters.of(surviving_id) == [
            replace(hoa_on_merged, nomination_id=surviving_id),
            binh_on_surviving,
            lan,
        ]
        assert not await uow.supporters.is_supporter(merged_id, BINH)
        assert binh_on_merged not in await uow.supporters.of(surviving_id)
        assert await uow.supporters.supported_by(HOA, limit=10) == [surviving_id]


async def test_a_merge_not_committed_moves_nobody(database: Database) -> None:
    merged_id, surviving_id = await _two_nominations(database)
    (hoa,) = await _add(database, a_supporter(merged_id, HOA))

    async with database.uow() as uow:
        assert await uow.supporters.move(merged_id, surviving_id) == 1
        assert await uow.supporters.of(surviving_id) == [replace(hoa, nomination_id=surviving_id)]
        await uow.rollback()

    async with database.uow() as uow:
        assert await uow.supporters.of(merged_id) == [hoa]
        assert await uow.supporters.of(surviving_id) == []


async def test_merging_a_nomination_without_supporters_moves_none(database: Database) -> None:
    merged_id, surviving_id = await _two_nominations(database)
    (binh,) = await _add(database, a_supporter(surviving_id, BINH))

    async with database.uow() as uow:
        assert await uow.supporters.move(merged_id, surviving_id) == 0
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.supporters.of(surviving_id) == [binh]


async def test_supporters_cannot_be_moved_onto_their_own_nomination(database: Database) -> None:
    nomination_id, _ = await _two_nominations(database)

    async with database.uow() as uow:
        with pytest.raises(ValueError, match="themselves"):
            await uow.supporters.move(nomination_id, nomination_id)


async def test_supporting_the_survivor_while_the_merge_runs_fails_neither(
    database: Database,
) -> None:
    merged_id, surviving_id = await _two_nominations(database)
    await _add(database, a_supporter(merged_id, HOA), a_supporter(merged_id, BINH))
    hoa_has_supported = asyncio.Event()

    async def hoa_supports_the_survivor() -> Supporter | None:
        async with database.uow() as uow:
            added = await uow.supporters.add(a_supporter(surviving_id, HOA, account="Hoa, lại"))
            hoa_has_supported.set()
            await asyncio.sleep(0.1)  # the merge is now waiting for this transaction
            await uow.commit()
            return added

    async def officer_merges() -> int:
        await hoa_has_supported.wait()
        async with database.uow() as uow:
            moved = await uow.supporters.move(merged_id, surviving_id)
            await uow.commit()
            return moved

    hoa, moved = await asyncio.gather(hoa_supports_the_survivor(), officer_merges())

    assert hoa is not None
    assert moved == 1  # Bình; Hoa already backed the survivor
    async with database.uow() as uow:
        assert await uow.supporters.of(merged_id) == []
        survivors = await uow.supporters.of(surviving_id)
    assert hoa in survivors
    assert sorted(supporter.user_id for supporter in survivors) == sorted([HOA, BINH])


# --- the migration ----------------------------------------------------------------------------


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_the_migration_adds_the_table_once_and_downgrading_drops_only_it(
    database_url: str,
) -> None:
    await upgrade(database_url, "0002")
    before = await _tables(database_url)

    await upgrade(database_url, "0003")
    await upgrade(database_url, "0003")
    assert await current_revision(database_url) == "0003"
    assert await _tables(database_url) == before | {"supporters"}

    await downgrade(database_url, "0002")
    assert await current_revision(database_url) == "0002"
    assert await _tables(database_url) == before

    await upgrade(database_url)
    assert "supporters" in await _tables(database_url)


async def test_downgrading_to_0002_drops_the_supporters_and_keeps_the_nominations(
    database_url: str,
) -> None:
    await upgrade(database_url)
    async with await open_database(database_url, migrate=False) as database:
        first_id, second_id = await _two_nominations(database)
        await _add(database, a_supporter(first_id, HOA))

    await downgrade(database_url, "0002")

    assert "supporters" not in await _tables(database_url)
    await upgrade(database_url)
    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        assert await uow.nominations.get(first_id) is not None
        assert await uow.nominations.get(second_id) is not None
        assert await uow.supporters.of(first_id) == []
