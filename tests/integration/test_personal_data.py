"""The right of access over the real stores: everything about a person, nothing about others.

Runs on SQLite and PostgreSQL: the reads :func:`core.personal_data.personal_data` adds
(every consent, support, subscription and question of a person) and the view built on them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from core.access import Access, Opened
from core.codes import TrackingCode
from core.dialog import Dialog
from core.inquiries import Inquiry
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
from core.people import Consent, ConsentPurpose, User
from core.personal_data import personal_data
from core.roles import NotAllowedError, Role, RoleGrant
from core.subscriptions import Scope, Subscription
from core.support import Supporter
from core.workflow import Action, AuditEntry
from storage.uow import Database

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LAN = 7_123_456_789  # the person asking
MAI = 7_123_456_790  # another resident
OFFICER = 7_123_456_791
PHONE = "+84912345678"
PRIVATE_NOTE = "Đã gọi điện cho tổ trưởng dân phố"
PHOTO = Evidence(EvidenceKind.PHOTO, "photo-1", "u-1", None, 120_000)
PAPER = Evidence(EvidenceKind.DOCUMENT, "doc-2", "u-2", "xác nhận.pdf", 3_000)


def _nomination(code: str, nominator: Nominator, name: str) -> Nomination:
    return Nomination(
        code=TrackingCode(code),
        nominee=Nominee(NomineeKind.INDIVIDUAL, name),
        unit_key="phuong-hang-bac",
        deed=f"{name} nhặt được ví có 5 triệu đồng và trả lại cho người đánh rơi.",
        deed_date=date(2026, 11, 20),
        nominator=nominator,
        status=NominationStatus.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
        evidence=(PHOTO,),
    )


async def _lan_and_mai(database: Database) -> None:
    """Lan consents twice, nominates (with her phone), supports Mai's, subscribes, asks."""
    async with database.uow() as uow:
        await uow.users.save(User(LAN, "Lan Nguyễn", "vi", "en", NOW))
        await uow.users.save(User(MAI, "Mai", "vi", None, NOW))
        await uow.consents.add(Consent(LAN, ConsentPurpose.NOMINATION, "2026-01", NOW))
        await uow.consents.add(
            Consent(LAN, ConsentPurpose.NOMINATION, "2026-11", NOW + timedelta(days=1))
        )
        await uow.consents.add(Consent(MAI, ConsentPurpose.NOMINATION, "2026-11", NOW))
        own = await uow.nominations.add(
            _nomination("NT-AAAA-0001", Nominator(LAN, PHONE, anonymous=True), "Trần Văn Hùng")
        )
        other = await uow.nominations.add(
            _nomination("NT-AAAA-0002", Nominator(MAI, "+84987654321"), "Lê Thị Hoa")
        )
        assert own.id is not None and other.id is not None
        await uow.audit.add(
            AuditEntry(
                own.id,
                Action.VERIFY,
                NominationStatus.SUBMITTED,
                NominationStatus.VERIFYING,
                OFFICER,
                NOW + timedelta(hours=1),
                public_note="Đơn vị đang xác minh",
                private_note=PRIVATE_NOTE,
            )
        )
        await uow.supporters.add(
            Supporter(other.id, LAN, "Tôi cũng thấy chị Hoa trả ví.", (PAPER,), NOW)
        )
        await uow.subscriptions.add(Subscription(LAN, Scope.ALL, None, NOW))
        await uow.subscriptions.end_all(LAN, at=NOW + timedelta(hours=2))
        await uow.subscriptions.add(
            Subscription(LAN, Scope.WARD, "phuong-hang-bac", NOW + timedelta(hours=3))
        )
        await uow.subscriptions.add(Subscription(MAI, Scope.ALL, None, NOW))
        await uow.inquiries.add(Inquiry(LAN, "Hồ sơ cần gì ạ?", NOW))
        await uow.inquiries.add(Inquiry(MAI, "Câu hỏi của Mai", NOW))
        for officer in (LAN, OFFICER):
            await uow.roles.add(
                RoleGrant(officer, Role.OFFICER, "phuong-hang-bac", Validity(date(2026, 1, 1)), NOW)
            )
        await uow.access_log.add(
            Access(own.id, OFFICER, Opened.CARD, True, NOW + timedelta(minutes=30))
        )
        await uow.access_log.add(Access(other.id, OFFICER, Opened.FILES, False, NOW))
        await uow.consents.withdraw(MAI, ConsentPurpose.NOMINATION, at=NOW + timedelta(days=2))
        await uow.dialogs.save(Dialog(LAN, LAN, "n", "deed", {"nominee_name": "Phạm Văn An"}))
        await uow.failed_lookups.add(LAN, NOW)
        await uow.commit()


