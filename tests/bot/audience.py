"""Generated subscribers for broadcast tests: stored directly, with a chat in the fake API."""

from __future__ import annotations

from datetime import datetime

from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from core.people import PRIVACY_NOTICE_VERSION, Consent, ConsentPurpose, User
from core.subscriptions import Scope, Subscription


async def add_subscribers(
    api: LocalBotApi,
    rt: Runtime,
    ids: range | list[int],
    *,
    now: datetime,
    scope: Scope = Scope.ALL,
    target: str | None = None,
    locale: str | None = None,
) -> list[int]:
    """Create residents who consented and subscribed to ``scope``; return their ids."""
    users = list(ids)
    async with rt.uow() as uow:
        for user_id in users:
            api.user(user_id, f"Cư dân {user_id}")
            await uow.users.save(User(user_id, f"Cư dân {user_id}", "vi", locale, now))
            await uow.consents.add(
                Consent(user_id, ConsentPurpose.NOMINATION, PRIVACY_NOTICE_VERSION, now)
            )
            await uow.subscriptions.add(Subscription(user_id, scope, target, now))
        await uow.commit()
    return users
