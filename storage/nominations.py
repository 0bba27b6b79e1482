"""Nominations with their evidence, their search entries, supporters and audit trail."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.codes import TrackingCode
from core.nomination import (
    Evidence,
    GeoPoint,
    Nomination,
    NominationStatus,
    Nominator,
    Nominee,
    NomineeKind,
    NomineeRole,
)
from core.ports import AuditRepository, NominationRepository, SupporterRepository
from core.search import SearchEntry
from core.support import Supporter
from core.text import fold
from core.workflow import AuditEntry
from storage.mapping import to_entity, to_values
from storage.sql import add_new, dialect_insert
from storage.tables import AuditEntryRow, EvidenceRow, NominationRow, SupporterRow, UnitRow


class SqlNominationRepository(NominationRepository):
    """Nominations in ``nominations``, their files in ``nomination_evidence``.

    Every read overwrites a row object the session may still hold (``populate_existing``), so
    a row read again, above all ``FOR UPDATE`` after waiting for another transaction, shows
    what the database has now rather than what the session saw first.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, nomination: Nomination) -> Nomination:
        """Store a new nomination; return it with its id set."""
        row = NominationRow(
            **_nomination_values(nomination),
            evidence=[
                EvidenceRow(position=position, **to_values(item))
                for position, item in enumerate(nomination.evidence)
            ],
        )
        self._session.add(row)
        await self._session.flush()
        return replace(nomination, id=row.id)

    async def get_by_code(self, code: TrackingCode) -> Nomination | None:
        """Return the nomination with this tracking code, if any."""
        row = await self._session.scalar(_nominations().where(NominationRow.code == str(code)))
        return _nomination(row) if row is not None else None

    async def code_exists(self, code: TrackingCode) -> bool:
        """Tell whether a tracking code is already taken."""
        taken = await self._session.scalar(select(exists().where(NominationRow.code == str(code))))
        return bool(taken)

    async def list_by_nominator(self, user_id: int, *, limit: int) -> Sequence[Nomination]:
        """Return a resident's own nominations, newest first."""
        return await self._all(
            _nominations()
            .where(NominationRow.nominator_user_id == user_id)
            .order_by(NominationRow.created_at.desc(), NominationRow.id.desc())
            .limit(limit)
        )

    async def get(self, nomination_id: int, *, for_update: bool = False) -> Nomination | None:
        """Return a nomination by id; ``for_update`` locks its row until the transaction ends.

        The lock is ``SELECT ... FOR UPDATE`` on PostgreSQL. SQLite has no row locks and
        needs none: every transaction there holds the write lock from its BEGIN IMMEDIATE.
        """
        row = await self._row(nomination_id, for_update=for_update)
        return _nomination(row) if row is not None else None

    async def save(self, nomination: Nomination) -> None:
        """Store the changes of an existing nomination, its evidence included.

        Evidence is matched by position: items kept in place are updated, new ones added
        after them, and those past the new end deleted, so no two rows ever share a position.
        """
        if nomination.id is None:
            raise ValueError("save() stores an existing nomination; use add() for a new one")
        row = await self._row(nomination.id)
        if row is None:
            raise LookupError(f"no nomination with id {nomination.id}")
        for name, value in _nomination_values(nomination).items():
            setattr(row, name, value)
        rows = row.evidence
        for position, item in enumerate(nomination.evidence):
            values = to_values(item)
            if position < len(rows):
                for name, value in values.items():
                    setattr(rows[position], name, value)
            else:
                rows.append(EvidenceRow(position=position, **values))
        del rows[len(nomination.evidence) :]
        await self._session.flush()

    async def queue(
        self,
        *,
        unit_keys: frozenset[str] | None,
        statuses: frozenset[NominationStatus],
        limit: int,
        offset: int = 0,
    ) -> Sequence[Nomination]:
        """Return nominations of these units (None: all) in these states, oldest first."""
        query = _nominations().where(
            NominationRow.status.in_(sorted(status.value for status in statuses))
        )
        if unit_keys is not None:
            query = query.where(NominationRow.unit_key.in_(sorted(unit_keys)))
        return await self._all(
            query.order_by(NominationRow.created_at, NominationRow.id).limit(limit).offset(offset)
        )

    async def count_by_status(self, *, unit_keys: frozenset[str] | None) -> dict[str, int]:
        """Count nominations per status for these units (None: all).

        Only states that some nomination is in appear; the others count 0.
        """
        query = select(NominationRow.status, func.count()).group_by(NominationRow.status)
        if unit_keys is not None:
            query = query.where(NominationRow.unit_key.in_(sorted(unit_keys)))
        result = await self._session.execute(query)
        return {status: count for status, count in result}

    async def same_nominee(
        self,
        *,
        name_key: str,
        unit_key: str,
        excluding: Collection[NominationStatus] = (),
        limit: int | None = None,
    ) -> Sequence[Nomination]:
        """Return nominations whose folded nominee name and unit are these, newest first."""
        query = (
            _nominations()
            .where(NominationRow.nominee_name_key == name_key, NominationRow.unit_key == unit_key)
            .order_by(NominationRow.created_at.desc(), NominationRow.id.desc())
        )
        if excluding:
            query = query.where(NominationRow.status.not_in([s.value for s in excluding]))
        if limit is not None:
            query = query.limit(limit)
        return await self._all(query)

    async def count_proposed_by_unit(
        self, *, since: datetime, until: datetime, statuses: Collection[NominationStatus]
    ) -> dict[str, int]:
        """Count per unit the nominations proposed in [since, until) and now in ``statuses``.

        The time of proposal is that of the case's ``propose`` audit entry; a case counts
        once however many such entries its history holds.
        """
        proposed = (
            select(AuditEntryRow.nomination_id)
            .where(
                AuditEntryRow.action == "propose",
                AuditEntryRow.at >= since,
                AuditEntryRow.at < until,
            )
            .scalar_subquery()
        )
        rows = await self._session.execute(
            select(NominationRow.unit_key, func.count())
            .where(
                NominationRow.id.in_(proposed),
                NominationRow.status.in_([status.value for status in statuses]),
            )
            .group_by(NominationRow.unit_key)
        )
        return {unit_key: int(count) for unit_key, count in rows}

    async def search_entries(self, *, after_id: int, limit: int) -> Sequence[SearchEntry]:
        """Return the searchable fields of nominations after ``after_id``, in id order.

        Only the columns the index needs are read (no evidence), so building the index over
        100,000 nominations stays a single cheap scan.
        """
        return await self._search_entries(
            _search_entries()
            .where(NominationRow.id > after_id)
            .order_by(NominationRow.id)
            .limit(limit)
        )

    async def search_entries_by_ids(self, ids: Collection[int]) -> Sequence[SearchEntry]:
        """Return the search entries of these nominations, in any order; unknown ids are left out.

        A page of search hits: a handful of primary-key lookups.
        """
        if not ids:
            return []
        return await self._search_entries(
            _search_entries().where(NominationRow.id.in_(sorted(ids)))
        )

    async def ids_by_code(self, codes: Collection[TrackingCode]) -> dict[TrackingCode, int]:
        """Return the id of the nomination with each of these tracking codes that exists.

        The unique index on the code answers, so the search index need not keep the codes.
        """
        if not codes:
            return {}
        rows = await self._session.execute(
            select(NominationRow.code, NominationRow.id).where(
                NominationRow.code.in_(sorted(str(code) for code in codes))
            )
        )
        return {TrackingCode(code): nomination_id for code, nomination_id in rows}

    async def _search_entries(self, query: _SearchEntryRows) -> list[SearchEntry]:
        return [
            SearchEntry(row[0], row[1], row[2], row[3], row[4], row[5], row[6])
            for row in await self._session.execute(query)
        ]

    async def _row(self, nomination_id: int, *, for_update: bool = False) -> NominationRow | None:
        query = _nominations().where(NominationRow.id == nomination_id)
        if for_update:
            # Locks the nomination row only; its evidence is read by a second SELECT.
            query = query.with_for_update()
        return await self._session.scalar(query)

    async def _all(self, query: Select[NominationRow]) -> list[Nomination]:
        return [_nomination(row) for row in await self._session.scalars(query)]


