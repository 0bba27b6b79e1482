"""Use cases of announcements: written, launched with a campaign, started, followed, stopped.

A broadcast is written once (in chat or from the command line), then *expanded*: one outbox
row per recipient, unique per broadcast and chat, all written in one transaction before the
first message goes. From then on the outbox is the truth: a crash loses nothing and skips
nobody, and a restart sends only what was not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from core.broadcasts import (
    MAX_PHOTO_BYTES,
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastFinishedError,
    BroadcastStatus,
    CampaignDraft,
    EmptyMessageError,
    Outcome,
    QuietHours,
    Report,
    UnknownBroadcastError,
    check_text,
    may_broadcast,
)
from core.org import Campaign, Organisation
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork
from core.roles import Actor, NotAllowedError, Role
from core.subscriptions import Scope


def _check_broadcasts(actor: Actor) -> None:
    if not may_broadcast(actor):
        raise NotAllowedError(f"user {actor.user_id} may not broadcast")


async def recipients(
    uow: UnitOfWork, audience: Audience, organisation: Organisation, on: date
) -> list[int]:
    """Return the chats an audience reaches today, each once, without those that blocked us.

    Subscribers are residents with an active subscription that covers the part; officers
    are the holders of an officer grant in force for the unit (or the cluster's members).
    """
    scopes: set[tuple[Scope, str | None]] = set()
    units: set[str] = set()
    for part in audience.parts:
        if part.kind is AudienceKind.SUBSCRIBERS:
            scopes.add((Scope.ALL, None))
        elif part.kind is AudienceKind.WARD:
            scopes.update({(Scope.ALL, None), (Scope.WARD, part.target)})
        elif part.kind is AudienceKind.CAMPAIGN:
            scopes.update({(Scope.ALL, None), (Scope.CAMPAIGN, part.target)})
        elif part.kind is AudienceKind.OFFICERS and part.target is not None:
            units.add(part.target)
        elif part.kind is AudienceKind.CLUSTER and part.target is not None:
            cluster = organisation.find_cluster(part.target)
            if cluster is not None:
                units.update(cluster.member_keys)
    chats: set[int] = set()
    if scopes:
        chats.update(await uow.subscriptions.subscribers(sorted(scopes, key=str)))
    if units:
        officers = {
            grant.user_id
            for unit_key in sorted(units)
            for grant in await uow.roles.holders(unit_key=unit_key)
            if grant.role is Role.OFFICER and grant.in_force(on)
        }
        chats.update(officers - await uow.subscriptions.blocked_among(sorted(officers)))
    return sorted(chats)


async def create(uow: UnitOfWork, broadcast: Broadcast, *, actor: Actor, today: date) -> Broadcast:
    """Store a broadcast to be sent at ``send_at`` (or now), written by ``actor``."""
    _check_broadcasts(actor)
    _check_sendable(broadcast)
    stored = replace(broadcast, status=BroadcastStatus.SCHEDULED, created_by=actor.recorded_id)
    return await uow.broadcasts.add(stored)


def _check_sendable(broadcast: Broadcast) -> None:
    check_text(broadcast.text, with_photo=broadcast.has_photo)
    if broadcast.photo is not None and len(broadcast.photo) > MAX_PHOTO_BYTES:
        raise EmptyMessageError("photo over 10 MB")


async def cancel(uow: UnitOfWork, broadcast_id: int, *, actor: Actor) -> Broadcast:
    """Cancel a scheduled or running broadcast: what is not sent yet will not be."""
    _check_broadcasts(actor)
    broadcast = await uow.broadcasts.get(broadcast_id, for_update=True)
    if broadcast is None:
        raise UnknownBroadcastError(f"broadcast {broadcast_id}")
    if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        raise BroadcastFinishedError(
            f"broadcast {broadcast_id} is {broadcast.status.value}", status=broadcast.status
        )
    await uow.outbox.cancel_broadcast(broadcast_id)
    cancelled = replace(broadcast, status=BroadcastStatus.CANCELLED, cancelled_by=actor.recorded_id)
    await uow.broadcasts.save(cancelled)
    return cancelled


async def recent(uow: UnitOfWork, actor: Actor, *, limit: int) -> Sequence[Broadcast]:
    """Return the latest broadcasts, newest first, for whoever may broadcast."""
    _check_broadcasts(actor)
    return await uow.broadcasts.recent(limit=limit)


@dataclass(frozen=True, slots=True)
class Announced:
    """A stored announcement: the campaign it launched, if any, and how many it reaches today.

    ``organisation``: the organisation with that campaign, for the edge to use once the
    transaction is committed.
    """

    broadcast: Broadcast
    campaign: Campaign | None
    organisation: Organisation | None
    recipients: int


async def announce(
    uow: UnitOfWork,
    actor: Actor,
    draft: Broadcast,
    *,
    campaign: CampaignDraft | None,
    today: date,
) -> Announced:
    """Store an announcement, launching the campaign it announces first if there is one.

    Raises :class:`NotAllowedError` for whoever may not broadcast, :class:`CampaignError`
    or :class:`EmptyMessageError` for what cannot be sent; nothing is written then.
    """
    _check_broadcasts(actor)
    organisation = await uow.organisation.load()
    launched = None
    if campaign is not None and organisation is not None:
        launched = campaign.campaign_in(organisation)
        draft = replace(draft, campaign_key=launched.key)
    _check_sendable(draft)
    if launched is not None and organisation is not None:
        await launch_campaign(uow, actor, launched)
        organisation = replace(organisation, campaigns=(*organisation.campaigns, launched))
    broadcast = await create(uow, draft, actor=actor, today=today)
    count = (
        len(await recipients(uow, broadcast.audience, organisation, today))
        if organisation is not None
        else 0
    )
    return Announced(broadcast, launched, organisation, count)


async def launch_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign) -> Campaign:
    """Add a campaign to the organisation, launched by ``actor`` (its announcement follows)."""
    _check_broadcasts(actor)
    await uow.organisation.add_campaign(campaign, launched_by=actor.recorded_id)
    return campaign


async def report(uow: UnitOfWork, broadcast_id: int) -> Report:
    """Return the broadcast with the count of each outcome."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise UnknownBroadcastError(f"broadcast {broadcast_id}")
    return Report(broadcast, await uow.outbox.broadcast_outcomes(broadcast_id))


# The edge renders the message for a recipient's language: (method, params without chat_id).
Render = Callable[[Broadcast, str | None], tuple[str, dict[str, object]]]


async def start_due(
    uow: UnitOfWork,
    *,
    now: datetime,
    quiet: QuietHours,
    organisation: Organisation,
    render: Render,
) -> list[Broadcast]:
    """Expand the broadcasts whose time has come into the outbox; return them.

    Outside the quiet hours every due broadcast starts; inside them only urgent ones. Each
    recipient gets one row (the outbox's unique broadcast and chat), all in this
    transaction: the sender never sees half a broadcast.
    """
    started: list[Broadcast] = []
    in_quiet = quiet.contains(now)
    for broadcast in await uow.broadcasts.due(now):
        if in_quiet and not broadcast.urgent:
            continue
        assert broadcast.id is not None
        chats = await recipients(uow, broadcast.audience, organisation, now.date())
        locales = await uow.users.locales(chats)
        rows: list[OutgoingMessage] = []
        for chat_id in chats:
            method, params = render(broadcast, locales.get(chat_id))
            rows.append(OutgoingMessage(chat_id, method, {"chat_id": chat_id, **params}, now))
        added = await uow.outbox.add_bulk(broadcast.id, rows)
        running = replace(
            broadcast,
            status=BroadcastStatus.SENDING,
            recipients=added,
            started_at=now,
            finished_at=now if added == 0 else None,
        )
        if added == 0:
            running = replace(running, status=BroadcastStatus.DONE)
        await uow.broadcasts.save(running)
        started.append(running)
    return started


async def finish_delivered(uow: UnitOfWork, *, now: datetime) -> list[Broadcast]:
    """Mark done the running broadcasts with nothing left to send; return them."""
    finished: list[Broadcast] = []
    for broadcast in await uow.broadcasts.running():
        assert broadcast.id is not None
        counts = await uow.outbox.broadcast_outcomes(broadcast.id)
        if counts.get(Outcome.PENDING, 0) == 0:
            last = await uow.outbox.broadcast_last_attempt(broadcast.id)
            done = replace(broadcast, status=BroadcastStatus.DONE, finished_at=last or now)
            await uow.broadcasts.save(done)
            finished.append(done)
    return finished
