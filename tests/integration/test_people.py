"""Users and their consents survive a round trip through the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.people import PRIVACY_NOTICE_VERSION as VERSION, Consent, ConsentPurpose, User
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# Telegram ids no longer fit in 32 bits.
BIG_ID = 7_123_456_789


async def test_a_saved_user_comes_back_equal(database: Database) -> None:
    user = User(BIG_ID, "Nguyễn Thị Lan", "vi", None, NOW)
    async with database.uow() as uow:
        await uow.users.save(user)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.users.get(BIG_ID) == user


async def test_an_unknown_user_is_none(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.users.get(BIG_ID) is None


async def test_saving_a_known_user_updates_them_but_keeps_when_they_were_first_met(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(BIG_ID, "Lan", "vi", None, NOW))
        await uow.commit()

    later = NOW + timedelta(days=3)
    async with database.uow() as uow:
        await uow.users.save(User(BIG_ID, "Lan Nguyễn", "en-US", "en", later))
        assert await uow.users.get(BIG_ID) == User(BIG_ID, "Lan Nguyễn", "en-US", "en", NOW)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.users.get(BIG_ID) == User(BIG_ID, "Lan Nguyễn", "en-US", "en", NOW)


async def test_the_latest_consent_is_the_most_recently_given(database: Database) -> None:
    first = Consent(BIG_ID, ConsentPurpose.NOMINATION, "2026-01", NOW)
    second = replace(first, notice_version="2026-11", given_at=NOW + timedelta(days=30))
    async with database.uow() as uow:
        await uow.users.save(User(BIG_ID, "Lan", "vi", None, NOW))
        await uow.consents.add(second)
        await uow.consents.add(first)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.consents.latest(BIG_ID, ConsentPurpose.NOMINATION) == second


async def test_a_user_who_never_consented_has_no_latest_consent(database: Database) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(BIG_ID, "Lan", "vi", None, NOW))
        await uow.users.save(User(BIG_ID + 1, "Minh", "vi", None, NOW))
        await uow.consents.add(Consent(BIG_ID + 1, ConsentPurpose.NOMINATION, "2026-11", NOW))
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.consents.latest(BIG_ID, ConsentPurpose.NOMINATION) is None


async def test_withdrawing_marks_the_open_consents_once_and_keeps_them(database: Database) -> None:
    later = NOW + timedelta(days=2)
    async with database.uow() as uow:
        await uow.users.save(User(BIG_ID, "Lan", "vi", None, NOW))
        await uow.users.save(User(BIG_ID + 1, "Minh", "vi", None, NOW))
        await uow.consents.add(Consent(BIG_ID, ConsentPurpose.NOMINATION, VERSION, NOW))
        await uow.consents.add(Consent(BIG_ID + 1, ConsentPurpose.NOMINATION, VERSION, NOW))
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.consents.withdraw(BIG_ID, ConsentPurpose.NOMINATION, at=later) == 1
        assert await uow.consents.withdraw(BIG_ID, ConsentPurpose.NOMINATION, at=later) == 0
        await uow.commit()

    async with database.uow() as uow:
        mine = await uow.consents.latest(BIG_ID, ConsentPurpose.NOMINATION)
        theirs = await uow.consents.latest(BIG_ID + 1, ConsentPurpose.NOMINATION)
    assert mine == Consent(BIG_ID, ConsentPurpose.NOMINATION, VERSION, NOW, later)
    assert mine is not None and not mine.in_force
    assert theirs is not None and theirs.in_force
