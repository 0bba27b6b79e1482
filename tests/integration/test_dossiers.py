"""Dossiers on SQLite and PostgreSQL: award forms stored with the plan, files attached to cases.

The repository keeps each file once per item and gives a case's files in order; the services
propose a case only with its checklist complete, and only its verifying staff file it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from bot.plans import TODAY_PLAN, load_plan, read_plan_file
from core.awards import (
    AwardFormRequiredError,
    DossierClosedError,
    DossierDocument,
    DossierFileTypeError,
    DossierIncompleteError,
    ItemState,
    UnknownAwardFormError,
)
from core.codes import TrackingCode
from core.dossiers import (
    attach_document,
    award_form_of,
    choose_award_form,
    dossier_view,
    remove_document,
)
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
from core.plan import Plan
from core.ports import UnitOfWork
from core.review import act, actor_for
from core.roles import Actor, NotAllowedError, Role, RoleGrant
from core.workflow import Action
from storage.database import create_engine
from storage.migrate import current_revision, downgrade, upgrade
from storage.tables import DossierDocumentRow, NominationRow
from storage.uow import Database, open_database

NOW = datetime(2027, 3, 2, 2, tzinfo=UTC)
TODAY = date(2027, 3, 2)
LAN = 7_200_000_001  # a resident
MINH = 7_200_000_002  # an officer of the ward
THAO = 7_200_000_003  # the standing office
HOA = 7_200_000_004  # a council member
TUAN = 7_200_000_005  # an officer of a residential group
WARD = "phuong-hoan-kiem"
SUDDEN = "khen-thuong-dot-xuat"
CITY = "bang-khen-thanh-pho"
SUMMARY = "tom-tat-thanh-tich"
PDF = Evidence(EvidenceKind.DOCUMENT, "file-pdf", "unique-pdf", "tom-tat.pdf", 52_000)
PHOTO = Evidence(EvidenceKind.PHOTO, "file-photo", "unique-photo", None, 800_000)

S = NominationStatus


async def _ward(database: Database) -> None:
    """Load today's ward plan, its people, and one case its officer is verifying."""
    await load_plan(database, read_plan_file(TODAY_PLAN))
    async with database.uow() as uow:
        for user_id, name in ((LAN, "Lan"), (HOA, "Hoa"), (HOA + 1, "Bình")):
            await uow.users.save(User(user_id, name, "vi", None, NOW))
        for user_id, role, unit in (
            (MINH, Role.OFFICER, WARD),
            (THAO, Role.SECRETARIAT, None),
            (HOA, Role.COUNCIL_MEMBER, None),
            (TUAN, Role.OFFICER, "to-dan-pho-1"),
            (LAN, Role.OFFICER, WARD),  # a resident who is also the ward's officer
        ):
            await uow.roles.add(
                RoleGrant(user_id, role, unit, Validity(date(2027, 1, 1)), NOW - timedelta(1))
            )
        await uow.commit()


async def _case(database: Database, code: str = "NT-ABCD-EFGH", *, by: int = LAN) -> int:
    nomination = Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng"),
        unit_key=WARD,
        deed="Nhảy xuống hồ cứu một em bé bị đuối nước chiều ngày 1/3.",
        deed_date=date(2027, 3, 1),
        nominator=Nominator(by),
        status=S.VERIFYING,
        created_at=NOW,
        status_changed_at=NOW,
    )
    async with database.uow() as uow:
        added = await uow.nominations.add(nomination)
        await uow.commit()
    assert added.id is not None
    return added.id


async def _actor(database: Database, user_id: int) -> Actor:
    async with database.uow() as uow:
        return await actor_for(uow, user_id, TODAY)


def _document(case: int, item: str, unique: str, at: datetime = NOW) -> DossierDocument:
    return DossierDocument(
        case, item, EvidenceKind.DOCUMENT, f"id-{unique}", unique, f"{unique}.pdf", 1000, MINH, at
    )


# --- the repository ----------------------------------------------------------------------------


async def test_documents_come_back_in_the_order_attached_and_each_file_once_per_item(
    database: Database,
) -> None:
    await _ward(database)
    case = await _case(database)
    async with database.uow() as uow:
        first = await uow.dossiers.add(_document(case, SUMMARY, "a", NOW + timedelta(1)))
        second = await uow.dossiers.add(_document(case, "bao-cao-thanh-tich", "b", NOW))
        again = await uow.dossiers.add(_document(case, SUMMARY, "a", NOW + timedelta(2)))
        elsewhere = await uow.dossiers.add(_document(case, "bao-cao-thanh-tich", "a"))
        await uow.commit()
    assert first is not None and second is not None and elsewhere is not None
    assert again is None
    async with database.uow() as uow:
        stored = await uow.dossiers.of_case(case)
    assert stored == [second, elsewhere, first]
    assert stored[2] == replace(_document(case, SUMMARY, "a", NOW + timedelta(1)), id=first.id)


