"""Residents' requests on real storage: filed with their clocks, handled once, by the office."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.calendar import CalendarConfig, WorkingCalendar
from core.data_requests import (
    acknowledge,
    complete,
    file_request,
    open_requests,
    reminders_due,
    to_complete,
)
from core.org import Validity
from core.requests import (
    AlreadyAcknowledgedError,
    RequestDoneError,
    RequestKind,
    UnknownRequestError,
)
from core.roles import Actor, NotAllowedError, Role, RoleGrant
from core.services import ConsentRequiredError, give_consent, meet_user
from storage.uow import Database

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday, 09:00 in Hà Nội
CALENDAR = WorkingCalendar(CalendarConfig(extra_days_off=frozenset({date(2026, 11, 24)})))
RESIDENT = 41
SECRETARY = Actor(42, (RoleGrant(42, Role.SECRETARIAT, None, Validity(date(2026, 1, 1)), NOW),))
OFFICER = Actor(
    43, (RoleGrant(43, Role.OFFICER, "phuong-hang-bac", Validity(date(2026, 1, 1)), NOW),)
)
TEXT = "Hồ sơ NT-AAAA-BBBB đã có quyết định nhưng ghi sai tên tôi: Trần Thị Lan."


async def _filed(database: Database, *, consent: bool = True) -> int:
    async with database.uow() as uow:
        await meet_user(uow, user_id=RESIDENT, display_name="Lan", language_code="vi", now=NOW)
        if consent:
            await give_consent(uow, RESIDENT, now=NOW)
        request, _ = await file_request(
            uow, RESIDENT, RequestKind.CORRECTION, TEXT, now=NOW, calendar=CALENDAR, timezone=HANOI
        )
        await uow.commit()
    assert request.id is not None
    return request.id


async def test_a_request_is_filed_with_its_two_clocks_and_listed_for_the_office(
    database: Database,
) -> None:
    number = await _filed(database)
    async with database.uow() as uow:
        (listed,) = await open_requests(uow, SECRETARY)
        mine = await uow.data_requests.filed_by(RESIDENT)
    assert listed.id == number and listed.text == TEXT
    assert listed.kind is RequestKind.CORRECTION and listed.filed_at == NOW
    assert (listed.acknowledge_due, listed.done_due) == (date(2026, 11, 25), date(2026, 12, 7))
    assert [item.id for item in mine] == [number]


async def test_no_request_is_kept_without_consent(database: Database) -> None:
    with pytest.raises(ConsentRequiredError):
        await _filed(database, consent=False)
    async with database.uow() as uow:
        assert await uow.data_requests.filed_by(RESIDENT) == []


async def test_acknowledged_once_then_done_once_and_gone_from_the_open_list(
    database: Database,
) -> None:
    number = await _filed(database)
    later = NOW + timedelta(days=1)
    async with database.uow() as uow:
        taken = await acknowledge(uow, SECRETARY, number, now=later)
        await uow.commit()
    assert taken.acknowledged_at == later and taken.acknowledged_by == SECRETARY.user_id
    async with database.uow() as uow:
        with pytest.raises(AlreadyAcknowledgedError):
            await acknowledge(uow, SECRETARY, number, now=later)
        done = await complete(uow, SECRETARY, number, "Đã sửa tên trong hồ sơ.", now=later)
        await uow.commit()
    assert done.outcome == "Đã sửa tên trong hồ sơ." and done.done_at == later
    async with database.uow() as uow:
        stored = await uow.data_requests.get(number)
        assert stored == done
        assert await open_requests(uow, SECRETARY) == []
        with pytest.raises(RequestDoneError):
            await to_complete(uow, SECRETARY, number)
        assert await reminders_due(uow, CALENDAR, date(2026, 11, 26)) == ([], [])


async def test_closing_an_unacknowledged_request_acknowledges_it_too(database: Database) -> None:
    number = await _filed(database)
    async with database.uow() as uow:
        done = await complete(uow, SECRETARY, number, "Đã trả lời.", now=NOW)
        await uow.commit()
    assert done.acknowledged_at == NOW and done.acknowledged_by == SECRETARY.user_id


async def test_only_the_office_handles_requests_and_the_refusal_tells_nothing(
    database: Database,
) -> None:
    number = await _filed(database)
    async with database.uow() as uow:
        for actor in (OFFICER, Actor(RESIDENT)):
            with pytest.raises(NotAllowedError):
                await open_requests(uow, actor)
            for asked in (number, 999_999):
                with pytest.raises(NotAllowedError):
                    await acknowledge(uow, actor, asked, now=NOW)
                with pytest.raises(NotAllowedError):
                    await complete(uow, actor, asked, "x", now=NOW)
        with pytest.raises(UnknownRequestError):
            await acknowledge(uow, SECRETARY, 999_999, now=NOW)
        (still,) = await open_requests(uow, SECRETARY)
    assert not still.is_acknowledged
