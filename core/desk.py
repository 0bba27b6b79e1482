"""The secretariat's web desk, its values and rules: sign-in links, sessions, table filters.

An officer asks the bot for a link (``/web``): a one-time secret, good for
:data:`LINK_LIFETIME`, of which only the hash is stored. Opening it starts a session, a
stored row whose own secret rides in the browser's cookie (again only its hash is stored),
until it expires or is ended: by the officer ("sign out", "sign out everywhere"), by the
operator (``ntvt desk revoke``), or by the officer's last staff role ending.

The use cases over the store are in :mod:`core.desk_services`. Nothing here reads the
clock: "now", "today" and the time zone are passed in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from core.errors import DomainError
from core.nomination import Nomination, NominationStatus

LINK_LIFETIME = timedelta(minutes=10)
# A session ends this long after it began, however busy; the officer asks /web again.
DEFAULT_SESSION_LIFETIME = timedelta(hours=8)
# Links and sessions that ended are deleted this long after.
KEEP_ENDED = timedelta(days=30)
# A session's "last seen" is written at most this often (not at every page).
SEEN_EVERY = timedelta(minutes=5)
# 32 random bytes: 256 bits, nothing to guess; 43 URL-safe characters.
_SECRET_BYTES = 32
# How many of the best search hits a text filter reads before the other filters apply.
MAX_SEARCHED = 500
# The longest text filter read (the rest is ignored), and the shortest searched.
MAX_TEXT = 100
MIN_TEXT = 3
# What one export holds at most (a quarter of a busy district is far below).
MAX_EXPORTED = 20_000


class LinkInvalidError(DomainError):
    """The sign-in link is unknown, forged, expired or used: the same refusal for each."""

    code = "desk.link_invalid"


class UnknownSessionError(DomainError):
    """No session with this id (or none the actor may end)."""

    code = "desk.unknown_session"


@dataclass(frozen=True, slots=True)
class SignInLink:
    """A one-time link to open a desk session, kept by the SHA-256 of its secret."""

    secret_hash: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    id: int | None = None

    def usable(self, now: datetime) -> bool:
        """Tell whether the link may still open a session."""
        return self.used_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class DeskSession:
    """A signed-in browser: whose, since when, until when, kept by the hash of its secret."""

    secret_hash: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None
    id: int | None = None

    def active(self, now: datetime) -> bool:
        """Tell whether the session still signs its browser in."""
        return self.ended_at is None and now < self.expires_at


def new_secret(token: Callable[[int], str] = secrets.token_urlsafe) -> str:
    """Return a fresh secret (a link's or a session's), to be given once and never stored."""
    return token(_SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """Return the stored form of a secret: its SHA-256 (256 random bits need no salt)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(session_secret: str) -> str:
    """Return the token every form of a session carries: derived from its cookie's secret.

    A page of another site can neither read the cookie nor this token, so a form it posts
    is refused; nothing is stored for it.
    """
    return hashlib.sha256(b"ntvt desk csrf\n" + session_secret.encode()).hexdigest()[:32]


# --- the tables -------------------------------------------------------------------------

OPEN = "open"
EVERY_STATE = "all"


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What the queue is narrowed to; an empty filter is the open cases of every unit.

    ``state``: :data:`OPEN` (the states that wait for someone), :data:`EVERY_STATE`, or
    one :class:`NominationStatus` value. ``filed_from``/``filed_to``: days the case was
    filed, both included, local time. ``text``: words as typed in ``/find``.
    """

    unit_key: str | None = None
    state: str = OPEN
    filed_from: date | None = None
    filed_to: date | None = None
    text: str = ""

    def statuses(
        self, open_states: frozenset[NominationStatus]
    ) -> frozenset[NominationStatus] | None:
        """Return the states asked for (None: every state); an unknown state asks none."""
        if self.state == EVERY_STATE:
            return None
        if self.state == OPEN:
            return open_states
        try:
            return frozenset({NominationStatus(self.state)})
        except ValueError:
            return frozenset()


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """A filter as storage runs it: units (None: all), states, an instant range, ids."""

    unit_keys: frozenset[str] | None
    statuses: frozenset[NominationStatus] | None
    filed_since: datetime | None
    filed_before: datetime | None
    ids: tuple[int, ...] | None = None

    @classmethod
    def of(
        cls,
        filters: CaseFilter,
        *,
        unit_keys: frozenset[str] | None,
        open_states: frozenset[NominationStatus],
        tz: tzinfo,
    ) -> CaseQuery:
        """Return the query of ``filters`` over ``unit_keys``, its days as instants in ``tz``."""
        since = datetime.combine(filters.filed_from, time(0), tz) if filters.filed_from else None
        before = None
        if filters.filed_to is not None:
            before = datetime.combine(filters.filed_to + timedelta(days=1), time(0), tz)
        return cls(unit_keys, filters.statuses(open_states), since, before)

    @property
    def matches_any(self) -> bool:
        """Tell whether anything could match: not when no unit or no state is asked."""
        return (self.unit_keys is None or bool(self.unit_keys)) and (
            self.statuses is None or bool(self.statuses)
        )

    def among(self, ids: tuple[int, ...]) -> CaseQuery:
        """Return the same query narrowed to the nominations ``ids``."""
        return CaseQuery(self.unit_keys, self.statuses, self.filed_since, self.filed_before, ids)


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of the queue as its viewer may see it; ``total`` counts every match."""

    items: Sequence[Nomination]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class UnitLine:
    """One unit's cases on the overview: by state, open, and proposed to the council this month."""

    unit_key: str
    by_state: Mapping[str, int]
    open: int
    proposed_this_month: int

    @property
    def total(self) -> int:
        """Return every case of the unit."""
        return sum(self.by_state.values())


@dataclass(frozen=True, slots=True)
class Overview:
    """The desk's first page: counts by state and by unit, for the actor's units.

    ``open``: the cases that wait for someone; ``month``: the first day of the month whose
    proposals count against ``quota``.
    """

    by_state: Mapping[str, int]
    open: int
    units: Sequence[UnitLine]
    month: date
    quota: int

    @property
    def total(self) -> int:
        """Return every case counted."""
        return sum(self.by_state.values())