_SearchEntryRows = Select[int, str, str, str, str, str, datetime]


def _search_entries() -> _SearchEntryRows:
    """Select what a :class:`SearchEntry` holds: each unit's name, or its key if it has none."""
    return select(
        NominationRow.id,
        NominationRow.code,
        NominationRow.nominee_name,
        NominationRow.unit_key,
        func.coalesce(UnitRow.name, NominationRow.unit_key),
        NominationRow.deed,
        NominationRow.created_at,
    ).outerjoin(UnitRow, UnitRow.key == NominationRow.unit_key)


def _nominations() -> Select[NominationRow]:
    """Select nominations with their evidence, refreshing rows the session already holds."""
    return (
        select(NominationRow)
        .options(selectinload(NominationRow.evidence))
        .execution_options(populate_existing=True)
    )


def _nomination_values(nomination: Nomination) -> dict[str, Any]:
    """Return the ``nominations`` columns of a nomination, all but its id."""
    nominee, nominator, location = nomination.nominee, nomination.nominator, nomination.location
    return to_values(
        nomination,
        omit=("id", "nominee", "nominator", "location", "evidence"),
        code=str(nomination.code),
        nominee_kind=nominee.kind.value,
        nominee_name=nominee.name,
        nominee_name_key=fold(nominee.name),
        nominee_role=nominee.role.value if nominee.role else None,
        nominee_under_16=nominee.under_16,
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        nominator_user_id=nominator.user_id,
        nominator_phone=nominator.phone,
        nominator_anonymous=nominator.anonymous,
    )


