"""The desk's counts grouped in the database equal the same counts made case by case.

On SQLite and PostgreSQL: the monthly chart's cases per month (Hà Nội time) and state, for
the office and for a ward officer; the overview's counts by state and unit.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.codes import TrackingCode
from core.desk import EVERY_STATE, CaseFilter, CaseQuery
from core.desk_services import monthly_filings, overview
from core.nomination import (
    Evidence,
    EvidenceKind,
    Nomination,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
)
from core.org import Validity
from core.people import User
from core.roles import Actor, Role, RoleGrant
from storage.desk import _ROWS_AT_ONCE
from storage.uow import Database

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
TODAY = date(2024, 11, 20)
HANG_BAC = "phuong-hang-bac"
HANG_DAO = "phuong-hang-dao"
LAN = 7_300_000_001
OFFICE = Actor(7102, (RoleGrant(7102, Role.SECRETARIAT, None, Validity(), NOW),))
WARD_OFFICER = Actor(7101, (RoleGrant(7101, Role.OFFICER, HANG_BAC, Validity(), NOW),))
# 1/11/2024 00:00 in Hà Nội, still 31 October in UTC: a case filed then is November's.
NOVEMBER = datetime(2024, 10, 31, 17, 0, tzinfo=UTC)


def a_case(number: int, unit_key: str, status: NominationStatus, filed: datetime) -> Nomination:
    return Nomination(
        code=TrackingCode(f"NT-TEST-{number:04d}"),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng", None),
        unit_key=unit_key,
        deed="Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=filed.date(),
        nominator=Nominator(LAN, None),
        status=status,
        created_at=filed,
        status_changed_at=filed,
    )


async def seeded(database: Database) -> list[Nomination]:
    """File 120 cases over 16 months in two wards, some on a month's first instant."""
    rng = random.Random(2018)
    first = datetime(2023, 8, 15, tzinfo=UTC)
    cases = [
        a_case(
            number,
            rng.choice((HANG_BAC, HANG_DAO)),
            rng.choice(list(NominationStatus)),
            first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds()))),
        )
        for number in range(120)
    ]
    return await added(database, [*cases, *on_the_first()])


def on_the_first() -> list[Nomination]:
    """Cases filed on 1 November at midnight in Hà Nội, and one a microsecond before."""
    return [
        a_case(200, HANG_BAC, NominationStatus.SUBMITTED, NOVEMBER),
        a_case(201, HANG_BAC, NominationStatus.SUBMITTED, NOVEMBER - timedelta(microseconds=1)),
        a_case(202, HANG_DAO, NominationStatus.COMMENDED, NOVEMBER),
    ]


async def added(database: Database, cases: list[Nomination]) -> list[Nomination]:
    async with database.uow() as uow:
        await uow.users.save(User(LAN, "Lan", "vi", None, NOW))
        added = [await uow.nominations.add(case) for case in cases]
        await uow.commit()
    return added


def counted_one_by_one(
    cases: list[Nomination], actor: Actor, months: list[date]
) -> list[tuple[date, dict[str, int]]]:
    counts: dict[date, dict[str, int]] = {month: {} for month in months}
    for case in cases:
        if actor is WARD_OFFICER and case.unit_key != HANG_BAC:
            continue
        tally = counts.get(case.created_at.astimezone(HANOI).date().replace(day=1))
        if tally is not None:
            tally[case.status.value] = tally.get(case.status.value, 0) + 1
    return [(month, counts[month]) for month in months]


async def test_the_cases_per_month_and_state_are_counted_in_the_database_as_one_by_one(
    database: Database,
) -> None:
    cases = await seeded(database)
    months = [date(2023, 12, 1), *(date(2024, m, 1) for m in range(1, 12))]

    async with database.uow() as uow:
        office = await monthly_filings(uow, OFFICE, last=TODAY, months=12, tz=HANOI)
        ward = await monthly_filings(uow, WARD_OFFICER, last=TODAY, months=12, tz=HANOI)

    assert [month for month, _ in office] == months
    assert office == counted_one_by_one(cases, OFFICE, months)
    assert ward == counted_one_by_one(cases, WARD_OFFICER, months)
    assert sum(sum(tally.values()) for _, tally in office) > 60


