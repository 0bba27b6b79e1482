"""The decision documents' contents: the proposal letter, the minutes, the decision, certificates.

What goes into each paper the council's work produces, as plain values: who issues it, its
number and date, the cases, the tallies, who signs, who receives a copy ("Nơi nhận"). How a
paper looks (Decree 30/2020/NĐ-CP's layout) and its fixed words belong to the renderer in
``bot.papers``; nothing here reads a file or the clock.

A paper's number is written as its issuer writes it, number and sign together
("45/QĐ-UBND"); its date is a :class:`~datetime.date` in the issuer's own calendar (Hà Nội).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import date, time
from fractions import Fraction
from typing import Final

# The paper a commended person receives unless the award form is a paper of its own.
CERTIFICATE: Final = "Giấy chứng nhận"


def vietnamese_date(day: date) -> str:
    """Write ``day`` as a paper's date line does: "ngày 18 tháng 11 năm 2026".

    Decree 30/2020/NĐ-CP writes a day below 10 and the months January and February with a
    leading zero ("ngày 05 tháng 02 năm 2026"), so that nothing can be added before them.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs a paper: the title ("Chủ tịch") and the name.

    ``on_behalf`` is the line Decree 30 puts above the title when the signer acts for a
    collective body or in another's stead: "TM. Ủy ban nhân dân", "KT. Chủ tịch".
    """

    title: str
    name: str
    _: KW_ONLY
    on_behalf: str | None = None


@dataclass(frozen=True, slots=True)
class Issuer:
    """The body a paper comes from: the ward People's Committee or its council.

    ``place`` is where it sits, locality first ("Hoàn Kiếm, Hà Nội"); ``superior`` is the body
    it belongs to, written above its name in the header ("Ủy ban nhân dân phường Hoàn Kiếm"
    above the council's).
    """

    name: str
    place: str
    _: KW_ONLY
    superior: str | None = None

    @property
    def locality(self) -> str:
        """Return the place's first part, the one a date line names: "Hoàn Kiếm"."""
        return self.place.split(",")[0].strip()

    def dated(self, day: date) -> str:
        """Return the place and date line: "Hoàn Kiếm, ngày 18 tháng 11 năm 2026"."""
        return f"{self.locality}, {vietnamese_date(day)}"


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One person or collective put forward or commended, with the form and the deed.

    ``unit`` says where the nominee belongs ("Tổ dân phố số 3, phường Hoàn Kiếm"); ``deed``
    is the deed in one line, as the decision's list writes it.
    """

    name: str
    collective: bool
    unit: str | None
    award_form: str
    deed: str


@dataclass(frozen=True, slots=True)
class ProposalLetter:
    """The proposal letter (tờ trình) that puts cases to the council.

    ``number`` is the letter's number and sign ("12/TTr-UBND"); ``council`` is the body
    addressed ("Kính gửi"); ``bases`` are the lines the letter rests on ("Căn cứ ..."), if
    any; ``occasion`` completes the subject ("trong phong trào “Người tốt, việc tốt” năm
    2026"); ``recipients`` are the lines of "Nơi nhận" ("Như trên", "Lưu: VT").
    """

    number: str
    issued_on: date
    issuer: Issuer
    council: str
    cases: tuple[CaseLine, ...]
    signer: Signer
    recipients: tuple[str, ...]
    _: KW_ONLY
    bases: tuple[str, ...] = ()
    occasion: str | None = None

    def __post_init__(self) -> None:
        if not self.cases:
            raise ValueError("a proposal letter puts at least one case")


@dataclass(frozen=True, slots=True)
class CaseTally:
    """The council's vote on one case: the counts, and whether the case passed.

    ``abstained`` counts the members who cast no vote on this case (recused, or did not
    vote); ``passed`` is the council's result under the award form's threshold, which the
    ballot decides, not this paper.
    """

    name: str
    award_form: str
    votes_for: int
    votes_against: int
    abstained: int
    passed: bool

    @property
    def counted(self) -> int:
        """Return how many members this tally accounts for."""
        return self.votes_for + self.votes_against + self.abstained


@dataclass(frozen=True, slots=True)
class Minutes:
    """The minutes (biên bản) of the council's meeting that voted on cases.

    ``present`` and ``absent`` name the council's members; ``council_size`` counts them all
    when the absent are known only by number (the ballot keeps no roster of who stayed
    away). The share of votes for a case is taken of all members, as the threshold is.
    ``chair`` presides and signs; ``secretary`` keeps the minutes and signs.
    """

    number: str
    issuer: Issuer
    held_on: date
    place: str
    council: str
    present: tuple[str, ...]
    absent: tuple[str, ...]
    chair: str
    secretary: str
    tallies: tuple[CaseTally, ...]
    _: KW_ONLY
    council_size: int | None = None
    opened_at: time | None = None
    closed_at: time | None = None

    def __post_init__(self) -> None:
        if not self.present or not self.tallies:
            raise ValueError("minutes record members present and at least one vote")
        named = len(self.present) + len(self.absent)
        if self.council_size is not None and self.council_size < named:
            raise ValueError("the council has fewer members than the minutes name")
        for tally in self.tallies:
            counts = (tally.votes_for, tally.votes_against, tally.abstained)
            if min(counts) < 0 or tally.counted > self.members:
                raise ValueError(f"the tally for {tally.name!r} does not fit the council")

    @property
    def members(self) -> int:
        """Return how many members the council has, present or not."""
        if self.council_size is not None:
            return self.council_size
        return len(self.present) + len(self.absent)

    @property
    def absent_count(self) -> int:
        """Return how many members did not come, named or not."""
        return self.members - len(self.present)

    def share_for(self, tally: CaseTally) -> Fraction:
        """Return the votes for ``tally``'s case as a share of all the council's members."""
        return Fraction(tally.votes_for, self.members)

    @property
    def passed(self) -> tuple[CaseTally, ...]:
        """Return the tallies of the cases that passed, in the minutes' order."""
        return tuple(tally for tally in self.tallies if tally.passed)


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision (quyết định) that commends people and collectives.

    ``authority`` is who decides, written above "QUYẾT ĐỊNH:" ("Chủ tịch Ủy ban nhân dân
    phường Hoàn Kiếm"); ``bases`` are its lines "Căn cứ ...", "Xét đề nghị của ...", in
    order; ``cash_individual`` and ``cash_collective`` are the cash awarded with the form to
    each person and each collective, in đồng, when there is any; ``executors`` are the
    bodies charged with carrying it out (Article 3), besides those commended.
    """

    number: str
    issued_on: date
    issuer: Issuer
    authority: str
    bases: tuple[str, ...]
    commended: tuple[CaseLine, ...]
    signer: Signer
    recipients: tuple[str, ...]
    _: KW_ONLY
    cash_individual: int | None = None
    cash_collective: int | None = None
    occasion: str | None = None
    executors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.commended:
            raise ValueError("a decision commends at least one person or collective")
        for cash in (self.cash_individual, self.cash_collective):
            if cash is not None and cash <= 0:
                raise ValueError("a cash award is a positive number of đồng")


@dataclass(frozen=True, slots=True)
class Certificate:
    """The certificate a commended person or collective receives, printed one a page.

    ``heading`` is the paper's name ("Giấy chứng nhận", "Giấy khen"); ``form`` the award
    form it attests ("Người tốt, việc tốt"). It is dated and signed as the decision is.
    """

    name: str
    form: str
    deed: str
    decision_number: str
    decision_date: date
    issuer: Issuer
    signer: Signer
    _: KW_ONLY
    unit: str | None = None
    heading: str = CERTIFICATE


def certificates_of(
    decision: Decision, headings: Mapping[str, str] | None = None
) -> tuple[Certificate, ...]:
    """Return one certificate for each person and collective ``decision`` commends.

    ``headings`` names the paper of an award form that is not a "Giấy chứng nhận" of it:
    ``{"Giấy khen": "Giấy khen"}`` prints a Giấy khen as itself, not as a certificate of one.
    """
    named = headings or {}
    return tuple(
        Certificate(
            name=case.name,
            form=case.award_form,
            deed=case.deed,
            decision_number=decision.number,
            decision_date=decision.issued_on,
            issuer=decision.issuer,
            signer=decision.signer,
            unit=case.unit,
            heading=named.get(case.award_form, CERTIFICATE),
        )
        for case in decision.commended
    )
