"""Before and after the council: the list put out for public comment, and the exemplars made known.

Public comment. Before the council meets, the standing office may publish the cases put to
it for a number of working days (the law asks it for the highest titles: Decree 98 Art. 46,
``../shared/REFERENCES.md``; for a ward's own awards it is the ward's choice). Anyone who
agreed to the notice may comment on a listed case; a comment goes to the standing office,
never to the public, and the council cannot meet on a case before its window has ended.

Exemplars. The programme exists to spread good examples: once a case is commended, the
nominator is asked whether the nominee agrees to be made known (the nominee rarely has the
bot; the nominator speaks for them, and says whether a photo may go too). What is published
is the case as the public may know it (:meth:`core.nomination.Nomination.as_public`): never
the nominator, a child by initials only.

A window opens on a day and takes comments for ``days`` working days after it (the day it
opens is not counted, as the Civil Code counts periods, Art. 147): comments are taken through
:attr:`CommentWindow.closes_on`; the council may meet on its cases from the next day on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.calendar import WorkingCalendar
from core.codes import TrackingCode
from core.dossiers import award_form_of as form_of_case
from core.errors import DomainError
from core.nomination import Nomination, NominationStatus
from core.ports import UnitOfWork
from core.publication import CommentWindow, Exemplar, PublicComment
from core.roles import Actor, NotAllowedError, Role
from core.services import has_consent
from core.workflow import Action

# The longest comment taken; a comment is a few sentences, not a dossier.
COMMENT_MAX_CHARS = 1000
# Working days a window may last (the law's 10 for the highest titles fits).
MIN_DAYS, MAX_DAYS = 1, 30
# The cases a window may list: put to the council, not decided yet.
LISTABLE = frozenset({NominationStatus.PROPOSED, NominationStatus.UNDER_REVIEW})


class NotListedError(DomainError):
    """The code is of no case open for comment (said the same whether the case exists)."""

    code = "publicity.not_listed"


class CommentTooLongError(DomainError):
    """The comment is longer than :data:`COMMENT_MAX_CHARS`."""

    code = "publicity.too_long"


class WindowRefusedError(DomainError):
    """A window cannot list these cases (none given, one decided, one listed already)."""

    code = "publicity.refused"


class NotPublishableError(DomainError):
    """Only the nominator of a commended case, once, may agree to its publication."""

    code = "publicity.not_publishable"


def closing_day(opened_on: date, days: int, calendar: WorkingCalendar) -> date:
    """Return the last day a window opened on ``opened_on`` takes comments (``days`` later)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise WindowRefusedError(f"a window lasts {MIN_DAYS} to {MAX_DAYS} working days")
    return calendar.add_working_days(opened_on, days)


async def open_window(
    uow: UnitOfWork,
    actor: Actor,
    case_ids: Sequence[int],
    *,
    days: int,
    now: datetime,
    today: date,
    calendar: WorkingCalendar,
) -> tuple[CommentWindow, list[Nomination]]:
    """Publish the cases for comment; return the window and the cases as the public sees them.

    The standing office only. Every case must be proposed or under review, and in no window
    that still takes comments.
    """
    if not actor.has(Role.SECRETARIAT) and not actor.is_operator:
        raise NotAllowedError("only the standing office opens a comment window")
    if not case_ids:
        raise WindowRefusedError("no case to list")
    cases = []
    for case_id in dict.fromkeys(case_ids):
        case = await uow.nominations.get(case_id)
        if case is None or case.status not in LISTABLE:
            raise WindowRefusedError(f"case {case_id} is not before the council")
        if await uow.publicity.window_of(case_id, today) is not None:
            raise WindowRefusedError(f"case {case_id} is open for comment already")
        cases.append(case)
    window = CommentWindow(
        opened_on=today,
        closes_on=closing_day(today, days, calendar),
        days=days,
        case_ids=tuple(case.id for case in cases if case.id is not None),
        opened_by=actor.user_id,
        opened_at=now,
    )
    window = await uow.publicity.add_window(window)
    return window, [case.as_public() for case in cases]


