"""The right to correct on real storage: only the nominator, only while being verified, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.correction import (
    CaseDecidedError,
    CaseField,
    CorrectionRefusedError,
    case_to_correct,
    correct_case,
    correct_display_name,
    correct_my_phone,
    own_cases,
    who_is_told,
)
from core.nomination import NominationDraft, NominationStatus, NomineeKind
from core.review import act, grant_role
from core.roles import Actor, Role
from core.services import ConsentRequiredError, give_consent, meet_user, submit_nomination
from core.workflow import CLAIM_TTL, Action
from storage.uow import Database

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
HANG_BAC = "phuong-hang-bac"
DEED = "Trả lại chiếc ví nhặt được ở phố Hàng Bạc cho người đánh rơi."
OFFICER = 90


async def _resident(db: Database, user_id: int, *, consent: bool = True) -> None:
    async with db.uow() as uow:
        await meet_user(uow, user_id=user_id, display_name="Lan", language_code="vi", now=NOW)
        if consent:
            await give_consent(uow, user_id, now=NOW, display_name="Lan")
        await uow.commit()


async def _nominate(db: Database, user_id: int, phone: str | None = "+84912345678") -> int:
    draft = NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name="Nguyễn Văn Bìhn",
        unit_key=HANG_BAC,
        deed=DEED,
        deed_date=date(2026, 11, 19),
        phone=phone,
    )
    async with db.uow() as uow:
        nomination = await submit_nomination(uow, draft, user_id=user_id, now=NOW)
        await uow.commit()
    assert nomination.id is not None
    return nomination.id


async def _move(db: Database, nomination_id: int, *actions: Action) -> None:
    async with db.uow() as uow:
        if not await uow.roles.grants_of(OFFICER):
            await grant_role(
                uow,
                Actor.operator(),
                user_id=OFFICER,
                role=Role.SECRETARIAT,
                unit_key=None,
                now=NOW,
            )
        actor = Actor.of(OFFICER, await uow.roles.grants_of(OFFICER), NOW.date())
        for action in actions:
            await act(uow, actor, nomination_id, action, now=NOW)
        await uow.commit()


async def test_the_nominator_corrects_a_typo_and_the_audit_says_which_field_not_what(
    database: Database,
) -> None:
    await _resident(database, 1)
    case = await _nominate(database, 1)
    await _move(database, case, Action.VERIFY)

    async with database.uow() as uow:
        done = await correct_case(uow, 1, case, CaseField.NAME, "Nguyễn Văn Bình", now=LATER)
        await uow.commit()
    assert done is not None and done.nomination.nominee.name == "Nguyễn Văn Bình"

    async with database.uow() as uow:
        stored = await uow.nominations.get(case)
        history = await uow.audit.history(case)
        same = await uow.nominations.same_nominee(name_key="nguyen van binh", unit_key=HANG_BAC)
    assert stored is not None and stored.nominee.name == "Nguyễn Văn Bình"
    assert stored.status is NominationStatus.VERIFYING and stored.status_changed_at == NOW
    assert [c.id for c in same] == [case], "the folded name the duplicate check uses follows"
    entry = history[-1]
    assert (entry.action, entry.actor_id, entry.at) == (Action.CORRECT, 1, LATER)
    assert (entry.from_status, entry.to_status) == (NominationStatus.VERIFYING,) * 2
    assert entry.data == {"fields": ["name"]}
    assert entry.public_note is None and entry.private_note is None
    assert "Bìhn" not in repr(history), "the value corrected is not kept in the history"


async def test_the_same_value_again_writes_nothing(database: Database) -> None:
    await _resident(database, 1)
    case = await _nominate(database, 1)
    async with database.uow() as uow:
        assert await correct_case(uow, 1, case, CaseField.PHONE, "0912 345 678", now=LATER) is None
        assert await uow.audit.history(case) == []


async def test_someone_elses_case_is_refused_as_one_that_does_not_exist(
    database: Database,
) -> None:
    await _resident(database, 1)
    await _resident(database, 2)
    case = await _nominate(database, 1)
    async with database.uow() as uow:
        with pytest.raises(CorrectionRefusedError) as theirs:
            await correct_case(uow, 2, case, CaseField.DEED, DEED + " Thêm.", now=LATER)
        with pytest.raises(CorrectionRefusedError) as missing:
            await correct_case(uow, 2, case + 1000, CaseField.DEED, DEED + " Thêm.", now=LATER)
        assert type(theirs.value) is type(missing.value)
        assert theirs.value.code == missing.value.code
        stored = await uow.nominations.get(case)
        assert stored is not None and stored.deed == DEED
        assert await uow.audit.history(case) == []


@pytest.mark.parametrize(
    "actions",
    [
        (Action.VERIFY, Action.PROPOSE),
        (Action.VERIFY, Action.PROPOSE, Action.START_REVIEW),
        (Action.WITHDRAW,),
    ],
)
async def test_a_case_past_verification_is_left_to_an_officer(
    database: Database, actions: tuple[Action, ...]
) -> None:
    await _resident(database, 1)
    case = await _nominate(database, 1)
    if actions == (Action.WITHDRAW,):
        async with database.uow() as uow:
            await act(uow, Actor(1), case, Action.WITHDRAW, now=NOW)
            await uow.commit()
    else:
        await _move(database, case, *actions)
    async with database.uow() as uow:
        with pytest.raises(CaseDecidedError) as refused:
            await correct_case(uow, 1, case, CaseField.PLACE, "15 Hàng Bạc", now=LATER)
        assert refused.value.nomination.id == case
        with pytest.raises(CaseDecidedError):
            await case_to_correct(uow, 1, case)
        mine = await own_cases(uow, 1)
    assert (mine.open, mine.past) == ((), 1)


async def test_nothing_is_corrected_without_consent(database: Database) -> None:
    await _resident(database, 1)
    case = await _nominate(database, 1)
    await _resident(database, 3, consent=False)
    async with database.uow() as uow:
        await uow.consents.withdraw(1, (await uow.consents.all_of(1))[0].purpose, at=NOW)
        with pytest.raises(ConsentRequiredError):
            await correct_case(uow, 1, case, CaseField.PHONE, None, now=LATER)
        with pytest.raises(ConsentRequiredError):
            await correct_display_name(uow, 3, "Trần Thị Lan", now=LATER)


async def test_my_phone_changes_on_every_case_still_being_verified_each_audited(
    database: Database,
) -> None:
    await _resident(database, 1)
    first = await _nominate(database, 1)
    second = await _nominate(database, 1, phone=None)
    proposed = await _nominate(database, 1)
    await _move(database, proposed, Action.VERIFY, Action.PROPOSE)

    async with database.uow() as uow:
        mine = await own_cases(uow, 1)
        assert {c.id for c in mine.open} == {first, second} and mine.past == 1
        assert mine.phones == ("+84912345678",)
        done = await correct_my_phone(uow, 1, "0987.654.321", now=LATER)
        await uow.commit()
    assert sorted(c.nomination.id or 0 for c in done) == [first, second]

    async with database.uow() as uow:
        for case in (first, second):
            stored = await uow.nominations.get(case)
            assert stored is not None and stored.nominator.phone == "+84987654321"
            assert [e.data for e in await uow.audit.history(case)] == [{"fields": ["phone"]}]
        kept = await uow.nominations.get(proposed)
        assert kept is not None and kept.nominator.phone == "+84912345678"
        assert await correct_my_phone(uow, 1, "0987654321", now=LATER) == []
        removed = await correct_my_phone(uow, 1, None, now=LATER)
        assert len(removed) == 2


async def test_a_chosen_name_stays_whatever_telegram_says(database: Database) -> None:
    await _resident(database, 1)
    async with database.uow() as uow:
        chosen = await correct_display_name(uow, 1, "  Trần Thị Lan ", now=LATER)
        await uow.commit()
    assert chosen is not None and chosen.display_name == "Trần Thị Lan"
    async with database.uow() as uow:
        seen = await meet_user(uow, user_id=1, display_name="Lan 🌸", language_code="en", now=LATER)
        await give_consent(uow, 1, now=LATER, display_name="Lan 🌸")
        await uow.commit()
    assert seen.display_name == "Trần Thị Lan", "the turn calls them by the name they chose"
    async with database.uow() as uow:
        stored = await uow.users.get(1)
        assert stored is not None
        assert (stored.display_name, stored.name_chosen_at) == ("Trần Thị Lan", LATER)
        assert stored.language_code == "en"
        assert await correct_display_name(uow, 1, "Trần Thị Lan", now=LATER) is None


async def test_only_the_officer_holding_the_case_is_told_while_the_claim_holds(
    database: Database,
) -> None:
    await _resident(database, 1)
    held = await _nominate(database, 1)
    unheld = await _nominate(database, 1)
    await _move(database, held, Action.VERIFY)
    async with database.uow() as uow:
        case, other = await uow.nominations.get(held), await uow.nominations.get(unheld)
        assert case is not None and other is not None
        assert await who_is_told(uow, case, now=LATER, today=LATER.date()) == [OFFICER]
        assert await who_is_told(uow, other, now=LATER, today=LATER.date()) == []
        lapsed = NOW + CLAIM_TTL
        assert await who_is_told(uow, case, now=lapsed, today=lapsed.date()) == []
