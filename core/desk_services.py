"""The web desk's use cases: links and sessions, and the tables officers read there.

The desk reads cases by the same rules as the chat: the scope is the actor's units
(:func:`core.review.search_scope`, ``/find``'s), a case is opened through
:func:`core.review.case_view` (and lands in the access log), and a nominee is named as the
viewer may know them (:func:`core.workflow.may_know_nominee`). Pages and exports call these
and decide nothing themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol

from core.calendar import month_of
from core.compliance import (
    TaskCompliance,
    UnitCompliance,
    compliance,
    compliance_by_task,
    proposed_in_month,
)
from core.deadlines import Obligation, ObligationKey, Occurrence
from core.desk import (
    DEFAULT_SESSION_LIFETIME,
    EVERY_STATE,
    KEEP_ENDED,
    LINK_LIFETIME,
    MAX_EXPORTED,
    MAX_SEARCHED,
    MAX_TEXT,
    SEEN_EVERY,
    CaseFilter,
    CasePage,
    CaseQuery,
    DeskSession,
    LinkInvalidError,
    Overview,
    SignInLink,
    UnitLine,
    UnknownSessionError,
    hash_secret,
    new_secret,
)
from core.nomination import Nomination, NominationStatus
from core.ports import UnitOfWork
from core.review import OPEN_STATES, actor_for, search_scope
from core.roles import Actor, NotAllowedError, may_manage_roles
from core.search import SearchPage
from core.text import fold
from core.workflow import may_know_nominee


def _check_staff(actor: Actor) -> None:
    if actor.is_operator or not actor.is_staff:
        raise NotAllowedError(f"user {actor.user_id} has no desk")


async def issue_link(uow: UnitOfWork, actor: Actor, *, now: datetime) -> tuple[str, SignInLink]:
    """Create a one-time sign-in link for a member of staff; return its secret and record.

    Links and sessions over for :data:`~core.desk.KEEP_ENDED` are deleted on the way: the
    tables keep what the operator may still ask about (``ntvt desk sessions``), no more.
    """
    _check_staff(actor)
    await uow.desk.delete_ended_before(now - KEEP_ENDED)
    secret = new_secret()
    link = SignInLink(hash_secret(secret), actor.user_id, now, now + LINK_LIFETIME)
    return secret, await uow.desk.add_link(link)


# Tells whether the link a secret came in was signed for this user (the edge signs links).
SignedFor = Callable[[int], bool]


async def link_usable(
    uow: UnitOfWork, secret: str, *, signed_for: SignedFor, now: datetime
) -> bool:
    """Tell whether a link's secret may still open a session (nothing is used up)."""
    link = await uow.desk.link_by_hash(hash_secret(secret))
    return link is not None and signed_for(link.user_id) and link.usable(now)


async def open_session(
    uow: UnitOfWork,
    secret: str,
    *,
    signed_for: SignedFor,
    now: datetime,
    today: date,
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
) -> tuple[str, DeskSession]:
    """Use a link up and open a session for its officer; return the session's secret.

    Refused alike (:class:`LinkInvalidError`) for an unknown, forged (``signed_for`` says
    the link was not signed for its officer), expired or used link, and for an officer
    whose staff role ended since the link was given.
    """
    link = await uow.desk.link_by_hash(hash_secret(secret))
    if link is None or link.id is None or not signed_for(link.user_id) or not link.usable(now):
        raise LinkInvalidError("unknown, expired or used link")
    if not await uow.desk.use_link(link.id, at=now):
        raise LinkInvalidError("link used concurrently")
    actor = await actor_for(uow, link.user_id, today)
    if not actor.is_staff:
        raise LinkInvalidError("no staff role any more")
    session_secret = new_secret()
    session = DeskSession(
        hash_secret(session_secret), link.user_id, now, now + lifetime, last_seen_at=now
    )
    return session_secret, await uow.desk.add_session(session)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a request's cookie signs in: the session and the actor with today's grants."""

    session: DeskSession
    actor: Actor


async def signed_in(uow: UnitOfWork, secret: str, *, now: datetime, today: date) -> SignedIn | None:
    """Return the session a cookie's secret opens and its actor, or None.

    None for an unknown, ended or expired session, and for someone who is no longer staff
    (their session is ended then). The session's "last seen" is written now and then.
    """
    session = await uow.desk.session_by_hash(hash_secret(secret))
    if session is None or session.id is None or not session.active(now):
        return None
    actor = await actor_for(uow, session.user_id, today)
    if not actor.is_staff:
        await uow.desk.end_session(session.id, at=now)
        return None
    if now - session.last_seen_at >= SEEN_EVERY:
        await uow.desk.seen(session.id, at=now)
    return SignedIn(session, actor)


async def sign_out(uow: UnitOfWork, secret: str, *, now: datetime) -> None:
    """End the session a cookie's secret opens (nothing if there is none)."""
    session = await uow.desk.session_by_hash(hash_secret(secret))
    if session is not None and session.id is not None:
        await uow.desk.end_session(session.id, at=now)


