"""The real bot (PTB, our processor, the database) against the local Bot API, per backend."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import BotApplication, running_bot
from bot.budget import SendBudget
from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from bot.settings import Settings
from core.outbox import OutgoingMessage

# A Friday morning in Hà Nội.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


StartBot = Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]]


def unpaced_budget() -> SendBudget:
    """Return a send budget without the one-a-second pace per chat (Telegram's rate overall).

    The fake Bot API limits nothing unless a test asks it to (``rate_limits``), and a year of
    deadline notices at one a second per officer would take minutes of waiting: tests about
    the limits use the default budget (``start_bot(budget=SendBudget())``).
    """
    return SendBudget(chat_burst=1_000_000)


@dataclass
class RunningBot:
    application: BotApplication
    runtime: Runtime


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bot_settings(api: LocalBotApi, migrated_database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=api.base_url,
        telegram_file_url=api.file_base_url,
        database_url=migrated_database_url,
    )


@pytest.fixture
def start_bot(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]]:
    """Return a starter, so a test can stop the bot and start a new one on the same data."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[tuple[BotApplication, Runtime]]:
        overrides.setdefault("budget", unpaced_budget())
        return running_bot(
            bot_settings, token=api.token, polling=True, clock=clock, poll_timeout=1, **overrides
        )

    return start


@pytest.fixture
async def bot(
    start_bot: Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]],
) -> AsyncIterator[RunningBot]:
    async with start_bot() as (application, runtime):
        yield RunningBot(application, runtime)


# A process of another host, for tests of several processes on one PostgreSQL database.
OTHER_PROCESS = "other-host:4242"


async def taken_elsewhere(
    bot: RunningBot, chat_id: int, text: str, *, ago: timedelta = timedelta(0)
) -> int:
    """Queue a message to the chat that another process took for sending ``ago``; its id."""
    at = bot.runtime.clock() - ago
    async with bot.runtime.uow() as uow:
        (held,) = await uow.outbox.add_many(
            [OutgoingMessage(chat_id, "sendMessage", {"chat_id": chat_id, "text": text}, at)],
            taken_by=OTHER_PROCESS,
            at=at,
        )
        await uow.commit()
    assert held.id is not None
    return held.id


@contextlib.asynccontextmanager
async def bot_with_channel(
    api: LocalBotApi, settings: Settings, clock: FakeClock, channel: int, **overrides: Any
) -> AsyncIterator[RunningBot]:
    """Run the bot with the ward's public channel set (``NTVT_PUBLIC_CHANNEL``)."""
    with_channel = settings.model_copy(update={"public_channel": channel})
    async with running_bot(
        with_channel,
        token=api.token,
        polling=True,
        clock=clock,
        poll_timeout=1,
        budget=unpaced_budget(),
        **overrides,
    ) as (application, runtime):
        yield RunningBot(application, runtime)