async def test_a_document_is_removed_from_its_own_case_only(database: Database) -> None:
    await _ward(database)
    case, other = await _case(database), await _case(database, "NT-ABCD-EFGJ")
    async with database.uow() as uow:
        added = await uow.dossiers.add(_document(case, SUMMARY, "a"))
        await uow.commit()
    assert added is not None and added.id is not None
    async with database.uow() as uow:
        assert await uow.dossiers.remove(other, added.id) is None
        assert await uow.dossiers.remove(case, added.id) == added
        assert await uow.dossiers.remove(case, added.id) is None
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.dossiers.of_case(case) == []


async def test_a_cases_documents_go_with_it(database: Database) -> None:
    await _ward(database)
    case = await _case(database)
    async with database.uow() as uow:
        await uow.dossiers.add(_document(case, SUMMARY, "a"))
        await uow.commit()
    async with database.uow() as uow:
        await uow.session.execute(sa.delete(NominationRow).where(NominationRow.id == case))
        await uow.commit()
    async with database.uow() as uow:
        left = await uow.session.scalar(sa.select(sa.func.count()).select_from(DossierDocumentRow))
    assert left == 0


# --- award forms stored with the plan ---------------------------------------------------------


async def test_a_plans_award_forms_come_back_equal_and_the_current_plans_are_read(
    database: Database,
) -> None:
    document = read_plan_file(TODAY_PLAN)
    assert document.plan is not None
    await load_plan(database, document)
    async with database.uow() as uow:
        assert await uow.organisation.get_plan(document.plan.key) == document.plan
        forms = await uow.organisation.award_forms()
        assert forms == document.plan.award_forms
        city = await uow.organisation.award_form(CITY)
    assert city is not None and city.vote.threshold == Fraction(4, 5)


async def test_a_form_dropped_from_this_years_plan_is_still_found_in_last_years(
    database: Database,
) -> None:
    document = read_plan_file(TODAY_PLAN)
    last_year = document.plan
    assert last_year is not None
    this_year = replace(
        last_year,
        key="phuong-hoan-kiem-2028",
        year=2028,
        issued_on=date(2027, 12, 15),
        tasks=(),
        award_forms=last_year.award_forms[:1],
    )
    await load_plan(database, document)
    async with database.uow() as uow:
        await uow.organisation.save_plan(this_year)
        await uow.commit()
    async with database.uow() as uow:
        assert [f.key for f in await uow.organisation.award_forms()] == [
            last_year.award_forms[0].key
        ]
        assert await uow.organisation.award_form(SUDDEN) == last_year.find_award_form(SUDDEN)
        assert await uow.organisation.award_form("khong-co") is None


