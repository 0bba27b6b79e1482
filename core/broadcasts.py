"""Announcements to many chats: who receives them, when they may go, and what became of them.

The values and rules of announcements: audiences, texts, the quiet hours, who may broadcast,
the campaigns launched with them. What stores, starts and stops them is in
:mod:`core.broadcasting`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.errors import DomainError
from core.org import Campaign, Organisation, Validity
from core.roles import Actor, Role
from core.text import fold

# Telegram's limits on one message (4,096 characters, a caption 1,024), less room for the
# header the bot puts above every announcement.
MAX_TEXT = 4000
MAX_CAPTION = 960
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class BroadcastStatus(StrEnum):
    """Where a broadcast stands."""

    SCHEDULED = "scheduled"  # waiting for its time, or for the end of the quiet hours
    SENDING = "sending"  # expanded into the outbox; being delivered
    DONE = "done"  # every recipient's message was sent or failed for good
    CANCELLED = "cancelled"  # stopped: what was not sent yet will not be


class AudienceKind(StrEnum):
    """One part of an audience."""

    SUBSCRIBERS = "all"  # residents subscribed to every announcement
    WARD = "ward"  # subscribers of a ward, and those subscribed to everything
    CAMPAIGN = "campaign"  # subscribers of a campaign, and those subscribed to everything
    OFFICERS = "officers"  # the officers of one unit
    CLUSTER = "cluster"  # the officers of a cluster's member units


class Outcome(StrEnum):
    """What became of one recipient's message (the report counts these)."""

    DELIVERED = "delivered"
    BLOCKED = "blocked"  # the user blocked the bot: marked inactive, never retried
    FAILED = "failed"  # Telegram refused (chat not found, ...) or the network gave up
    CANCELLED = "cancelled"  # the broadcast was cancelled before it was sent
    PENDING = "pending"  # not sent yet


class AudienceError(DomainError):
    """The audience names nothing known, or is written in a way that cannot be read."""

    code = "broadcast.audience"


class EmptyMessageError(DomainError):
    """The announcement has no text, or too much for one Telegram message."""

    code = "broadcast.text"


class UnknownBroadcastError(DomainError):
    """No broadcast with this number."""

    code = "broadcast.unknown"


class BroadcastFinishedError(DomainError):
    """The broadcast is done or cancelled already: there is nothing left to cancel."""

    code = "broadcast.finished"

    def __init__(self, message: str, *, status: BroadcastStatus) -> None:
        super().__init__(message)
        self.status = status


class CampaignError(DomainError):
    """A campaign cannot be launched as given (no title, dates the wrong way round...)."""

    code = "campaign.invalid"


@dataclass(frozen=True, slots=True)
class AudiencePart:
    """One kind of recipient; ``target`` is a unit, campaign or cluster key, or None for all."""

    kind: AudienceKind
    target: str | None = None

    def spec(self) -> str:
        """Return the part as written in a spec: ``all``, ``ward:hang-bac``..."""
        return self.kind.value if self.target is None else f"{self.kind.value}:{self.target}"


