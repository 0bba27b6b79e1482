"""A council meeting's papers as data: proposal letter, minutes, draft decision, certificates.

The standing office asks for them once a meeting is closed (``/vanban``); :mod:`bot.papers`
lays them out (DOCX, PDF). What the papers say of a case is what the council may know of it
(:meth:`core.nomination.Nomination.as_public`: never the nominator, a child by initials); the
tallies are the meeting's (:func:`core.meetings.meeting_minutes`). What the bot does not know
is left for the office to fill in by hand, marked "…": the documents' numbers until a
decision is recorded, the names of the chair, the secretary and the signer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.meetings import meeting_minutes
from core.nomination import NomineeKind
from core.org import UnitKind
from core.papers import (
    CaseLine,
    CaseTally,
    Certificate,
    Decision,
    Issuer,
    Minutes,
    ProposalLetter,
    Signer,
    certificates_of,
)
from core.ports import UnitOfWork
from core.publicity import award_form_of
from core.roles import Actor
from core.workflow import Action

BLANK = "…"
# The legal bases a ward's decision cites (../shared/REFERENCES.md: the law in force).
BASES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương;",
    "Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15;",
    "Căn cứ Nghị định số 152/2025/NĐ-CP của Chính phủ;",
)
DEED_CHARS = 300  # a deed on one line of a list


@dataclass(frozen=True, slots=True)
class MeetingPapers:
    """Everything the office prints after a meeting."""

    proposal: ProposalLetter
    minutes: Minutes
    decision: Decision
    certificates: tuple[Certificate, ...]


async def meeting_papers(
    uow: UnitOfWork, actor: Actor, meeting_id: int, *, today: date
) -> MeetingPapers:
    """Return the papers of a closed meeting (the standing office's: core checks who asks)."""
    taken = await meeting_minutes(uow, actor, meeting_id)
    organisation = await uow.organisation.load()
    council = organisation.council_on(taken.day) if organisation is not None else None
    council_name = council.name if council is not None else "Hội đồng Thi đua - Khen thưởng"
    ward = next(
        (
            unit
            for unit in (organisation.units if organisation is not None else ())
            if unit.kind is UnitKind.WARD and unit.active_on(taken.day)
        ),
        None,
    )
    ward_name = ward.name if ward is not None else ""
    place = ward_name.removeprefix("Phường ").removeprefix("Xã ") or BLANK
    committee = f"Ủy ban nhân dân {ward_name.lower() if ward_name else ''}".strip()
    as_council = Issuer(council_name, place, superior=committee)
    as_committee = Issuer(committee, place)
    lines: list[CaseLine] = []
    tallies: list[CaseTally] = []
    decided: set[tuple[str, date]] = set()
    for case in taken.cases:
        nomination = await uow.nominations.get(case.nomination_id)
        if nomination is None:
            continue
        public = nomination.as_public()
        form = await award_form_of(uow, case.nomination_id) or BLANK
        for entry in await uow.audit.history(case.nomination_id):
            if entry.action is Action.COMMEND:
                number = str(entry.data.get("decision_number") or "")
                day = entry.data.get("decision_date")
                if number and isinstance(day, str):
                    decided.add((number, date.fromisoformat(day)))
        unit_name = (
            organisation.find_unit(nomination.unit_key) if organisation is not None else None
        )
        line = CaseLine(
            name=public.nominee.public_name,
            collective=public.nominee.kind is NomineeKind.COLLECTIVE,
            unit=unit_name.name if unit_name is not None else None,
            award_form=form,
            deed=_one_line(public.deed),
        )
        lines.append(line)
        tallies.append(
            CaseTally(
                name=line.name,
                award_form=form,
                votes_for=case.tally.votes_for,
                votes_against=case.tally.votes_against,
                abstained=case.tally.abstained,
                passed=case.passed,
            )
        )
    number, issued_on = next(iter(decided)) if len(decided) == 1 else (f"{BLANK}/QĐ-UBND", today)
    chair = Signer("Chủ tịch Hội đồng", BLANK)
    decision = Decision(
        number=number,
        issued_on=issued_on,
        issuer=as_committee,
        authority=f"CHỦ TỊCH {committee.upper()}",
        bases=(*BASES, f"Theo đề nghị của {council_name} tại phiên họp ngày {_day(taken.day)}."),
        commended=tuple(line for line, tally in zip(lines, tallies, strict=True) if tally.passed),
        signer=Signer("Chủ tịch", BLANK, on_behalf="TM. Ủy ban nhân dân"),
        recipients=("Như Điều 3;", "Lưu: VT."),
        executors=(f"Văn phòng {committee}", "các cá nhân, tập thể có tên tại Điều 1"),
    )
    return MeetingPapers(
        proposal=ProposalLetter(
            number=f"{BLANK}/TTr-HĐTĐKT",
            issued_on=taken.day,
            issuer=as_council,
            council=council_name,
            cases=tuple(lines),
            signer=chair,
            recipients=(f"Chủ tịch {committee};", "Lưu: VT."),
        ),
        minutes=Minutes(
            number=f"{BLANK}/BB-HĐTĐKT",
            issuer=as_council,
            held_on=taken.day,
            place=f"Trụ sở {committee}",
            council=council_name,
            present=taken.present,
            absent=(),
            chair=BLANK,
            secretary=BLANK,
            tallies=tuple(tallies),
            council_size=taken.members,
        ),
        decision=decision,
        certificates=certificates_of(decision),
    )


def _one_line(text: str) -> str:
    """Return a deed on one line, cut at a word near :data:`DEED_CHARS`."""
    flat = " ".join(text.split())
    if len(flat) <= DEED_CHARS:
        return flat
    return flat[:DEED_CHARS].rsplit(" ", 1)[0] + "…"


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
