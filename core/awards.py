"""Forms of commendation (hình thức khen thưởng) as the plan file defines them, and dossiers.

A plan lists its award forms: who may propose each, whether the council votes on it and
what share of its members must agree, how many working days the list is open for public
comment, whether it follows the short procedure for sudden, clear deeds, and its dossier
(hồ sơ): the checklist of documents a case needs before it goes to the council. Nothing
here is a figure of the law: every number comes from the plan file (see
``../shared/REFERENCES.md``, "The law and the administration", for the figures found).

A checklist item is either attached in chat by the staff who verify the case (a PDF, a DOCX
or a photo, kept as Telegram's file ids) or ``generated``: the system produces it itself
(the proposal letter, the council's minutes), so it never holds a case back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction

from core.errors import DomainError
from core.nomination import MAX_EVIDENCE_BYTES, EvidenceKind
from core.roles import Actor, Role

# The kinds of file a dossier takes besides photos, by the end of their name.
DOCUMENT_EXTENSIONS = (".pdf", ".docx")
# Enough for every item of a dossier with a few pages photographed each, and few enough
# that the case's message stays readable.
MAX_DOSSIER_DOCUMENTS = 20
MAX_DOSSIER_BYTES = MAX_EVIDENCE_BYTES


class AwardFormError(ValueError):
    """An award form built in code with values that cannot be right."""


class Proposer(StrEnum):
    """Who may propose a form of commendation for a case."""

    OFFICER = "officer"
    """An officer of the case's unit (cán bộ đơn vị)."""
    SECRETARIAT = "secretariat"
    """The council's standing office (cơ quan thường trực), and admins."""


@dataclass(frozen=True, slots=True)
class VoteRule:
    """Whether the council votes on a form, and what decides the vote.

    ``threshold``: the share of ALL the council's members who must vote for (Decree 98 Art.
    30(7) had 4/5 for Chiến sĩ thi đua cơ sở); ``quorum``: the share of all members who must
    be present for the vote to be held. Both None when the council does not vote.
    """

    required: bool
    threshold: Fraction | None = None
    quorum: Fraction | None = None

    def __post_init__(self) -> None:
        for share in (self.threshold, self.quorum):
            if share is not None and not 0 < share <= 1:
                raise AwardFormError(f"a share is more than 0 and at most 1, got {share}")
        if self.required and self.threshold is None:
            raise AwardFormError("a vote needs its threshold")

    def quorate(self, present: int, members: int) -> bool:
        """Tell whether ``present`` of ``members`` are enough to hold the vote."""
        if members <= 0:
            return False
        return self.quorum is None or Fraction(present, members) >= self.quorum

    def passes(self, votes_for: int, members: int) -> bool:
        """Tell whether ``votes_for`` out of ALL ``members`` reach the threshold.

        Members absent or abstaining count as not for: the share is of all members. Without
        a vote there is nothing to pass.
        """
        if not self.required or self.threshold is None or members <= 0:
            return False
        return Fraction(votes_for, members) >= self.threshold


NO_VOTE = VoteRule(required=False)


@dataclass(frozen=True, slots=True)
class DossierItem:
    """One document of a form's dossier: a key (stable slug) and its name as users see it."""

    key: str
    name: str
    generated: bool = False


@dataclass(frozen=True, slots=True)
class AwardForm:
    """A form of commendation a plan offers, e.g. "Giấy khen của Chủ tịch UBND phường".

    ``comment_days``: working days the list is open for public comment (0: none);
    ``simplified``: the short procedure for sudden, clear deeds.
    """

    key: str
    name: str
    proposers: tuple[Proposer, ...]
    vote: VoteRule
    dossier: tuple[DossierItem, ...]
    comment_days: int = 0
    simplified: bool = False

    def find_item(self, key: str) -> DossierItem | None:
        """Return the dossier item with this key, or None."""
        return next((item for item in self.dossier if item.key == key), None)

    @property
    def attachable(self) -> tuple[DossierItem, ...]:
        """Return the items people attach (every item the system does not produce)."""
        return tuple(item for item in self.dossier if not item.generated)


@dataclass(frozen=True, slots=True)
class DossierDocument:
    """A file attached to a case's dossier, kept as Telegram's file ids."""

    nomination_id: int
    item_key: str
    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    file_name: str | None
    size: int | None
    added_by: int
    added_at: datetime
    id: int | None = None


class ItemState(StrEnum):
    """Where one item of a dossier stands."""

    ATTACHED = "attached"  # ✅ at least one file is attached
    MISSING = "missing"  # ⬜ still to be attached
    GENERATED = "generated"  # the system produces it: never missing