async def test_a_case_filed_at_midnight_on_the_first_in_hanoi_is_that_months(
    database: Database,
) -> None:
    await added(database, on_the_first())

    async with database.uow() as uow:
        office = await monthly_filings(uow, OFFICE, last=TODAY, months=2, tz=HANOI)
        ward = await monthly_filings(uow, WARD_OFFICER, last=TODAY, months=2, tz=HANOI)

    assert office == [
        (date(2024, 10, 1), {"submitted": 1}),
        (date(2024, 11, 1), {"submitted": 1, "commended": 1}),
    ]
    assert ward == [(date(2024, 10, 1), {"submitted": 1}), (date(2024, 11, 1), {"submitted": 1})]


async def test_no_month_counts_for_an_officer_whose_units_have_no_case(database: Database) -> None:
    await seeded(database)
    elsewhere = replace(
        WARD_OFFICER,
        grants=(RoleGrant(7101, Role.OFFICER, "phuong-hang-gai", Validity(), NOW),),
    )

    async with database.uow() as uow:
        shown = await monthly_filings(uow, elsewhere, last=TODAY, months=3, tz=HANOI)

    assert shown == [(date(2024, m, 1), {}) for m in (9, 10, 11)]


async def test_the_overview_counts_by_state_and_unit_as_one_by_one(database: Database) -> None:
    cases = await seeded(database)

    async with database.uow() as uow:
        office = await overview(uow, OFFICE, today=TODAY, tz=HANOI, quota=1)
        ward = await overview(uow, WARD_OFFICER, today=TODAY, tz=HANOI, quota=1)

    by_unit: dict[str, dict[str, int]] = {}
    for case in cases:
        tally = by_unit.setdefault(case.unit_key, {})
        tally[case.status.value] = tally.get(case.status.value, 0) + 1
    by_state: dict[str, int] = {}
    for tally in by_unit.values():
        for state, count in tally.items():
            by_state[state] = by_state.get(state, 0) + count
    assert dict(office.by_state) == by_state
    assert {line.unit_key: dict(line.by_state) for line in office.units} == by_unit
    assert dict(ward.by_state) == by_unit[HANG_BAC]
    assert [line.unit_key for line in ward.units] == [HANG_BAC]
    assert office.total == len(cases)


async def test_an_export_sized_read_gives_every_case_in_order_a_batch_at_a_time(
    database: Database,
) -> None:
    """More cases than the rows made at once: all come, oldest first, with their evidence."""
    first = datetime(2024, 1, 1, tzinfo=UTC)
    cases = [
        replace(
            a_case(number, HANG_BAC, NominationStatus.SUBMITTED, first + timedelta(hours=number)),
            evidence=(Evidence(EvidenceKind.PHOTO, f"file-{number}", f"unique-{number}"),),
        )
        for number in range(_ROWS_AT_ONCE + 20)
    ]
    stored = await added(database, list(reversed(cases)))
    query = CaseQuery.of(
        CaseFilter(state=EVERY_STATE),
        unit_keys=None,
        open_states=frozenset({NominationStatus.SUBMITTED}),
        tz=HANOI,
    )

    async with database.uow() as uow:
        read = await uow.desk.cases(query, limit=len(cases) + 1, offset=0)
        tail = await uow.desk.cases(query, limit=5, offset=len(cases) - 3)

    expected = sorted(stored, key=lambda case: case.created_at)
    assert [case.id for case in read] == [case.id for case in expected]
    assert [case.evidence for case in read] == [case.evidence for case in expected]
    assert [case.id for case in tail] == [case.id for case in expected[-3:]]