async def test_before_any_plan_there_are_no_award_forms(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.organisation.award_forms() == ()
        assert await uow.organisation.award_form(SUDDEN) is None


# --- the services -----------------------------------------------------------------------------


async def test_proposing_is_refused_naming_the_missing_summary_until_it_is_attached(
    database: Database,
) -> None:
    await _ward(database)
    case = await _case(database, by=HOA)
    officer = await _actor(database, MINH)
    async with database.uow() as uow:
        with pytest.raises(AwardFormRequiredError):
            await act(uow, officer, case, Action.PROPOSE, now=NOW)
        with pytest.raises(UnknownAwardFormError):  # the secretariat's alone
            await act(uow, officer, case, Action.PROPOSE, now=NOW, award_form_key=CITY)
        with pytest.raises(DossierIncompleteError) as refused:
            await act(uow, officer, case, Action.PROPOSE, now=NOW, award_form_key=SUDDEN)
        assert refused.value.names == ("Tóm tắt thành tích",)

        chosen = await choose_award_form(uow, officer, case, SUDDEN)
        assert chosen.award_form_key == SUDDEN
        await attach_document(uow, officer, case, SUMMARY, PDF, now=NOW)
        proposed, entry = await act(uow, officer, case, Action.PROPOSE, now=NOW)
        await uow.commit()
    assert proposed.status is S.PROPOSED and proposed.award_form_key == SUDDEN
    assert entry.data["award_form_key"] == SUDDEN
    async with database.uow() as uow:
        stored = await uow.nominations.get(case)
        assert stored is not None and stored.award_form_key == SUDDEN
        form = await award_form_of(uow, stored)
    assert form is not None and form.simplified and form.vote.threshold == Fraction(1, 2)


async def test_only_the_cases_verifying_staff_attach_and_never_its_nominator(
    database: Database,
) -> None:
    await _ward(database)
    case = await _case(database)  # filed by Lan, who is also the ward's officer
    officer, secretary = await _actor(database, MINH), await _actor(database, THAO)
    async with database.uow() as uow:
        await choose_award_form(uow, officer, case, SUDDEN)
        await uow.commit()
    refusals = []
    for user_id in (LAN, TUAN, HOA):
        actor = await _actor(database, user_id)
        async with database.uow() as uow:
            for target in (case, case + 1000):
                with pytest.raises(NotAllowedError) as refused:
                    await attach_document(uow, actor, target, SUMMARY, PDF, now=NOW)
                refusals.append(refused.value.code)
            assert await dossier_view(uow, actor, await _get(uow, case)) is None
    assert set(refusals) == {"access.denied"}
    async with database.uow() as uow:
        with pytest.raises(DossierFileTypeError):
            await attach_document(
                uow, secretary, case, SUMMARY, replace(PDF, file_name="a.exe"), now=NOW
            )
        photo = await attach_document(uow, secretary, case, SUMMARY, PHOTO, now=NOW)
        assert await attach_document(uow, secretary, case, SUMMARY, PHOTO, now=NOW) == photo
        await uow.commit()
    async with database.uow() as uow:
        assert [doc.added_by for doc in await uow.dossiers.of_case(case)] == [THAO]


async def test_the_council_sees_the_checklist_without_the_files(database: Database) -> None:
    await _ward(database)
    case = await _case(database, by=HOA + 1)
    officer, member = await _actor(database, MINH), await _actor(database, HOA)
    async with database.uow() as uow:
        await choose_award_form(uow, officer, case, SUDDEN)
        await attach_document(uow, officer, case, SUMMARY, PDF, now=NOW)
        await act(uow, officer, case, Action.PROPOSE, now=NOW)
        await uow.commit()
    async with database.uow() as uow:
        nomination = await _get(uow, case)
        staff = await dossier_view(uow, officer, nomination)
        council = await dossier_view(uow, member, nomination)
    assert staff is not None and council is not None
    assert [line.state for line in staff.lines] == [ItemState.GENERATED, ItemState.ATTACHED]
    assert staff.lines[1].documents[0].file_name == "tom-tat.pdf"
    assert [line.state for line in council.lines] == [line.state for line in staff.lines]
    assert council.documents == () and not council.may_attach and not council.documents_shown
    assert staff.may_attach and staff.choices == ()  # proposed: the form is no longer chosen


async def test_a_wrong_file_is_removed_and_a_decided_case_is_closed(database: Database) -> None:
    await _ward(database)
    case = await _case(database)
    officer = await _actor(database, MINH)
    async with database.uow() as uow:
        await choose_award_form(uow, officer, case, SUDDEN)
        wrong = await attach_document(uow, officer, case, SUMMARY, PHOTO, now=NOW)
        assert wrong.id is not None
        assert await remove_document(uow, officer, case, wrong.id) == wrong
        assert await remove_document(uow, officer, case, wrong.id) is None
        await act(uow, officer, case, Action.REJECT, now=NOW, public_note="Trùng hồ sơ khác.")
        with pytest.raises(DossierClosedError):
            await attach_document(uow, officer, case, SUMMARY, PDF, now=NOW)


async def test_anonymising_an_old_case_removes_its_dossier(database: Database) -> None:
    await _ward(database)
    case = await _case(database)
    officer = await _actor(database, MINH)
    async with database.uow() as uow:
        await choose_award_form(uow, officer, case, SUDDEN)
        await attach_document(uow, officer, case, SUMMARY, PDF, now=NOW)
        await act(uow, officer, case, Action.REJECT, now=NOW, public_note="Trùng hồ sơ khác.")
        await uow.commit()
    async with database.uow() as uow:
        done = await uow.erasure.anonymise_cases(
            [S.REJECTED], changed_before=NOW + timedelta(days=1), now=NOW, limit=10
        )
        await uow.commit()
    async with database.uow() as uow:
        assert done == 1 and await uow.dossiers.of_case(case) == []


async def _get(uow: UnitOfWork, case: int) -> Nomination:
    nomination = await uow.nominations.get(case)
    assert nomination is not None
    return nomination


# --- the migration -----------------------------------------------------------------------------


async def test_0023_upgrades_a_stored_plan_and_case_and_downgrades_back(
    database_url: str,
) -> None:
    await upgrade(database_url, "0022")
    document = read_plan_file(TODAY_PLAN)
    assert document.plan is not None
    plan_0022 = {
        "key": document.plan.key,
        "number": document.plan.number,
        "title": document.plan.title,
        "year": document.plan.year,
        "issued_on": document.plan.issued_on,
        "council_key": document.plan.council_key,
    }
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO plans (key, number, title, year, issued_on, council_key) "
                    "VALUES (:key, :number, :title, :year, :issued_on, :council_key)"
                ),
                plan_0022,
            )
    finally:
        await engine.dispose()

    await upgrade(database_url)

    async with await open_database(database_url, migrate=False) as database:
        async with database.uow() as uow:
            stored = await uow.organisation.get_plan(document.plan.key)
        assert stored == Plan(**plan_0022)  # type: ignore[arg-type]
        await load_plan(database, document)
        await _ward(database)
        case = await _case(database)
        async with database.uow() as uow:
            await choose_award_form(uow, await actor_for(uow, MINH, TODAY), case, SUDDEN)
            await uow.dossiers.add(_document(case, SUMMARY, "a"))
            await uow.commit()

    await downgrade(database_url, "0022")
    assert await current_revision(database_url) == "0022"
    await upgrade(database_url)
    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        kept = await _get(uow, case)
        assert kept.award_form_key is None and await uow.dossiers.of_case(case) == []
