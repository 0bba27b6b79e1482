"""People and what they may do: the users the bot met, their consents, roles, invitations."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from core.people import Consent, ConsentPurpose, User
from core.roles import Invitation, RoleGrant


class UserRepository(abc.ABC):
    """Telegram users the bot has met."""

    @abc.abstractmethod
    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if the bot never met them."""

    @abc.abstractmethod
    async def save(self, user: User) -> None:
        """Insert or update the user."""

    @abc.abstractmethod
    async def locales(self, user_ids: Sequence[int]) -> dict[int, str | None]:
        """Return the language each known user reads (None: the default)."""


class ConsentRepository(abc.ABC):
    """Consents given to the privacy notice."""

    @abc.abstractmethod
    async def add(self, consent: Consent) -> None:
        """Record a consent."""

    @abc.abstractmethod
    async def latest(self, user_id: int, purpose: ConsentPurpose) -> Consent | None:
        """Return the user's most recent consent for ``purpose``."""

    @abc.abstractmethod
    async def withdraw(self, user_id: int, purpose: ConsentPurpose, *, at: datetime) -> int:
        """Mark the user's consents for ``purpose`` withdrawn ``at``; return how many were."""

    @abc.abstractmethod
    async def all_of(self, user_id: int) -> Sequence[Consent]:
        """Return every consent the user gave, for any purpose, newest first."""


class RoleRepository(abc.ABC):
    """Roles granted to users."""

    @abc.abstractmethod
    async def grants_of(self, user_id: int) -> tuple[RoleGrant, ...]:
        """Return every grant of the user, revoked ones included."""

    @abc.abstractmethod
    async def add(self, grant: RoleGrant) -> RoleGrant:
        """Store a grant; return it with its id."""

    @abc.abstractmethod
    async def revoke(self, grant_id: int, *, at: datetime) -> bool:
        """Revoke a grant; return False if it did not exist or was revoked already."""

    @abc.abstractmethod
    async def all(self) -> Sequence[RoleGrant]:
        """Return every grant, newest first."""

    @abc.abstractmethod
    async def holders(self, *, unit_key: str | None) -> Sequence[RoleGrant]:
        """Return grants for ``unit_key`` (officers), or all-unit grants when None."""


class InvitationRepository(abc.ABC):
    """Single-use invitations to a role, stored by the hash of their code."""

    @abc.abstractmethod
    async def add(self, invitation: Invitation) -> Invitation:
        """Store an invitation; return it with its id."""

    @abc.abstractmethod
    async def by_hash(self, code_hash: str) -> Invitation | None:
        """Return the invitation with this code hash, its row locked until the transaction ends."""

    @abc.abstractmethod
    async def mark_used(self, invitation_id: int, *, by: int, at: datetime) -> bool:
        """Mark it used; return False if it already was (a race lost)."""
