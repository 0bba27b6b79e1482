"""Use cases of stored updates: taken up for their turn, set aside, listed, put back.

Each service opens and commits a unit of work of its own: they serve the sweep of stored
updates (:func:`bot.app.take_up_stored`) and the operator's ``ntvt updates``, not a turn.
What an update may be, and the reasons for setting one aside, are in :mod:`core.inbound`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from core.inbound import MAX_ATTEMPTS, DeadLetter, StoredUpdate, too_many_attempts
from core.ports import UnitOfWork


async def take_up_stored(
    uow: UnitOfWork,
    *,
    limit: int,
    received_before: datetime | None,
    skip: Collection[int] = (),
    now: datetime,
) -> tuple[list[StoredUpdate], dict[int, str]]:
    """Take up stored updates waiting for their turn: count an attempt on each, in one commit.

    Return those to process now and those set aside instead (by id, with the reason): an
    update already taken up ``MAX_ATTEMPTS`` times stopped the process each time and would
    again. ``skip`` are updates this process has in hand; ``received_before`` leaves alone
    the ones just stored, which their receiver is processing.
    """
    async with uow:
        stored = await uow.inbound.waiting(limit=limit, received_before=received_before)
        waiting = [update for update in stored if update.update_id not in skip]
        taken = [update for update in waiting if update.attempts < MAX_ATTEMPTS]
        set_aside = {
            update.update_id: too_many_attempts(update.attempts)
            for update in waiting
            if update.attempts >= MAX_ATTEMPTS
        }
        for update_id, reason in set_aside.items():
            await uow.inbound.set_aside(update_id, now, reason)
        await uow.inbound.count_attempt([update.update_id for update in taken])
        await uow.commit()
    return taken, set_aside


async def set_aside(uow: UnitOfWork, update_id: int, reason: str, now: datetime) -> bool:
    """Set a stored update aside; False if it was processed or set aside meanwhile."""
    async with uow:
        done = await uow.inbound.set_aside(update_id, now, reason)
        await uow.commit()
    return done


async def dead_letters(uow: UnitOfWork, *, limit: int) -> tuple[list[DeadLetter], int]:
    """Return the updates set aside, oldest first (at most ``limit``), and how many there are."""
    async with uow:
        listed = await uow.inbound.set_aside_updates(limit=limit)
        return list(listed), await uow.inbound.count_set_aside()


async def retry_dead_letter(uow: UnitOfWork, update_id: int) -> bool:
    """Clear an update's mark so it is taken up again; False if it is not set aside."""
    async with uow:
        cleared = await uow.inbound.put_back(update_id)
        await uow.commit()
    return cleared