async def listable(uow: UnitOfWork, actor: Actor, today: date, *, limit: int) -> list[Nomination]:
    """Return the cases before the council that no window takes comments on today.

    The standing office's (who else sees every unit's cases); nobody else gets any.
    """
    if not actor.has(Role.SECRETARIAT) and not actor.is_operator:
        return []
    found = await uow.nominations.queue(unit_keys=None, statuses=LISTABLE, limit=limit)
    return [
        case
        for case in found
        if case.id is not None and await uow.publicity.window_of(case.id, today) is None
    ]


async def forms_comment_days(uow: UnitOfWork, cases: Sequence[Nomination]) -> int:
    """Return the working days the cases' award forms set for public comment (the longest).

    0 when no form asks for a window (the office then chooses the length).
    """
    days = 0
    for case in cases:
        form = await form_of_case(uow, case)
        if form is not None:
            days = max(days, form.comment_days)
    return days


async def award_form_of(uow: UnitOfWork, nomination_id: int) -> str | None:
    """Return the form of commendation the decision gave the case, as it was recorded."""
    for entry in reversed(await uow.audit.history(nomination_id)):
        if entry.action is Action.COMMEND:
            form = entry.data.get("award_form")
            return str(form) if form else None
    return None


async def listed_case(uow: UnitOfWork, code: TrackingCode, today: date) -> Nomination:
    """Return the case of ``code`` if it is open for comment today, as the public may see it.

    Raise :class:`NotListedError` otherwise, with the same words for a code that does not
    exist: the comment flow reveals nothing but the published list.
    """
    case = await uow.nominations.get_by_code(code)
    if case is None or case.id is None or await uow.publicity.window_of(case.id, today) is None:
        raise NotListedError(str(code))
    return case.as_public()


async def add_comment(
    uow: UnitOfWork, user_id: int, code: TrackingCode, text: str, *, now: datetime, today: date
) -> tuple[PublicComment, Nomination]:
    """Keep a comment on a listed case; return it and the case (to tell the office).

    Only from someone who agreed to the privacy notice (a comment is personal data).
    """
    if not await has_consent(uow, user_id):
        raise NotAllowedError("a comment needs the privacy notice agreed to")
    if len(text) > COMMENT_MAX_CHARS:
        raise CommentTooLongError(str(len(text)))
    case = await listed_case(uow, code, today)
    assert case.id is not None
    window = await uow.publicity.window_of(case.id, today)
    assert window is not None and window.id is not None
    comment = await uow.publicity.add_comment(
        PublicComment(window.id, case.id, user_id, text.strip(), now)
    )
    return comment, case


async def comments_on(
    uow: UnitOfWork, actor: Actor, nomination: Nomination
) -> Sequence[PublicComment]:
    """Return the comments on a case, for the staff who may act on it; nobody else."""
    if not actor.is_staff or not actor.acts_for(nomination.unit_key):
        return ()
    assert nomination.id is not None
    return await uow.publicity.comments_on(nomination.id)


async def still_open(uow: UnitOfWork, case_ids: Sequence[int], today: date) -> list[date]:
    """Return the closing days of the windows that still take comments on any of the cases.

    The council meets on a case only once this is empty for it.
    """
    days = []
    for case_id in case_ids:
        window = await uow.publicity.window_of(case_id, today)
        if window is not None:
            days.append(window.closes_on)
    return sorted(set(days))


async def publish(
    uow: UnitOfWork, user_id: int, nomination_id: int, *, with_photo: bool, now: datetime
) -> tuple[Exemplar, Nomination]:
    """Record the nominator's word that the nominee agrees; return the exemplar and the case.

    The case as the public may know it: the caller posts it. Once only.
    """
    case = await uow.nominations.get(nomination_id)
    if (
        case is None
        or not case.is_nominated_by(user_id)
        or case.status is not NominationStatus.COMMENDED
        or await uow.publicity.exemplar_of(nomination_id) is not None
    ):
        raise NotPublishableError(str(nomination_id))
    exemplar = await uow.publicity.add_exemplar(Exemplar(nomination_id, now, with_photo))
    return exemplar, case.as_public()