_SPEC_PART = re.compile(r"^(all|ward|campaign|officers|cluster)(?::(.+))?$")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives a broadcast: the union of its parts, each person once."""

    parts: tuple[AudiencePart, ...]

    def spec(self) -> str:
        """Return the audience as one line (stored, and accepted back by :meth:`parse`)."""
        return ",".join(part.spec() for part in self.parts)

    @classmethod
    def parse(cls, spec: str) -> Audience:
        """Read ``all``, ``ward:KEY``, ``campaign:KEY``, ``officers:KEY``, ``cluster:KEY``.

        Parts are separated by commas; repeated parts count once. Keys are not checked here
        (see :func:`resolve_audience`).
        """
        parts: list[AudiencePart] = []
        for raw in spec.split(","):
            written = raw.strip()
            if not written:
                continue
            match = _SPEC_PART.match(written)
            if match is None:
                raise AudienceError(f"cannot read audience part {written!r}")
            kind = AudienceKind(match.group(1))
            target = (match.group(2) or "").strip() or None
            if (kind is AudienceKind.SUBSCRIBERS) != (target is None):
                raise AudienceError(f"audience part {written!r} needs a key (or none for all)")
            part = AudiencePart(kind, target)
            if part not in parts:
                parts.append(part)
        if not parts:
            raise AudienceError("empty audience")
        return cls(tuple(parts))


def resolve_audience(spec: str, organisation: Organisation) -> Audience:
    """Read a spec typed loosely (``ward:hang bac``): keys or names, with or without accents.

    Raises :class:`AudienceError` naming the first part that matches nothing.
    """
    resolved: list[AudiencePart] = []
    for part in Audience.parse(spec).parts:
        if part.target is None:
            resolved.append(part)
            continue
        key = _find_key(part.kind, part.target, organisation)
        if key is None:
            raise AudienceError(f"no {part.kind.value} {part.target!r}")
        if AudiencePart(part.kind, key) not in resolved:
            resolved.append(AudiencePart(part.kind, key))
    return Audience(tuple(resolved))


def _find_key(kind: AudienceKind, typed: str, organisation: Organisation) -> str | None:
    wanted = fold(typed).replace("-", " ")
    named: Sequence[tuple[str, str]]
    if kind in (AudienceKind.WARD, AudienceKind.OFFICERS):
        named = [(unit.key, unit.name) for unit in organisation.units]
    elif kind is AudienceKind.CAMPAIGN:
        named = [(campaign.key, campaign.title) for campaign in organisation.campaigns]
    else:
        named = [(cluster.key, cluster.name) for cluster in organisation.clusters]
    for key, name in named:
        if typed == key or wanted in (fold(key).replace("-", " "), fold(name)):
            return key
    # "hang bac" for "Phường Hàng Bạc": a unique name that ends with what was typed.
    endings = [key for key, name in named if fold(name).endswith(" " + wanted)]
    return endings[0] if len(endings) == 1 else None


@dataclass(frozen=True, slots=True)
class Broadcast:
    """An announcement and its delivery.

    ``text`` is plain text (escaped when rendered). ``photo_file_id`` is a photo Telegram
    already has (sent in chat, or uploaded with the first recipient's copy); ``photo`` holds
    the bytes of a photo given on the command line until then.
    """

    text: str
    audience: Audience
    created_at: datetime
    created_by: int | None = None  # None: the command line
    send_at: datetime | None = None  # None: as soon as possible
    urgent: bool = False  # sent during the quiet hours too
    campaign_key: str | None = None  # the campaign this launches: a subscribe button
    photo_file_id: str | None = None
    photo: bytes | None = field(default=None, repr=False)
    status: BroadcastStatus = BroadcastStatus.SCHEDULED
    recipients: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancelled_by: int | None = None
    photo_stored: bool = False  # bytes are stored but not loaded (lists skip 10 MB blobs)
    id: int | None = None

    @property
    def has_photo(self) -> bool:
        """Tell whether the announcement carries a photo."""
        return self.photo_file_id is not None or self.photo is not None or self.photo_stored


@dataclass(frozen=True, slots=True)
class Report:
    """What a broadcast achieved so far."""

    broadcast: Broadcast
    counts: dict[Outcome, int]

    def count(self, outcome: Outcome) -> int:
        """Return how many recipients ended (or stand) at ``outcome``."""
        return self.counts.get(outcome, 0)

    @property
    def duration(self) -> timedelta | None:
        """Return how long the delivery took (or has taken until the last message)."""
        b = self.broadcast
        if b.started_at is None or b.finished_at is None:
            return None
        return b.finished_at - b.started_at


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Hours when bulk announcements wait (default 21:00–07:00 local time)."""

    start: time
    end: time
    timezone: tzinfo

    def contains(self, moment: datetime) -> bool:
        """Tell whether ``moment`` falls in the quiet hours."""
        local = moment.astimezone(self.timezone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, moment: datetime) -> datetime:
        """Return when the quiet hours holding ``moment`` end (``moment`` if they do not)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.timezone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.timezone)
        if end <= local:
            end += timedelta(days=1)
        return end


def check_text(text: str, *, with_photo: bool) -> str:
    """Return the announcement's text stripped; refuse an empty or over-long one."""
    cleaned = text.strip()
    limit = MAX_CAPTION if with_photo else MAX_TEXT
    if not cleaned and not with_photo:
        raise EmptyMessageError("empty announcement")
    if len(cleaned) > limit:
        raise EmptyMessageError(f"{len(cleaned)} characters, limit {limit}")
    return cleaned


def may_broadcast(actor: Actor) -> bool:
    """Tell whether ``actor`` may write, launch with, follow and stop announcements.

    The council's secretariat and admins in chat, and the operator at the command line.
    """
    return actor.is_operator or actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN)


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as its launcher typed it, launched with its announcement."""

    title: str
    theme: str
    description: str
    starts: date
    ends: date | None

    def campaign_in(self, organisation: Organisation) -> Campaign:
        """Return the campaign to launch in ``organisation`` (its key unique there)."""
        return new_campaign(
            organisation,
            title=self.title,
            theme=self.theme,
            description=self.description,
            starts=self.starts,
            ends=self.ends,
        )


def new_campaign(
    organisation: Organisation,
    *,
    title: str,
    theme: str,
    description: str,
    starts: date,
    ends: date | None,
) -> Campaign:
    """Return a campaign to launch, with a key made from its title (unique in the organisation)."""
    title, theme, description = title.strip(), theme.strip(), description.strip()
    if not title:
        raise CampaignError("a campaign needs a title")
    if ends is not None and ends < starts:
        raise CampaignError("the campaign ends before it starts")
    base = "-".join(fold(title).split())[:40].strip("-") or "phong-trao"
    taken = {campaign.key for campaign in organisation.campaigns}
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return Campaign(key, title, theme or title, description, Validity(starts, ends))
