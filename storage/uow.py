"""The unit of work over SQLAlchemy, and the database handle the entry points open once."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import ClassVar, Generic, Self, TypeVar, overload

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.ports import UnitOfWork
from storage.access import SqlAccessLogRepository
from storage.announcements import SqlBroadcastRepository, SqlSubscriptionRepository
from storage.channels import (
    SqlChannelIdentityRepository,
    SqlZaloEventRepository,
    SqlZaloTokenRepository,
)
from storage.database import create_engine, is_connection_error, session_factory
from storage.deadlines import SqlDeadlineRepository
from storage.deliveries import SqlDeliveryRepository
from storage.desk import SqlDeskRepository
from storage.dialogs import SqlDialogRepository
from storage.dossiers import SqlDossierRepository
from storage.erasure import SqlErasureRepository
from storage.inbound import SqlInboundUpdateRepository
from storage.inquiries import SqlInquiryRepository
from storage.leases import SqlLeaseRepository
from storage.meetings import SqlMeetingRepository
from storage.migrate import upgrade
from storage.nominations import SqlAuditRepository, SqlNominationRepository, SqlSupporterRepository
from storage.organisation import SqlOrganisationRepository
from storage.outbox import SqlOutboxRepository
from storage.people import (
    SqlConsentRepository,
    SqlFailedLookupRepository,
    SqlInvitationRepository,
    SqlRoleRepository,
    SqlUserRepository,
)
from storage.publicity import SqlPublicityRepository
from storage.read_ahead import ReadAhead
from storage.requests import SqlDataRequestRepository
from storage.tables import LeaseRow
from storage.task_documents import SqlTaskDocumentRepository

# How long the write probe of /healthz may wait for a lock on PostgreSQL.
PROBE_TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)

# Pauses between tries to reach a database at start: 1, 2, 4, 8, then every 10 s.
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 10.0


class WriterGate:
    """One SQLite transaction at a time in this process: the others queue here.

    Every SQLite transaction takes the database's write lock first (``BEGIN IMMEDIATE``);
    without the gate, dozens of concurrent turns would wait in SQLite's busy handler, burning
    thread hand-offs and failing with "database is locked" after the busy timeout. A unit of
    work opened inside another in the same task passes (it would deadlock otherwise).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    async def enter(self) -> bool:
        """Wait for the turn; return False if this task holds it already."""
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            return False
        await self._lock.acquire()
        self._owner = task
        return True

    def leave(self) -> None:
        """Let the next transaction go."""
        self._owner = None
        self._lock.release()


_Made = TypeVar("_Made")


class _Repository(Generic[_Made]):
    """A repository of a unit of work, made on the open session the first time it is used.

    A turn uses four or five of the thirty; making all of them at every ``async with`` cost
    more than a statement. Once made, it sits in the unit of work's ``__dict__``, which
    Python looks in before this (non-data) descriptor: later uses cost nothing.
    """

    names: ClassVar[list[str]] = []

    def __init__(self, make: Callable[..., _Made], *, ahead: bool = False) -> None:
        self._make = make
        self._ahead = ahead  # it answers from the turn's read ahead (storage.read_ahead)
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        _Repository.names.append(name)

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> _Made: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> _Made | Self:
        if uow is None:
            return self
        session = uow.session
        made = self._make(session, uow._ahead) if self._ahead else self._make(session)
        uow.__dict__[self._name] = made
        return made