async def exemplars(
    uow: UnitOfWork,
    *,
    page: int,
    page_size: int,
    unit_key: str | None = None,
    campaign_key: str | None = None,
) -> tuple[list[tuple[Exemplar, Nomination]], int]:
    """Return a page of the published exemplars, newest first, and how many there are.

    ``unit_key``, ``campaign_key``: only those of that unit (ward, group) or campaign. A
    ward's exemplars are a few hundred a year: the filter reads them all.
    """
    if unit_key is None and campaign_key is None:
        found, total = await uow.publicity.exemplars(offset=page * page_size, limit=page_size)
        return await _public(uow, found), total
    every, _ = await uow.publicity.exemplars(offset=0, limit=100_000)
    chosen = [
        (exemplar, case)
        for exemplar, case in await _public(uow, every)
        if (unit_key is None or case.unit_key == unit_key)
        and (campaign_key is None or case.campaign_key == campaign_key)
    ]
    return chosen[page * page_size : (page + 1) * page_size], len(chosen)


async def _public(uow: UnitOfWork, found: Sequence[Exemplar]) -> list[tuple[Exemplar, Nomination]]:
    """Return the exemplars with their cases as the public may know them (anonymised: none)."""
    shown = []
    for exemplar in found:
        case = await uow.nominations.get(exemplar.nomination_id)
        if case is not None and not case.anonymised:
            shown.append((exemplar, case.as_public()))
    return shown


@dataclass(frozen=True, slots=True)
class YearSummary:
    """The year's exemplars for the standing office: commended cases by unit, campaign, form.

    ``quota``: what the plan asks of each unit in a year (one proposal a month); ``proposed``:
    the cases each unit put to the council that year; ``commended``: those commended then.
    """

    year: int
    proposed: dict[str, int]
    commended: dict[str, int]
    by_campaign: dict[str, int]
    by_form: dict[str, int]
    published: int
    quota: int


async def year_summary(uow: UnitOfWork, actor: Actor, year: int, *, quota: int) -> YearSummary:
    """Return the year's exemplars counted every way the office reports them.

    The standing office only (it sees every unit). A case counts in the year it was
    commended (its last change); a proposal in the year it was proposed.
    """
    if not actor.has(Role.SECRETARIAT) and not actor.is_operator:
        raise NotAllowedError("the year's summary is the standing office's")
    proposed: dict[str, int] = {}
    commended: dict[str, int] = {}
    by_campaign: dict[str, int] = {}
    by_form: dict[str, int] = {}
    published = 0
    after_proposal = frozenset(
        {
            NominationStatus.PROPOSED,
            NominationStatus.UNDER_REVIEW,
            NominationStatus.COMMENDED,
            NominationStatus.NOT_COMMENDED,
        }
    )
    cases = await uow.nominations.queue(unit_keys=None, statuses=after_proposal, limit=100_000)
    for case in cases:
        assert case.id is not None
        history = await uow.audit.history(case.id)
        if any(e.action is Action.PROPOSE and e.at.year == year for e in history):
            proposed[case.unit_key] = proposed.get(case.unit_key, 0) + 1
        commendation = next((e for e in history if e.action is Action.COMMEND), None)
        if commendation is None or commendation.at.year != year:
            continue
        commended[case.unit_key] = commended.get(case.unit_key, 0) + 1
        campaign = case.campaign_key or ""
        by_campaign[campaign] = by_campaign.get(campaign, 0) + 1
        form = str(commendation.data.get("award_form") or "")
        by_form[form] = by_form.get(form, 0) + 1
        if await uow.publicity.exemplar_of(case.id) is not None:
            published += 1
    return YearSummary(year, proposed, commended, by_campaign, by_form, published, quota)
