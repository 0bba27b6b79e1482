"""Nominations of a good deed ("đề cử người tốt, việc tốt") and their drafts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from core.codes import TrackingCode
from core.errors import DomainError
from core.people import ERASED_PERSON
from core.text import clean_text, nfc

DEED_MIN_CHARS = 20
DEED_MAX_CHARS = 2000
NAME_MIN_CHARS = 2
NAME_MAX_CHARS = 200
PLACE_MAX_CHARS = 300
MAX_EVIDENCE = 5
# Bots can download files of at most 20 MB through getFile; anything larger could never be
# looked at by an officer, so it is refused when it is sent, not when it is reviewed.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024

_E = TypeVar("_E", bound=StrEnum)


class NomineeKind(StrEnum):
    """Whether the nominee is one person or a collective (cá nhân / tập thể)."""

    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"


class NomineeRole(StrEnum):
    """What the nominee is, as the plan asks units to pay attention to workers and forces."""

    RESIDENT = "resident"
    WORKER = "worker"
    CIVIL_SERVANT = "civil_servant"
    ARMED_FORCES = "armed_forces"
    STUDENT = "student"
    FOREIGNER = "foreigner"
    ENTERPRISE = "enterprise"


class NominationStatus(StrEnum):
    """Where a nomination stands in the review (see :mod:`core.workflow`)."""

    SUBMITTED = "submitted"
    VERIFYING = "verifying"
    NEEDS_INFO = "needs_info"
    PROPOSED = "proposed"
    UNDER_REVIEW = "under_review"
    COMMENDED = "commended"
    NOT_COMMENDED = "not_commended"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"

    @property
    def is_final(self) -> bool:
        """Tell whether nothing more can happen to a nomination in this state."""
        return self in _FINAL


_FINAL = frozenset(
    {
        NominationStatus.COMMENDED,
        NominationStatus.NOT_COMMENDED,
        NominationStatus.REJECTED,
        NominationStatus.WITHDRAWN,
        NominationStatus.MERGED,
    }
)


class EvidenceKind(StrEnum):
    """A photo or a document kept as a Telegram file id."""

    PHOTO = "photo"
    DOCUMENT = "document"


class NominationError(DomainError):
    """A nomination or one of its fields breaks a rule."""

    code = "nomination.invalid"


class NameLengthError(NominationError):
    """The nominee's name is too short or too long."""

    code = "nomination.name_length"


class DeedLengthError(NominationError):
    """The deed is described in too few or too many characters."""

    code = "nomination.deed_length"


class PlaceLengthError(NominationError):
    """The place is described in too many characters."""

    code = "nomination.place_length"


class TooMuchEvidenceError(NominationError):
    """More files than a nomination may carry."""

    code = "nomination.evidence_count"


class EvidenceTooLargeError(NominationError):
    """A file larger than the bot could ever download."""

    code = "nomination.evidence_size"


class IncompleteDraftError(NominationError):
    """The draft lacks a required field; ``missing`` names them."""

    code = "nomination.incomplete"

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(f"draft lacks {', '.join(missing)}")
        self.missing = missing


@dataclass(frozen=True, slots=True)
class Evidence:
    """A photo or document sent as evidence, kept only as Telegram's file ids."""

    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {
            "kind": self.kind.value,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            kind=EvidenceKind(data["kind"]),
            file_id=str(data["file_id"]),
            file_unique_id=str(data["file_unique_id"]),
            file_name=data.get("file_name"),
            size=data.get("size"),
        )


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A location shared from the phone."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Nominee:
    """Who did the deed.

    ``under_16``: asked of a student ("Học sinh, sinh viên") only, whether they are under 16
    (a child in Vietnamese law: Luật Trẻ em 2016, Art. 1); None when it was not asked (not a
    student, or filed before the question was).
    """

    kind: NomineeKind
    name: str
    role: NomineeRole | None = None
    under_16: bool | None = None

    @property
    def is_child(self) -> bool:
        """Tell whether the nominee's name is kept from every public use (a child's data).

        A student said to be under 16, and a student whose age was never asked (filed
        before the question existed): hiding an adult student's name costs little,
        publishing a child's is what the law forbids without the consent of the child's
        representative (and of the child from age 7).
        """
        if self.kind is not NomineeKind.INDIVIDUAL or self.role is not NomineeRole.STUDENT:
            return False
        return self.under_16 is not False

    @property
    def public_name(self) -> str:
        """Return the name shown wherever the public (anyone not handling the case) sees it.

        A child's name becomes the initials of its words, "Nguyễn Văn Bình" → "N.V.B.": the
        way Vietnamese newspapers name a child ("em N.V.B."), so a reader sees that a name was
        withheld on purpose, and neither the given name the child is called by nor the
        family name is told. "Em B." was not chosen: it reads as Vietnamese only, and the
        initials are what officers already expect where a child is written about.
        """
        return initials(self.name) if self.is_child else self.name


