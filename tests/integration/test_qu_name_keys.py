"""Migration 0020: name keys stored with "qui" become "quy", as core.text.fold now gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from core.codes import TrackingCode
from core.nomination import Nomination, NominationStatus, Nominator, Nominee, NomineeKind
from core.people import User
from core.text import fold
from storage.database import create_engine
from storage.migrate import downgrade, upgrade
from storage.uow import open_database

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789


def nomination(code: str, name: str) -> Nomination:
    return Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, name),
        unit_key="phuong-hoan-kiem",
        deed="Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2026, 11, 20),
        nominator=Nominator(LAN),
        status=NominationStatus.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
    )


async def _keys(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                sa.text("SELECT nominee_name_key FROM nominations ORDER BY id")
            )
            return [row[0] for row in result]
    finally:
        await engine.dispose()


async def _store_old_keys(url: str) -> None:
    """Write the keys as the fold before 0020 made them."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE nominations SET nominee_name_key = :old WHERE code = :code"),
                [
                    {"old": "nguyen thi qui", "code": "NT-AAAA-0001"},
                    {"old": "le quit", "code": "NT-AAAA-0002"},
                ],
            )
    finally:
        await engine.dispose()


async def test_keys_stored_with_qui_are_rewritten_and_others_left(database_url: str) -> None:
    await upgrade(database_url)
    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        await uow.users.save(User(LAN, "Lan", "vi", None, NOW))
        await uow.nominations.add(nomination("NT-AAAA-0001", "Nguyễn Thị Quí"))
        await uow.nominations.add(nomination("NT-AAAA-0002", "Lê Quít"))
        await uow.nominations.add(nomination("NT-AAAA-0003", "Trần Quỳnh"))
        await uow.commit()
    await downgrade(database_url, "0019")
    await _store_old_keys(database_url)

    await upgrade(database_url)

    assert await _keys(database_url) == ["nguyen thi quy", "le quyt", "tran quynh"]
    assert fold("Nguyễn Thị Quý") == "nguyen thi quy"
