"""People: users, their consents, role grants, invitations to roles, failed code lookups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.people import Consent, ConsentPurpose, User
from core.ports import (
    ConsentRepository,
    FailedLookupRepository,
    InvitationRepository,
    RoleRepository,
    UserRepository,
)
from core.roles import Invitation, Role, RoleGrant
from storage.mapping import to_entity, to_values
from storage.read_ahead import ReadAhead, taken
from storage.sql import add_new, rowcount, upsert
from storage.tables import ConsentRow, FailedLookupRow, InvitationRow, RoleGrantRow, UserRow

# Statements of every update's path, built once (Core, bound parameters).
_USERS = cast(Table, UserRow.__table__)
_USER = select(
    _USERS.c.id,
    _USERS.c.display_name,
    _USERS.c.language_code,
    _USERS.c.locale,
    _USERS.c.created_at,
    _USERS.c.name_chosen_at,
).where(_USERS.c.id == bindparam("id"))


class SqlUserRepository(UserRepository):
    """Users in the ``users`` table; a user read ahead answers once (:mod:`storage.read_ahead`)."""

    def __init__(self, session: AsyncSession, ahead: ReadAhead | None = None) -> None:
        self._session = session
        self._ahead = ahead or ReadAhead()

    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if the bot never met them."""
        found, user = taken(self._ahead.users, user_id)
        if found:
            return user  # type: ignore[no-any-return]
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
        self._ahead.users.pop(user.id, None)
        await upsert(self._session, UserRow, to_values(user), key=["id"], keep=["created_at"])


_CONSENTS = cast(Table, ConsentRow.__table__)
_LATEST_CONSENT = (
    select(_CONSENTS)
    .where(_CONSENTS.c.user_id == bindparam("user"), _CONSENTS.c.purpose == bindparam("purpose"))
    .order_by(_CONSENTS.c.given_at.desc(), _CONSENTS.c.id.desc())
    .limit(1)
)


class SqlConsentRepository(ConsentRepository):
    """Consents in the ``consents`` table; never updated, only added (but withdrawn).

    A consent read ahead answers once (:mod:`storage.read_ahead`).
    """

    def __init__(self, session: AsyncSession, ahead: ReadAhead | None = None) -> None:
        self._session = session
        self._ahead = ahead or ReadAhead()

    async def add(self, consent: Consent) -> None:
        """Record a consent."""
        self._ahead.consents.clear()
        self._session.add(ConsentRow(**to_values(consent)))
        await self._session.flush()

    async def latest(self, user_id: int, purpose: ConsentPurpose) -> Consent | None:
        """Return the user's most recent consent for ``purpose``."""
        found, consent = taken(self._ahead.consents, (user_id, purpose.value))
        if found:
            return consent  # type: ignore[no-any-return]
        row = (
            await self._session.execute(
                _LATEST_CONSENT, {"user": user_id, "purpose": purpose.value}
            )
        ).first()
        return to_entity(Consent, row) if row is not None else None

    async def withdraw(self, user_id: int, purpose: ConsentPurpose, *, at: datetime) -> int:
        """Mark the user's consents for ``purpose`` withdrawn ``at``; return how many were."""
        self._ahead.consents.clear()
        return await rowcount(
            self._session,
            update(ConsentRow)
            .where(
                ConsentRow.user_id == user_id,
                ConsentRow.purpose == purpose.value,
                ConsentRow.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=at),
        )

    async def all_of(self, user_id: int) -> Sequence[Consent]:
        """Return every consent the user gave, for any purpose, newest first."""
        rows = await self._session.execute(
            select(_CONSENTS)
            .where(_CONSENTS.c.user_id == user_id)
            .order_by(_CONSENTS.c.given_at.desc(), _CONSENTS.c.id.desc())
        )
        return [to_entity(Consent, row) for row in rows]


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
        return await add_new(self._session, RoleGrantRow, grant)

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
        return await add_new(self._session, InvitationRow, invitation)

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
