"""The officers' search service over a real database: ranked in memory, shown from the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bot.search import SearchService
from core.codes import TrackingCode
from core.nomination import Nomination, NominationStatus, Nominator, Nominee, NomineeKind
from core.people import User
from core.search import DEED_EXCERPT_CHARS
from storage.uow import Database

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789
HANG_BAC = "phuong-hang-bac"
HANG_GAI = "phuong-hang-gai"
LONG_DEED = "Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi. " * 40


def a_nomination(number: int, name: str, unit_key: str = HANG_BAC) -> Nomination:
    return Nomination(
        code=TrackingCode(f"NT-AAAA-{number:04d}"),
        nominee=Nominee(NomineeKind.INDIVIDUAL, name),
        unit_key=unit_key,
        deed=LONG_DEED,
        deed_date=date(2026, 11, 20),
        nominator=Nominator(LAN, None),
        status=NominationStatus.SUBMITTED,
        created_at=NOW + timedelta(minutes=number),
        status_changed_at=NOW,
    )


async def _store(database: Database, *nominations: Nomination) -> list[int]:
    async with database.uow() as uow:
        if await uow.users.get(LAN) is None:
            await uow.users.save(User(LAN, "Lan", "vi", None, NOW))
        ids = [(await uow.nominations.add(n)).id for n in nominations]
        await uow.commit()
    return [i for i in ids if i is not None]


async def _search(
    database: Database, service: SearchService, query: str, scope: frozenset[str] | None = None
) -> list[tuple[str, str, str]]:
    async with database.uow() as uow:
        page = await service.search(uow, query, unit_keys=scope, limit=10, offset=0)
    return [(hit.entry.code, hit.entry.nominee_name, hit.entry.unit_key) for hit in page.hits]


async def test_hits_show_what_the_database_holds_with_the_deed_cut_short(
    database: Database,
) -> None:
    service = SearchService()
    binh, _ = await _store(
        database, a_nomination(1, "Nguyễn Văn Bình"), a_nomination(2, "Trần Thị Lan")
    )

    async with database.uow() as uow:
        page = await service.search(uow, "nguyen van bihn", unit_keys=None, limit=10, offset=0)

    assert len(service) == 2
    (hit,) = page.hits
    assert hit.entry.nomination_id == binh
    assert (hit.entry.code, hit.entry.nominee_name) == ("NT-AAAA-0001", "Nguyễn Văn Bình")
    assert hit.entry.unit_name == HANG_BAC  # no plan loaded: the unit's key stands for it
    assert hit.entry.created_at == NOW + timedelta(minutes=1)
    assert len(hit.entry.deed) <= DEED_EXCERPT_CHARS
    assert LONG_DEED.startswith(hit.entry.deed[:-1])


async def test_a_typed_tracking_code_finds_its_case_within_the_officers_scope(
    database: Database,
) -> None:
    service = SearchService()
    await _store(
        database, a_nomination(1, "Nguyễn Văn Bình"), a_nomination(2, "Lê Minh Thắm", HANG_GAI)
    )

    assert await _search(database, service, "nt aaaa 0002") == [
        ("NT-AAAA-0002", "Lê Minh Thắm", HANG_GAI)
    ]
    assert await _search(database, service, "NT-AAAA-0002", frozenset({HANG_BAC})) == []
    # "minh tham" reads as NT-M1NH-THAM, which no case has: words, not a code.
    assert await _search(database, service, "le minh tham") == [
        ("NT-AAAA-0002", "Lê Minh Thắm", HANG_GAI)
    ]


async def test_a_case_deleted_after_it_was_indexed_is_left_out_of_the_page(
    database: Database,
) -> None:
    service = SearchService()
    first, _ = await _store(
        database, a_nomination(1, "Nguyễn Văn Bình"), a_nomination(2, "Nguyễn Văn Bình")
    )
    async with database.uow() as uow:
        await service.catch_up(uow)
    async with database.engine.begin() as connection:
        await connection.execute(sa.text("DELETE FROM nominations WHERE id = :id"), {"id": first})

    assert await _search(database, service, "nguyen van binh") == [
        ("NT-AAAA-0002", "Nguyễn Văn Bình", HANG_BAC)
    ]
    assert await _search(database, service, "nt-aaaa-0001") == []
