"""Officer services on real storage: every refusal holds whatever the entry point."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.nomination import NominationDraft, NominationStatus, NomineeKind
from core.review import (
    Hears,
    InvitationInvalidError,
    UnknownUnitError,
    act,
    actor_for,
    case_view,
    grant_role,
    invite,
    queue,
    redeem_invitation,
    who_hears,
)
from core.roles import Actor, NotAllowedError, Role
from core.services import give_consent, meet_user, submit_nomination, support
from core.workflow import Action, RequirementMissingError
from storage.uow import Database
from tests.bot.flows import DEED

OPERATOR = Actor.operator()

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
HANG_BAC = "phuong-hang-bac"


@pytest.fixture
async def organised(database: Database) -> Database:
    from bot.plans import DEMO_PLAN, load_plan, read_plan_file

    await load_plan(database, read_plan_file(DEMO_PLAN))
    return database


async def _nomination(db: Database, nominator: int = 1) -> int:
    async with db.uow() as uow:
        await meet_user(uow, user_id=nominator, display_name="Lan", language_code="vi", now=NOW)
        await give_consent(uow, nominator, now=NOW)
        draft = NominationDraft(
            nominee_kind=NomineeKind.INDIVIDUAL,
            nominee_name="Nguyễn Văn Bình",
            unit_key=HANG_BAC,
            deed=DEED,
            deed_date=date(2026, 11, 19),
        )
        nomination = await submit_nomination(uow, draft, user_id=nominator, now=NOW)
        await uow.commit()
    assert nomination.id is not None
    return nomination.id


async def _grant(db: Database, user_id: int, role: Role, unit: str | None = None) -> None:
    async with db.uow() as uow:
        await grant_role(uow, OPERATOR, user_id=user_id, role=role, unit_key=unit, now=NOW)
        await uow.commit()


async def test_an_invitation_binds_once_and_expires(organised: Database) -> None:
    async with organised.uow() as uow:
        code, _ = await invite(uow, OPERATOR, role=Role.OFFICER, unit_key=HANG_BAC, days=7, now=NOW)
        late_code, _ = await invite(
            uow, OPERATOR, role=Role.OFFICER, unit_key=HANG_BAC, days=1, now=NOW
        )
        await uow.commit()
    async with organised.uow() as uow:
        grant = await redeem_invitation(uow, code, user_id=20, now=NOW)
        await uow.commit()
    assert grant.role is Role.OFFICER and grant.unit_key == HANG_BAC
    async with organised.uow() as uow:
        with pytest.raises(InvitationInvalidError):
            await redeem_invitation(uow, code, user_id=21, now=NOW)
        with pytest.raises(InvitationInvalidError):
            await redeem_invitation(uow, late_code, user_id=21, now=NOW + timedelta(days=2))
        with pytest.raises(InvitationInvalidError):
            await redeem_invitation(uow, "inv_not-a-real-code", user_id=21, now=NOW)
        assert (await actor_for(uow, 21, TODAY)).is_staff is False


async def test_an_invitation_to_an_unknown_unit_is_refused(organised: Database) -> None:
    async with organised.uow() as uow:
        with pytest.raises(UnknownUnitError):
            await invite(
                uow, OPERATOR, role=Role.OFFICER, unit_key="phuong-khong-co", days=7, now=NOW
            )


async def test_a_resident_has_no_queue_and_cannot_act(organised: Database) -> None:
    nomination_id = await _nomination(organised)
    async with organised.uow() as uow:
        resident = await actor_for(uow, 1, TODAY)
        with pytest.raises(NotAllowedError):
            await queue(uow, resident, page=0, page_size=10)
        with pytest.raises(NotAllowedError):
            await act(uow, resident, nomination_id, Action.VERIFY, now=NOW)


async def test_an_officer_acts_only_within_their_unit(organised: Database) -> None:
    nomination_id = await _nomination(organised)
    await _grant(organised, 30, Role.OFFICER, "phuong-hang-gai")
    await _grant(organised, 31, Role.OFFICER, HANG_BAC)
    async with organised.uow() as uow:
        outsider = await actor_for(uow, 30, TODAY)
        assert (await queue(uow, outsider, page=0, page_size=10)).items == []
        with pytest.raises(NotAllowedError):
            await case_view(uow, outsider, nomination_id, now=NOW)
        with pytest.raises(NotAllowedError):
            await act(uow, outsider, nomination_id, Action.VERIFY, now=NOW)
        insider = await actor_for(uow, 31, TODAY)
        page = await queue(uow, insider, page=0, page_size=10)
        assert [n.id for n in page.items] == [nomination_id]
        changed, entry = await act(uow, insider, nomination_id, Action.VERIFY, now=NOW)
        await uow.commit()
    assert changed.status is NominationStatus.VERIFYING and entry.actor_id == 31
    async with organised.uow() as uow:
        assert [e.action for e in await uow.audit.history(nomination_id)] == [Action.VERIFY]


async def test_a_reason_is_required_and_nothing_is_written_without_it(
    organised: Database,
) -> None:
    nomination_id = await _nomination(organised)
    await _grant(organised, 31, Role.OFFICER, HANG_BAC)
    async with organised.uow() as uow:
        officer = await actor_for(uow, 31, TODAY)
        with pytest.raises(RequirementMissingError):
            await act(uow, officer, nomination_id, Action.REJECT, now=NOW, public_note="")
        await uow.commit()
    async with organised.uow() as uow:
        assert await uow.audit.history(nomination_id) == []
        still = await uow.nominations.get(nomination_id)
        assert still is not None and still.status is NominationStatus.SUBMITTED


async def test_a_revoked_officer_loses_the_queue(organised: Database) -> None:
    await _grant(organised, 31, Role.OFFICER, HANG_BAC)
    async with organised.uow() as uow:
        (grant,) = await uow.roles.grants_of(31)
        assert grant.id is not None
        assert await uow.roles.revoke(grant.id, at=NOW)
        await uow.commit()
    async with organised.uow() as uow:
        with pytest.raises(NotAllowedError):
            await queue(uow, await actor_for(uow, 31, TODAY), page=0, page_size=10)


async def test_who_hears_of_a_change_the_nominator_and_supporters_but_not_whoever_made_it(
    organised: Database,
) -> None:
    nomination_id = await _nomination(organised, nominator=1)
    await _grant(organised, 31, Role.OFFICER, HANG_BAC)
    async with organised.uow() as uow:
        for supporter in (2, 31):
            await meet_user(uow, user_id=supporter, display_name="Hà", language_code="vi", now=NOW)
            await give_consent(uow, supporter, now=NOW)
            await support(uow, nomination_id, user_id=supporter, account=None, evidence=(), now=NOW)
        officer = await actor_for(uow, 31, TODAY)
        await act(uow, officer, nomination_id, Action.VERIFY, now=NOW)
        asked, question = await act(
            uow, officer, nomination_id, Action.ASK_INFO, now=NOW, public_note="Xin thêm ảnh"
        )
        assert [(n.user_id, n.hears) for n in await who_hears(uow, asked, question)] == [
            (1, Hears.NOMINATOR)
        ], "a question is for the nominator alone"
        await uow.commit()
    async with organised.uow() as uow:
        officer = await actor_for(uow, 31, TODAY)
        rejected, entry = await act(
            uow, officer, nomination_id, Action.REJECT, now=NOW, public_note="Chưa đủ căn cứ"
        )
        heard = [(n.user_id, n.hears) for n in await who_hears(uow, rejected, entry)]
    assert heard == [(1, Hears.NOMINATOR), (2, Hears.SUPPORTER)], "31 made the change"
