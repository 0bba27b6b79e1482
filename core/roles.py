"""Who may do what: roles granted to Telegram users, with the units and dates they cover."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from core.errors import DomainError
from core.org import Validity
from core.text import fold


class Role(StrEnum):
    """Roles beyond "resident", which everybody is."""

    OFFICER = "officer"  # a unit's officer: acts on the nominations of their units
    SECRETARIAT = "secretariat"  # the council's standing office: every unit
    COUNCIL_MEMBER = "council_member"  # reads what is proposed to the council
    ADMIN = "admin"  # grants roles


# How people type a role, folded (`core.text.fold`): the Vietnamese names, with or without
# diacritics ("cán bộ", "can bo"), the English names the catalogue shows, and the code's own
# values. A role is shown by its Vietnamese name; the code's value is for the code only.
ROLE_NAMES: Mapping[str, Role] = MappingProxyType(
    {
        "can bo": Role.OFFICER,
        "can bo don vi": Role.OFFICER,
        "officer": Role.OFFICER,
        "thuong truc": Role.SECRETARIAT,
        "co quan thuong truc": Role.SECRETARIAT,
        "van phong thuong truc": Role.SECRETARIAT,
        "can bo thuong truc": Role.SECRETARIAT,
        "standing office": Role.SECRETARIAT,
        "secretariat": Role.SECRETARIAT,
        "thanh vien hoi dong": Role.COUNCIL_MEMBER,
        "hoi dong": Role.COUNCIL_MEMBER,
        "council member": Role.COUNCIL_MEMBER,
        "quan tri": Role.ADMIN,
        "quan tri vien": Role.ADMIN,
        "admin": Role.ADMIN,
    }
)
_LONGEST_ROLE_NAME = max(len(name.split()) for name in ROLE_NAMES)


def read_role(text: str) -> tuple[Role, str] | None:
    """Read the role named at the start of ``text``; return it and the words after it.

    "thành viên hội đồng", "thanh vien hoi dong" and "council_member" all name the same
    role; the longest name wins, so "cán bộ thường trực hang bac" is the standing office's
    officer with "hang bac" left over. None when ``text`` starts with no role's name.
    """
    words = text.split()
    for count in range(min(len(words), _LONGEST_ROLE_NAME), 0, -1):
        role = ROLE_NAMES.get(fold(" ".join(words[:count])))
        if role is not None:
            return role, " ".join(words[count:])
    return None


# Roles whose holder acts on nominations of every unit.
ALL_UNIT_ROLES = frozenset({Role.SECRETARIAT, Role.ADMIN})
# The operator's user id: Telegram's ids are positive, so it is nobody's.
OPERATOR_ID = 0


class NotAllowedError(DomainError):
    """The actor may not do this; nothing was changed."""

    code = "access.denied"


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role held by a user, for one unit (officers) or for all, between two dates."""

    user_id: int
    role: Role
    unit_key: str | None
    validity: Validity
    granted_at: datetime
    granted_by: int | None = None
    revoked_at: datetime | None = None
    id: int | None = None

    def in_force(self, on: date) -> bool:
        """Tell whether the grant applies on ``on``."""
        return self.revoked_at is None and self.validity.contains(on)


@dataclass(frozen=True, slots=True)
class Actor:
    """A user with the grants in force today: what every authorisation check looks at.

    The *operator* (:meth:`operator`) is whoever runs ``ntvt`` commands: someone with a shell
    and the database, who could change any table by hand. The command line acts as this
    actor, so it goes through the same services as the chat and every rule says by name
    whether the operator may (manage roles, broadcast) or may not (speak for a unit, act on
    a case, which only people in chat do).
    """

    user_id: int
    grants: tuple[RoleGrant, ...] = field(default=())
    is_operator: bool = False

    @classmethod
    def of(cls, user_id: int, grants: tuple[RoleGrant, ...], on: date) -> Actor:
        """Return the actor with only the grants in force on ``on``."""
        return cls(user_id, tuple(g for g in grants if g.in_force(on)))

    @classmethod
    def operator(cls) -> Actor:
        """Return the operator at the command line: no role, no unit, not a chat user."""
        return cls(OPERATOR_ID, (), is_operator=True)

    @property
    def recorded_id(self) -> int | None:
        """Return the user id to record as the author of a change (None: the command line)."""
        return None if self.is_operator else self.user_id

    def has(self, role: Role) -> bool:
        """Tell whether the actor holds ``role``."""
        return any(grant.role is role for grant in self.grants)

    @property
    def is_staff(self) -> bool:
        """Tell whether the actor acts on nominations (an officer of some unit or above)."""
        return self.has(Role.OFFICER) or any(self.has(r) for r in ALL_UNIT_ROLES)

    @property
    def unit_keys(self) -> frozenset[str] | None:
        """Return the units the actor acts for; None means every unit."""
        if any(self.has(role) for role in ALL_UNIT_ROLES):
            return None
        return self.officer_units

    def acts_for(self, unit_key: str) -> bool:
        """Tell whether the actor may act on nominations of ``unit_key``."""
        units = self.unit_keys
        return units is None or unit_key in units

    @property
    def officer_units(self) -> frozenset[str]:
        """Return the units the actor is an officer of (what they report for), whatever else."""
        return frozenset(g.unit_key for g in self.grants if g.role is Role.OFFICER and g.unit_key)


def may_manage_roles(actor: Actor) -> bool:
    """Tell whether ``actor`` may invite people to roles, grant, list and revoke them.

    Admins in chat, and the operator, who makes the first admin.
    """
    return actor.is_operator or actor.has(Role.ADMIN)


# --- invitations -------------------------------------------------------------------------

INVITATION_PREFIX = "inv_"
# 24 random bytes in URL-safe base64 are 32 characters: with the prefix, well inside the
# 64 characters of A-Za-z0-9_- that a /start payload may carry.
_INVITATION_BYTES = 24


@dataclass(frozen=True, slots=True)
class Invitation:
    """A single-use invitation to a role; only the hash of its code is ever stored."""

    code_hash: str
    role: Role
    unit_key: str | None
    created_at: datetime
    expires_at: datetime
    created_by: int | None = None
    used_at: datetime | None = None
    used_by: int | None = None
    id: int | None = None

    def usable(self, now: datetime) -> bool:
        """Tell whether the invitation can still be used."""
        return self.used_at is None and now < self.expires_at


def new_invitation_code(token: Callable[[int], str] = secrets.token_urlsafe) -> str:
    """Return a fresh invitation code, to be shown once and never stored."""
    return INVITATION_PREFIX + token(_INVITATION_BYTES)


def hash_invitation_code(code: str) -> str:
    """Return the stored form of an invitation code.

    SHA-256 without salt is enough: the code has 192 random bits, so there is nothing to
    guess, and a stolen table reveals no usable code.
    """
    return hashlib.sha256(code.encode()).hexdigest()