class SqlUnitOfWork(UnitOfWork):
    """One session, hence one transaction, over every repository.

    ``async with uow:`` opens a session and builds the repositories on it; leaving the block
    rolls back whatever was not committed and closes the session. The same object can be
    entered again afterwards (one block at a time), each time with a fresh session.
    """

    users = _Repository(SqlUserRepository, ahead=True)
    consents = _Repository(SqlConsentRepository, ahead=True)
    nominations = _Repository(SqlNominationRepository)
    dialogs = _Repository(SqlDialogRepository, ahead=True)
    organisation = _Repository(SqlOrganisationRepository)
    inbound = _Repository(SqlInboundUpdateRepository)
    outbox = _Repository(SqlOutboxRepository, ahead=True)
    roles = _Repository(SqlRoleRepository)
    invitations = _Repository(SqlInvitationRepository)
    audit = _Repository(SqlAuditRepository)
    supporters = _Repository(SqlSupporterRepository)
    deadlines = _Repository(SqlDeadlineRepository)
    subscriptions = _Repository(SqlSubscriptionRepository)
    broadcasts = _Repository(SqlBroadcastRepository)
    leases = _Repository(SqlLeaseRepository)
    failed_lookups = _Repository(SqlFailedLookupRepository)
    inquiries = _Repository(SqlInquiryRepository)
    data_requests = _Repository(SqlDataRequestRepository)
    access_log = _Repository(SqlAccessLogRepository)
    erasure = _Repository(SqlErasureRepository, ahead=True)
    identities = _Repository(SqlChannelIdentityRepository)
    zalo_tokens = _Repository(SqlZaloTokenRepository)
    zalo_events = _Repository(SqlZaloEventRepository)
    publicity = _Repository(SqlPublicityRepository)
    meetings = _Repository(SqlMeetingRepository)
    desk = _Repository(SqlDeskRepository)
    dossiers = _Repository(SqlDossierRepository)
    task_documents = _Repository(SqlTaskDocumentRepository)
    deliveries = _Repository(SqlDeliveryRepository)

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], gate: WriterGate | None = None
    ) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._gate = gate
        self._gated = False
        self._ahead = ReadAhead()

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        if self._gate is not None:
            self._gated = await self._gate.enter()
        for name in _Repository.names:  # the last block's, on its session
            self.__dict__.pop(name, None)
        self._session = self._session_factory()
        self._ahead = ReadAhead()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._require_session()
        try:
            await session.rollback()
        finally:
            self._session = None
            try:
                await session.close()
            finally:
                if self._gated and self._gate is not None:
                    self._gated = False
                    self._gate.leave()

    @property
    def session(self) -> AsyncSession:
        """The open session, for storage code and tests; core never uses it."""
        return self._require_session()

    async def lock_chat(self, chat_id: int) -> bool:
        """Hold the chat until this transaction ends: one turn per chat across processes.

        PostgreSQL: a transaction-scoped advisory lock keyed by the chat id (True: several
        processes may serve it). SQLite needs none: one process serves it, and every
        transaction there takes the database's write lock first.
        """
        session = self._require_session()
        if session.get_bind().dialect.name != "postgresql":
            return False
        await session.execute(text("SELECT pg_advisory_xact_lock(:chat)"), {"chat": chat_id})
        return True

    async def read_ahead(self, *, user_id: int, chat_id: int) -> None:
        """Read the user, their consent and the chat's dialog in one statement.

        Each answers its repository's next read (see :mod:`storage.read_ahead`).
        """
        await self._ahead.read(self._require_session(), user_id=user_id, chat_id=chat_id)

    async def probe_write(self, at: datetime) -> None:
        """Write a lease row no one reads, then roll the transaction back.

        On PostgreSQL a lock or statement that would wait longer than
        :data:`PROBE_TIMEOUT_SECONDS` fails instead; on SQLite the caller bounds the wait for
        the write lock, which every transaction there takes when it begins.
        """
        session = self._require_session()
        if session.get_bind().dialect.name == "postgresql":
            limit = f"{int(PROBE_TIMEOUT_SECONDS * 1000)}ms"
            await session.execute(
                text(
                    "SELECT set_config('lock_timeout', :limit, true),"
                    " set_config('statement_timeout', :limit, true)"
                ),
                {"limit": limit},
            )
        probe = f"probe:{secrets.token_hex(8)}"  # two processes' probes never wait on a key
        await session.execute(insert(LeaseRow).values(name=probe, holder="probe", expires_at=at))
        await session.rollback()

    async def commit(self) -> None:
        """Keep everything written since the transaction began."""
        self._ahead.forget()
        await self._require_session().commit()

    async def rollback(self) -> None:
        """Drop everything not committed."""
        self._ahead.forget()
        await self._require_session().rollback()

    def _require_session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._session


# The tables a person's data is written to (their rows are erased or emptied, see
# storage.erasure); the rest hold the organisation, the plan and officers' records.
PERSONAL_TABLES = (
    "users",
    "consents",
    "nominations",
    "nomination_evidence",
    "dossier_documents",
    "audit_entries",
    "supporters",
    "subscriptions",
    "blocked_chats",
    "inquiries",
    "data_requests",
    "failed_lookups",
    "dialogs",
    "inbound_updates",
    "outbox",
    "access_log",
    "channel_identities",
    "zalo_events",
    "public_comments",
)