def initials(name: str) -> str:
    """Return the first letter or digit of each word of ``name``, capitalised: "N.V.B."."""
    letters = [next((c for c in word if c.isalnum()), "") for word in name.split()]
    return "".join(f"{letter.upper()}." for letter in letters if letter) or "…"


# What a case anonymised past its retention holds in place of the nominee's name and the
# deed: nothing (a filed deed is never empty, so this also marks the case done).
ANONYMISED = ""


@dataclass(frozen=True, slots=True)
class Nominator:
    """Who reports the deed; ``anonymous`` keeps them from the nominee and the public."""

    user_id: int
    phone: str | None = None
    anonymous: bool = False

    @property
    def erased(self) -> bool:
        """Tell whether the nominator erased their data (the case is kept without them)."""
        return self.user_id == ERASED_PERSON


@dataclass(frozen=True, slots=True)
class Nomination:
    """A submitted report of a good deed."""

    code: TrackingCode
    nominee: Nominee
    unit_key: str
    deed: str
    deed_date: date
    nominator: Nominator
    status: NominationStatus
    created_at: datetime
    status_changed_at: datetime
    place: str | None = None
    location: GeoPoint | None = None
    evidence: tuple[Evidence, ...] = ()
    campaign_key: str | None = None
    # The officer handling the case ("being handled by X") and since when.
    handler_id: int | None = None
    handled_since: datetime | None = None
    merged_into_id: int | None = None
    # When the nominator asked not to be contacted about this case any more (their objection):
    # nobody asks them anything or tells them anything about it, their phone is not shown.
    contact_stopped_at: datetime | None = None
    # The form of commendation the case is proposed for (a key of the plan's award forms,
    # core.awards), once its unit chose one.
    award_form_key: str | None = None
    id: int | None = None

    @property
    def anonymised(self) -> bool:
        """Tell whether the case was anonymised past its retention (:mod:`core.retention`)."""
        return self.deed == ANONYMISED

    def is_nominated_by(self, user_id: int) -> bool:
        """Tell whether ``user_id`` is the resident who filed this nomination."""
        return self.nominator.user_id == user_id

    def as_public(self) -> Nomination:
        """Return the nomination with the nominee named as the public may see them.

        For a view built for someone who is neither its nominator nor among the staff who
        verify it (see :func:`core.workflow.may_know_nominee`): a child's name becomes
        :attr:`Nominee.public_name`; anyone else's stays.
        """
        if not self.nominee.is_child:
            return self
        return replace(self, nominee=replace(self.nominee, name=self.nominee.public_name))


def clean_name(text: str) -> str:
    """Return the nominee's name in NFC, or raise :class:`NameLengthError`."""
    name = nfc(text)
    if not NAME_MIN_CHARS <= len(name) <= NAME_MAX_CHARS or not any(c.isalpha() for c in name):
        raise NameLengthError(f"name of {len(name)} characters")
    return name


# A name of more words than this, or ending in a period, reads as a sentence (a deed typed
# where the name was asked): the resident is asked once whether it is really the name.
NAME_MAX_WORDS = 7


def looks_like_sentence(name: str) -> bool:
    """Tell whether ``name`` reads as a sentence rather than a name.

    More than :data:`NAME_MAX_WORDS` words, or a final period ("Anh Bình giúp cụ qua
    đường."); a final initial ("Nguyễn Văn B.") is a name written short, not a sentence.
    """
    words = name.split()
    if len(words) > NAME_MAX_WORDS:
        return True
    if not words or not words[-1].endswith("."):
        return False
    last = words[-1].rstrip(".")
    return not (len(last) == 1 and last.isalpha())


def clean_deed(text: str) -> str:
    """Return the deed's description in NFC, paragraphs kept, or raise :class:`DeedLengthError`."""
    deed = clean_text(text, max_len=DEED_MAX_CHARS, multiline=True)
    if deed.length < DEED_MIN_CHARS or deed.too_long:
        raise DeedLengthError(f"deed of {deed.length} characters")
    return deed.text


def clean_place(text: str) -> str:
    """Return the place in NFC, or raise :class:`PlaceLengthError`."""
    place = nfc(text)
    if not 1 <= len(place) <= PLACE_MAX_CHARS:
        raise PlaceLengthError(f"place of {len(place)} characters")
    return place


