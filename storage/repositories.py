"""SQLAlchemy implementations of core's repositories: rows in, domain objects out.

Every repository works inside the session of the unit of work that built it and never
commits: the unit of work decides what is kept.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.broadcasts import BroadcastStatus, Outcome
from core.codes import TrackingCode
from core.dialog import Dialog
from core.inbound import DeadLetter, StoredUpdate
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
from core.org import Campaign, Cluster, Council, Organisation, Unit
from core.outbox import OutboxStatus, OutgoingMessage
from core.people import Consent, ConsentPurpose, User
from core.plan import (
    AbsoluteDue,
    DueRule,
    Frequency,
    Plan,
    PlanTask,
    RecurringDue,
    RelativeDue,
    UnitGroup,
    UnitRef,
)
from core.ports import (
    AuditRepository,
    ConsentRepository,
    DeadlineRepository,
    DialogRepository,
    FailedLookupRepository,
    InboundUpdateRepository,
    InvitationRepository,
    NominationRepository,
    OrganisationRepository,
    OutboxRepository,
    RoleRepository,
    SubscriptionRepository,
    SupporterRepository,
    UserRepository,
)
from core.roles import Invitation, Role, RoleGrant
from core.search import SearchEntry
from core.subscriptions import Scope, Subscription
from core.support import Supporter
from core.text import fold
from core.workflow import AuditEntry
from storage.mapping import to_entity, to_values
from storage.sql import dialect_insert, rowcount, upsert
from storage.tables import (
    AuditEntryRow,
    BlockedChatRow,
    BroadcastRow,
    CampaignRow,
    ClusterRow,
    ConsentRow,
    CouncilRow,
    DeadlineCompletionRow,
    DeadlineEventRow,
    DialogRow,
    EmulationRegistrationRow,
    EvidenceRow,
    FailedLookupRow,
    InboundUpdateRow,
    InvitationRow,
    NominationRow,
    NoticeSentRow,
    OutboxRow,
    PlanRow,
    PlanTaskRow,
    RoleGrantRow,
    SubscriptionRow,
    SupporterRow,
    UnitRow,
    UserRow,
    YearEndDossierRow,
)

# Statements of every update's path, built once (Core, bound parameters).
_USERS = cast(Table, UserRow.__table__)
_USER = select(
    _USERS.c.id,
    _USERS.c.display_name,
    _USERS.c.language_code,
    _USERS.c.locale,
    _USERS.c.created_at,
).where(_USERS.c.id == bindparam("id"))


class SqlUserRepository(UserRepository):
    """Users in the ``users`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if the bot never met them."""
        row = (await self._session.execute(_USER, {"id": user_id})).first()
        return to_entity(User, row) if row is not None else None

    async def locales(self, user_ids: Sequence[int]) -> dict[int, str | None]:
        """Return the language each known user reads (None: the default)."""
        found: dict[int, str | None] = {}
        for start in range(0, len(user_ids), 1000):
            rows = await self._session.execute(
                select(UserRow.id, UserRow.locale, UserRow.language_code).where(
                    UserRow.id.in_(user_ids[start : start + 1000])
                )
            )
            for user_id, locale, language_code in rows:
                person = User(user_id, "", language_code, locale, datetime.min)
                found[user_id] = person.resolved_locale("") or None
        return found

    async def save(self, user: User) -> None:
        """Insert or update the user; ``created_at`` stays the first meeting's."""
        await upsert(self._session, UserRow, to_values(user), key=["id"], keep=["created_at"])


_CONSENTS = cast(Table, ConsentRow.__table__)
_LATEST_CONSENT = (
    select(_CONSENTS)
    .where(_CONSENTS.c.user_id == bindparam("user"), _CONSENTS.c.purpose == bindparam("purpose"))
    .order_by(_CONSENTS.c.given_at.desc(), _CONSENTS.c.id.desc())
    .limit(1)
)


class SqlConsentRepository(ConsentRepository):
    """Consents in the ``consents`` table; never updated, only added."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, consent: Consent) -> None:
        """Record a consent."""
        self._session.add(ConsentRow(**to_values(consent)))
        await self._session.flush()

    async def latest(self, user_id: int, purpose: ConsentPurpose) -> Consent | None:
        """Return the user's most recent consent for ``purpose``."""
        row = (
            await self._session.execute(
                _LATEST_CONSENT, {"user": user_id, "purpose": purpose.value}
            )
        ).first()
        return to_entity(Consent, row) if row is not None else None


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

    async def same_nominee(self, *, name_key: str, unit_key: str) -> Sequence[Nomination]:
        """Return nominations whose folded nominee name and unit are these, newest first."""
        return await self._all(
            _nominations()
            .where(NominationRow.nominee_name_key == name_key, NominationRow.unit_key == unit_key)
            .order_by(NominationRow.created_at.desc(), NominationRow.id.desc())
        )

    async def count_by_unit(self, *, since: datetime, until: datetime) -> dict[str, int]:
        """Count nominations per unit submitted in [since, until)."""
        rows = await self._session.execute(
            select(NominationRow.unit_key, func.count())
            .where(NominationRow.created_at >= since, NominationRow.created_at < until)
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
        nominee=Nominee(NomineeKind(row.nominee_kind), row.nominee_name, role),
        nominator=Nominator(row.nominator_user_id, row.nominator_phone, row.nominator_anonymous),
        location=location,
        evidence=tuple(to_entity(Evidence, item) for item in row.evidence),
    )


_DIALOGS = cast(Table, DialogRow.__table__)
_DIALOG = select(_DIALOGS).where(_DIALOGS.c.chat_id == bindparam("chat_id"))


class SqlDialogRepository(DialogRepository):
    """Dialogs in the ``dialogs`` table, one per chat."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, chat_id: int) -> Dialog | None:
        """Return the chat's dialog, if one is open."""
        row = (await self._session.execute(_DIALOG, {"chat_id": chat_id})).first()
        return to_entity(Dialog, row, data=dict(row.data)) if row is not None else None

    async def save(self, dialog: Dialog) -> None:
        """Insert or update the chat's dialog."""
        await upsert(self._session, DialogRow, to_values(dialog), key=["chat_id"])

    async def delete(self, chat_id: int) -> None:
        """Close the chat's dialog; closing a chat without one does nothing."""
        await self._session.execute(
            delete(DialogRow)
            .where(DialogRow.chat_id == chat_id)
            .execution_options(synchronize_session=False)
        )


_INBOUND = cast(Table, InboundUpdateRow.__table__)
_CLAIM_UPDATE = (
    update(_INBOUND)
    .where(
        _INBOUND.c.update_id == bindparam("claimed"),
        _INBOUND.c.processed_at.is_(None),
        _INBOUND.c.set_aside_at.is_(None),
    )
    .values(processed_at=bindparam("now"))
)
_WAITING = and_(_INBOUND.c.processed_at.is_(None), _INBOUND.c.set_aside_at.is_(None))
_SET_ASIDE = and_(_INBOUND.c.processed_at.is_(None), _INBOUND.c.set_aside_at.is_not(None))


class SqlInboundUpdateRepository(InboundUpdateRepository):
    """Telegram updates in ``inbound_updates``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        update_id: int,
        payload: dict[str, Any],
        received_at: datetime,
        *,
        chat_id: int | None = None,
    ) -> bool:
        """Store an update (of ``chat_id``); return False if its ``update_id`` was stored."""
        return update_id in await self.record_many([(update_id, payload, chat_id)], received_at)

    async def record_many(
        self,
        updates: Sequence[tuple[int, dict[str, Any], int | None]],
        received_at: datetime,
        *,
        set_aside: Mapping[int, str] | None = None,
    ) -> set[int]:
        """Store ``(update_id, payload, chat_id)`` updates at once; return the ids new here.

        One Core ``INSERT ... ON CONFLICT (update_id) DO NOTHING RETURNING update_id`` for all
        of them (SQLAlchemy sends the rows as one multi-row INSERT): a concurrent insert of the
        same id waits for the other transaction and then inserts nothing, instead of failing.
        Rows go in ``update_id`` order, so two transactions storing overlapping batches take
        their row locks in the same order and cannot deadlock (PostgreSQL); the sort is
        stable, so of two rows with one id the earlier in ``updates`` is the one kept. Those
        in ``set_aside`` are stored set aside, with their reason.
        """
        if not updates:
            return set()
        reasons = set_aside or {}
        rows = [
            {
                "update_id": update_id,
                "payload": payload,
                "received_at": received_at,
                "chat_id": chat_id,
                "set_aside_at": received_at if update_id in reasons else None,
                "failure": reasons.get(update_id),
            }
            for update_id, payload, chat_id in sorted(updates, key=itemgetter(0))
        ]
        statement = (
            dialect_insert(self._session, InboundUpdateRow)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboundUpdateRow.update_id)
        )
        # On the connection, not the session: a Core executemany, without the ORM bulk path.
        connection = await self._session.connection()
        result = await connection.execute(statement, rows)
        return set(result.scalars())

    async def earlier_unprocessed(self, chat_id: int, update_id: int) -> bool:
        """Tell whether an update of the chat before ``update_id`` waits (not set aside)."""
        waiting = await self._session.scalar(
            select(InboundUpdateRow.update_id)
            .where(
                InboundUpdateRow.chat_id == chat_id,
                InboundUpdateRow.update_id < update_id,
                InboundUpdateRow.processed_at.is_(None),
                InboundUpdateRow.set_aside_at.is_(None),
            )
            .limit(1)
        )
        return waiting is not None

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Mark the update processed; return False if it already was, or was set aside.

        On PostgreSQL the row lock makes a second claimer wait for the first transaction: if
        it commits, the re-checked ``processed_at IS NULL`` fails and this returns False; if it
        rolls back, the second claim succeeds. On SQLite, transactions take the write lock at
        BEGIN, so claimers are serialised outright.
        """
        result = await self._session.execute(_CLAIM_UPDATE, {"claimed": update_id, "now": now})
        return cast("CursorResult[Any]", result).rowcount == 1

    async def unprocessed(self, *, limit: int) -> Sequence[dict[str, Any]]:
        """Return the payloads of stored updates waiting to be processed, oldest first."""
        return [update.payload for update in await self.waiting(limit=limit)]

    async def waiting(
        self,
        *,
        limit: int,
        received_before: datetime | None = None,
    ) -> Sequence[StoredUpdate]:
        """Return updates waiting to be processed (not set aside), oldest first."""
        query = select(
            InboundUpdateRow.update_id, InboundUpdateRow.payload, InboundUpdateRow.attempts
        ).where(_WAITING)
        if received_before is not None:
            query = query.where(InboundUpdateRow.received_at < received_before)
        rows = await self._session.execute(
            query.order_by(InboundUpdateRow.received_at, InboundUpdateRow.update_id).limit(limit)
        )
        return [StoredUpdate(row.update_id, dict(row.payload), row.attempts) for row in rows]

    async def count_attempt(self, update_ids: Sequence[int]) -> None:
        """Count one more attempt at processing each update."""
        if update_ids:
            await self._session.execute(
                update(_INBOUND)
                .where(_INBOUND.c.update_id.in_(list(update_ids)))
                .values(attempts=_INBOUND.c.attempts + 1)
            )

    async def set_aside(self, update_id: int, now: datetime, reason: str) -> bool:
        """Set a waiting update aside with ``reason``; False if processed or set aside."""
        result = await self._session.execute(
            update(_INBOUND)
            .where(
                _INBOUND.c.update_id == update_id,
                _INBOUND.c.processed_at.is_(None),
                _INBOUND.c.set_aside_at.is_(None),
            )
            .values(set_aside_at=now, failure=reason)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    async def set_aside_updates(self, *, limit: int) -> Sequence[DeadLetter]:
        """Return the updates set aside and not processed since, oldest first."""
        rows = await self._session.execute(
            select(
                InboundUpdateRow.update_id,
                InboundUpdateRow.chat_id,
                InboundUpdateRow.received_at,
                InboundUpdateRow.set_aside_at,
                InboundUpdateRow.attempts,
                InboundUpdateRow.failure,
            )
            .where(_SET_ASIDE)
            .order_by(InboundUpdateRow.set_aside_at, InboundUpdateRow.update_id)
            .limit(limit)
        )
        return [to_entity(DeadLetter, row, failure=row.failure or "") for row in rows]

    async def count_set_aside(self) -> int:
        """Return how many updates are set aside and not processed since."""
        count = await self._session.scalar(
            select(func.count()).select_from(_INBOUND).where(_SET_ASIDE)
        )
        return int(count or 0)

    async def put_back(self, update_id: int) -> bool:
        """Clear an update's set-aside mark (and its attempts); False if it was not set aside."""
        result = await self._session.execute(
            update(_INBOUND)
            .where(_INBOUND.c.update_id == update_id, _SET_ASIDE)
            .values(set_aside_at=None, failure=None, attempts=0)
        )
        return cast("CursorResult[Any]", result).rowcount == 1


# The outbox as a Core table, for statements that need no ORM units (hot paths).
_OUTBOX = cast(Table, OutboxRow.__table__)
_UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
_CHAT_UNSENT = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.status.in_(_UNSENT),
        _OUTBOX.c.chat_id == bindparam("chat_id"),
        _OUTBOX.c.broadcast_id.is_(None),
    )
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("limit"))
)
_ADD_SQLITE = insert(_OUTBOX).returning(_OUTBOX.c.id)
_ADD_ORDERED = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)
# Core, not ORM: one executemany, keyed by id.
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=OutboxStatus.SENT.value,
        attempts=_OUTBOX.c.attempts + 1,
        last_attempt_at=bindparam("at"),
        sent_at=bindparam("at"),
        sent_message_id=bindparam("telegram_id"),
    )
)


class SqlOutboxRepository(OutboxRepository):
    """Outgoing Bot API calls in the ``outbox`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutgoingMessage) -> OutgoingMessage:
        """Queue a message; return it with its id set."""
        # A broadcast's messages are queued by add_bulk; failures and back-offs are the
        # sender's to record.
        row = OutboxRow(**to_values(message, omit=("broadcast_id", "failure", "retry_at", "id")))
        self._session.add(row)
        await self._session.flush()
        return replace(message, id=row.id)

    async def add_many(
        self, messages: Sequence[OutgoingMessage], *, taken_by: str | None, at: datetime
    ) -> list[OutgoingMessage]:
        """Queue messages in order, taken by ``taken_by`` if given; return them with ids."""
        if not messages:
            return []
        status = OutboxStatus.SENDING if taken_by is not None else OutboxStatus.PENDING
        rows = [
            {
                "chat_id": m.chat_id,
                "method": m.method,
                "params": m.params,
                "created_at": m.created_at,
                "status": status.value,
                "attempts": 0,
                "last_attempt_at": at if taken_by is not None else None,
                "claimed_by": taken_by,
            }
            for m in messages
        ]
        # Core, not ORM units: one INSERT … RETURNING for all of them. SQLite gives the rows
        # ascending ids in the order of VALUES (its write lock is held), so the ids sorted
        # are in input order; asking SQLAlchemy to order them would cost a statement per row
        # there. PostgreSQL orders them in the statement.
        sqlite = self._session.get_bind().dialect.name == "sqlite"
        result = await self._session.execute(_ADD_SQLITE if sqlite else _ADD_ORDERED, rows)
        ids = sorted(result.scalars()) if sqlite else list(result.scalars())
        return [
            replace(m, id=message_id, status=status)
            for m, message_id in zip(messages, ids, strict=True)
        ]

    async def unsent(self, chat_id: int, *, limit: int) -> list[int]:
        """Return the ids of the chat's messages (not broadcasts') pending or being sent."""
        ids = await self._session.scalars(_CHAT_UNSENT, {"chat_id": chat_id, "limit": limit})
        return list(ids)

    async def pending(self, *, limit: int, chat_id: int | None = None) -> Sequence[OutgoingMessage]:
        """Return pending messages in id order, for one chat or for all; broadcasts' apart."""
        query = select(OutboxRow).where(
            OutboxRow.status == OutboxStatus.PENDING.value, OutboxRow.broadcast_id.is_(None)
        )
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        rows = await self._session.scalars(
            query.order_by(OutboxRow.id).limit(limit).execution_options(populate_existing=True)
        )
        return [_outgoing(row) for row in rows]

    async def mark_sent(
        self, message_id: int, *, at: datetime, sent_message_id: int | None
    ) -> None:
        """Record that Telegram accepted the message."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=OutboxStatus.SENT.value,
                attempts=OutboxRow.attempts + 1,
                last_attempt_at=at,
                sent_at=at,
                sent_message_id=sent_message_id,
            )
            .execution_options(synchronize_session=False)
        )

    async def mark_failed(self, message_id: int, *, at: datetime, error: str, final: bool) -> None:
        """Record a failed attempt; ``final`` stops further attempts."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=(OutboxStatus.FAILED if final else OutboxStatus.PENDING).value,
                attempts=OutboxRow.attempts + 1,
                last_attempt_at=at,
                last_error=error,
            )
            .execution_options(synchronize_session=False)
        )

    async def claim(self, message_id: int, *, at: datetime, by: str | None = None) -> bool:
        """Take a pending message for sending (``by``: the process); False if taken or done."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.SENDING.value, last_attempt_at=at, claimed_by=by)
            .execution_options(synchronize_session=False)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    async def claimers(self) -> set[str]:
        """Return the processes holding messages (not broadcasts') for sending now."""
        rows = await self._session.scalars(
            select(OutboxRow.claimed_by)
            .where(
                OutboxRow.status == OutboxStatus.SENDING.value,
                OutboxRow.broadcast_id.is_(None),
                OutboxRow.claimed_by.is_not(None),
            )
            .distinct()
        )
        return {claimer for claimer in rows if claimer is not None}

    async def release_claims(
        self, claimers: Collection[str], *, taken_before: datetime | None = None
    ) -> int:
        """Put back the messages these processes took (they are gone); return how many.

        ``taken_before``: only those taken before then.
        """
        if not claimers:
            return 0
        which: list[ColumnElement[bool]] = [OutboxRow.claimed_by.in_(sorted(claimers))]
        if taken_before is not None:
            which.append(OutboxRow.last_attempt_at < taken_before)
        return await self._put_back(*which)

    async def sendable(
        self, chat_id: int, *, limit: int, done: Collection[int] = ()
    ) -> Sequence[OutgoingMessage]:
        """Return the chat's pending messages (not broadcasts') in id order.

        None at all while a sender holds one of them: it sends the rest after it, in order.
        ``done``: messages the asking sender has sent but not yet recorded as sent.
        """
        rows = [
            row
            for row in await self._session.scalars(
                select(OutboxRow)
                .where(
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.status.in_(_UNSENT),
                    OutboxRow.broadcast_id.is_(None),
                )
                .order_by(OutboxRow.id)
                .limit(limit)
                .execution_options(populate_existing=True)
            )
            if row.id not in done
        ]
        if any(row.status == OutboxStatus.SENDING.value for row in rows):
            return []
        return [_outgoing(row) for row in rows]

    async def release_stale(self, *, older_than: datetime) -> int:
        """Put back messages taken for sending before ``older_than`` (their sender died)."""
        return await self._put_back(
            OutboxRow.last_attempt_at < older_than, OutboxRow.broadcast_id.is_(None)
        )

    async def add_bulk(self, broadcast_id: int, messages: Sequence[OutgoingMessage]) -> int:
        """Queue one message per chat for a broadcast; return how many rows were written."""
        if not messages:
            return 0
        already = set(
            await self._session.scalars(
                select(OutboxRow.chat_id).where(OutboxRow.broadcast_id == broadcast_id)
            )
        )
        rows = [
            {
                "chat_id": m.chat_id,
                "method": m.method,
                "params": m.params,
                "created_at": m.created_at,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "broadcast_id": broadcast_id,
            }
            for m in messages
            if m.chat_id not in already
        ]
        for start in range(0, len(rows), 1000):
            await self._session.execute(insert(OutboxRow), rows[start : start + 1000])
        return len(rows)

    async def pending_bulk(
        self, *, limit: int, now: datetime, urgent_only: bool
    ) -> Sequence[OutgoingMessage]:
        """Return pending messages of running broadcasts due for an attempt, in id order."""
        running = select(BroadcastRow.id).where(
            BroadcastRow.status == BroadcastStatus.SENDING.value
        )
        if urgent_only:
            running = running.where(BroadcastRow.urgent.is_(True))
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.broadcast_id.in_(running),
                or_(OutboxRow.retry_at.is_(None), OutboxRow.retry_at <= now),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_outgoing(row) for row in rows]

    async def claim_many(self, message_ids: Sequence[int], *, at: datetime) -> list[int]:
        """Take pending messages for sending; return the ids taken."""
        if not message_ids:
            return []
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(message_ids), OutboxRow.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.SENDING.value, last_attempt_at=at)
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(result.scalars())

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], *, at: datetime) -> None:
        """Record that Telegram accepted each (message id, Telegram's message id)."""
        if not sent:
            return
        await self._session.execute(
            _MARK_SENT, [{"message_id": mid, "telegram_id": tid, "at": at} for mid, tid in sent]
        )

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Put a message back for another attempt at ``at`` (a network error's back-off)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=OutboxRow.attempts + 1,
                last_error=error[:1000],
                retry_at=at,
            )
            .execution_options(synchronize_session=False)
        )

    async def mark_undeliverable(
        self, message_id: int, *, at: datetime, failure: str, error: str
    ) -> None:
        """Record that the message will never go (``failure``: blocked, chat_not_found...)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=OutboxStatus.FAILED.value,
                attempts=OutboxRow.attempts + 1,
                last_attempt_at=at,
                last_error=error[:1000],
                failure=failure,
            )
            .execution_options(synchronize_session=False)
        )

    async def mark_expired(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record that the message is given up: Telegram could not be reached for too long."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(
                status=OutboxStatus.EXPIRED.value,
                attempts=OutboxRow.attempts + 1,
                last_attempt_at=at,
                last_error=error[:1000],
                failure="expired",
            )
            .execution_options(synchronize_session=False)
        )

    async def retry_bulk_now(self) -> int:
        """Make the broadcasts' messages waiting out a back-off due now; return how many."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.broadcast_id.is_not(None),
                OutboxRow.retry_at.is_not(None),
            )
            .values(retry_at=None)
            .execution_options(synchronize_session=False)
        )
        return cast("CursorResult[Any]", result).rowcount

    async def release_bulk(self) -> int:
        """Put back every broadcast message taken for sending (its sender is gone)."""
        return await self._put_back(OutboxRow.broadcast_id.is_not(None))

    async def unclaim(self, message_ids: Sequence[int]) -> None:
        """Put back messages taken but not attempted (a pause for flood control)."""
        if message_ids:
            await self._put_back(OutboxRow.id.in_(message_ids))

    async def _put_back(self, *which: ColumnElement[bool]) -> int:
        """Make messages taken for sending (and matching ``which``) pending again."""
        return await rowcount(
            self._session,
            update(OutboxRow)
            .where(OutboxRow.status == OutboxStatus.SENDING.value, *which)
            .values(status=OutboxStatus.PENDING.value)
            .execution_options(synchronize_session=False),
        )

    async def cancel_broadcast(self, broadcast_id: int) -> int:
        """Stop the broadcast's messages not sent yet; return how many."""
        return await rowcount(
            self._session,
            update(OutboxRow)
            .where(
                OutboxRow.broadcast_id == broadcast_id,
                OutboxRow.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.CANCELLED.value)
            .execution_options(synchronize_session=False),
        )

    async def broadcast_outcomes(self, broadcast_id: int) -> dict[Outcome, int]:
        """Count the broadcast's messages by outcome."""
        rows = await self._session.execute(
            select(OutboxRow.status, OutboxRow.failure, func.count())
            .where(OutboxRow.broadcast_id == broadcast_id)
            .group_by(OutboxRow.status, OutboxRow.failure)
        )
        counts: dict[Outcome, int] = {}
        for status, failure, count in rows:
            outcome = _OUTCOMES.get(status, Outcome.PENDING)
            if outcome is Outcome.FAILED and failure == Outcome.BLOCKED.value:
                outcome = Outcome.BLOCKED
            counts[outcome] = counts.get(outcome, 0) + count
        return counts

    async def broadcast_last_attempt(self, broadcast_id: int) -> datetime | None:
        """Return when the broadcast's last message was attempted."""
        return await self._session.scalar(
            select(func.max(OutboxRow.last_attempt_at)).where(
                OutboxRow.broadcast_id == broadcast_id
            )
        )

    async def backlog(self, *, broadcasts: bool) -> tuple[int, datetime | None]:
        """Return how many messages are unsent and when the oldest of them was queued."""
        kind = (
            OutboxRow.broadcast_id.is_not(None) if broadcasts else OutboxRow.broadcast_id.is_(None)
        )
        row = (
            await self._session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(
                    OutboxRow.status.in_(_UNSENT), kind
                )
            )
        ).one()
        return row[0], row[1]


