"""Failed code lookups on real storage: counted per user, shared, forgotten after the hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.codes import TrackingCode
from core.nomination import NominationDraft, NomineeKind
from core.services import (
    LOOKUP_FAILURES,
    LOOKUP_WINDOW,
    LookupThrottledError,
    UnknownCodeError,
    give_consent,
    look_up_code,
    meet_user,
    submit_nomination,
)
from storage.uow import Database

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
WRONG = TrackingCode("NT-ZZZZ-ZZZZ")


async def _fail(database: Database, user_id: int, at: datetime) -> None:
    async with database.uow() as uow:
        with pytest.raises(UnknownCodeError):
            await look_up_code(uow, WRONG, viewer_id=user_id, now=at)
        await uow.commit()


async def test_failed_lookups_are_kept_per_user_and_forgotten_after_the_window(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.failed_lookups.add(1, NOW - timedelta(hours=2))
        await uow.failed_lookups.add(1, NOW - timedelta(minutes=30))
        await uow.failed_lookups.add(1, NOW - timedelta(minutes=50))
        await uow.failed_lookups.add(2, NOW - timedelta(minutes=10))
        await uow.commit()
    async with database.uow() as uow:
        recent = await uow.failed_lookups.since(1, NOW - LOOKUP_WINDOW)
        assert recent == [NOW - timedelta(minutes=50), NOW - timedelta(minutes=30)]
        assert await uow.failed_lookups.purge(before=NOW - LOOKUP_WINDOW) == 1
        await uow.commit()
    async with database.uow() as uow:
        assert len(await uow.failed_lookups.since(1, NOW - timedelta(days=1))) == 2
        assert len(await uow.failed_lookups.since(2, NOW - timedelta(days=1))) == 1


async def test_the_limit_throttles_until_the_oldest_failure_leaves_the_window(
    database: Database,
) -> None:
    for minute in range(LOOKUP_FAILURES):
        await _fail(database, 7, NOW + timedelta(minutes=minute))
    later = NOW + timedelta(minutes=30)
    async with database.uow() as uow:
        with pytest.raises(LookupThrottledError) as refused:
            await look_up_code(uow, WRONG, viewer_id=7, now=later)
        await uow.commit()
    assert refused.value.until == NOW + LOOKUP_WINDOW
    assert refused.value.failures == LOOKUP_FAILURES
    # Refused lookups are not counted: the wait does not grow while the user waits.
    await _fail(database, 7, NOW + LOOKUP_WINDOW + timedelta(seconds=1))
    await _fail(database, 8, later)  # somebody else is not held back


async def test_a_nominator_sees_their_own_nomination_while_throttled(database: Database) -> None:
    async with database.uow() as uow:
        await meet_user(uow, user_id=9, display_name="Lan", language_code="vi", now=NOW)
        await give_consent(uow, 9, now=NOW)
        draft = NominationDraft(
            nominee_kind=NomineeKind.INDIVIDUAL,
            nominee_name="Nguyễn Văn Bình",
            unit_key="phuong-hang-bac",
            deed="Trả lại chiếc ví nhặt được ở phố Hàng Bạc cho người đánh rơi.",
            deed_date=date(2026, 11, 19),
        )
        nomination = await submit_nomination(uow, draft, user_id=9, now=NOW)
        await uow.commit()
    for _ in range(LOOKUP_FAILURES):
        await _fail(database, 9, NOW)
        await _fail(database, 10, NOW)
    async with database.uow() as uow:
        own = await look_up_code(uow, nomination.code, viewer_id=9, now=NOW)
        assert own.is_full
        with pytest.raises(LookupThrottledError):
            await look_up_code(uow, nomination.code, viewer_id=10, now=NOW)
