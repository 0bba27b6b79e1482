"""Subscriptions to announcements: an explicit opt-in, separate from the privacy consent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.errors import DomainError
from core.ports import UnitOfWork
from core.services import ConsentRequiredError, has_consent


class Scope(StrEnum):
    """What a resident subscribes to."""

    ALL = "all"  # every announcement
    WARD = "ward"  # announcements to one ward (``target`` is its unit key)
    CAMPAIGN = "campaign"  # one campaign's announcements (``target`` is its key)


class UnknownTargetError(DomainError):
    """The ward or campaign subscribed to does not exist."""

    code = "subscription.unknown_target"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One opt-in, with its time and scope; ``ended_at`` is set when the resident leaves."""

    user_id: int
    scope: Scope
    target: str | None
    created_at: datetime
    ended_at: datetime | None = None
    id: int | None = None


async def subscribe(
    uow: UnitOfWork, user_id: int, scope: Scope, target: str | None, *, now: datetime
) -> bool:
    """Opt in to ``scope``; return False if the resident already was."""
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    if scope is not Scope.ALL:
        organisation = await uow.organisation.load()
        known = (
            organisation is not None
            and target is not None
            and (
                organisation.find_unit(target) is not None
                if scope is Scope.WARD
                else organisation.find_campaign(target) is not None
            )
        )
        if not known:
            raise UnknownTargetError(f"{scope.value} {target!r}")
    return await uow.subscriptions.add(
        Subscription(user_id, scope, target if scope is not Scope.ALL else None, now)
    )


async def unsubscribe(uow: UnitOfWork, user_id: int, *, now: datetime) -> int:
    """End every subscription of the resident; return how many ended."""
    return await uow.subscriptions.end_all(user_id, at=now)


async def subscriptions_of(uow: UnitOfWork, user_id: int) -> Sequence[Subscription]:
    """Return the resident's active subscriptions, oldest first."""
    return await uow.subscriptions.active_of(user_id)


async def note_blocked(uow: UnitOfWork, user_id: int, *, blocked: bool, now: datetime) -> None:
    """Remember that the user blocked the bot (no bulk message goes to them) or came back."""
    await uow.subscriptions.set_blocked(user_id, at=now if blocked else None)
