"""A student nominee under 16 is a child: core names them by initials to anyone not handling
the case, and only the nominator and the verifying staff see the full name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from core.codes import TrackingCode
from core.nomination import (
    IncompleteDraftError,
    Nomination,
    NominationDraft,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
    NomineeRole,
    initials,
)
from core.org import Validity
from core.roles import Actor, Role, RoleGrant
from core.workflow import may_know_nominee

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOMINATOR = 10
NAME = "Nguyễn Văn Bình"


def _student(under_16: bool | None) -> Nominee:
    return Nominee(NomineeKind.INDIVIDUAL, NAME, NomineeRole.STUDENT, under_16)


def _nomination(nominee: Nominee) -> Nomination:
    return Nomination(
        code=TrackingCode("NT-AAAA-BBBB"),
        nominee=nominee,
        unit_key="phuong-hang-bac",
        deed="Trả lại ví cho người đánh rơi ở chợ Đồng Xuân.",
        deed_date=date(2026, 11, 19),
        nominator=Nominator(NOMINATOR),
        status=NominationStatus.PROPOSED,
        created_at=NOW,
        status_changed_at=NOW,
        id=1,
    )


def _actor(user_id: int, role: Role | None, unit_key: str | None = None) -> Actor:
    if role is None:
        return Actor(user_id)
    return Actor.of(user_id, (RoleGrant(user_id, role, unit_key, Validity(), NOW),), NOW.date())


def test_a_student_under_16_is_named_by_the_initials_of_every_word() -> None:
    child = _student(under_16=True)

    assert child.is_child
    assert child.public_name == "N.V.B."


def test_a_student_of_16_or_more_keeps_their_name() -> None:
    assert not _student(under_16=False).is_child
    assert _student(under_16=False).public_name == NAME


def test_a_student_whose_age_was_never_asked_is_treated_as_a_child() -> None:
    assert _student(under_16=None).public_name == "N.V.B."


@pytest.mark.parametrize(
    "nominee",
    [
        Nominee(NomineeKind.INDIVIDUAL, NAME, NomineeRole.RESIDENT),
        Nominee(NomineeKind.INDIVIDUAL, NAME),
        Nominee(NomineeKind.COLLECTIVE, "Lớp 7A Trường THCS Ngô Sĩ Liên"),
    ],
)
def test_no_one_but_a_student_is_a_child(nominee: Nominee) -> None:
    assert not nominee.is_child
    assert nominee.public_name == nominee.name


def test_initials_keep_vietnamese_capitals_and_skip_punctuation() -> None:
    assert initials("đặng thị ánh") == "Đ.T.Á."
    assert initials("  Tôn Thất  (Lân) ") == "T.T.L."


def test_the_public_copy_of_a_childs_nomination_names_the_initials_only() -> None:
    nomination = _nomination(_student(under_16=True))

    public = nomination.as_public()

    assert public.nominee.name == "N.V.B."
    assert public.nominee.under_16 is True
    assert nomination.nominee.name == NAME  # the record itself is unchanged
    adult = _nomination(_student(under_16=False))
    assert adult.as_public() is adult


def test_only_the_nominator_and_the_verifying_staff_may_know_a_childs_full_name() -> None:
    case = _nomination(_student(under_16=True))

    assert may_know_nominee(case, _actor(NOMINATOR, None))
    assert may_know_nominee(case, _actor(20, Role.OFFICER, "phuong-hang-bac"))
    assert may_know_nominee(case, _actor(30, Role.SECRETARIAT))
    assert may_know_nominee(case, _actor(31, Role.ADMIN))
    assert not may_know_nominee(case, _actor(40, Role.COUNCIL_MEMBER))
    assert not may_know_nominee(case, _actor(21, Role.OFFICER, "phuong-hang-gai"))
    assert not may_know_nominee(case, _actor(99, None))


def _draft(role: NomineeRole | None, under_16: bool | None) -> NominationDraft:
    return NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name=NAME,
        nominee_role=role,
        unit_key="phuong-hang-bac",
        deed="Trả lại ví cho người đánh rơi ở chợ Đồng Xuân.",
        deed_date=date(2026, 11, 19),
        nominee_under_16=under_16,
    )


def test_a_students_draft_is_incomplete_until_the_age_is_answered() -> None:
    draft = _draft(NomineeRole.STUDENT, None)

    assert draft.asks_age
    assert draft.missing() == ("nominee_under_16",)
    with pytest.raises(IncompleteDraftError):
        draft.to_nomination(code=TrackingCode("NT-AAAA-BBBB"), nominator_user_id=1, now=NOW)
    answered = replace(draft, nominee_under_16=True)
    nomination = answered.to_nomination(
        code=TrackingCode("NT-AAAA-BBBB"), nominator_user_id=1, now=NOW
    )
    assert nomination.nominee.under_16 is True


def test_the_age_is_neither_asked_nor_kept_for_anyone_but_a_student() -> None:
    draft = _draft(NomineeRole.RESIDENT, True)

    assert not draft.asks_age and draft.missing() == ()
    nomination = draft.to_nomination(
        code=TrackingCode("NT-AAAA-BBBB"), nominator_user_id=1, now=NOW
    )
    assert nomination.nominee.under_16 is None


def test_the_answer_is_kept_in_the_draft_between_steps() -> None:
    draft = _draft(NomineeRole.STUDENT, False)

    assert NominationDraft.from_dict(draft.to_dict()).nominee_under_16 is False
