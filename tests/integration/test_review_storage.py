"""The review's storage: claims, merges, the queue, roles, invitations, the audit trail.

Everything runs on SQLite and PostgreSQL; the migration from 0001 keeps what was stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

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
from core.org import Validity
from core.people import User
from core.roles import Invitation, Role, RoleGrant, hash_invitation_code
from core.text import fold
from core.workflow import Action, AuditEntry
from storage.database import create_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.tables import UtcDateTime
from storage.uow import Database, open_database

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789  # a resident
MINH = 7_123_456_790  # an officer of Hàng Bạc
THAO = 7_123_456_791  # the secretariat
HANG_BAC = "phuong-hang-bac"
HANG_BUOM = "phuong-hang-buom"

S = NominationStatus

postgres_only = pytest.mark.parametrize(
    "database_backend",
    [pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


def a_nomination(code: str = "NT-ABCD-EFGH", **changes: Any) -> Nomination:
    nomination = Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng", NomineeRole.WORKER),
        unit_key=HANG_BAC,
        deed="Nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2026, 11, 20),
        nominator=Nominator(LAN, "0912345678"),
        status=S.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
        place="Phố Hàng Bạc",
        location=GeoPoint(21.034182, 105.852661),
        evidence=(
            Evidence(EvidenceKind.PHOTO, "photo-1", "u-1", None, 120_000),
            Evidence(EvidenceKind.DOCUMENT, "doc-2", "u-2", "biên bản.pdf", 3_000_000),
        ),
    )
    return replace(nomination, **changes)


async def _meet_lan(database: Database) -> None:
    async with database.uow() as uow:
        await uow.users.save(User(LAN, "Lan", "vi", None, NOW))
        await uow.commit()


async def _add(database: Database, *nominations: Nomination) -> list[Nomination]:
    async with database.uow() as uow:
        added = [await uow.nominations.add(nomination) for nomination in nominations]
        await uow.commit()
    return added


def _id(nomination: Nomination) -> int:
    assert nomination.id is not None
    return nomination.id


def _codes(nominations: Any) -> list[str]:
    return [str(n.code) for n in nominations]


# --- nominations ------------------------------------------------------------------------------


async def test_a_merged_nomination_with_its_handler_comes_back_equal(database: Database) -> None:
    await _meet_lan(database)
    merged, kept = await _add(database, a_nomination("NT-AAAA-0001"), a_nomination("NT-AAAA-0002"))
    later = NOW + timedelta(hours=2)
    changed = replace(
        merged,
        status=S.MERGED,
        status_changed_at=later,
        handler_id=MINH,
        handled_since=later,
        merged_into_id=kept.id,
    )

    async with database.uow() as uow:
        await uow.nominations.save(changed)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.nominations.get(_id(merged)) == changed
        assert await uow.nominations.get_by_code(merged.code) == changed
        assert await uow.nominations.get(_id(kept)) == kept


async def test_a_claim_released_on_a_final_decision_is_stored_as_none(database: Database) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination(handler_id=MINH, handled_since=NOW))
    decided = replace(nomination, status=S.REJECTED, handler_id=None, handled_since=None)

    async with database.uow() as uow:
        await uow.nominations.save(decided)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.nominations.get(_id(nomination)) == decided


async def test_saving_keeps_evidence_in_order_as_files_are_added_and_removed(
    database: Database,
) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination())
    answer = Evidence(EvidenceKind.PHOTO, "photo-3", "u-3", None, 80_000)
    with_answer = replace(nomination, evidence=(*nomination.evidence, answer))
    replaced_first = replace(
        nomination, evidence=(Evidence(EvidenceKind.DOCUMENT, "doc-9", "u-9", "đơn.pdf"),)
    )

    async with database.uow() as uow:
        await uow.nominations.save(with_answer)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.nominations.get(_id(nomination)) == with_answer

    async with database.uow() as uow:
        await uow.nominations.save(replaced_first)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.nominations.get(_id(nomination)) == replaced_first


async def test_a_save_read_back_in_the_same_unit_of_work_shows_the_change(
    database: Database,
) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination())

    async with database.uow() as uow:
        locked = await uow.nominations.get(_id(nomination), for_update=True)
        assert locked == nomination
        verifying = replace(nomination, status=S.VERIFYING, handler_id=MINH, handled_since=NOW)
        await uow.nominations.save(verifying)
        assert await uow.nominations.get_by_code(nomination.code) == verifying
        assert await uow.nominations.queue(
            unit_keys=None, statuses=frozenset({S.VERIFYING}), limit=10
        ) == [verifying]


async def test_saving_a_nomination_that_was_never_added_is_an_error(database: Database) -> None:
    await _meet_lan(database)
    async with database.uow() as uow:
        with pytest.raises(ValueError, match="add"):
            await uow.nominations.save(a_nomination())
        with pytest.raises(LookupError, match="404"):
            await uow.nominations.save(a_nomination(id=404))


async def test_an_unknown_id_finds_nothing_with_or_without_a_lock(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.nominations.get(404) is None
        assert await uow.nominations.get(404, for_update=True) is None


async def test_a_second_officer_locking_the_case_waits_and_sees_the_first_ones_claim(
    database: Database,
) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination())
    first_holds_the_case = asyncio.Event()

    async def take(officer: int, *, first: bool) -> Nomination:
        if not first:
            await first_holds_the_case.wait()
        async with database.uow() as uow:
            found = await uow.nominations.get(_id(nomination), for_update=True)
            assert found is not None
            if first:
                first_holds_the_case.set()
                await asyncio.sleep(0.1)  # the second one is now waiting for the lock
            if found.handler_id is None:
                found = replace(found, handler_id=officer, handled_since=NOW)
                await uow.nominations.save(found)
                await uow.commit()
            return found

    seen_by_minh, seen_by_thao = await asyncio.gather(
        take(MINH, first=True), take(THAO, first=False)
    )

    assert seen_by_minh.handler_id == MINH
    assert seen_by_thao.handler_id == MINH


@postgres_only
async def test_a_locking_read_refreshes_a_row_the_session_read_before_another_commit(
    database: Database,
) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination())

    async with database.uow() as officer:
        assert await officer.nominations.get(_id(nomination)) == nomination
        async with database.uow() as resident:
            withdrawn = replace(nomination, status=S.WITHDRAWN)
            await resident.nominations.save(withdrawn)
            await resident.commit()

        assert await officer.nominations.get(_id(nomination), for_update=True) == withdrawn


async def test_the_queue_lists_the_units_cases_in_these_states_oldest_first_by_page(
    database: Database,
) -> None:
    await _meet_lan(database)
    at = [NOW + timedelta(days=day) for day in range(5)]
    added = await _add(
        database,
        a_nomination("NT-AAAA-0003", created_at=at[3]),
        a_nomination("NT-AAAA-0001", created_at=at[1]),
        # Two at the same time: the one added first comes first.
        a_nomination("NT-AAAA-0002", created_at=at[2], status=S.VERIFYING),
        a_nomination("NT-AAAA-0022", created_at=at[2], status=S.NEEDS_INFO),
        a_nomination("NT-AAAA-0000", created_at=at[0], status=S.COMMENDED),
        a_nomination("NT-BBBB-0001", created_at=at[0], unit_key=HANG_BUOM),
        a_nomination("NT-CCCC-0001", created_at=at[4], unit_key="phuong-dong-xuan"),
    )
    open_states = frozenset({S.SUBMITTED, S.VERIFYING, S.NEEDS_INFO})
    hang_bac = frozenset({HANG_BAC})

    async with database.uow() as uow:
        whole = await uow.nominations.queue(unit_keys=hang_bac, statuses=open_states, limit=10)
        first_page = await uow.nominations.queue(unit_keys=hang_bac, statuses=open_states, limit=2)
        second_page = await uow.nominations.queue(
            unit_keys=hang_bac, statuses=open_states, limit=2, offset=2
        )
        past_the_end = await uow.nominations.queue(
            unit_keys=hang_bac, statuses=open_states, limit=2, offset=4
        )
        two_units = await uow.nominations.queue(
            unit_keys=frozenset({HANG_BAC, HANG_BUOM}),
            statuses=frozenset({S.SUBMITTED}),
            limit=10,
        )
        every_unit = await uow.nominations.queue(
            unit_keys=None, statuses=frozenset({S.SUBMITTED, S.COMMENDED}), limit=10
        )
        no_unit = await uow.nominations.queue(unit_keys=frozenset(), statuses=open_states, limit=10)
        no_state = await uow.nominations.queue(unit_keys=None, statuses=frozenset(), limit=10)

    assert _codes(whole) == ["NT-AAAA-0001", "NT-AAAA-0002", "NT-AAAA-0022", "NT-AAAA-0003"]
    assert whole[0] == added[1]
    assert _codes(first_page) == ["NT-AAAA-0001", "NT-AAAA-0002"]
    assert _codes(second_page) == ["NT-AAAA-0022", "NT-AAAA-0003"]
    assert past_the_end == []
    assert _codes(two_units) == ["NT-BBBB-0001", "NT-AAAA-0001", "NT-AAAA-0003"]
    assert _codes(every_unit) == [
        "NT-AAAA-0000",
        "NT-BBBB-0001",
        "NT-AAAA-0001",
        "NT-AAAA-0003",
        "NT-CCCC-0001",
    ]
    assert no_unit == []
    assert no_state == []


async def test_nominations_are_counted_per_state_for_the_units_asked(database: Database) -> None:
    await _meet_lan(database)
    await _add(
        database,
        a_nomination("NT-AAAA-0001"),
        a_nomination("NT-AAAA-0002"),
        a_nomination("NT-AAAA-0003", status=S.PROPOSED),
        a_nomination("NT-BBBB-0001", unit_key=HANG_BUOM),
        a_nomination("NT-BBBB-0002", unit_key=HANG_BUOM, status=S.REJECTED),
    )

    async with database.uow() as uow:
        hang_bac = await uow.nominations.count_by_status(unit_keys=frozenset({HANG_BAC}))
        every_unit = await uow.nominations.count_by_status(unit_keys=None)
        nowhere = await uow.nominations.count_by_status(unit_keys=frozenset({"phuong-khac"}))

    assert hang_bac == {"submitted": 2, "proposed": 1}
    assert every_unit == {"submitted": 3, "proposed": 1, "rejected": 1}
    assert nowhere == {}


async def test_the_same_nominee_is_found_by_folded_name_in_the_same_unit_newest_first(
    database: Database,
) -> None:
    await _meet_lan(database)

    def named(code: str, name: str, **changes: Any) -> Nomination:
        return a_nomination(code, nominee=Nominee(NomineeKind.INDIVIDUAL, name), **changes)

    await _add(
        database,
        named("NT-AAAA-0001", "Đỗ Thị Hòa"),
        named("NT-AAAA-0002", "ĐỖ THỊ HÒA", created_at=NOW + timedelta(days=1)),
        named("NT-AAAA-0003", "Đỗ Thị Hoà"),  # the old placement of the tone mark
        named("NT-AAAA-0004", "Đỗ Văn Hòa"),
        named("NT-BBBB-0001", "Đỗ Thị Hòa", unit_key=HANG_BUOM),
    )

    async with database.uow() as uow:
        found = await uow.nominations.same_nominee(name_key=fold("đỗ thị hòa"), unit_key=HANG_BAC)

    assert fold("Đỗ Thị Hòa") == fold("Đỗ Thị Hoà")
    assert _codes(found) == ["NT-AAAA-0002", "NT-AAAA-0003", "NT-AAAA-0001"]


async def test_the_same_nominee_leaves_out_closed_cases_and_reads_at_most_the_newest(
    database: Database,
) -> None:
    await _meet_lan(database)

    def named(code: str, days: int, status: NominationStatus) -> Nomination:
        return a_nomination(
            code,
            nominee=Nominee(NomineeKind.INDIVIDUAL, "Đỗ Thị Hòa"),
            created_at=NOW + timedelta(days=days),
            status=status,
        )

    await _add(
        database,
        named("NT-AAAA-0001", 1, NominationStatus.SUBMITTED),
        named("NT-AAAA-0002", 2, NominationStatus.REJECTED),
        named("NT-AAAA-0003", 3, NominationStatus.VERIFYING),
        named("NT-AAAA-0004", 4, NominationStatus.WITHDRAWN),
        named("NT-AAAA-0005", 5, NominationStatus.SUBMITTED),
    )
    closed = {NominationStatus.REJECTED, NominationStatus.WITHDRAWN}

    async with database.uow() as uow:
        newest = await uow.nominations.same_nominee(
            name_key=fold("Đỗ Thị Hòa"), unit_key=HANG_BAC, excluding=closed, limit=2
        )
        open_ones = await uow.nominations.same_nominee(
            name_key=fold("Đỗ Thị Hòa"), unit_key=HANG_BAC, excluding=closed
        )

    assert _codes(newest) == ["NT-AAAA-0005", "NT-AAAA-0003"]
    assert _codes(open_ones) == ["NT-AAAA-0005", "NT-AAAA-0003", "NT-AAAA-0001"]


async def test_a_nominee_renamed_by_a_save_is_found_by_the_new_name_only(
    database: Database,
) -> None:
    await _meet_lan(database)
    (nomination,) = await _add(database, a_nomination())
    renamed = replace(nomination, nominee=Nominee(NomineeKind.INDIVIDUAL, "Nguyễn Thị Ánh"))

    async with database.uow() as uow:
        await uow.nominations.save(renamed)
        await uow.commit()

    async with database.uow() as uow:
        by_new = await uow.nominations.same_nominee(
            name_key=fold("Nguyễn Thị Ánh"), unit_key=HANG_BAC
        )
        by_old = await uow.nominations.same_nominee(
            name_key=fold("Trần Văn Hùng"), unit_key=HANG_BAC
        )

    assert by_new == [renamed]
    assert by_old == []


async def test_the_search_index_reads_every_nomination_and_then_only_newer_ones(
    database: Database,
) -> None:
    await _meet_lan(database)
    added = await _add(
        database,
        a_nomination("NT-AAAA-0001", status=S.WITHDRAWN),
        a_nomination("NT-BBBB-0001", unit_key=HANG_BUOM, evidence=()),
        a_nomination("NT-AAAA-0002"),
    )

    async with database.uow() as uow:
        entries = await uow.nominations.search_entries(after_id=0, limit=10)
        later = await uow.nominations.search_entries(after_id=entries[0].nomination_id, limit=1)
    assert [e.code for e in entries] == [str(n.code) for n in added]
    # No plan is loaded here, so a unit's name falls back to its key.
    assert [e.unit_name for e in entries] == [n.unit_key for n in added]
    assert entries[1].deed == added[1].deed and entries[1].created_at == added[1].created_at
    assert [e.code for e in later] == [str(added[1].code)]


async def test_a_page_of_search_hits_is_read_back_by_id_as_the_index_read_it(
    database: Database,
) -> None:
    await _meet_lan(database)
    added = await _add(
        database,
        a_nomination("NT-AAAA-0001"),
        a_nomination("NT-BBBB-0001", unit_key=HANG_BUOM, evidence=(), deed="Cứu người " * 300),
        a_nomination("NT-AAAA-0002"),
    )
    first, second, third = (_id(n) for n in added)

    async with database.uow() as uow:
        indexed = await uow.nominations.search_entries(after_id=0, limit=10)
        page = await uow.nominations.search_entries_by_ids([third, second, third + 1000])
        none = await uow.nominations.search_entries_by_ids([])

    by_id = {e.nomination_id: e for e in page}
    assert sorted(by_id) == [second, third]  # the unknown id is left out
    assert by_id[second] == indexed[1] and by_id[third] == indexed[2]
    assert by_id[second].deed == added[1].deed  # whole: the excerpt is cut when shown
    assert first not in by_id
    assert none == []


async def test_only_the_tracking_codes_that_exist_are_found_with_their_ids(
    database: Database,
) -> None:
    await _meet_lan(database)
    added = await _add(database, a_nomination("NT-AAAA-0001"), a_nomination("NT-BBBB-0001"))

    async with database.uow() as uow:
        found = await uow.nominations.ids_by_code(
            [TrackingCode("NT-BBBB-0001"), TrackingCode("NT-M1NH-THAM"), added[0].code]
        )
        none = await uow.nominations.ids_by_code([])

    assert found == {added[0].code: _id(added[0]), added[1].code: _id(added[1])}
    assert none == {}


# --- roles ------------------------------------------------------------------------------------


def a_grant(user_id: int, role: Role, unit_key: str | None = None, **changes: Any) -> RoleGrant:
    return replace(
        RoleGrant(
            user_id=user_id,
            role=role,
            unit_key=unit_key,
            validity=Validity(date(2026, 12, 1), date(2027, 11, 30)),
            granted_at=NOW,
            granted_by=THAO,
        ),
        **changes,
    )


async def test_a_role_granted_to_someone_the_bot_never_met_comes_back_equal(
    database: Database,
) -> None:
    grant = a_grant(MINH, Role.OFFICER, HANG_BAC)
    open_ended = a_grant(THAO, Role.ADMIN, validity=Validity(), granted_by=None)

    async with database.uow() as uow:
        added = await uow.roles.add(grant)
        added_open = await uow.roles.add(open_ended)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.users.get(MINH) is None
        assert await uow.roles.grants_of(MINH) == (replace(grant, id=added.id),)
        assert await uow.roles.grants_of(THAO) == (replace(open_ended, id=added_open.id),)
        assert await uow.roles.grants_of(LAN) == ()


async def test_a_grant_is_revoked_once_and_still_listed_with_its_revocation(
    database: Database,
) -> None:
    async with database.uow() as uow:
        grant = await uow.roles.add(a_grant(MINH, Role.OFFICER, HANG_BAC))
        await uow.commit()
    assert grant.id is not None
    later = NOW + timedelta(days=30)

    async with database.uow() as uow:
        assert await uow.roles.revoke(grant.id, at=later)
        assert not await uow.roles.revoke(grant.id, at=later + timedelta(days=1))
        assert not await uow.roles.revoke(404, at=later)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.roles.grants_of(MINH) == (replace(grant, revoked_at=later),)


async def test_all_grants_are_listed_newest_first(database: Database) -> None:
    async with database.uow() as uow:
        old = await uow.roles.add(a_grant(MINH, Role.OFFICER, HANG_BAC))
        new = await uow.roles.add(a_grant(THAO, Role.SECRETARIAT, granted_at=NOW + timedelta(1)))
        same_time_later_id = await uow.roles.add(a_grant(LAN, Role.COUNCIL_MEMBER))
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.roles.all() == [new, same_time_later_id, old]


async def test_holders_are_a_units_officers_or_else_the_council_wide_roles(
    database: Database,
) -> None:
    async with database.uow() as uow:
        minh = await uow.roles.add(a_grant(MINH, Role.OFFICER, HANG_BAC))
        other_unit = await uow.roles.add(a_grant(LAN, Role.OFFICER, HANG_BUOM))
        revoked = await uow.roles.add(a_grant(LAN, Role.OFFICER, HANG_BAC))
        secretariat = await uow.roles.add(a_grant(THAO, Role.SECRETARIAT))
        admin = await uow.roles.add(a_grant(THAO, Role.ADMIN))
        member = await uow.roles.add(a_grant(LAN, Role.COUNCIL_MEMBER))
        assert revoked.id is not None
        await uow.roles.revoke(revoked.id, at=NOW)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.roles.holders(unit_key=HANG_BAC) == [minh]
        assert await uow.roles.holders(unit_key=HANG_BUOM) == [other_unit]
        assert await uow.roles.holders(unit_key="phuong-khac") == []
        assert await uow.roles.holders(unit_key=None) == [secretariat, admin, member]


# --- invitations ------------------------------------------------------------------------------

CODE_HASH = hash_invitation_code("inv_" + "x" * 32)


def an_invitation(**changes: Any) -> Invitation:
    return replace(
        Invitation(
            code_hash=CODE_HASH,
            role=Role.OFFICER,
            unit_key=HANG_BAC,
            created_at=NOW,
            expires_at=NOW + timedelta(days=7),
            created_by=THAO,
        ),
        **changes,
    )


async def test_an_invitation_is_found_by_its_hash_and_used_only_once(database: Database) -> None:
    async with database.uow() as uow:
        invitation = await uow.invitations.add(an_invitation())
        await uow.commit()
    assert invitation.id is not None
    used_at = NOW + timedelta(hours=1)

    async with database.uow() as uow:
        assert await uow.invitations.by_hash(CODE_HASH) == invitation
        assert await uow.invitations.by_hash(hash_invitation_code("inv_other")) is None
        assert await uow.invitations.mark_used(invitation.id, by=MINH, at=used_at)
        assert not await uow.invitations.mark_used(invitation.id, by=LAN, at=used_at)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.invitations.by_hash(CODE_HASH) == replace(
            invitation, used_at=used_at, used_by=MINH
        )
        assert not await uow.invitations.mark_used(invitation.id, by=LAN, at=used_at)


async def test_an_invitation_for_all_units_without_creator_comes_back_equal(
    database: Database,
) -> None:
    invitation = an_invitation(role=Role.SECRETARIAT, unit_key=None, created_by=None)
    async with database.uow() as uow:
        added = await uow.invitations.add(invitation)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.invitations.by_hash(CODE_HASH) == replace(invitation, id=added.id)


async def test_two_invitations_cannot_share_a_code(database: Database) -> None:
    async with database.uow() as uow:
        await uow.invitations.add(an_invitation())
        with pytest.raises(IntegrityError):
            await uow.invitations.add(an_invitation(role=Role.ADMIN, unit_key=None))


async def test_two_people_opening_one_invitation_at_once_get_it_only_once(
    database: Database,
) -> None:
    async with database.uow() as uow:
        await uow.invitations.add(an_invitation())
        await uow.commit()
    first_has_read = asyncio.Event()

    async def redeem(user_id: int, *, first: bool) -> tuple[bool, datetime | None]:
        if not first:
            await first_has_read.wait()
        async with database.uow() as uow:
            invitation = await uow.invitations.by_hash(CODE_HASH)
            assert invitation is not None and invitation.id is not None
            if first:
                first_has_read.set()
                await asyncio.sleep(0.1)  # the second one is now waiting for the lock
            seen_used_at = invitation.used_at
            if not invitation.usable(NOW):
                return False, seen_used_at
            used = await uow.invitations.mark_used(invitation.id, by=user_id, at=NOW)
            await uow.commit()
            return used, seen_used_at

    minh, lan = await asyncio.gather(redeem(MINH, first=True), redeem(LAN, first=False))

    assert minh == (True, None)
    # The second read waited for the first transaction and saw its commit.
    assert lan == (False, NOW)
    async with database.uow() as uow:
        stored = await uow.invitations.by_hash(CODE_HASH)
    assert stored is not None and stored.used_by == MINH


@postgres_only
async def test_two_redeemers_racing_freely_make_exactly_one_use(database: Database) -> None:
    async with database.uow() as uow:
        await uow.invitations.add(an_invitation())
        await uow.commit()

    async def redeem(user_id: int) -> bool:
        async with database.uow() as uow:
            invitation = await uow.invitations.by_hash(CODE_HASH)
            assert invitation is not None and invitation.id is not None
            if not invitation.usable(NOW):
                return False
            used = await uow.invitations.mark_used(invitation.id, by=user_id, at=NOW)
            await uow.commit()
            return used

    outcomes = await asyncio.gather(*(redeem(user_id) for user_id in range(1, 9)))

    assert sorted(outcomes) == [False] * 7 + [True]


# --- the audit trail --------------------------------------------------------------------------


async def test_a_nominations_history_comes_back_oldest_first_with_its_data(
    database: Database,
) -> None:
    await _meet_lan(database)
    nomination, other = await _add(
        database, a_nomination("NT-AAAA-0001"), a_nomination("NT-AAAA-0002")
    )
    nomination_id = _id(nomination)
    entries = [
        AuditEntry(
            nomination_id, Action.PROPOSE, S.VERIFYING, S.PROPOSED, MINH, NOW + timedelta(hours=2)
        ),
        AuditEntry(nomination_id, Action.VERIFY, S.SUBMITTED, S.VERIFYING, MINH, NOW),
        AuditEntry(
            nomination_id,
            Action.ASK_INFO,
            S.VERIFYING,
            S.NEEDS_INFO,
            MINH,
            NOW + timedelta(hours=1),
            public_note="Xin gửi thêm ảnh biên bản <có chữ ký>.",
            private_note="Gọi điện cho tổ trưởng & kiểm tra.",
        ),
        AuditEntry(
            nomination_id,
            Action.ANSWER_INFO,
            S.NEEDS_INFO,
            S.VERIFYING,
            LAN,
            NOW + timedelta(hours=1),  # the same instant as the question: kept in order
            data={
                "evidence": [{"kind": "photo", "file_id": "photo-3", "size": 80_000}],
                "ghi_chú": "ảnh rõ hơn",
                "ok": True,
                "none": None,
            },
        ),
    ]
    async with database.uow() as uow:
        stored = [await uow.audit.add(entry) for entry in entries]
        await uow.audit.add(
            AuditEntry(_id(other), Action.VERIFY, S.SUBMITTED, S.VERIFYING, MINH, NOW)
        )
        await uow.commit()

    async with database.uow() as uow:
        history = await uow.audit.history(nomination_id)
        nothing = await uow.audit.history(404)

    assert history == [stored[1], stored[2], stored[3], stored[0]]
    assert all(entry.id is not None for entry in history)
    assert [type(entry.action) for entry in history] == [Action] * 4
    assert {type(entry.from_status) for entry in history} == {NominationStatus}
    assert {type(entry.to_status) for entry in history} == {NominationStatus}
    assert nothing == []


async def test_an_audit_entry_must_belong_to_a_stored_nomination(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.audit.add(AuditEntry(404, Action.VERIFY, S.SUBMITTED, S.VERIFYING, MINH, NOW))


# --- the migration from 0001 ------------------------------------------------------------------

# The two tables as revision 0001 left them, for writing rows the way 0001's code did.
_USERS_AT_0001 = sa.table(
    "users",
    sa.column("id"),
    sa.column("display_name"),
    sa.column("language_code"),
    sa.column("locale"),
    sa.column("created_at", UtcDateTime()),
)
_NOMINATIONS_AT_0001 = sa.table(
    "nominations",
    sa.column("id"),
    sa.column("code"),
    sa.column("status"),
    sa.column("nominee_kind"),
    sa.column("nominee_name"),
    sa.column("nominee_name_key"),
    sa.column("nominee_role"),
    sa.column("unit_key"),
    sa.column("deed"),
    sa.column("deed_date", sa.Date()),
    sa.column("place"),
    sa.column("latitude"),
    sa.column("longitude"),
    sa.column("nominator_user_id"),
    sa.column("nominator_phone"),
    sa.column("nominator_anonymous", sa.Boolean()),
    sa.column("campaign_key"),
    sa.column("created_at", UtcDateTime()),
    sa.column("status_changed_at", UtcDateTime()),
)
_EVIDENCE_AT_0001 = sa.table(
    "nomination_evidence",
    sa.column("nomination_id"),
    sa.column("position"),
    sa.column("kind"),
    sa.column("file_id"),
    sa.column("file_unique_id"),
    sa.column("file_name"),
    sa.column("size"),
)


async def _select(url: str, *queries: sa.Executable) -> list[list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [[tuple(row) for row in await connection.execute(query)] for query in queries]
    finally:
        await engine.dispose()


async def _store_at_0001(url: str, nomination: Nomination) -> None:
    """Write a user, a nomination (id 1) and its files with 0001's columns only."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(_USERS_AT_0001),
                [
                    {"id": user_id, "display_name": name, "language_code": "vi", "locale": None}
                    | {"created_at": NOW}
                    for user_id, name in [(LAN, "Lan"), (MINH, "Minh")]
                ],
            )
            await connection.execute(
                sa.insert(_NOMINATIONS_AT_0001).values(
                    id=1,
                    code=str(nomination.code),
                    status=nomination.status.value,
                    nominee_kind=nomination.nominee.kind.value,
                    nominee_name=nomination.nominee.name,
                    nominee_name_key=fold(nomination.nominee.name),
                    nominee_role=nomination.nominee.role,
                    unit_key=nomination.unit_key,
                    deed=nomination.deed,
                    deed_date=nomination.deed_date,
                    place=nomination.place,
                    latitude=nomination.location.latitude if nomination.location else None,
                    longitude=nomination.location.longitude if nomination.location else None,
                    nominator_user_id=nomination.nominator.user_id,
                    nominator_phone=nomination.nominator.phone,
                    nominator_anonymous=nomination.nominator.anonymous,
                    campaign_key=nomination.campaign_key,
                    created_at=nomination.created_at,
                    status_changed_at=nomination.status_changed_at,
                )
            )
            await connection.execute(
                sa.insert(_EVIDENCE_AT_0001),
                [
                    {"nomination_id": 1, "position": position, **_evidence_json(item)}
                    for position, item in enumerate(nomination.evidence)
                ],
            )
    finally:
        await engine.dispose()