async def test_a_person_gets_everything_stored_about_them_and_nothing_of_others(
    database: Database,
) -> None:
    await _lan_and_mai(database)

    async with database.uow() as uow:
        data = await personal_data(uow, LAN, chat_id=LAN)

    assert data is not None and data.consented
    assert [c.notice_version for c in data.consents] == ["2026-11", "2026-01"], "newest first"
    assert [str(f.nomination.code) for f in data.nominations] == ["NT-AAAA-0001"]
    assert [s.nomination and str(s.nomination.code) for s in data.supports] == ["NT-AAAA-0002"]
    assert [(s.scope, s.ended_at is None) for s in data.subscriptions] == [
        (Scope.WARD, True),
        (Scope.ALL, False),
    ]
    assert [s.scope for s in data.active_subscriptions] == [Scope.WARD]
    assert [i.question for i in data.inquiries] == ["Hồ sơ cần gì ạ?"]
    assert [f.evidence.file_id for f in data.files] == ["photo-1", "doc-2"]
    copy = data.as_json(now=NOW)
    text = json.dumps(copy, ensure_ascii=False)
    assert copy["account"] == {
        "telegram_id": LAN,
        "display_name": "Lan Nguyễn",
        "display_name_chosen_at": None,
        "language_code": "vi",
        "chosen_language": "en",
        "first_met_at": "2026-12-03T09:00:00+00:00",
        "blocked_the_bot": False,
    }
    (filed,) = copy["nominations"]
    assert filed["phone"] == PHONE and filed["anonymous"] is True
    assert filed["nominee"]["name"] == "Trần Văn Hùng"
    assert filed["history"][0]["note_to_you"] == "Đơn vị đang xác minh"
    assert copy["supported_nominations"][0]["your_account"] == "Tôi cũng thấy chị Hoa trả ví."
    assert copy["open_conversation"]["data"] == {"nominee_name": "Phạm Văn An"}
    assert copy["roles"][0]["valid_from"] == "2026-01-01"
    assert filed["opened_by_others"] == [
        {
            "at": "2026-12-03T09:30:00+00:00",
            "opened": "card",
            "your_phone_shown": True,
            "purpose": "case_handling",
            "viewer_roles": [{"role": "officer", "unit_key": "phuong-hang-bac"}],
        }
    ], "the viewer by role, never by id"
    assert [c["withdrawn_at"] for c in copy["consents"]] == [None, None]
    assert len(copy["failed_code_lookups"]) == 1
    for someone_elses in ("+84987654321", "Câu hỏi của Mai", PRIVATE_NOTE, str(OFFICER), str(MAI)):
        assert someone_elses not in text, someone_elses
    assert "Lê Thị Hoa nhặt được" not in text, "another nominator's deed"


async def test_only_the_person_in_their_own_chat_and_a_stranger_has_nothing(
    database: Database,
) -> None:
    await _lan_and_mai(database)

    async with database.uow() as uow:
        with pytest.raises(NotAllowedError):
            await personal_data(uow, LAN, chat_id=-100_200_300)
        assert await personal_data(uow, 42, chat_id=42) is None
        mai = await personal_data(uow, MAI, chat_id=MAI)

    assert mai is not None
    assert [str(f.nomination.code) for f in mai.nominations] == ["NT-AAAA-0002"]
    assert mai.supports == () and mai.roles == () and mai.draft is None
    assert mai.consented, "a withdrawn consent is still a record of what was agreed"
    assert mai.as_json(now=NOW)["consents"][0]["withdrawn_at"] == "2026-12-05T09:00:00+00:00"
    assert [opening.access.opened for _nomination, opening in mai.openings] == [Opened.FILES]
