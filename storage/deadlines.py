"""What deadline notices remember: event dates, completions, notices sent, registrations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import DeadlineRepository
from storage.sql import dialect_insert, rowcount, upsert
from storage.tables import (
    DeadlineCompletionRow,
    DeadlineEventRow,
    DigestTimeRow,
    EmulationRegistrationRow,
    NoticeSentRow,
    YearEndDossierRow,
)


class SqlDeadlineRepository(DeadlineRepository):
    """Deadline notices' memory.

    Event dates in ``deadline_events``, completions in ``deadline_completions``, notices in
    ``notices_sent`` and emulation registrations in ``emulation_registrations``. Every write
    is a single INSERT ... ON CONFLICT, so two transactions writing the same key at once
    never both insert and neither fails: on PostgreSQL the second waits for the first and then
    sees its row; on SQLite transactions are serialised from their BEGIN IMMEDIATE.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def event_days(self, plan_key: str) -> dict[str, date]:
        """Return the expected event dates entered for relative deadlines, by obligation."""
        rows = await self._session.execute(
            select(DeadlineEventRow.obligation, DeadlineEventRow.event_day).where(
                DeadlineEventRow.plan_key == plan_key
            )
        )
        return {obligation: day for obligation, day in rows}

    async def set_event_day(
        self, plan_key: str, obligation: str, day: date, *, by: int, at: datetime
    ) -> None:
        """Enter or change the expected event date; the latest entry and its author win."""
        await upsert(
            self._session,
            DeadlineEventRow,
            {
                "obligation": obligation,
                "plan_key": plan_key,
                "event_day": day,
                "entered_by": by,
                "entered_at": at,
            },
            key=["obligation"],
        )

    async def completions(self, plan_key: str) -> dict[tuple[str, str], date]:
        """Return the day each (obligation, occurrence) of the plan was marked done."""
        rows = await self._session.execute(
            select(
                DeadlineCompletionRow.obligation,
                DeadlineCompletionRow.occurrence,
                DeadlineCompletionRow.done_on,
            ).where(DeadlineCompletionRow.plan_key == plan_key)
        )
        return {(obligation, occurrence): done_on for obligation, occurrence, done_on in rows}

    async def complete(
        self, plan_key: str, obligation: str, occurrence: str, *, on: date, by: int, at: datetime
    ) -> bool:
        """Mark an occurrence done; return False, keeping the first mark, if it already was."""
        statement = (
            dialect_insert(self._session, DeadlineCompletionRow)
            .values(
                obligation=obligation,
                occurrence=occurrence,
                plan_key=plan_key,
                done_on=on,
                done_by=by,
                done_at=at,
            )
            .on_conflict_do_nothing(index_elements=["obligation", "occurrence"])
        )
        return await rowcount(self._session, statement) == 1

    async def claim_notice(self, key: str, *, recipient_id: int, at: datetime) -> bool:
        """Record that a notice goes to a recipient; return False if it already went.

        Only the transaction whose INSERT made the row gets True. A concurrent claimer on
        PostgreSQL waits on the primary key for that transaction: if it commits, nothing is
        inserted and the claimer gets False; if it rolls back, the claimer inserts instead.
        """
        statement = (
            dialect_insert(self._session, NoticeSentRow)
            .values(key=key, recipient_id=recipient_id, sent_at=at)
            .on_conflict_do_nothing(index_elements=["key", "recipient_id"])
        )
        return await rowcount(self._session, statement) == 1

    async def register(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record a unit's emulation registration for a year, replacing an earlier one."""
        await upsert(
            self._session,
            EmulationRegistrationRow,
            {
                "unit_key": unit_key,
                "year": year,
                "titles": list(titles),
                "registered_by": by,
                "registered_at": at,
            },
            key=["unit_key", "year"],
        )

    async def file_dossier(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record a unit's year-end dossier for a year, replacing an earlier one."""
        await upsert(
            self._session,
            YearEndDossierRow,
            {
                "unit_key": unit_key,
                "year": year,
                "titles": list(titles),
                "filed_by": by,
                "filed_at": at,
            },
            key=["unit_key", "year"],
        )

    async def dossiers(self, year: int) -> dict[str, tuple[str, ...]]:
        """Return the titles of each unit's year-end dossier for a year."""
        rows = await self._session.execute(
            select(YearEndDossierRow.unit_key, YearEndDossierRow.titles).where(
                YearEndDossierRow.year == year
            )
        )
        return {unit_key: tuple(str(t) for t in titles) for unit_key, titles in rows}

    async def registrations(self, year: int) -> dict[str, tuple[tuple[str, ...], datetime]]:
        """Return each registered unit's titles, in the order given, and registration time."""
        rows = await self._session.execute(
            select(
                EmulationRegistrationRow.unit_key,
                EmulationRegistrationRow.titles,
                EmulationRegistrationRow.registered_at,
            ).where(EmulationRegistrationRow.year == year)
        )
        return {
            unit_key: (tuple(str(title) for title in titles), registered_at)
            for unit_key, titles, registered_at in rows
        }

    async def notices_claimed(self, keys: Sequence[str]) -> dict[str, datetime]:
        """Return when each of these notices was first claimed, for those that were."""
        if not keys:
            return {}
        rows = await self._session.execute(
            select(NoticeSentRow.key, func.min(NoticeSentRow.sent_at))
            .where(NoticeSentRow.key.in_(list(keys)))
            .group_by(NoticeSentRow.key)
        )
        return {key: at for key, at in rows}

    async def digest_times(self) -> dict[int, time]:
        """Return the local time of the daily digest each officer chose."""
        rows = await self._session.execute(select(DigestTimeRow.user_id, DigestTimeRow.digest_at))
        return {user_id: at for user_id, at in rows}

    async def set_digest_time(self, user_id: int, at: time, *, changed_at: datetime) -> None:
        """Record an officer's digest time, replacing an earlier choice."""
        await upsert(
            self._session,
            DigestTimeRow,
            {"user_id": user_id, "digest_at": at, "changed_at": changed_at},
            key=["user_id"],
        )