class Database:
    """The engine and session factory of one database, opened once per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session_factory = session_factory(engine)
        self._gate = WriterGate() if engine.dialect.name == "sqlite" else None
        # The heartbeat's own connection on PostgreSQL (urgent_uow), made when first asked.
        self._urgent: tuple[AsyncEngine, async_sessionmaker[AsyncSession]] | None = None
        self._autocommit = (
            None
            if self._gate is not None
            else session_factory(self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        )

    @property
    def url(self) -> str:
        """The database's URL, password hidden (for logs)."""
        return self.engine.url.render_as_string(hide_password=True)

    def uow(self) -> SqlUnitOfWork:
        """Return a new unit of work on this database."""
        return SqlUnitOfWork(self.session_factory, self._gate)

    def autocommit_uow(self) -> SqlUnitOfWork:
        """Return a unit of work for a write of one statement: the journal's, the sender's record.

        On PostgreSQL its statement commits by itself: no ``BEGIN`` and ``COMMIT`` round trips
        around it (two of three, ~0.5 ms of CPU each time); one statement is atomic alone. Its
        ``commit`` has nothing left to do. On SQLite, where they cost no round trip, it is
        :meth:`uow`.
        """
        if self._autocommit is None:
            return self.uow()
        return SqlUnitOfWork(self._autocommit)

    def urgent_uow(self) -> SqlUnitOfWork:
        """Return a unit of work that waits for no turn: the alive lease's (bot.failover).

        On PostgreSQL it has a connection of its own: under load every pooled one can be
        busy for seconds, and a heartbeat queued behind them let its lease lapse while the
        process was alive (another process then took over its work). On SQLite, where a
        transaction is a millisecond's work, it queues at the writer gate like any other.
        """
        if self._gate is not None:
            return self.uow()
        if self._urgent is None:
            url = self.engine.url.render_as_string(hide_password=False)
            engine = create_engine(url, pool_size=1)
            self._urgent = engine, session_factory(engine)
        return SqlUnitOfWork(self._urgent[1])

    async def scrub(self) -> bool:
        """Let what was deleted leave the database's files now; return whether all of it did.

        SQLite zeroes deleted content in the file as it goes (``secure_delete``), but the
        pages as they were stay in the write-ahead log until a checkpoint: this one copies
        the log into the file and truncates it, once no other transaction of this process
        runs (another process's open transaction makes it return False; the daily purge
        tries again). PostgreSQL keeps deleted rows as dead tuples until ``VACUUM``: this
        vacuums the tables that hold personal data, so their space is reused; the bytes are
        overwritten as the pages are, and leave its write-ahead log as it is recycled.
        """
        if self._gate is None:
            async with self.engine.connect() as connection:
                vacuum = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await vacuum.exec_driver_sql("VACUUM " + ", ".join(PERSONAL_TABLES))
            return True
        gated = await self._gate.enter()
        try:
            async with self.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                sqlite = raw.driver_connection
                assert sqlite is not None
                cursor = await sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _, _ = await cursor.fetchone()
                await cursor.close()
                return bool(busy == 0)
        finally:
            if gated:
                self._gate.leave()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._urgent is not None:
            await self._urgent[0].dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()


class DatabaseUnavailableError(Exception):
    """The database could not be reached within the wait; the message is one line."""


async def open_database(url: str, *, migrate: bool = True, wait: float = 0.0) -> Database:
    """Migrate the database at ``url`` to the current schema, then return it opened.

    ``migrate=False`` skips the upgrade, for tools that must not change the schema. A database
    that cannot be reached (not started yet, restarting) is tried again for up to ``wait``
    seconds, with one log line per try, then :class:`DatabaseUnavailableError` is raised.
    """
    if not migrate and wait <= 0:
        return Database(create_engine(url))  # nothing connects until first used
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    pause = FIRST_PAUSE
    shown = make_url(url).render_as_string(hide_password=True)
    while True:
        try:
            if migrate:
                await upgrade(url)
            else:
                await _reach(url)
            return Database(create_engine(url))
        except Exception as error:
            if not is_connection_error(error):
                raise
            reason = _one_line(error)
            left = deadline - loop.time()
            if left <= 0:
                waited = f" after {wait:g} s" if wait > 0 else ""
                raise DatabaseUnavailableError(
                    f"cannot reach the database {shown}{waited}: {reason}"
                ) from None
            pause = min(pause, left)
            log.warning(
                "the database %s cannot be reached (%s); trying again in %.1f s "
                "(giving up in %.0f s)",
                shown,
                reason,
                pause,
                left,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


async def _reach(url: str) -> None:
    """Open one connection to the database and close it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def _one_line(error: BaseException) -> str:
    """Return the innermost cause of a connection failure as one short line."""
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    text_ = " ".join(str(root).split()) or type(root).__name__
    return text_ if len(text_) <= 200 else text_[:199] + "…"