def _nomination(row: NominationRow) -> Nomination:
    location = (
        GeoPoint(row.latitude, row.longitude)
        if row.latitude is not None and row.longitude is not None
        else None
    )
    role = NomineeRole(row.nominee_role) if row.nominee_role is not None else None
    return to_entity(
        Nomination,
        row,
        code=TrackingCode(row.code),
        nominee=Nominee(
            NomineeKind(row.nominee_kind), row.nominee_name, role, row.nominee_under_16
        ),
        nominator=Nominator(row.nominator_user_id, row.nominator_phone, row.nominator_anonymous),
        location=location,
        evidence=tuple(to_entity(Evidence, item) for item in row.evidence),
    )


class SqlAuditRepository(AuditRepository):
    """The audit trail in ``audit_entries``: rows are only ever added."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: AuditEntry) -> AuditEntry:
        """Store an audit entry; return it with its id."""
        return await add_new(self._session, AuditEntryRow, entry)

    async def history(self, nomination_id: int) -> Sequence[AuditEntry]:
        """Return a nomination's entries, oldest first (in insertion order at equal times)."""
        rows = await self._session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.nomination_id == nomination_id)
            .order_by(AuditEntryRow.at, AuditEntryRow.id)
        )
        return [to_entity(AuditEntry, row, data=dict(row.data)) for row in rows]


class SqlSupporterRepository(SupporterRepository):
    """Supporters in ``supporters``, at most one row per nomination and user."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, supporter: Supporter) -> Supporter | None:
        """Store a supporter; return None if this user already supports the nomination.

        ``ON CONFLICT DO NOTHING`` on the (nomination, user) pair: of two taps at once, the
        second waits for the first transaction and then inserts nothing, instead of failing.
        """
        statement = (
            dialect_insert(self._session, SupporterRow)
            .values(**_supporter_values(supporter))
            .on_conflict_do_nothing(index_elements=["nomination_id", "user_id"])
            .returning(SupporterRow.id)
        )
        new_id = await self._session.scalar(statement)
        return replace(supporter, id=new_id) if new_id is not None else None

    async def of(self, nomination_id: int) -> Sequence[Supporter]:
        """Return a nomination's supporters, oldest first (in insertion order at equal times)."""
        rows = await self._session.scalars(
            select(SupporterRow)
            .where(SupporterRow.nomination_id == nomination_id)
            .order_by(SupporterRow.created_at, SupporterRow.id)
            .execution_options(populate_existing=True)
        )
        return [_supporter(row) for row in rows]

    async def is_supporter(self, nomination_id: int, user_id: int) -> bool:
        """Tell whether the user supports the nomination."""
        found = await self._session.scalar(
            select(
                exists().where(
                    SupporterRow.nomination_id == nomination_id, SupporterRow.user_id == user_id
                )
            )
        )
        return bool(found)

    async def move(self, from_nomination_id: int, to_nomination_id: int) -> int:
        """Re-point supporters to another nomination (a merge); return how many moved.

        A user who already supports the target is dropped from the source instead. The
        source's rows are deleted and inserted again under the target with their own ids and
        times, ``ON CONFLICT DO NOTHING`` on the pair: unlike an UPDATE, that cannot fail when
        someone starts supporting the target while the merge runs (on PostgreSQL the insert
        waits for that transaction, then skips the pair if it committed).
        """
        if from_nomination_id == to_nomination_id:
            raise ValueError(f"cannot move supporters of {from_nomination_id} onto themselves")
        deleted = await self._session.execute(
            delete(SupporterRow)
            .where(SupporterRow.nomination_id == from_nomination_id)
            .returning(*_SUPPORTER_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        moved = [{**row._asdict(), "nomination_id": to_nomination_id} for row in deleted]
        if not moved:
            return 0
        inserted = await self._session.scalars(
            dialect_insert(self._session, SupporterRow)
            .values(moved)
            .on_conflict_do_nothing(index_elements=["nomination_id", "user_id"])
            .returning(SupporterRow.id)
        )
        return len(inserted.all())

    async def supported_by(self, user_id: int, *, limit: int) -> Sequence[int]:
        """Return the ids of nominations the user supports, most recently supported first."""
        ids = await self._session.scalars(
            select(SupporterRow.nomination_id)
            .where(SupporterRow.user_id == user_id)
            .order_by(SupporterRow.created_at.desc(), SupporterRow.id.desc())
            .limit(limit)
        )
        return list(ids)

    async def given_by(self, user_id: int) -> Sequence[Supporter]:
        """Return every support the user gave (their account, their files), newest first."""
        rows = await self._session.scalars(
            select(SupporterRow)
            .where(SupporterRow.user_id == user_id)
            .order_by(SupporterRow.created_at.desc(), SupporterRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [_supporter(row) for row in rows]


# Every column, so that move() can put each row back exactly as it was, id included.
_SUPPORTER_COLUMNS = tuple(SupporterRow.__table__.columns)


def _supporter_values(supporter: Supporter) -> dict[str, Any]:
    """Return the ``supporters`` columns of a supporter, all but its id."""
    evidence = [item.to_dict() for item in supporter.evidence]
    return to_values(supporter, omit=("id",), evidence=evidence)


def _supporter(row: SupporterRow) -> Supporter:
    evidence = tuple(Evidence.from_dict(item) for item in row.evidence)
    return to_entity(Supporter, row, evidence=evidence)