@dataclass(slots=True)
class NominationDraft:
    """A nomination being written, step by step; every field is optional until submission."""

    nominee_kind: NomineeKind | None = None
    nominee_name: str | None = None
    nominee_role: NomineeRole | None = None
    unit_key: str | None = None
    deed: str | None = None
    deed_date: date | None = None
    place: str | None = None
    location: GeoPoint | None = None
    evidence: list[Evidence] = field(default_factory=list)
    campaign_key: str | None = None
    phone: str | None = None
    anonymous: bool | None = None
    # Asked only of a student nominee (see :attr:`Nominee.under_16`).
    nominee_under_16: bool | None = None

    @property
    def asks_age(self) -> bool:
        """Tell whether the nominee's age must be asked: a person who is a student."""
        return (
            self.nominee_kind is not NomineeKind.COLLECTIVE
            and self.nominee_role is NomineeRole.STUDENT
        )

    def add_evidence(self, item: Evidence) -> None:
        """Attach a file, refusing a sixth one or one too large to download."""
        if item.size is not None and item.size > MAX_EVIDENCE_BYTES:
            raise EvidenceTooLargeError(f"file of {item.size} bytes")
        if any(e.file_unique_id == item.file_unique_id for e in self.evidence):
            return
        if len(self.evidence) >= MAX_EVIDENCE:
            raise TooMuchEvidenceError(f"already {len(self.evidence)} files")
        self.evidence.append(item)

    def missing(self) -> tuple[str, ...]:
        """Name the required fields still empty (a student's age among them)."""
        required: dict[str, object] = {
            "nominee_kind": self.nominee_kind,
            "nominee_name": self.nominee_name,
            "unit_key": self.unit_key,
            "deed": self.deed,
            "deed_date": self.deed_date,
        }
        if self.asks_age:
            required["nominee_under_16"] = self.nominee_under_16
        return tuple(name for name, value in required.items() if value is None)

    def to_nomination(
        self, *, code: TrackingCode, nominator_user_id: int, now: datetime
    ) -> Nomination:
        """Turn a complete draft into a submitted nomination."""
        missing = self.missing()
        if missing:
            raise IncompleteDraftError(missing)
        assert self.nominee_kind and self.nominee_name and self.unit_key and self.deed
        assert self.deed_date
        return Nomination(
            code=code,
            nominee=Nominee(
                self.nominee_kind,
                self.nominee_name,
                self.nominee_role,
                self.nominee_under_16 if self.asks_age else None,
            ),
            unit_key=self.unit_key,
            deed=self.deed,
            deed_date=self.deed_date,
            nominator=Nominator(nominator_user_id, self.phone, bool(self.anonymous)),
            status=NominationStatus.SUBMITTED,
            created_at=now,
            status_changed_at=now,
            place=self.place,
            location=self.location,
            evidence=tuple(self.evidence),
            campaign_key=self.campaign_key,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping, kept in the dialog row between steps."""
        return {
            "nominee_kind": self.nominee_kind.value if self.nominee_kind else None,
            "nominee_name": self.nominee_name,
            "nominee_role": self.nominee_role.value if self.nominee_role else None,
            "unit_key": self.unit_key,
            "deed": self.deed,
            "deed_date": self.deed_date.isoformat() if self.deed_date else None,
            "place": self.place,
            "location": (
                [self.location.latitude, self.location.longitude] if self.location else None
            ),
            "evidence": [e.to_dict() for e in self.evidence],
            "campaign_key": self.campaign_key,
            "phone": self.phone,
            "anonymous": self.anonymous,
            "nominee_under_16": self.nominee_under_16,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NominationDraft:
        """Rebuild a draft from :meth:`to_dict`; unknown keys are ignored."""
        location = data.get("location")
        return cls(
            nominee_kind=_opt(NomineeKind, data.get("nominee_kind")),
            nominee_name=data.get("nominee_name"),
            nominee_role=_opt(NomineeRole, data.get("nominee_role")),
            unit_key=data.get("unit_key"),
            deed=data.get("deed"),
            deed_date=date.fromisoformat(data["deed_date"]) if data.get("deed_date") else None,
            place=data.get("place"),
            location=GeoPoint(location[0], location[1]) if location else None,
            evidence=[Evidence.from_dict(e) for e in data.get("evidence") or []],
            campaign_key=data.get("campaign_key"),
            phone=data.get("phone"),
            anonymous=data.get("anonymous"),
            nominee_under_16=data.get("nominee_under_16"),
        )

    def copy(self) -> NominationDraft:
        """Return an independent copy (the evidence list is not shared)."""
        return replace(self, evidence=list(self.evidence))


def _opt(enum: type[_E], value: Any) -> _E | None:
    return enum(value) if value is not None else None
