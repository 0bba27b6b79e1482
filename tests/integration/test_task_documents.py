"""Documents units file against the plan's tasks, on SQLite and PostgreSQL.

The repository keeps each file once per unit's occurrence of a task and gives a plan's files
in the order filed; the services let whoever may mark the task done file it, and only the
secretariat read every unit's files.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.awards import DossierFileTypeError
from core.deadlines import TaskDocument
from core.nomination import Evidence, EvidenceKind
from core.review import actor_for, grant_role
from core.roles import Actor, NotAllowedError, Role
from core.task_documents import (
    documents_per_unit,
    file_task_document,
    filed_documents,
)
from storage.uow import Database

NOW = datetime(2018, 1, 5, 3, 0, tzinfo=UTC)
PLAN = "ke-hoach-2018"
HANG_BAC = "phuong-hang-bac"
HANG_GAI = "phuong-hang-gai"
OFFICER, OTHER_OFFICER, SECRETARY, RESIDENT = 51, 52, 53, 54
REPORT = Evidence(EvidenceKind.DOCUMENT, "file-report", "unique-report", "bao-cao.pdf", 52_000)


@pytest.fixture
async def organised(database: Database) -> Database:
    from bot.plans import DEMO_PLAN, load_plan, read_plan_file

    await load_plan(database, read_plan_file(DEMO_PLAN))
    async with database.uow() as uow:
        for user_id, role, unit in (
            (OFFICER, Role.OFFICER, HANG_BAC),
            (OTHER_OFFICER, Role.OFFICER, HANG_GAI),
            (SECRETARY, Role.SECRETARIAT, None),
        ):
            await grant_role(
                uow, Actor.operator(), user_id=user_id, role=role, unit_key=unit, now=NOW
            )
        await uow.commit()
    return database


async def _actor(database: Database, user_id: int) -> Actor:
    async with database.uow() as uow:
        return await actor_for(uow, user_id, NOW.date())


def _document(unique: str, *, unit: str = HANG_BAC, at: datetime = NOW) -> TaskDocument:
    return TaskDocument(
        PLAN, 3, "once", unit, EvidenceKind.DOCUMENT, f"id-{unique}", unique, "a.pdf", 10, 51, at
    )


async def test_a_plans_documents_come_back_in_the_order_filed_and_each_file_once(
    database: Database,
) -> None:
    async with database.uow() as uow:
        later = await uow.task_documents.add(_document("a", at=NOW + timedelta(hours=1)))
        first = await uow.task_documents.add(_document("b"))
        again = await uow.task_documents.add(_document("a", at=NOW + timedelta(hours=2)))
        other_unit = await uow.task_documents.add(_document("a", unit=HANG_GAI))
        await uow.task_documents.add(replace(_document("c"), plan_key="another-plan"))
        await uow.commit()
    assert later is not None and first is not None and other_unit is not None
    assert again is None
    async with database.uow() as uow:
        stored = await uow.task_documents.of_plan(PLAN)
    assert stored == [first, other_unit, later]


async def test_the_units_officer_files_a_report_and_the_secretariat_counts_and_reads_it(
    organised: Database,
) -> None:
    officer, secretary = await _actor(organised, OFFICER), await _actor(organised, SECRETARY)
    async with organised.uow() as uow:
        filed = await file_task_document(
            uow,
            officer,
            plan_key=PLAN,
            task_number=3,
            occurrence="once",
            unit_key=HANG_BAC,
            file=REPORT,
            now=NOW,
        )
        twice = await file_task_document(
            uow,
            officer,
            plan_key=PLAN,
            task_number=3,
            occurrence="once",
            unit_key=HANG_BAC,
            file=REPORT,
            now=NOW + timedelta(minutes=5),
        )
        await uow.commit()
    assert filed == twice and filed.id is not None and filed.added_by == OFFICER
    async with organised.uow() as uow:
        assert await documents_per_unit(uow, secretary, PLAN) == {HANG_BAC: 1}
        documents, total = await filed_documents(uow, secretary, PLAN)
    assert total == 1 and [d.file_name for d in documents] == ["bao-cao.pdf"]


async def test_another_units_officer_and_a_resident_may_not_file_nor_read(
    organised: Database,
) -> None:
    other, resident = await _actor(organised, OTHER_OFFICER), await _actor(organised, RESIDENT)
    officer = await _actor(organised, OFFICER)
    async with organised.uow() as uow:
        for actor in (other, resident, Actor.operator()):
            with pytest.raises(NotAllowedError):
                await file_task_document(
                    uow,
                    actor,
                    plan_key=PLAN,
                    task_number=3,
                    occurrence="once",
                    unit_key=HANG_BAC,
                    file=REPORT,
                    now=NOW,
                )
        for actor in (officer, other, resident):
            with pytest.raises(NotAllowedError):
                await documents_per_unit(uow, actor, PLAN)
            with pytest.raises(NotAllowedError):
                await filed_documents(uow, actor, PLAN)
        with pytest.raises(DossierFileTypeError):
            await file_task_document(
                uow,
                officer,
                plan_key=PLAN,
                task_number=3,
                occurrence="once",
                unit_key=HANG_BAC,
                file=Evidence(EvidenceKind.DOCUMENT, "f", "u", "ghi-chu.txt", 10),
                now=NOW,
            )
        assert await uow.task_documents.of_plan(PLAN) == []
