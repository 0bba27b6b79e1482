"""Cases not commended are anonymised once past the retention the notice states; honours stay.

On SQLite and PostgreSQL, through :func:`core.retention.purge` with a clock over the years:
a case keeps its code, unit, kind, dates and status, and loses the nominee's name, the
deed, the place, the files, the supporters' accounts, the nominator and every note; a case
a second inside its retention, one still open and one commended are untouched, and a
second run finds nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from core.codes import TrackingCode
from core.dialog import Dialog
from core.nomination import (
    Evidence,
    EvidenceKind,
    GeoPoint,
    Nomination,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
)
from core.outbox import OutgoingMessage
from core.people import ERASED_PERSON, User
from core.ports import UnitOfWork
from core.retention import DraftNotices, PurgeKind, RetentionPolicy, purge
from core.support import Supporter
from core.workflow import Action, AuditEntry
from storage.uow import Database

S = NominationStatus
NOW = datetime(2031, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
FIVE_YEARS_AGO = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
LAN, MAI, OFFICER = 7_123_456_789, 7_123_456_790, 7_123_456_791
POLICY = RetentionPolicy(case_years=5, batch_size=2)


class _NoNotices(DraftNotices):
    def concerns(self, dialog: Dialog) -> bool:
        return False

    async def message(
        self, uow: UnitOfWork, dialog: Dialog, day: date, now: datetime
    ) -> OutgoingMessage:
        raise AssertionError("no draft here")


def _case(code: str, status: NominationStatus, changed: datetime) -> Nomination:
    return Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Trần Văn Hùng"),
        unit_key="phuong-hang-bac",
        deed="Anh Hùng nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2025, 11, 20),
        nominator=Nominator(LAN, "+84912345678"),
        status=status,
        created_at=changed - timedelta(days=30),
        status_changed_at=changed,
        place="Chợ Đồng Xuân",
        location=GeoPoint(21.03, 105.85),
        evidence=(Evidence(EvidenceKind.PHOTO, "photo-1", "u-1", None, 120_000),),
    )


async def _file(database: Database) -> dict[str, int]:
    cases = {
        "declined": _case("NT-AAAB-0001", S.NOT_COMMENDED, FIVE_YEARS_AGO - SECOND),
        "rejected": _case("NT-AAAB-0002", S.REJECTED, FIVE_YEARS_AGO - timedelta(days=400)),
        "withdrawn": _case("NT-AAAB-0003", S.WITHDRAWN, FIVE_YEARS_AGO - timedelta(days=9)),
        "inside": _case("NT-AAAB-0004", S.NOT_COMMENDED, FIVE_YEARS_AGO + SECOND),
        "commended": _case("NT-AAAB-0005", S.COMMENDED, FIVE_YEARS_AGO - timedelta(days=900)),
        "open": _case("NT-AAAB-0006", S.VERIFYING, FIVE_YEARS_AGO - timedelta(days=900)),
    }
    ids = {}
    async with database.uow() as uow:
        await uow.users.save(User(LAN, "Lan Nguyễn", "vi", None, NOW))
        await uow.users.save(User(MAI, "Mai", "vi", None, NOW))
        for label, case in cases.items():
            stored = await uow.nominations.add(case)
            assert stored.id is not None
            ids[label] = stored.id
            at = case.status_changed_at
            await uow.audit.add(
                AuditEntry(
                    stored.id,
                    Action.VERIFY,
                    S.SUBMITTED,
                    S.VERIFYING,
                    OFFICER,
                    at,
                    "Đã xác minh",
                    "Gọi cho anh Hùng",
                    {},
                )
            )
            await uow.audit.add(
                AuditEntry(
                    stored.id, Action.ANSWER_INFO, S.NEEDS_INFO, S.VERIFYING, LAN, at, "Ảnh ở đây"
                )
            )
            await uow.supporters.add(Supporter(stored.id, MAI, "Tôi cũng thấy.", (), at))
        await uow.commit()
    return ids


async def test_cases_not_commended_past_their_years_lose_everything_personal(
    database: Database,
) -> None:
    ids = await _file(database)
    gone = {"declined", "rejected", "withdrawn"}

    counted = await purge(database.uow(), POLICY, NOW, notices=_NoNotices(), dry_run=True)
    assert counted.counts[PurgeKind.OLD_CASES] == 3
    done = await purge(database.uow(), POLICY, NOW, notices=_NoNotices())
    assert done.counts[PurgeKind.OLD_CASES] == 3, "in batches of 2"
    again = await purge(database.uow(), POLICY, NOW, notices=_NoNotices())
    assert again.counts[PurgeKind.OLD_CASES] == 0

    async with database.uow() as uow:
        for label, case_id in ids.items():
            case = await uow.nominations.get(case_id)
            assert case is not None
            trail = await uow.audit.history(case_id)
            supporters = await uow.supporters.of(case_id)
            if label in gone:
                assert case.anonymised and case.nominee.name == "" and case.deed == ""
                assert (case.place, case.location, case.evidence) == (None, None, ())
                assert case.nominator.user_id == ERASED_PERSON and case.nominator.phone is None
                assert case.status_changed_at < FIVE_YEARS_AGO, "its dates stay"
                assert supporters == []
                assert [(e.actor_id, e.public_note, e.private_note) for e in trail] == [
                    (OFFICER, None, None),
                    (ERASED_PERSON, None, None),
                ]
            else:
                assert not case.anonymised and case.nominee.name == "Trần Văn Hùng", label
                assert case.nominator == Nominator(LAN, "+84912345678"), label
                assert len(case.evidence) == 1 and len(supporters) == 1, label
                assert [e.private_note for e in trail] == ["Gọi cho anh Hùng", None], label


async def test_the_years_are_the_configured_ones(database: Database) -> None:
    ids = await _file(database)
    longer = replace(POLICY, case_years=6)
    done = await purge(database.uow(), longer, NOW, notices=_NoNotices())
    assert done.counts[PurgeKind.OLD_CASES] == 1, "only the one 6 years old"
    async with database.uow() as uow:
        rejected = await uow.nominations.get(ids["rejected"])
    assert rejected is not None and rejected.anonymised