@dataclass(frozen=True, slots=True)
class DossierLine:
    """One line of a case's checklist: the item, its state, its files."""

    item: DossierItem
    state: ItemState
    documents: tuple[DossierDocument, ...] = ()


class AwardFormRequiredError(DomainError):
    """The plan has award forms: a case is proposed under one of them."""

    code = "award.form_required"


class UnknownAwardFormError(DomainError):
    """The form is not in the plan, or the actor may not propose it."""

    code = "award.form_unknown"


class DossierIncompleteError(DomainError):
    """The case cannot go to the council: ``missing`` names the items not attached yet."""

    code = "dossier.incomplete"

    def __init__(self, form: AwardForm, missing: tuple[DossierItem, ...]) -> None:
        names = "; ".join(item.name for item in missing)
        super().__init__(f"the dossier for {form.key} lacks: {names}")
        self.form = form
        self.missing = missing

    @property
    def names(self) -> tuple[str, ...]:
        """Return the missing items' names, in the checklist's order."""
        return tuple(item.name for item in self.missing)


class DossierItemUnknownError(DomainError):
    """No item of the case's form has this key, or it is one the system produces."""

    code = "dossier.item_unknown"


class DossierFileTypeError(DomainError):
    """A dossier takes PDF and DOCX documents and photos, nothing else."""

    code = "dossier.file_type"


class DossierFileTooLargeError(DomainError):
    """A file larger than the bot could ever download again."""

    code = "dossier.file_size"


class DossierFullError(DomainError):
    """The case holds as many documents as a dossier may."""

    code = "dossier.full"


class DossierClosedError(DomainError):
    """The case is decided (or has no form): nothing is attached to or removed from it."""

    code = "dossier.closed"


def proposer_capacities(actor: Actor, unit_key: str) -> frozenset[Proposer]:
    """Return as whom ``actor`` may propose a case of ``unit_key``."""
    found: set[Proposer] = set()
    if actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN):
        found.add(Proposer.SECRETARIAT)
    if actor.has(Role.OFFICER) and unit_key in actor.officer_units:
        found.add(Proposer.OFFICER)
    return frozenset(found)


def proposable(forms: Iterable[AwardForm], actor: Actor, unit_key: str) -> tuple[AwardForm, ...]:
    """Return the forms ``actor`` may propose for a case of ``unit_key``, in the plan's order."""
    capacities = proposer_capacities(actor, unit_key)
    return tuple(form for form in forms if capacities.intersection(form.proposers))


def find_form(forms: Iterable[AwardForm], key: str | None) -> AwardForm | None:
    """Return the form with this key, or None."""
    return next((form for form in forms if form.key == key), None) if key else None


def checklist(form: AwardForm, documents: Sequence[DossierDocument]) -> tuple[DossierLine, ...]:
    """Return the form's checklist for a case holding ``documents``, in the plan's order.

    An item the system produces is never missing; a file attached to it anyway (a signed
    copy, say) is listed under it.
    """
    lines = []
    for item in form.dossier:
        attached = tuple(doc for doc in documents if doc.item_key == item.key)
        if attached:
            state = ItemState.ATTACHED
        elif item.generated:
            state = ItemState.GENERATED
        else:
            state = ItemState.MISSING
        lines.append(DossierLine(item, state, attached))
    return tuple(lines)


def unlisted(
    form: AwardForm | None, documents: Sequence[DossierDocument]
) -> tuple[DossierDocument, ...]:
    """Return the documents under no item of ``form`` (attached under a form chosen before)."""
    keys = {item.key for item in form.dossier} if form is not None else set()
    return tuple(doc for doc in documents if doc.item_key not in keys)


def missing_items(form: AwardForm, documents: Sequence[DossierDocument]) -> tuple[DossierItem, ...]:
    """Return the items still to be attached before the case may go to the council."""
    return tuple(
        line.item for line in checklist(form, documents) if line.state is ItemState.MISSING
    )


def check_complete(form: AwardForm, documents: Sequence[DossierDocument]) -> None:
    """Raise :class:`DossierIncompleteError` naming each item still to be attached."""
    missing = missing_items(form, documents)
    if missing:
        raise DossierIncompleteError(form, missing)


def check_file(kind: EvidenceKind, file_name: str | None, size: int | None) -> None:
    """Refuse a file a dossier does not take: not a photo, PDF or DOCX, or too large."""
    if size is not None and size > MAX_DOSSIER_BYTES:
        raise DossierFileTooLargeError(f"file of {size} bytes")
    if kind is EvidenceKind.PHOTO:
        return
    if not (file_name or "").lower().endswith(DOCUMENT_EXTENSIONS):
        raise DossierFileTypeError("a dossier takes PDF, DOCX and photos")
