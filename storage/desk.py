"""The web desk's links and sessions (``desk_links``, ``desk_sessions``) and its case queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.desk import CaseQuery, DeskSession, SignInLink
from core.nomination import Nomination
from core.ports import DeskRepository
from storage.mapping import to_entity, to_values

# The nominations' own reading and mapping, shared rather than written twice.
from storage.nominations import _nomination, _nominations
from storage.tables import DeskLinkRow, DeskSessionRow, NominationRow

# Rows of nominations made at once when a query reads many (an export).
_ROWS_AT_ONCE = 250

_S = TypeVar("_S", bound=Select[Any])


class SqlDeskRepository(DeskRepository):
    """Links and sessions by the hash of their secret; case queries over ``nominations``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_link(self, link: SignInLink) -> SignInLink:
        """Store a new sign-in link; return it with its id."""
        new_id = await self._session.scalar(
            insert(DeskLinkRow).values(to_values(link, omit=("id",))).returning(DeskLinkRow.id)
        )
        return SignInLink(**{**to_values(link), "id": new_id})

    async def link_by_hash(self, secret_hash: str) -> SignInLink | None:
        """Return the link whose secret has this hash, if any."""
        row = (
            await self._session.execute(
                select(DeskLinkRow.__table__).where(DeskLinkRow.secret_hash == secret_hash)
            )
        ).first()
        return to_entity(SignInLink, row) if row is not None else None

    async def use_link(self, link_id: int, *, at: datetime) -> bool:
        """Mark the link used; False if it was used already (by a concurrent request)."""
        result = await self._session.execute(
            update(DeskLinkRow)
            .where(DeskLinkRow.id == link_id, DeskLinkRow.used_at.is_(None))
            .values(used_at=at)
        )
        return _changed(result) == 1

    async def void_links_of(self, user_id: int, *, at: datetime) -> int:
        """Mark every unused link of ``user_id`` used; return how many."""
        result = await self._session.execute(
            update(DeskLinkRow)
            .where(DeskLinkRow.user_id == user_id, DeskLinkRow.used_at.is_(None))
            .values(used_at=at)
        )
        return _changed(result)

    async def add_session(self, session: DeskSession) -> DeskSession:
        """Store a new session; return it with its id."""
        new_id = await self._session.scalar(
            insert(DeskSessionRow)
            .values(to_values(session, omit=("id",)))
            .returning(DeskSessionRow.id)
        )
        return DeskSession(**{**to_values(session), "id": new_id})

    async def session_by_hash(self, secret_hash: str) -> DeskSession | None:
        """Return the session whose secret has this hash, if any."""
        row = (
            await self._session.execute(
                select(DeskSessionRow.__table__).where(DeskSessionRow.secret_hash == secret_hash)
            )
        ).first()
        return to_entity(DeskSession, row) if row is not None else None

    async def seen(self, session_id: int, *, at: datetime) -> None:
        """Record that the session was used at ``at``."""
        await self._session.execute(
            update(DeskSessionRow).where(DeskSessionRow.id == session_id).values(last_seen_at=at)
        )

    async def end_session(self, session_id: int, *, at: datetime) -> bool:
        """End a session; False if there was no open session with that id."""
        result = await self._session.execute(
            update(DeskSessionRow)
            .where(
                DeskSessionRow.id == session_id,
                DeskSessionRow.ended_at.is_(None),
                DeskSessionRow.expires_at > at,
            )
            .values(ended_at=at)
        )
        return _changed(result) == 1

    async def end_sessions_of(self, user_id: int, *, at: datetime) -> int:
        """End every open session of ``user_id``; return how many."""
        result = await self._session.execute(
            update(DeskSessionRow)
            .where(
                DeskSessionRow.user_id == user_id,
                DeskSessionRow.ended_at.is_(None),
                DeskSessionRow.expires_at > at,
            )
            .values(ended_at=at)
        )
        return _changed(result)

    async def active_sessions(self, now: datetime) -> Sequence[DeskSession]:
        """Return the sessions open at ``now``, newest first."""
        rows = await self._session.execute(
            select(DeskSessionRow.__table__)
            .where(DeskSessionRow.ended_at.is_(None), DeskSessionRow.expires_at > now)
            .order_by(DeskSessionRow.created_at.desc(), DeskSessionRow.id.desc())
        )
        return [to_entity(DeskSession, row) for row in rows]

    async def delete_ended_before(self, before: datetime) -> int:
        """Delete links and sessions that expired or ended before ``before``; return how many."""
        links = await self._session.execute(
            delete(DeskLinkRow).where(DeskLinkRow.expires_at < before)
        )
        sessions = await self._session.execute(
            delete(DeskSessionRow).where(
                or_(DeskSessionRow.expires_at < before, DeskSessionRow.ended_at < before)
            )
        )
        return _changed(links) + _changed(sessions)

    async def cases(self, query: CaseQuery, *, limit: int, offset: int) -> Sequence[Nomination]:
        """Return the nominations ``query`` matches, oldest filed first."""
        statement = (
            _where(_nominations(), query)
            .order_by(NominationRow.created_at, NominationRow.id)
            .limit(limit)
            .offset(offset)
            # An export reads thousands: their rows (with evidence) are made and dropped a
            # batch at a time, not all held at once (some 5 MB per 1,000: bench/memory.py).
            .execution_options(yield_per=_ROWS_AT_ONCE)
        )
        found: list[Nomination] = []
        async for partition in (await self._session.stream_scalars(statement)).partitions():
            found.extend(_nomination(row) for row in partition)
        return found

    async def count_cases(self, query: CaseQuery) -> int:
        """Count the nominations ``query`` matches."""
        counted = await self._session.scalar(_where(select(func.count(NominationRow.id)), query))
        return int(counted or 0)

    async def count_filed(
        self, query: CaseQuery, bounds: Sequence[datetime]
    ) -> list[dict[str, int]]:
        """Count per status the nominations ``query`` matches filed between each two bounds.

        One grouped count in the database, the same SQL on SQLite and PostgreSQL: each case
        falls in the period whose bounds enclose its instant of filing. The bounds are
        instants (local midnights computed in core), so no time zone arithmetic runs in SQL,
        where SQLite has none, and a zone with summer time would count right too.
        """
        counts: list[dict[str, int]] = [{} for _ in bounds[1:]]
        if not counts:
            return counts
        created = NominationRow.created_at
        period = case(
            *((created < bound, index) for index, bound in enumerate(bounds[1:])), else_=None
        )
        # Grouped in an outer query: a CASE with bound parameters, repeated in GROUP BY, is
        # a different expression to PostgreSQL (its own placeholders).
        filed = (
            _where(select(period.label("period"), NominationRow.status.label("status")), query)
            .where(created >= bounds[0], created < bounds[-1])
            .subquery()
        )
        rows = await self._session.execute(
            select(filed.c.period, filed.c.status, func.count()).group_by(
                filed.c.period, filed.c.status
            )
        )
        for index, status, count in rows:
            counts[index][status] = int(count)
        return counts

    async def count_by_unit(self, *, unit_keys: frozenset[str] | None) -> dict[str, dict[str, int]]:
        """Count nominations per unit and status for these units (None: all)."""
        statement = select(NominationRow.unit_key, NominationRow.status, func.count()).group_by(
            NominationRow.unit_key, NominationRow.status
        )
        if unit_keys is not None:
            statement = statement.where(NominationRow.unit_key.in_(sorted(unit_keys)))
        counts: dict[str, dict[str, int]] = {}
        for unit_key, status, count in await self._session.execute(statement):
            counts.setdefault(unit_key, {})[status] = count
        return counts


def _where(statement: _S, query: CaseQuery) -> _S:
    """Narrow a select over ``nominations`` to what ``query`` asks."""
    if query.unit_keys is not None:
        statement = statement.where(NominationRow.unit_key.in_(sorted(query.unit_keys)))
    if query.statuses is not None:
        statement = statement.where(
            NominationRow.status.in_(sorted(status.value for status in query.statuses))
        )
    if query.filed_since is not None:
        statement = statement.where(NominationRow.created_at >= query.filed_since)
    if query.filed_before is not None:
        statement = statement.where(NominationRow.created_at < query.filed_before)
    if query.ids is not None:
        statement = statement.where(NominationRow.id.in_(query.ids))
    return statement


def _changed(result: Any) -> int:
    """Return how many rows an UPDATE or DELETE changed."""
    return int(getattr(result, "rowcount", 0) or 0)
