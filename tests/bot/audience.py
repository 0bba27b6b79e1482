"""Generated subscribers for broadcast tests: stored directly, with a chat in the fake API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from core.people import PRIVACY_NOTICE_VERSION, Consent, ConsentPurpose, User
from core.subscriptions import Scope, Subscription
from storage.tables import ConsentRow, SubscriptionRow, UserRow
from storage.uow import open_database


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


async def add_many_subscribers(
    api: LocalBotApi, database_url: str, ids: range, *, now: datetime
) -> list[int]:
    """Like :func:`add_subscribers` for thousands: bulk inserts instead of rows one by one."""
    users = list(ids)
    for user_id in users:
        api.user(user_id, f"Cư dân {user_id}")
    await store_subscribers(database_url, users, now=now)
    return users


async def store_subscribers(database_url: str, ids: list[int], *, now: datetime) -> None:
    """Store consented residents subscribed to everything, 2,000 rows per statement."""
    db = await open_database(database_url, migrate=False)
    try:
        async with db.engine.begin() as connection:
            for start in range(0, len(ids), 2000):
                chunk = ids[start : start + 2000]
                await connection.execute(
                    insert(UserRow),
                    [
                        {
                            "id": i,
                            "display_name": f"Cư dân {i}",
                            "language_code": "vi",
                            "locale": None,
                            "created_at": now,
                        }
                        for i in chunk
                    ],
                )
                await connection.execute(
                    insert(ConsentRow),
                    [
                        {
                            "user_id": i,
                            "purpose": ConsentPurpose.NOMINATION.value,
                            "notice_version": PRIVACY_NOTICE_VERSION,
                            "given_at": now,
                        }
                        for i in chunk
                    ],
                )
                await connection.execute(
                    insert(SubscriptionRow),
                    [
                        {"user_id": i, "scope": Scope.ALL.value, "target": None, "created_at": now}
                        for i in chunk
                    ],
                )
    finally:
        await db.dispose()
