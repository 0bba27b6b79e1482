"""Failover: a live process takes over at once what a process that stopped held.

Where several processes serve one database, each renews an *alive* lease every heartbeat.
A process that dies stops renewing it (a process that stops gracefully ends it itself): once
it has lapsed, the first live process to remove it takes over, in the same transaction, what
the gone one held: the outgoing messages it had taken for sending (put back, their chats
to be sent now) and the updates it had stored and acknowledged but not processed (now the
taker's, to process now). The removal is one conditional statement, so exactly one process
takes each gone one's work over, and a live process's work is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.inbound import MAX_ATTEMPTS, StoredUpdate, too_many_attempts
from core.ports import UnitOfWork


@dataclass(frozen=True)
class Handover:
    """What a process took over from one that is gone."""

    gone: str
    # Chats whose messages the gone process held for sending: put back, to be sent now.
    chats: frozenset[int] = frozenset()
    # Updates it stored and did not finish: the taker processes them now.
    updates: Sequence[StoredUpdate] = ()
    # Updates taken over too often (each time they stopped the process): set aside, by id.
    set_aside: dict[int, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Tell whether the gone process held nothing."""
        return not (self.chats or self.updates or self.set_aside)


async def heartbeat(
    uow: UnitOfWork, *, prefix: str, lease: str, holder: str, now: datetime, seconds: float
) -> list[tuple[str, str]]:
    """Renew ``holder``'s alive lease for ``seconds``; return the lapsed ones of the others.

    One transaction: the renewal and the look at the others' leases (``(name, holder)``).
    """
    async with uow:
        await uow.leases.acquire(lease, holder, now=now, seconds=seconds)
        lapsed = await uow.leases.lapsed(prefix, now=now)
        await uow.commit()
    return [(name, who) for name, who in lapsed if who != holder]


async def take_over(
    uow: UnitOfWork, *, lease: str, gone: str, by: str, now: datetime, limit: int
) -> Handover | None:
    """Take over what ``gone`` held, if its lease (``lease``) lapsed; None if another did.

    In one transaction: the lapsed lease removed, the messages it held put back, the updates
    it stored and did not finish named ``by``'s, each counted as one more attempt (an update
    that stopped ``MAX_ATTEMPTS`` processes is set aside instead, so it cannot stop them all).
    """
    async with uow:
        if not await uow.leases.remove_lapsed(lease, gone, now=now):
            return None
        chats = await uow.outbox.held_chats(gone)
        await uow.outbox.release_claims([gone])
        stored = await uow.inbound.waiting(limit=limit, received_by=gone)
        taken = [update for update in stored if update.attempts < MAX_ATTEMPTS]
        set_aside = {
            update.update_id: too_many_attempts(update.attempts)
            for update in stored
            if update.attempts >= MAX_ATTEMPTS
        }
        for update_id, reason in set_aside.items():
            await uow.inbound.set_aside(update_id, now, reason)
        ids = [update.update_id for update in taken]
        await uow.inbound.count_attempt(ids)
        await uow.inbound.hand_over(ids, to=by)
        await uow.commit()
    return Handover(gone, frozenset(chats), tuple(taken), set_aside)


async def say_gone(uow: UnitOfWork, *, lease: str, holder: str, now: datetime) -> None:
    """End ``holder``'s alive lease now: the others take over what it still holds at once."""
    async with uow:
        await uow.leases.expire(lease, holder, now=now)
        await uow.commit()
