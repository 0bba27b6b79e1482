"""Resident services on real storage: consent first, visibility of a nomination by viewer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.codes import TrackingCode
from core.nomination import NominationDraft, NomineeKind
from core.services import (
    ConsentRequiredError,
    UnknownCodeError,
    choose_locale,
    give_consent,
    look_up_status,
    meet_user,
    my_nominations,
    submit_nomination,
)
from storage.uow import Database

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _draft() -> NominationDraft:
    return NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name="Nguyễn Văn Bình",
        unit_key="phuong-hang-bac",
        deed="Trả lại chiếc ví nhặt được ở phố Hàng Bạc cho người đánh rơi.",
        deed_date=date(2026, 11, 19),
    )


async def _resident(database: Database, user_id: int, *, consent: bool) -> None:
    async with database.uow() as uow:
        await meet_user(uow, user_id=user_id, display_name="Lan", language_code="vi", now=NOW)
        if consent:
            await give_consent(uow, user_id, now=NOW)
        await uow.commit()


async def test_no_nomination_is_kept_without_consent(database: Database) -> None:
    await _resident(database, 1, consent=False)
    async with database.uow() as uow:
        with pytest.raises(ConsentRequiredError):
            await submit_nomination(uow, _draft(), user_id=1, now=NOW)
        assert await my_nominations(uow, 1) == []


async def test_only_the_nominator_sees_the_whole_nomination(database: Database) -> None:
    await _resident(database, 1, consent=True)
    await _resident(database, 2, consent=False)
    async with database.uow() as uow:
        nomination = await submit_nomination(uow, _draft(), user_id=1, now=NOW)
        await uow.commit()
    async with database.uow() as uow:
        own = await look_up_status(uow, nomination.code, viewer_id=1)
        other = await look_up_status(uow, nomination.code, viewer_id=2)
    assert own.is_full and own.nomination is not None
    assert own.nomination.nominee.name == "Nguyễn Văn Bình"
    assert not other.is_full and other.nomination is None
    assert other.status == own.status and other.status_changed_at == NOW


async def test_a_taken_code_is_drawn_again(database: Database) -> None:
    await _resident(database, 1, consent=True)
    codes = iter(
        [TrackingCode("NT-AAAA-AAAA"), TrackingCode("NT-AAAA-AAAA"), TrackingCode("NT-BBBB-BBBB")]
    )
    async with database.uow() as uow:
        first = await submit_nomination(
            uow, _draft(), user_id=1, now=NOW, new_code=lambda: next(codes)
        )
        second = await submit_nomination(
            uow, _draft(), user_id=1, now=NOW, new_code=lambda: next(codes)
        )
        await uow.commit()
    assert (str(first.code), str(second.code)) == ("NT-AAAA-AAAA", "NT-BBBB-BBBB")


async def test_an_unknown_code_is_a_named_error(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(UnknownCodeError):
            await look_up_status(uow, TrackingCode("NT-ZZZZ-ZZZZ"), viewer_id=1)


async def test_the_chosen_language_wins_over_telegrams(database: Database) -> None:
    async with database.uow() as uow:
        user = await meet_user(uow, user_id=3, display_name="John", language_code="en", now=NOW)
        assert user.resolved_locale() == "en"
        user = await choose_locale(uow, user, "vi")
        await uow.commit()
    async with database.uow() as uow:
        again = await meet_user(uow, user_id=3, display_name="John", language_code="en", now=NOW)
    assert again.resolved_locale() == "vi"