async def sign_out_everywhere(uow: UnitOfWork, user_id: int, *, now: datetime) -> int:
    """End every session of ``user_id`` and void their unused links; return the sessions ended.

    Anyone may do it for themselves (in chat, or at the desk): it only takes away.
    """
    await uow.desk.void_links_of(user_id, at=now)
    return await uow.desk.end_sessions_of(user_id, at=now)


async def active_sessions(uow: UnitOfWork, actor: Actor, *, now: datetime) -> list[DeskSession]:
    """Return every session still open, newest first: for the operator or an admin."""
    _check_manages(actor)
    return list(await uow.desk.active_sessions(now))


async def revoke_session(uow: UnitOfWork, actor: Actor, session_id: int, *, now: datetime) -> None:
    """End one open session (the operator or an admin); refused for one that is not open."""
    _check_manages(actor)
    if not await uow.desk.end_session(session_id, at=now):
        raise UnknownSessionError(str(session_id))


async def revoke_sessions_of(uow: UnitOfWork, actor: Actor, user_id: int, *, now: datetime) -> int:
    """End every session of one officer (the operator or an admin); return how many."""
    _check_manages(actor)
    return await sign_out_everywhere(uow, user_id, now=now)


def _check_manages(actor: Actor) -> None:
    if not may_manage_roles(actor):
        raise NotAllowedError(f"user {actor.user_id} may not manage desk sessions")


# --- the tables -------------------------------------------------------------------------


class CaseSearch(Protocol):
    """The officers' search, ``/find``'s (:class:`bot.search.SearchService` is one)."""

    async def search(
        self,
        uow: UnitOfWork,
        query: str,
        *,
        unit_keys: frozenset[str] | None,
        limit: int,
        offset: int,
    ) -> SearchPage:
        """Return a page of the nominations in ``unit_keys`` best matching ``query``."""
        ...


def _query(actor: Actor, filters: CaseFilter, tz: tzinfo) -> CaseQuery:
    """Return the query of ``filters`` within the actor's units (refused to non-staff)."""
    units = search_scope(actor)
    if filters.unit_key is not None:
        asked = filters.unit_key
        units = frozenset({asked}) if units is None or asked in units else frozenset()
    return CaseQuery.of(filters, unit_keys=units, open_states=OPEN_STATES, tz=tz)


def _as_seen(actor: Actor, items: Sequence[Nomination]) -> list[Nomination]:
    """Return the cases with each nominee named as ``actor`` may know them."""
    return [item if may_know_nominee(item, actor) else item.as_public() for item in items]