def _evidence_json(item: Evidence) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "file_id": item.file_id,
        "file_unique_id": item.file_unique_id,
        "file_name": item.file_name,
        "size": item.size,
    }


async def test_a_database_at_0001_upgrades_keeping_its_nominations_and_their_files(
    database_url: str,
) -> None:
    await upgrade(database_url, "0001")
    stored = a_nomination(id=1)
    await _store_at_0001(database_url, stored)

    await upgrade(database_url)

    assert await current_revision(database_url) == head_revision()
    async with await open_database(database_url, migrate=False) as database:
        async with database.uow() as uow:
            assert await uow.nominations.get(1) == stored
            merged = replace(stored, status=S.MERGED, handler_id=MINH, handled_since=NOW)
            await uow.nominations.save(merged)
            await uow.audit.add(AuditEntry(1, Action.MERGE, S.SUBMITTED, S.MERGED, MINH, NOW))
            await uow.commit()
        async with database.uow() as uow:
            assert await uow.nominations.get(1) == merged
            assert len(await uow.audit.history(1)) == 1


async def test_downgrading_to_0001_keeps_the_nominations_and_their_files(
    database_url: str,
) -> None:
    await upgrade(database_url)
    async with await open_database(database_url, migrate=False) as database:
        await _meet_lan(database)
        kept, merged = await _add(
            database, a_nomination("NT-AAAA-0001"), a_nomination("NT-AAAA-0002")
        )
        async with database.uow() as uow:
            await uow.nominations.save(replace(merged, status=S.MERGED, merged_into_id=kept.id))
            await uow.commit()

    await downgrade(database_url, "0001")

    assert await current_revision(database_url) == "0001"
    counted = await _select(
        database_url,
        sa.text("SELECT count(*) FROM nominations"),
        sa.text("SELECT count(*) FROM nomination_evidence"),
    )
    assert counted == [[(2,)], [(4,)]]

    await upgrade(database_url)
    database = await open_database(database_url, migrate=False)
    async with database, database.uow() as uow:
        assert await uow.nominations.get(_id(kept)) == kept
        assert await uow.nominations.get(_id(merged)) == replace(merged, status=S.MERGED)
