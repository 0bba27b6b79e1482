"""A council and cases before it, made through the core services (storage and bot tests)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from core.council import Choice
from core.dossiers import attach_document, choose_award_form
from core.nomination import Evidence, EvidenceKind, NominationDraft, NomineeKind
from core.ports import UnitOfWork
from core.review import act, actor_for, grant_role
from core.roles import Actor, Role
from core.services import give_consent, meet_user, submit_nomination, support
from core.workflow import Action
from storage.tables import Base
from storage.uow import SqlUnitOfWork
from tests.bot.flows import DEED

OPERATOR = Actor.operator()
WARD = "phuong-hoan-kiem"  # a unit of the organisation of today (bot.plans.TODAY_PLAN)
# The plan's short procedure for a sudden, clear deed: its one document is the summary.
SHORT_FORM, SUMMARY = "khen-thuong-dot-xuat", "tom-tat-thanh-tich"


async def grant(uow: UnitOfWork, user_id: int, role: Role, *, now: datetime) -> None:
    """Grant a role with no unit (the standing office, a council member) from today."""
    await grant_role(uow, OPERATOR, user_id=user_id, role=role, unit_key=None, now=now)


async def case_under_review(
    uow: UnitOfWork,
    *,
    nominator: int,
    office: int,
    name: str,
    now: datetime,
    supporters: tuple[int, ...] = (),
    anonymous: bool = False,
) -> int:
    """File a case as ``nominator`` (backed by ``supporters``) and take it to the council.

    Someone the bot never met is met (with no name); a known person keeps theirs.
    """
    for person in (nominator, *supporters):
        if await uow.users.get(person) is None:
            await meet_user(uow, user_id=person, display_name="", language_code="vi", now=now)
        await give_consent(uow, person, now=now)
    draft = NominationDraft(
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_name=name,
        unit_key=WARD,
        deed=DEED,
        deed_date=date(2026, 11, 19),
        anonymous=anonymous,
    )
    nomination = await submit_nomination(uow, draft, user_id=nominator, now=now)
    assert nomination.id is not None
    for person in supporters:
        await support(uow, nomination.id, user_id=person, account=None, evidence=(), now=now)
    staff = await actor_for(uow, office, now.date())
    await act(uow, staff, nomination.id, Action.VERIFY, now=now)
    if await uow.organisation.award_forms():  # the plan's forms: the short procedure's
        await choose_award_form(uow, staff, nomination.id, SHORT_FORM)
        summary = Evidence(
            EvidenceKind.DOCUMENT, f"BQ{nomination.id}", f"U{nomination.id}", "tom-tat.pdf", 900
        )
        await attach_document(uow, staff, nomination.id, SUMMARY, summary, now=now)
    for action in (Action.PROPOSE, Action.START_REVIEW):
        await act(uow, staff, nomination.id, action, now=now)
    return nomination.id


# --- what a reader of the database sees -----------------------------------------------------

CHOICES = frozenset(choice.value for choice in Choice)


def _atoms(value: Any) -> Iterator[str]:
    """Yield every scalar inside a column's value (JSON included) as text."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _atoms(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _atoms(inner)
    elif isinstance(value, str) and value[:1] in "[{":
        try:
            yield from _atoms(json.loads(value))
        except ValueError:
            yield value
    else:
        yield str(value)


Dump = dict[str, list[dict[str, Any]]]


async def dump(uow: SqlUnitOfWork) -> Dump:
    """Return every row of every table, as column → value."""
    found: Dump = {}
    for table in Base.metadata.sorted_tables:
        rows = await uow.session.execute(select(table))
        found[table.name] = [dict(row._mapping) for row in rows]
    return found


def _about(row: dict[str, Any], member: int) -> bool:
    return any(atom == str(member) for value in row.values() for atom in _atoms(value))


def _as_anyone(row: dict[str, Any], member: int) -> str:
    """Return the row with the member's id replaced, to compare what two members left."""
    return json.dumps(
        {
            column: "MEMBER" if str(value) == str(member) else value
            for column, value in sorted(row.items())
        },
        default=str,
    )


def assert_choices_only_counted(after: Dump, *, voters: Collection[int], ids: set[str]) -> None:
    """Check that a choice is stored only as a count, and in no row naming a voter.

    ``ids``: what a row holding a choice may name besides it (the meeting's, the cases').
    """
    holding_choices: set[tuple[str, str]] = set()
    for table, rows in after.items():
        for row in rows:
            atoms = {atom for value in row.values() for atom in _atoms(value)}
            for member in voters:
                assert not (_about(row, member) and atoms & CHOICES), f"{table}: {row}"
            if not atoms & CHOICES:
                continue
            holding_choices.update((table, c) for c, v in row.items() if str(v) in CHOICES)
            # Only the meeting, the case, the choice and a count: no member, nothing derived
            # from one (a token, a hash), no time.
            others = {str(v) for c, v in row.items() if str(v) not in CHOICES and c != "votes"}
            assert others <= ids, f"{table} pairs a choice with {others - ids}"
            assert isinstance(row.get("votes"), int), f"{table} holds more than a count"
    assert holding_choices == {("meeting_votes", "choice")}


def assert_no_vote_tied_to_a_voter(
    before: Dump, after: Dump, *, voters: dict[int, Choice], ids: set[str]
) -> None:
    """Check what voting left in every table: nothing pairs a voter with a choice.

    ``voters``: members who voted the same way but for their choice, at least two choices
    apart. ``ids``: what a row holding a choice may name besides it.
    """
    assert len(set(voters.values())) > 1, "voters must have voted differently"
    assert_choices_only_counted(after, voters=voters, ids=ids)
    # Whatever the votes wrote, each voter left the same, their id aside: nothing differs
    # with how they voted.
    written = {
        table: [row for row in rows if row not in before.get(table, [])]
        for table, rows in after.items()
    }
    traces = {
        member: Counter(
            f"{table}: {_as_anyone(row, member)}"
            for table, rows in written.items()
            for row in rows
            if _about(row, member)
        )
        for member in voters
    }
    first, *others = traces.values()
    assert first, "the votes left no trace at all: the check would see nothing"
    for other in others:
        assert other == first
