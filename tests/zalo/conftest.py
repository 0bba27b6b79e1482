"""A local Zalo OA on loopback, a clock both it and the bot read, and the bot's Zalo side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.zalo.client import ZaloClient
from bot.zalo.local_api import LocalZaloOA
from bot.zalo.tokens import OaTokens, TokenEndpoint, TokenGrant
from storage.uow import Database

# Friday 20/11/2026, 10:00 in Hà Nội.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
RESIDENT = "2468458835296117922"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def zalo(clock: FakeClock) -> AsyncIterator[LocalZaloOA]:
    async with LocalZaloOA(clock=clock) as oa:
        yield oa


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def endpoint_of(zalo: LocalZaloOA, http: aiohttp.ClientSession) -> TokenEndpoint:
    return TokenEndpoint(http, oauth_url=zalo.url, app_id=zalo.app_id, app_secret=zalo.app_secret)


def grant_of(pair: dict[str, str]) -> TokenGrant:
    return TokenGrant(
        pair["access_token"], pair["refresh_token"], timedelta(seconds=int(pair["expires_in"]))
    )


@pytest.fixture
async def tokens(
    zalo: LocalZaloOA, http: aiohttp.ClientSession, database: Database, clock: FakeClock
) -> OaTokens:
    """The OA's tokens, installed as an admin's authorisation gives them."""
    oa_tokens = OaTokens(database.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
    await oa_tokens.install(grant_of(zalo.issue_tokens()))
    return oa_tokens


@pytest.fixture
def client(zalo: LocalZaloOA, http: aiohttp.ClientSession, tokens: OaTokens) -> ZaloClient:
    return ZaloClient(http, tokens, api_url=zalo.url)
