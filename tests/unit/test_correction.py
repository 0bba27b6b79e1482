"""What a correction may put in a nomination: the nomination's own rules, field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from core.codes import TrackingCode
from core.correction import (
    CORRECTABLE,
    CaseField,
    RequiredFieldError,
    clean_value,
    value_of,
    with_value,
)
from core.errors import PhoneFormatError
from core.nomination import (
    DeedLengthError,
    GeoPoint,
    NameLengthError,
    Nomination,
    NominationError,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
    PlaceLengthError,
)

NOW = datetime(2026, 12, 4, 2, tzinfo=UTC)
POINT = GeoPoint(21.034, 105.852)


def _case(**changes: object) -> Nomination:
    nomination = Nomination(
        code=TrackingCode("NT-ABCD-EFGH"),
        nominee=Nominee(NomineeKind.INDIVIDUAL, "Nguyễn Văn Bìhn"),
        unit_key="phuong-hang-bac",
        deed="Trả lại chiếc ví nhặt được ở phố Hàng Bạc cho người đánh rơi.",
        deed_date=date(2026, 11, 19),
        nominator=Nominator(7, "+84912345678"),
        status=NominationStatus.SUBMITTED,
        created_at=NOW,
        status_changed_at=NOW,
        place="12 Hàng Bạc",
        location=POINT,
        id=1,
    )
    return replace(nomination, **changes)  # type: ignore[arg-type]


def test_only_the_states_of_verification_at_the_unit_may_be_corrected() -> None:
    assert {
        NominationStatus.SUBMITTED,
        NominationStatus.VERIFYING,
        NominationStatus.NEEDS_INFO,
    } == CORRECTABLE
    assert not any(status.is_final for status in CORRECTABLE)
    assert NominationStatus.PROPOSED not in CORRECTABLE, "the council judges what was proposed"


@pytest.mark.parametrize(
    ("field", "typed", "kept"),
    [
        (CaseField.NAME, "  Nguyễn Văn Bình ", "Nguyễn Văn Bình"),
        (CaseField.PHONE, "0912 345 679", "+84912345679"),
        (CaseField.PLACE, "15 Hàng Bạc", "15 Hàng Bạc"),
        (CaseField.PLACE, POINT, POINT),
        (CaseField.PLACE, None, None),
        (CaseField.PHONE, None, None),
    ],
)
def test_a_new_value_is_kept_as_the_nomination_step_keeps_it(
    field: CaseField, typed: str | GeoPoint | None, kept: str | GeoPoint | None
) -> None:
    assert clean_value(field, typed) == kept


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        (CaseField.NAME, "B", NameLengthError),
        (CaseField.NAME, "12345", NameLengthError),
        (CaseField.DEED, "Tốt lắm", DeedLengthError),
        (CaseField.PLACE, "x" * 301, PlaceLengthError),
        (CaseField.PHONE, "12345", PhoneFormatError),
        (CaseField.NAME, None, RequiredFieldError),
        (CaseField.DEED, None, RequiredFieldError),
        (CaseField.NAME, POINT, NominationError),
    ],
)
def test_a_value_the_nomination_step_refuses_is_refused(
    field: CaseField, typed: str | GeoPoint | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        clean_value(field, typed)


def test_a_place_is_one_answer_typed_or_shared() -> None:
    case = _case()
    typed = with_value(case, CaseField.PLACE, "15 Hàng Bạc")
    assert (typed.place, typed.location) == ("15 Hàng Bạc", None)
    shared = with_value(case, CaseField.PLACE, POINT)
    assert (shared.place, shared.location) == (None, POINT)
    assert value_of(shared, CaseField.PLACE) == POINT
    emptied = with_value(case, CaseField.PLACE, None)
    assert (emptied.place, emptied.location) == (None, None)


def test_each_field_changes_only_itself() -> None:
    case = _case()
    renamed = with_value(case, CaseField.NAME, "Nguyễn Văn Bình")
    assert renamed.nominee.name == "Nguyễn Văn Bình"
    assert renamed.nominee.kind is NomineeKind.INDIVIDUAL and renamed.deed == case.deed
    unphoned = with_value(case, CaseField.PHONE, None)
    assert unphoned.nominator == Nominator(7, None) and unphoned.place == case.place
    assert value_of(case, CaseField.DEED) == case.deed
