"""Nominations, with their evidence in order, survive a round trip through the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.codes import TrackingCode
from core.nomination import (
    Evidence,
    EvidenceKind,
    GeoPoint,
    Nomination,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
    NomineeRole,
)
from core.people import User
from storage.tables import NominationRow
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789
MINH = 7_123_456_790


def a_nomination(code: str = "NT-ABCD-EFGH", *, by: int = LAN, **changes: Any) -> Nomination:
    nomination = Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng", NomineeRole.WORKER),
        unit_key="phuong-hang-bac",
        deed="Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2026, 11, 20),
        nominator=Nominator(by, "0912345678", anonymous=True),
        status=NominationStatus.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
        place="Phố Hàng Bạc",
        location=GeoPoint(21.034182, 105.852661),
        evidence=(
            Evidence(EvidenceKind.PHOTO, "photo-1", "u-1", None, 120_000),
            Evidence(EvidenceKind.DOCUMENT, "doc-2", "u-2", "biên bản.pdf", 3_000_000),
            Evidence(EvidenceKind.PHOTO, "photo-3", "u-3"),
        ),
        campaign_key="an-toan-thuc-pham",
    )
    return replace(nomination, **changes)


async def _meet(database: Database, *user_ids: int) -> None:
    async with database.uow() as uow:
        for user_id in user_ids:
            await uow.users.save(User(user_id, f"user {user_id}", "vi", None, NOW))
        await uow.commit()


async def test_a_nomination_with_three_files_and_a_location_comes_back_equal(
    database: Database,
) -> None:
    await _meet(database, LAN)
    nomination = a_nomination()
    async with database.uow() as uow:
        added = await uow.nominations.add(nomination)
        await uow.commit()

    async with database.uow() as uow:
        found = await uow.nominations.get_by_code(nomination.code)

    assert added.id is not None
    assert found == replace(nomination, id=added.id)
    assert found is not None
    assert [e.file_id for e in found.evidence] == ["photo-1", "doc-2", "photo-3"]


async def test_a_nomination_without_optional_fields_comes_back_equal(database: Database) -> None:
    await _meet(database, LAN)
    nomination = a_nomination(
        nominee=Nominee(NomineeKind.COLLECTIVE, "Tổ dân phố số 5"),
        nominator=Nominator(LAN),
        place=None,
        location=None,
        evidence=(),
        campaign_key=None,
    )
    async with database.uow() as uow:
        added = await uow.nominations.add(nomination)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.nominations.get_by_code(nomination.code) == added


async def test_the_nominee_name_is_stored_with_its_folded_search_key(database: Database) -> None:
    await _meet(database, LAN)
    async with database.uow() as uow:
        await uow.nominations.add(
            a_nomination(nominee=Nominee(NomineeKind.INDIVIDUAL, "Đỗ Thị Hòa"))
        )
        await uow.commit()

    async with database.uow() as uow:
        key = await uow.session.scalar(select(NominationRow.nominee_name_key))

    assert key == "do thi hoa"


async def test_an_unknown_code_finds_nothing_and_is_not_taken(database: Database) -> None:
    await _meet(database, LAN)
    async with database.uow() as uow:
        await uow.nominations.add(a_nomination("NT-ABCD-EFGH"))
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.nominations.get_by_code(TrackingCode("NT-0000-0000")) is None
        assert await uow.nominations.code_exists(TrackingCode("NT-ABCD-EFGH"))
        assert not await uow.nominations.code_exists(TrackingCode("NT-0000-0000"))


async def test_a_resident_lists_only_their_own_nominations_newest_first(
    database: Database,
) -> None:
    await _meet(database, LAN, MINH)
    async with database.uow() as uow:
        for day, code, nominator in [
            (1, "NT-AAAA-0001", LAN),
            (3, "NT-AAAA-0003", LAN),
            (2, "NT-AAAA-0002", MINH),
            (2, "NT-AAAA-0004", LAN),
        ]:
            at = NOW + timedelta(days=day)
            await uow.nominations.add(
                a_nomination(code, by=nominator, created_at=at, status_changed_at=at)
            )
        await uow.commit()

    async with database.uow() as uow:
        listed = await uow.nominations.list_by_nominator(LAN, limit=10)
        limited = await uow.nominations.list_by_nominator(LAN, limit=2)

    assert [str(n.code) for n in listed] == ["NT-AAAA-0003", "NT-AAAA-0004", "NT-AAAA-0001"]
    assert all(len(n.evidence) == 3 for n in listed)
    assert [str(n.code) for n in limited] == ["NT-AAAA-0003", "NT-AAAA-0004"]