async def find_cases(
    uow: UnitOfWork,
    actor: Actor,
    filters: CaseFilter,
    *,
    search: CaseSearch,
    tz: tzinfo,
    page: int,
    page_size: int,
) -> CasePage:
    """Return one page of the cases ``actor`` may see that match ``filters``.

    Without text, oldest filed first (the queue's order); with text, best match first, as
    ``/find`` ranks them, among its best :data:`~core.desk.MAX_SEARCHED` hits.
    """
    query = _query(actor, filters, tz)
    if filters.text.strip():
        found = await _searched(uow, query, filters.text, search)
        pages = max(1, -(-len(found) // page_size))
        page = min(max(0, page), pages - 1)
        shown = found[page * page_size : (page + 1) * page_size]
        return CasePage(_as_seen(actor, shown), len(found), page, pages)
    total = await uow.desk.count_cases(query) if query.matches_any else 0
    pages = max(1, -(-total // page_size))
    page = min(max(0, page), pages - 1)
    items = await uow.desk.cases(query, limit=page_size, offset=page * page_size) if total else []
    return CasePage(_as_seen(actor, items), total, page, pages)


async def export_cases(
    uow: UnitOfWork, actor: Actor, filters: CaseFilter, *, search: CaseSearch, tz: tzinfo
) -> list[Nomination]:
    """Return every case ``actor`` may see that matches ``filters``, up to an export's size."""
    query = _query(actor, filters, tz)
    if filters.text.strip():
        found = await _searched(uow, query, filters.text, search)
    elif query.matches_any:
        found = list(await uow.desk.cases(query, limit=MAX_EXPORTED, offset=0))
    else:
        found = []
    return _as_seen(actor, found)


async def _searched(
    uow: UnitOfWork, query: CaseQuery, text: str, search: CaseSearch
) -> list[Nomination]:
    """Return the search's best hits that pass the other filters, best first."""
    if not query.matches_any:
        return []
    words = fold(text)[:MAX_TEXT].strip()
    ranked = await search.search(
        uow, words, unit_keys=query.unit_keys, limit=MAX_SEARCHED, offset=0
    )
    ids = tuple(hit.entry.nomination_id for hit in ranked.hits)
    if not ids:
        return []
    matching = await uow.desk.cases(query.among(ids), limit=len(ids), offset=0)
    rank = {nomination_id: position for position, nomination_id in enumerate(ids)}
    return sorted(matching, key=lambda item: rank.get(item.id or 0, len(rank)))


async def overview(
    uow: UnitOfWork,
    actor: Actor,
    *,
    today: date,
    tz: tzinfo,
    quota: int,
    units: Sequence[str] = (),
) -> Overview:
    """Return the counts of the actor's units: by state, and by unit with the month's quota.

    ``units``: units to list even without a case (today's, in the plan's order); a unit
    outside the actor's scope is never listed. The counts are grouped in the database
    (``count_by_unit``; the states' totals are its sums, which spares a second pass over
    every case) and the quota's (:func:`core.compliance.proposed_in_month`).
    """
    scope = search_scope(actor)
    by_unit = await uow.desk.count_by_unit(unit_keys=scope)
    by_state: dict[str, int] = {}
    for counts in by_unit.values():
        for state, count in counts.items():
            by_state[state] = by_state.get(state, 0) + count
    proposed = await proposed_in_month(uow, today, tz)
    listed = [u for u in dict.fromkeys([*units, *sorted(by_unit)]) if scope is None or u in scope]
    lines = [
        UnitLine(u, by_unit.get(u, {}), _open(by_unit.get(u, {})), proposed.get(u, 0))
        for u in listed
    ]
    return Overview(by_state, _open(by_state), lines, today.replace(day=1), quota)


async def desk_units(uow: UnitOfWork, actor: Actor, *, today_units: Sequence[str]) -> list[str]:
    """Return the units the actor may pick in a filter: today's first, then any with a case."""
    scope = search_scope(actor)
    with_cases = await uow.desk.count_by_unit(unit_keys=scope)
    units = dict.fromkeys([*today_units, *sorted(with_cases)])
    return [unit for unit in units if scope is None or unit in scope]


def _open(by_state: dict[str, int]) -> int:
    return sum(by_state.get(state.value, 0) for state in OPEN_STATES)


@dataclass(frozen=True, slots=True)
class MonthCompliance:
    """The standing of the actor's units in one month: per unit, and per unit and task.

    ``month``: its first day. Only the occurrences due in that month count; the quota is the
    month's proposals, ``registered`` the plan year's emulation registration.
    """

    month: date
    units: Sequence[UnitCompliance]
    tasks: Sequence[TaskCompliance]


def compliance_units(
    actor: Actor, obligations: Sequence[Obligation], *, unit_key: str | None = None
) -> list[str]:
    """Return the units whose standing ``actor`` may see, in the plan's order.

    The secretariat (every unit's role) sees every unit; an officer, their units only. A unit
    asked for outside the actor's scope is refused (:class:`NotAllowedError`), whether it
    exists or not.
    """
    scope = search_scope(actor)  # refuses whoever is no staff
    if unit_key is not None and scope is not None and unit_key not in scope:
        raise NotAllowedError(f"user {actor.user_id} may not see unit {unit_key}")
    units = dict.fromkeys(o.key.unit_key for o in obligations if o.lead)
    return [
        unit
        for unit in units
        if (scope is None or unit in scope) and (unit_key is None or unit == unit_key)
    ]


async def month_compliance(
    uow: UnitOfWork,
    actor: Actor,
    obligations: Sequence[Obligation],
    occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
    completed: Mapping[tuple[ObligationKey, str], date],
    *,
    year: int,
    month: date,
    today: date,
    tz: tzinfo,
    quota: int,
    unit_key: str | None = None,
) -> MonthCompliance:
    """Return the standing of the actor's units (or of ``unit_key``) in ``month``'s month.

    The rules are ``/compliance``'s (:func:`core.compliance.compliance`), narrowed to the
    occurrences due that month.
    """
    units = compliance_units(actor, obligations, unit_key=unit_key)
    period = month_of(month)
    registered = set(await uow.deadlines.registrations(year))
    proposed = await proposed_in_month(uow, period[0], tz)
    rows = compliance(
        obligations,
        occurrences,
        completed,
        units=units,
        today=today,
        proposed=proposed,
        registered=registered,
        quota=quota,
        period=period,
    )
    tasks = compliance_by_task(
        obligations, occurrences, completed, units=units, today=today, period=period
    )
    return MonthCompliance(period[0], rows, tasks)


# --- the charts' figures ----------------------------------------------------------------


def exemplars_by_unit(
    by_unit: Mapping[str, Mapping[str, int]], units: Sequence[str]
) -> list[tuple[str, int]]:
    """Return each unit's exemplars (cases the council commended), in the order of ``units``."""
    commended = NominationStatus.COMMENDED.value
    return [(unit, by_unit.get(unit, {}).get(commended, 0)) for unit in units]


async def unit_exemplars(
    uow: UnitOfWork, actor: Actor, *, units: Sequence[str]
) -> list[tuple[str, int]]:
    """Return the exemplars of each unit the actor may see: ``units`` first, then any other."""
    scope = search_scope(actor)
    by_unit = await uow.desk.count_by_unit(unit_keys=scope)
    listed = [u for u in dict.fromkeys([*units, *sorted(by_unit)]) if scope is None or u in scope]
    return exemplars_by_unit(by_unit, listed)


def months_back(last: date, count: int) -> list[date]:
    """Return the first days of the ``count`` months ending with ``last``'s, oldest first."""
    months = [last.replace(day=1)]
    while len(months) < count:
        first = months[0]
        months.insert(0, date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1))
    return months


async def monthly_filings(
    uow: UnitOfWork, actor: Actor, *, last: date, months: int, tz: tzinfo
) -> list[tuple[date, dict[str, int]]]:
    """Return the actor's units' cases filed in each of ``months`` months up to ``last``'s.

    Each month's cases are counted by their state now; the months are local time (``tz``).
    """
    shown = months_back(last, months)
    following = month_of(last)[1]
    last_day = following - timedelta(days=1)
    filters = CaseFilter(state=EVERY_STATE, filed_from=shown[0], filed_to=last_day)
    query = _query(actor, filters, tz)
    if not query.matches_any:
        return [(month, {}) for month in shown]
    bounds = [datetime.combine(month, time(0), tz) for month in (*shown, following)]
    return list(zip(shown, await uow.desk.count_filed(query, bounds), strict=True))
