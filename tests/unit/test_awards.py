"""Award forms read from a plan file, who may propose each, their votes and their checklists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from bot.plans import DEMO_PLAN, TODAY_PLAN, read_plan_file
from core.awards import (
    AwardForm,
    AwardFormError,
    DossierDocument,
    DossierFileTooLargeError,
    DossierFileTypeError,
    DossierIncompleteError,
    DossierItem,
    ItemState,
    Proposer,
    VoteRule,
    check_complete,
    check_file,
    checklist,
    missing_items,
    proposable,
    unlisted,
)
from core.nomination import EvidenceKind
from core.org import Validity
from core.plan import load_plan_document
from core.roles import Actor, Role, RoleGrant
from tests.unit.test_plan import _delete, _found, _set, good_document

NOW = datetime(2026, 11, 20, 2, tzinfo=UTC)
WARD = "phuong-hang-bac"


def _actor(user_id: int, role: Role, unit: str | None = None) -> Actor:
    grant = RoleGrant(user_id, role, unit, Validity(date(2026, 1, 1)), NOW)
    return Actor.of(user_id, (grant,), date(2026, 11, 20))


OFFICER = _actor(1, Role.OFFICER, WARD)
OFFICER_ELSEWHERE = _actor(2, Role.OFFICER, "phuong-hang-dao")
SECRETARY = _actor(3, Role.SECRETARIAT)
MEMBER = _actor(4, Role.COUNCIL_MEMBER)

SUMMARY = DossierItem("tom-tat-thanh-tich", "Tóm tắt thành tích")
LETTER = DossierItem("to-trinh", "Tờ trình đề nghị khen thưởng", generated=True)
REPORT = DossierItem("bao-cao-thanh-tich", "Báo cáo thành tích")
SIMPLIFIED = AwardForm(
    "khen-thuong-dot-xuat",
    "Giấy khen đột xuất (thủ tục đơn giản)",
    (Proposer.OFFICER, Proposer.SECRETARIAT),
    VoteRule(True, Fraction(1, 2)),
    (LETTER, SUMMARY),
    simplified=True,
)
CITY = AwardForm(
    "bang-khen-thanh-pho",
    "Bằng khen của Chủ tịch UBND Thành phố",
    (Proposer.SECRETARIAT,),
    VoteRule(True, Fraction(4, 5), Fraction(2, 3)),
    (LETTER, REPORT),
)


def _document(item: DossierItem, name: str = "tom-tat.pdf", case: int = 7) -> DossierDocument:
    return DossierDocument(
        case, item.key, EvidenceKind.DOCUMENT, "file-id", f"u-{name}", name, 52_000, 1, NOW
    )


# --- reading the plan file ---------------------------------------------------------------------


def test_a_plans_award_forms_are_read_with_every_figure_from_the_file() -> None:
    loaded = load_plan_document(good_document())
    assert loaded.problems == ()
    assert loaded.plan is not None
    district, sudden = loaded.plan.award_forms
    assert district.name == "Giấy khen của Chủ tịch UBND quận"
    assert district.proposers == (Proposer.OFFICER, Proposer.SECRETARIAT)
    assert district.vote == VoteRule(True, Fraction(4, 5), Fraction(2, 3))
    assert district.comment_days == 10 and not district.simplified
    assert district.dossier == (
        DossierItem("to-trinh", "Tờ trình", generated=True),
        DossierItem("bao-cao-thanh-tich", "Báo cáo thành tích"),
    )
    assert sudden.vote == VoteRule(False) and sudden.simplified and sudden.comment_days == 0
    assert loaded.plan.find_award_form("khen-dot-xuat") == sudden


def test_a_plan_without_award_forms_is_still_a_good_plan() -> None:
    document = good_document()
    del document["plan"]["award_forms"]
    loaded = load_plan_document(document)
    assert loaded.problems == () and loaded.plan is not None
    assert loaded.plan.award_forms == ()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _set("plan.award_forms[0].proposers", ["officer", "chairman"]),
            [("plan.award_forms[0].proposers[1]", "field.invalid")],
        ),
        (
            _set("plan.award_forms[0].proposers", []),
            [("plan.award_forms[0].proposers", "field.missing")],
        ),
        (
            _set("plan.award_forms[0].vote.quorum", "two thirds"),
            [("plan.award_forms[0].vote.quorum", "field.invalid")],
        ),
        (
            _set("plan.award_forms[0].vote.quorum", "3/0"),
            [("plan.award_forms[0].vote.quorum", "field.invalid")],
        ),
        (
            _set("plan.award_forms[0].vote.quorum", 0),
            [("plan.award_forms[0].vote.quorum", "award.share_out_of_range")],
        ),
        (
            _set("plan.award_forms[0].vote.required", "yes"),
            [("plan.award_forms[0].vote.required", "field.invalid")],
        ),
        (
            _delete("plan.award_forms[0].vote"),
            [("plan.award_forms[0].vote", "field.missing")],
        ),
        (
            _set("plan.award_forms[0].comment_days", -1),
            [("plan.award_forms[0].comment_days", "field.invalid")],
        ),
        (
            _set("plan.award_forms[1].key", "giay-khen-chu-tich-quan"),
            [("plan.award_forms[1].key", "key.duplicate")],
        ),
        (
            _set("plan.award_forms[0].dossier[1].key", "to-trinh"),
            [("plan.award_forms[0].dossier[1].key", "key.duplicate")],
        ),
        (
            _set("plan.award_forms[0].dossier[0].generated", "có"),
            [("plan.award_forms[0].dossier[0].generated", "field.invalid")],
        ),
        (
            _set("plan.award_forms[0].threshold", 0.8),
            [("plan.award_forms[0].threshold", "field.unknown")],
        ),
    ],
    ids=[
        "unknown proposer",
        "nobody proposes",
        "quorum in words",
        "share over zero",
        "zero quorum",
        "required not yes or no",
        "no vote said",
        "negative comment days",
        "two forms, one key",
        "two items, one key",
        "generated not yes or no",
        "threshold outside the vote",
    ],
)
def test_each_award_form_check_names_the_place_and_the_problem(
    mutate: object, expected: list[tuple[str, str]]
) -> None:
    document = good_document()
    mutate(document)  # type: ignore[operator]
    assert _found(document) == expected


def test_a_broken_form_is_left_out_and_the_others_are_kept() -> None:
    document = good_document()
    document["plan"]["award_forms"][0]["vote"]["threshold"] = 2
    loaded = load_plan_document(document)
    assert loaded.plan is not None
    assert [form.key for form in loaded.plan.award_forms] == ["khen-dot-xuat"]


def test_the_wards_plan_gives_its_forms_and_the_2018_plan_none() -> None:
    ward = read_plan_file(TODAY_PLAN)
    assert ward.ok and ward.plan is not None
    forms = {form.key: form for form in ward.plan.award_forms}
    sudden = forms["khen-thuong-dot-xuat"]
    assert sudden.simplified and [item.name for item in sudden.attachable] == ["Tóm tắt thành tích"]
    assert forms["bang-khen-thanh-pho"].proposers == (Proposer.SECRETARIAT,)
    assert all(form.vote.required and form.vote.threshold for form in forms.values())
    assert read_plan_file(DEMO_PLAN).plan.award_forms == ()  # type: ignore[union-attr]


# --- who may propose what ----------------------------------------------------------------------


def test_a_units_officer_may_propose_the_forms_open_to_officers_for_their_unit_only() -> None:
    forms = (SIMPLIFIED, CITY)
    assert proposable(forms, OFFICER, WARD) == (SIMPLIFIED,)
    assert proposable(forms, OFFICER_ELSEWHERE, WARD) == ()
    assert proposable(forms, SECRETARY, WARD) == (SIMPLIFIED, CITY)
    assert proposable(forms, MEMBER, WARD) == ()


# --- the vote's figures ------------------------------------------------------------------------


def test_the_threshold_is_a_share_of_all_members_and_is_reached_exactly() -> None:
    rule = VoteRule(True, Fraction(4, 5), Fraction(2, 3))
    assert rule.passes(4, 5) and not rule.passes(3, 5)
    assert not rule.passes(7, 9)  # 77.8 % of all nine
    assert rule.quorate(4, 6) and not rule.quorate(3, 6)
    assert not VoteRule(False).passes(5, 5)
    assert VoteRule(False).quorate(1, 5)


def test_a_vote_rule_refuses_impossible_figures() -> None:
    with pytest.raises(AwardFormError):
        VoteRule(True)
    with pytest.raises(AwardFormError):
        VoteRule(True, Fraction(6, 5))


# --- the checklist -----------------------------------------------------------------------------


def test_the_checklist_marks_each_item_and_generated_ones_never_hold_a_case_back() -> None:
    empty = checklist(SIMPLIFIED, [])
    assert [(line.item.key, line.state) for line in empty] == [
        ("to-trinh", ItemState.GENERATED),
        ("tom-tat-thanh-tich", ItemState.MISSING),
    ]
    assert missing_items(SIMPLIFIED, []) == (SUMMARY,)

    summary = _document(SUMMARY)
    filled = checklist(SIMPLIFIED, [summary])
    assert filled[1].state is ItemState.ATTACHED and filled[1].documents == (summary,)
    assert missing_items(SIMPLIFIED, [summary]) == ()
    check_complete(SIMPLIFIED, [summary])


def test_an_incomplete_dossier_is_refused_naming_each_missing_item() -> None:
    with pytest.raises(DossierIncompleteError) as refused:
        check_complete(CITY, [_document(SUMMARY)])
    assert refused.value.code == "dossier.incomplete"
    assert refused.value.names == ("Báo cáo thành tích",)
    assert "Báo cáo thành tích" in str(refused.value)


def test_files_of_an_item_the_form_does_not_list_are_kept_apart() -> None:
    report, summary = _document(REPORT, "bao-cao.pdf"), _document(SUMMARY)
    assert unlisted(SIMPLIFIED, [report, summary]) == (report,)
    assert unlisted(None, [summary]) == (summary,)


@pytest.mark.parametrize(
    ("kind", "name", "size", "error"),
    [
        (EvidenceKind.DOCUMENT, "tom-tat.PDF", 1000, None),
        (EvidenceKind.DOCUMENT, "bao-cao.docx", 1000, None),
        (EvidenceKind.PHOTO, None, 900_000, None),
        (EvidenceKind.DOCUMENT, "bao-cao.doc", 1000, DossierFileTypeError),
        (EvidenceKind.DOCUMENT, "virus.exe", 1000, DossierFileTypeError),
        (EvidenceKind.DOCUMENT, None, 1000, DossierFileTypeError),
        (EvidenceKind.DOCUMENT, "lon.pdf", 21 * 1024 * 1024, DossierFileTooLargeError),
    ],
)
def test_a_dossier_takes_pdf_docx_and_photos_within_20_mb(
    kind: EvidenceKind, name: str | None, size: int, error: type[Exception] | None
) -> None:
    if error is None:
        check_file(kind, name, size)
    else:
        with pytest.raises(error):
            check_file(kind, name, size)