_OUTCOMES = {
    OutboxStatus.SENT.value: Outcome.DELIVERED,
    OutboxStatus.FAILED.value: Outcome.FAILED,
    OutboxStatus.EXPIRED.value: Outcome.FAILED,
    OutboxStatus.CANCELLED.value: Outcome.CANCELLED,
}


def _outgoing(row: OutboxRow) -> OutgoingMessage:
    return to_entity(OutgoingMessage, row, params=dict(row.params))


class SqlRoleRepository(RoleRepository):
    """Role grants in ``role_grants``; revoking keeps the row, with its ``revoked_at``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def grants_of(self, user_id: int) -> tuple[RoleGrant, ...]:
        """Return every grant of the user, revoked ones included, oldest first."""
        rows = await self._session.scalars(
            select(RoleGrantRow)
            .where(RoleGrantRow.user_id == user_id)
            .order_by(RoleGrantRow.granted_at, RoleGrantRow.id)
            .execution_options(populate_existing=True)
        )
        return tuple(to_entity(RoleGrant, row) for row in rows)

    async def add(self, grant: RoleGrant) -> RoleGrant:
        """Store a grant; return it with its id."""
        row = RoleGrantRow(**to_values(grant, omit=("id",)))
        self._session.add(row)
        await self._session.flush()
        return replace(grant, id=row.id)

    async def revoke(self, grant_id: int, *, at: datetime) -> bool:
        """Revoke a grant; return False if it did not exist or was revoked already."""
        statement = (
            update(RoleGrantRow)
            .where(RoleGrantRow.id == grant_id, RoleGrantRow.revoked_at.is_(None))
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
        return await rowcount(self._session, statement) == 1

    async def all(self) -> Sequence[RoleGrant]:
        """Return every grant, revoked ones included, newest first."""
        rows = await self._session.scalars(
            select(RoleGrantRow)
            .order_by(RoleGrantRow.granted_at.desc(), RoleGrantRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [to_entity(RoleGrant, row) for row in rows]

    async def holders(self, *, unit_key: str | None) -> Sequence[RoleGrant]:
        """Return the unrevoked grants of a unit's officers, or of all-unit roles when None.

        The all-unit roles here are the secretariat, admins and council members. Validity
        dates are not looked at: whether a grant is in force on a day is core's
        :meth:`~core.roles.RoleGrant.in_force`. Oldest first.
        """
        which: ColumnElement[bool]
        if unit_key is not None:
            which = (RoleGrantRow.role == Role.OFFICER.value) & (RoleGrantRow.unit_key == unit_key)
        else:
            which = RoleGrantRow.role.in_(sorted(role.value for role in _COUNCIL_WIDE_ROLES))
        rows = await self._session.scalars(
            select(RoleGrantRow)
            .where(which, RoleGrantRow.revoked_at.is_(None))
            .order_by(RoleGrantRow.granted_at, RoleGrantRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(RoleGrant, row) for row in rows]


_COUNCIL_WIDE_ROLES = frozenset({Role.SECRETARIAT, Role.ADMIN, Role.COUNCIL_MEMBER})


class SqlInvitationRepository(InvitationRepository):
    """Invitations in ``invitations``, found by the hash of their code."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, invitation: Invitation) -> Invitation:
        """Store an invitation; return it with its id."""
        row = InvitationRow(**to_values(invitation, omit=("id",)))
        self._session.add(row)
        await self._session.flush()
        return replace(invitation, id=row.id)

    async def by_hash(self, code_hash: str) -> Invitation | None:
        """Return the invitation with this code hash, its row locked until the transaction ends.

        On PostgreSQL, ``SELECT ... FOR UPDATE``: a second redeemer waits here until the
        first commits, then reads the invitation as used. SQLite renders no ``FOR UPDATE``
        and needs none, as its transactions take the write lock at BEGIN IMMEDIATE.
        """
        row = await self._session.scalar(
            select(InvitationRow)
            .where(InvitationRow.code_hash == code_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return to_entity(Invitation, row) if row is not None else None

    async def mark_used(self, invitation_id: int, *, by: int, at: datetime) -> bool:
        """Mark it used; return False if it already was (a race lost).

        The ``used_at IS NULL`` condition is checked again by the UPDATE itself, so this
        holds even for a caller that did not lock the row first.
        """
        statement = (
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id, InvitationRow.used_at.is_(None))
            .values(used_at=at, used_by=by)
            .execution_options(synchronize_session=False)
        )
        return await rowcount(self._session, statement) == 1


class SqlAuditRepository(AuditRepository):
    """The audit trail in ``audit_entries``: rows are only ever added."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: AuditEntry) -> AuditEntry:
        """Store an audit entry; return it with its id."""
        row = AuditEntryRow(**to_values(entry, omit=("id",)))
        self._session.add(row)
        await self._session.flush()
        return replace(entry, id=row.id)

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


# Every column, so that move() can put each row back exactly as it was, id included.
_SUPPORTER_COLUMNS = tuple(SupporterRow.__table__.columns)


def _supporter_values(supporter: Supporter) -> dict[str, Any]:
    """Return the ``supporters`` columns of a supporter, all but its id."""
    evidence = [item.to_dict() for item in supporter.evidence]
    return to_values(supporter, omit=("id",), evidence=evidence)


def _supporter(row: SupporterRow) -> Supporter:
    evidence = tuple(Evidence.from_dict(item) for item in row.evidence)
    return to_entity(Supporter, row, evidence=evidence)


class SqlOrganisationRepository(OrganisationRepository):
    """The organisation and its plans.

    The organisation is kept in ``councils``, ``units``, ``clusters`` and ``campaigns``; plans
    in ``plans`` and ``plan_tasks``.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self) -> Organisation | None:
        """Return the organisation, or None before a plan file was loaded."""
        council = await self._session.scalar(select(CouncilRow).order_by(CouncilRow.key).limit(1))
        if council is None:
            return None
        units = await self._session.scalars(select(UnitRow).order_by(UnitRow.position))
        clusters = await self._session.scalars(select(ClusterRow).order_by(ClusterRow.position))
        campaigns = await self._session.scalars(select(CampaignRow).order_by(CampaignRow.position))
        return Organisation(
            council=to_entity(Council, council),
            units=tuple(to_entity(Unit, row, aliases=tuple(row.aliases)) for row in units),
            clusters=tuple(
                to_entity(Cluster, row, member_keys=tuple(row.member_keys)) for row in clusters
            ),
            campaigns=tuple(to_entity(Campaign, row) for row in campaigns),
        )

    async def replace(self, organisation: Organisation) -> None:
        """Store ``organisation`` in place of the one before.

        Rows are updated by key; rows whose key is no longer in ``organisation`` are deleted.
        Nothing is lost by deleting: the plan file keeps every body the council ever had,
        each with its validity, so a body that ended is still in it with a ``valid_to``.
        Nominations keep their ``unit_key`` as plain text and reference no unit row.
        """
        await self._replace_all(CouncilRow, [to_values(organisation.council)])
        await self._replace_all(
            UnitRow,
            [
                to_values(unit, position=position, aliases=list(unit.aliases))
                for position, unit in enumerate(organisation.units)
            ],
        )
        await self._replace_all(
            ClusterRow,
            [
                to_values(cluster, position=position, member_keys=list(cluster.member_keys))
                for position, cluster in enumerate(organisation.clusters)
            ],
        )
        await self._replace_all(
            CampaignRow,
            [
                to_values(campaign, position=position)
                for position, campaign in enumerate(organisation.campaigns)
            ],
        )

    async def add_campaign(self, campaign: Campaign, *, launched_by: int | None) -> None:
        """Add a campaign launched in chat; reloading the plan file keeps it."""
        position = await self._session.scalar(
            select(func.coalesce(func.max(CampaignRow.position), -1))
        )
        self._session.add(
            CampaignRow(
                **to_values(campaign, position=(position or 0) + 1, launched_by=launched_by)
            )
        )
        await self._session.flush()

    async def _replace_all(
        self,
        row_class: type[CouncilRow | UnitRow | ClusterRow | CampaignRow],
        rows: list[dict[str, Any]],
    ) -> None:
        keys = [row["key"] for row in rows]
        gone = delete(row_class).where(row_class.key.not_in(keys))
        if row_class is CampaignRow:
            # Campaigns launched in chat are not in the plan file: a reload keeps them.
            gone = gone.where(CampaignRow.launched_by.is_(None))
        await self._session.execute(gone.execution_options(synchronize_session=False))
        for row in rows:
            await upsert(self._session, row_class, row, key=["key"])

    async def save_plan(self, plan: Plan) -> None:
        """Insert or replace a plan and its tasks."""
        await upsert(self._session, PlanRow, to_values(plan, omit=("tasks",)), key=["key"])
        await self._session.execute(
            delete(PlanTaskRow)
            .where(PlanTaskRow.plan_key == plan.key)
            .execution_options(synchronize_session=False)
        )
        self._session.add_all(
            PlanTaskRow(
                **to_values(
                    task,
                    plan_key=plan.key,
                    position=position,
                    lead=[_unit_ref_json(ref) for ref in task.lead],
                    coordinating=[_unit_ref_json(ref) for ref in task.coordinating],
                    due=_due_json(task.due),
                )
            )
            for position, task in enumerate(plan.tasks)
        )
        await self._session.flush()

    async def current_plan(self) -> Plan | None:
        """Return the plan of the latest year (the last issued if several), or None."""
        key = await self._session.scalar(
            select(PlanRow.key)
            .order_by(PlanRow.year.desc(), PlanRow.issued_on.desc(), PlanRow.key)
            .limit(1)
        )
        return await self.get_plan(key) if key is not None else None

    async def get_plan(self, key: str) -> Plan | None:
        """Return a plan by key."""
        row = await self._session.scalar(
            select(PlanRow)
            .where(PlanRow.key == key)
            .options(selectinload(PlanRow.tasks))
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return to_entity(Plan, row, tasks=tuple(_plan_task(task) for task in row.tasks))


def _plan_task(row: PlanTaskRow) -> PlanTask:
    return to_entity(
        PlanTask,
        row,
        lead=tuple(_unit_ref(item) for item in row.lead),
        coordinating=tuple(_unit_ref(item) for item in row.coordinating),
        due=_due(row.due),
    )


def _unit_ref_json(ref: UnitRef) -> dict[str, str]:
    if ref.group is not None:
        return {"group": ref.group.value}
    assert ref.unit_key is not None
    return {"unit_key": ref.unit_key}


def _unit_ref(data: dict[str, str]) -> UnitRef:
    if "group" in data:
        return UnitRef.of_group(UnitGroup(data["group"]))
    return UnitRef.of_unit(data["unit_key"])


def _due_json(due: DueRule | None) -> dict[str, Any] | None:
    match due:
        case None:
            return None
        case AbsoluteDue(day=day, dossier=dossier):
            return {"kind": "absolute", "day": day.isoformat(), "dossier": dossier}
        case RelativeDue(days_before=days_before, event=event, dossier=dossier):
            return {
                "kind": "relative",
                "days_before": days_before,
                "event": event,
                "dossier": dossier,
            }
        case RecurringDue(frequency=frequency):
            return {"kind": "recurring", "frequency": frequency.value}
    raise TypeError(f"unknown due rule {due!r}")


def _due(data: dict[str, Any] | None) -> DueRule | None:
    if data is None:
        return None
    kind = data["kind"]
    if kind == "absolute":
        return AbsoluteDue(day=date.fromisoformat(data["day"]), dossier=bool(data["dossier"]))
    if kind == "relative":
        return RelativeDue(
            days_before=int(data["days_before"]),
            event=str(data["event"]),
            dossier=bool(data["dossier"]),
        )
    if kind == "recurring":
        return RecurringDue(frequency=Frequency(data["frequency"]))
    raise ValueError(f"unknown due rule kind {kind!r}")


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


class SqlSubscriptionRepository(SubscriptionRepository):
    """Opt-ins in ``subscriptions``; chats that blocked the bot in ``blocked_chats``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, subscription: Subscription) -> bool:
        """Store an opt-in; return False if the same active one exists."""
        target = SubscriptionRow.target
        same = await self._session.scalar(
            select(func.count())
            .select_from(SubscriptionRow)
            .where(
                SubscriptionRow.user_id == subscription.user_id,
                SubscriptionRow.scope == subscription.scope.value,
                target.is_(None) if subscription.target is None else target == subscription.target,
                SubscriptionRow.ended_at.is_(None),
            )
        )
        if same:
            return False
        self._session.add(SubscriptionRow(**to_values(subscription, omit=("id",), ended_at=None)))
        await self._session.flush()
        return True

    async def active_of(self, user_id: int) -> Sequence[Subscription]:
        """Return a user's active subscriptions, oldest first."""
        rows = await self._session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id, SubscriptionRow.ended_at.is_(None))
            .order_by(SubscriptionRow.created_at, SubscriptionRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(Subscription, row, ended_at=None) for row in rows]

    async def end_all(self, user_id: int, *, at: datetime) -> int:
        """End a user's active subscriptions; return how many."""
        return await rowcount(
            self._session,
            update(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id, SubscriptionRow.ended_at.is_(None))
            .values(ended_at=at)
            .execution_options(synchronize_session=False),
        )

    async def set_blocked(self, user_id: int, *, at: datetime | None) -> None:
        """Record that the user blocked the bot (``at``) or unblocked it (None)."""
        if at is None:
            await self._session.execute(
                delete(BlockedChatRow).where(BlockedChatRow.user_id == user_id)
            )
            return
        await upsert(
            self._session,
            BlockedChatRow,
            {"user_id": user_id, "blocked_at": at},
            key=["user_id"],
        )

    async def is_blocked(self, user_id: int) -> bool:
        """Tell whether the user blocked the bot."""
        return await self._session.get(BlockedChatRow, user_id) is not None

    async def subscribers(self, scopes: Sequence[tuple[Scope, str | None]]) -> set[int]:
        """Return users with an active subscription to any of ``scopes``, blocked ones left out."""
        if not scopes:
            return set()
        target = SubscriptionRow.target
        wanted = or_(
            *(
                and_(
                    SubscriptionRow.scope == scope.value,
                    target.is_(None) if key is None else target == key,
                )
                for scope, key in scopes
            )
        )
        blocked = select(BlockedChatRow.user_id)
        rows = await self._session.scalars(
            select(SubscriptionRow.user_id)
            .where(
                SubscriptionRow.ended_at.is_(None),
                wanted,
                SubscriptionRow.user_id.not_in(blocked),
            )
            .distinct()
        )
        return set(rows)

    async def blocked_among(self, user_ids: Sequence[int]) -> set[int]:
        """Return which of the users blocked the bot."""
        found: set[int] = set()
        for start in range(0, len(user_ids), 1000):
            found.update(
                await self._session.scalars(
                    select(BlockedChatRow.user_id).where(
                        BlockedChatRow.user_id.in_(user_ids[start : start + 1000])
                    )
                )
            )
        return found


class SqlFailedLookupRepository(FailedLookupRepository):
    """Failed code lookups in ``failed_lookups``, read by user and time (its one index)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user_id: int, at: datetime) -> None:
        """Record that ``user_id`` looked up a code that does not exist."""
        await self._session.execute(insert(FailedLookupRow).values(user_id=user_id, at=at))

    async def since(self, user_id: int, since: datetime) -> list[datetime]:
        """Return when the user's failed lookups after ``since`` happened, oldest first."""
        rows = await self._session.scalars(
            select(FailedLookupRow.at)
            .where(FailedLookupRow.user_id == user_id, FailedLookupRow.at > since)
            .order_by(FailedLookupRow.at, FailedLookupRow.id)
        )
        return list(rows)

    async def purge(self, *, before: datetime) -> int:
        """Forget every failed lookup before ``before``; return how many."""
        return await rowcount(
            self._session, delete(FailedLookupRow).where(FailedLookupRow.at < before)
        )
