"""The review state machine: who may move a nomination where, with what."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.codes import TrackingCode
from core.nomination import Nomination, NominationStatus, Nominator, Nominee, NomineeKind
from core.org import Validity
from core.roles import (
    Actor,
    NotAllowedError,
    Role,
    RoleGrant,
    hash_invitation_code,
    may_manage_roles,
    new_invitation_code,
)
from core.workflow import (
    CLAIM_TTL,
    Action,
    Award,
    ClaimedByOtherError,
    RequirementMissingError,
    TransitionError,
    allowed_actions,
    apply,
    can_view,
    check_may,
    claim,
    may_contact_nominator,
    may_know_nominator,
    may_know_supporters,
)

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOMINATOR = 10


def _nomination(status: NominationStatus = NominationStatus.SUBMITTED) -> Nomination:
    return Nomination(
        code=TrackingCode("NT-AAAA-BBBB"),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Nguyễn Văn Bình"),
        unit_key="phuong-hang-bac",
        deed="Trả lại ví cho người đánh rơi ở chợ Đồng Xuân.",
        deed_date=date(2026, 11, 19),
        nominator=Nominator(NOMINATOR),
        status=status,
        created_at=NOW,
        status_changed_at=NOW,
        id=1,
    )


def _actor(user_id: int, role: Role | None, unit_key: str | None = None) -> Actor:
    if role is None:
        return Actor(user_id)
    grant = RoleGrant(user_id, role, unit_key, Validity(), NOW)
    return Actor.of(user_id, (grant,), NOW.date())


HANG_BAC = _actor(20, Role.OFFICER, "phuong-hang-bac")
HANG_GAI = _actor(21, Role.OFFICER, "phuong-hang-gai")
SECRETARIAT = _actor(30, Role.SECRETARIAT)
COUNCIL = _actor(40, Role.COUNCIL_MEMBER)
RESIDENT = _actor(NOMINATOR, None)
STRANGER = _actor(99, None)


def test_the_units_officer_verifies_proposes_and_the_secretariat_commends() -> None:
    case = _nomination()
    case, verify = apply(case, Action.VERIFY, HANG_BAC, now=NOW)
    assert (verify.from_status, verify.to_status) == ("submitted", "verifying")
    case, _ = apply(case, Action.PROPOSE, HANG_BAC, now=NOW)
    case, _ = apply(case, Action.START_REVIEW, SECRETARIAT, now=NOW + CLAIM_TTL)
    award = Award("Giấy khen", "123/QĐ-UBND", date(2026, 12, 1))
    case, entry = apply(case, Action.COMMEND, SECRETARIAT, now=NOW + CLAIM_TTL, award=award)
    assert case.status is NominationStatus.COMMENDED
    assert entry.data["decision_number"] == "123/QĐ-UBND"
    assert case.handler_id is None  # a decided case is nobody's any more


def test_an_officer_of_another_unit_may_not_act() -> None:
    with pytest.raises(NotAllowedError):
        apply(_nomination(), Action.VERIFY, HANG_GAI, now=NOW)
    assert allowed_actions(_nomination(), HANG_GAI) == []
    assert not can_view(_nomination(), HANG_GAI)


def test_a_resident_may_not_act_as_an_officer() -> None:
    with pytest.raises(NotAllowedError):
        apply(_nomination(), Action.VERIFY, RESIDENT, now=NOW)
    with pytest.raises(NotAllowedError):
        apply(_nomination(), Action.REJECT, STRANGER, now=NOW, public_note="không đúng")


def test_the_officer_may_not_decide_for_the_council() -> None:
    with pytest.raises(NotAllowedError):
        apply(_nomination(NominationStatus.PROPOSED), Action.START_REVIEW, HANG_BAC, now=NOW)


def test_rejecting_needs_a_reason() -> None:
    with pytest.raises(RequirementMissingError):
        apply(_nomination(), Action.REJECT, HANG_BAC, now=NOW, public_note="  ")
    case, entry = apply(_nomination(), Action.REJECT, HANG_BAC, now=NOW, public_note="Trùng")
    assert case.status is NominationStatus.REJECTED and entry.public_note == "Trùng"


def test_commending_needs_the_award_and_decision() -> None:
    with pytest.raises(RequirementMissingError):
        apply(_nomination(NominationStatus.UNDER_REVIEW), Action.COMMEND, SECRETARIAT, now=NOW)


def test_needs_info_round_trip_goes_back_to_verifying() -> None:
    case, _ = apply(
        _nomination(NominationStatus.VERIFYING),
        Action.ASK_INFO,
        HANG_BAC,
        now=NOW,
        public_note="Anh/Chị có ảnh không?",
    )
    assert allowed_actions(case, RESIDENT) == [Action.ANSWER_INFO, Action.WITHDRAW]
    case, entry = apply(case, Action.ANSWER_INFO, RESIDENT, now=NOW, public_note="Có ạ")
    assert case.status is NominationStatus.VERIFYING and entry.actor_id == NOMINATOR


def test_a_decided_nomination_cannot_move() -> None:
    with pytest.raises(TransitionError):
        apply(_nomination(NominationStatus.COMMENDED), Action.WITHDRAW, RESIDENT, now=NOW)


def test_the_nominator_may_withdraw_before_a_decision_only() -> None:
    case, _ = apply(_nomination(NominationStatus.UNDER_REVIEW), Action.WITHDRAW, RESIDENT, now=NOW)
    assert case.status is NominationStatus.WITHDRAWN


def test_a_claimed_case_is_refused_to_another_officer_until_the_claim_lapses() -> None:
    second = _actor(22, Role.OFFICER, "phuong-hang-bac")
    held = claim(_nomination(), HANG_BAC, NOW)
    with pytest.raises(ClaimedByOtherError) as refused:
        apply(held, Action.VERIFY, second, now=NOW + timedelta(minutes=5))
    assert refused.value.holder_id == HANG_BAC.user_id
    taken, _ = apply(held, Action.VERIFY, second, now=NOW + CLAIM_TTL)
    assert taken.handler_id == second.user_id


def test_council_members_see_only_what_is_proposed_to_them() -> None:
    assert not can_view(_nomination(), COUNCIL)
    assert can_view(_nomination(NominationStatus.PROPOSED), COUNCIL)
    assert allowed_actions(_nomination(NominationStatus.PROPOSED), COUNCIL) == []


def test_a_revoked_or_expired_grant_gives_no_power() -> None:
    revoked = RoleGrant(20, Role.OFFICER, "phuong-hang-bac", Validity(), NOW, revoked_at=NOW)
    expired = RoleGrant(
        20, Role.OFFICER, "phuong-hang-bac", Validity(valid_to=date(2025, 6, 30)), NOW
    )
    actor = Actor.of(20, (revoked, expired), NOW.date())
    assert not actor.is_staff and actor.unit_keys == frozenset()


def test_merging_needs_another_nomination() -> None:
    with pytest.raises(RequirementMissingError):
        apply(_nomination(), Action.MERGE, HANG_BAC, now=NOW, merged_into_id=1)
    case, entry = apply(_nomination(), Action.MERGE, HANG_BAC, now=NOW, merged_into_id=2)
    assert case.merged_into_id == 2 and entry.data == {"merged_into_id": 2}


def test_invitation_codes_fit_a_start_payload_and_are_stored_hashed() -> None:
    code = new_invitation_code()
    assert len(code) <= 64 and all(c.isalnum() or c in "_-" for c in code)
    assert hash_invitation_code(code) != code and len(hash_invitation_code(code)) == 64
    assert replace(_nomination(), id=3).id == 3


ADMIN = _actor(50, Role.ADMIN)


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
def test_who_may_know_and_call_the_nominator(anonymous: bool) -> None:
    case = replace(
        _nomination(NominationStatus.PROPOSED),
        nominator=Nominator(NOMINATOR, "0912345678", anonymous),
    )
    verifying = (HANG_BAC, SECRETARIAT, ADMIN)
    for actor in (RESIDENT, *verifying):
        assert may_know_nominator(case, actor) and may_contact_nominator(case, actor)
    # The council sees the proposed case, and its nominator only if they did not hide.
    assert can_view(case, COUNCIL)
    assert may_know_nominator(case, COUNCIL) is not anonymous
    assert not may_contact_nominator(case, COUNCIL)
    for actor in (HANG_GAI, STRANGER, Actor.operator()):
        assert not may_know_nominator(case, actor) and not may_contact_nominator(case, actor)
    assert [
        a for a in (RESIDENT, COUNCIL, HANG_GAI, *verifying) if may_know_supporters(case, a)
    ] == [*verifying]


def test_a_refusal_to_act_is_decided_before_the_cases_state() -> None:
    decided = _nomination(NominationStatus.COMMENDED)
    with pytest.raises(NotAllowedError):
        check_may(decided, Action.WITHDRAW, STRANGER)
    with pytest.raises(NotAllowedError):
        apply(decided, Action.WITHDRAW, STRANGER, now=NOW)  # not "cannot withdraw: commended"


def test_the_operator_holds_no_role_and_acts_on_no_case() -> None:
    operator = Actor.operator()
    assert operator.recorded_id is None and not operator.is_staff
    assert operator.officer_units == frozenset() and not can_view(_nomination(), operator)
    assert may_manage_roles(operator) and may_manage_roles(ADMIN)
    assert not may_manage_roles(SECRETARIAT) and not may_manage_roles(HANG_BAC)
