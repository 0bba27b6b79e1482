from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.codes import TrackingCode
from core.nomination import (
    DeedLengthError,
    Evidence,
    EvidenceKind,
    EvidenceTooLargeError,
    GeoPoint,
    IncompleteDraftError,
    NameLengthError,
    NominationDraft,
    NominationStatus,
    NomineeKind,
    NomineeRole,
    TooMuchEvidenceError,
    clean_deed,
    clean_name,
)

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _photo(n: int, size: int = 1000) -> Evidence:
    return Evidence(EvidenceKind.PHOTO, f"file-{n}", f"unique-{n}", None, size)


def test_a_draft_survives_its_json_round_trip() -> None:
    draft = NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name="Trần Thị Hoà",
        nominee_role=NomineeRole.WORKER,
        unit_key="phuong-hang-gai",
        deed="Cứu một em nhỏ bị đuối nước ở hồ Hoàn Kiếm.",
        deed_date=date(2026, 11, 2),
        location=GeoPoint(21.03, 105.85),
        evidence=[_photo(1)],
        phone="+84912345678",
        anonymous=True,
    )
    assert NominationDraft.from_dict(draft.to_dict()) == draft


def test_a_sixth_file_is_refused_and_a_repeated_one_ignored() -> None:
    draft = NominationDraft()
    for n in range(5):
        draft.add_evidence(_photo(n))
    draft.add_evidence(_photo(0))
    assert len(draft.evidence) == 5
    with pytest.raises(TooMuchEvidenceError):
        draft.add_evidence(_photo(9))


def test_a_file_over_20_mb_is_refused() -> None:
    with pytest.raises(EvidenceTooLargeError):
        NominationDraft().add_evidence(_photo(1, size=30 * 1024 * 1024))


def test_a_deed_keeps_its_paragraphs_and_its_limits() -> None:
    assert clean_deed("Dòng một của việc tốt.\n\n\nDòng hai  của việc tốt.") == (
        "Dòng một của việc tốt.\n\nDòng hai của việc tốt."
    )
    with pytest.raises(DeedLengthError):
        clean_deed("quá ngắn")
    with pytest.raises(DeedLengthError):
        clean_deed("a" * 2001)


def test_a_name_needs_letters() -> None:
    assert clean_name("  Nguyễn   Văn  Bình ") == "Nguyễn Văn Bình"
    for bad in ("1", "12345", "x" * 201):
        with pytest.raises(NameLengthError):
            clean_name(bad)


def test_an_incomplete_draft_names_what_it_lacks() -> None:
    draft = NominationDraft(nominee_kind=NomineeKind.COLLECTIVE, nominee_name="Tổ dân phố 5")
    with pytest.raises(IncompleteDraftError) as error:
        draft.to_nomination(code=TrackingCode("NT-AAAA-AAAA"), nominator_user_id=1, now=NOW)
    assert error.value.missing == ("unit_key", "deed", "deed_date")


def test_a_complete_draft_becomes_a_submitted_nomination() -> None:
    draft = NominationDraft(
        nominee_kind=NomineeKind.COLLECTIVE,
        nominee_name="Tổ dân phố 5",
        unit_key="phuong-hang-gai",
        deed="Cả tổ dọn sạch rác quanh hồ sau trận mưa lớn.",
        deed_date=date(2026, 11, 2),
    )
    nomination = draft.to_nomination(
        code=TrackingCode("NT-AAAA-AAAA"), nominator_user_id=7, now=NOW
    )
    assert nomination.status is NominationStatus.SUBMITTED
    assert nomination.is_nominated_by(7) and not nomination.is_nominated_by(8)
    assert nomination.nominator.anonymous is False
