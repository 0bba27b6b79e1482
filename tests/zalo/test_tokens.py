"""The OA's access token is refreshed once, whoever needs it, and never with a spent token."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from bot.zalo.local_api import REFRESH_TOKEN_INVALID, LocalZaloOA
from bot.zalo.tokens import AuthorisationLost, OaTokens, TokensMissing
from storage.uow import Database, open_database
from tests.zalo.conftest import FakeClock, endpoint_of, grant_of


async def test_two_processes_share_the_token_without_a_double_refresh(
    migrated_database_url: str, zalo: LocalZaloOA, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    # Two processes: each its own engine and connection pool, its own tokens object. The
    # token endpoint takes 0.3 s, so the second asks while the first's refresh is under way.
    zalo.refresh_delay = 0.3
    first_db = await open_database(migrated_database_url, migrate=False)
    second_db = await open_database(migrated_database_url, migrate=False)
    try:
        first = OaTokens(first_db.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
        second = OaTokens(second_db.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
        await first.install(grant_of(zalo.issue_tokens()))
        clock.advance(timedelta(hours=25))  # the access token has run out

        async def second_a_little_later() -> str:
            await asyncio.sleep(0.05)  # the first holds the row and is calling Zalo
            return await second.access_token()

        first_token, second_token = await asyncio.gather(
            first.access_token(), second_a_little_later()
        )
    finally:
        await first_db.dispose()
        await second_db.dispose()

    assert len(zalo.refresh_calls) == 1  # the second process waited, then found it fresh
    assert REFRESH_TOKEN_INVALID not in zalo.refusals
    assert first_token == second_token
    assert first_token != ""


async def test_both_racers_start_their_refresh_before_either_ends(
    migrated_database_url: str, zalo: LocalZaloOA, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    # The same race with both refreshes asked for at once, from Zalo refusing the token both
    # used (not from its expiry): still one call to the token endpoint.
    zalo.refresh_delay = 0.3
    databases = [await open_database(migrated_database_url, migrate=False) for _ in range(2)]
    try:
        racers = [
            OaTokens(db.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
            for db in databases
        ]
        await racers[0].install(grant_of(zalo.issue_tokens()))
        stale = await racers[0].access_token()
        assert stale == await racers[1].access_token()
        zalo.expire_access_tokens()

        fresh = await asyncio.gather(*(racer.refresh(stale=stale) for racer in racers))
    finally:
        for db in databases:
            await db.dispose()

    assert len(zalo.refresh_calls) == 1
    assert fresh[0] == fresh[1] != stale


async def test_a_fresh_token_is_used_without_asking_zalo(
    tokens: OaTokens, zalo: LocalZaloOA, clock: FakeClock
) -> None:
    token = await tokens.access_token()
    clock.advance(timedelta(hours=24))  # 1 h left, more than the 10 min margin
    assert await tokens.access_token() == token
    clock.advance(timedelta(minutes=55))  # 5 min left: refreshed ahead of its end
    assert await tokens.access_token() != token
    assert len(zalo.refresh_calls) == 1


async def test_a_restarted_process_reads_the_rotated_pair_from_the_database(
    tokens: OaTokens,
    zalo: LocalZaloOA,
    http: aiohttp.ClientSession,
    database: Database,
    clock: FakeClock,
) -> None:
    clock.advance(timedelta(hours=25))
    rotated = await tokens.access_token()
    restarted = OaTokens(database.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
    assert await restarted.access_token() == rotated
    clock.advance(timedelta(hours=25))
    assert await restarted.access_token() not in {rotated, ""}  # its refresh token still works
    assert zalo.refusals == []


async def test_a_spent_refresh_token_says_the_oa_must_be_authorised_again(
    tokens: OaTokens, zalo: LocalZaloOA, http: aiohttp.ClientSession, database: Database
) -> None:
    async with database.uow() as uow:
        stored = await uow.zalo_tokens.get(zalo.oa_id)
    assert stored is not None
    await endpoint_of(zalo, http).refresh(stored.refresh_token)  # spent elsewhere

    with pytest.raises(AuthorisationLost, match=str(REFRESH_TOKEN_INVALID)):
        await tokens.refresh(stale=stored.access_token)
    async with database.uow() as uow:
        assert await uow.zalo_tokens.get(zalo.oa_id) == stored  # rolled back, kept as it was


async def test_without_tokens_the_operator_is_told_to_authorise_the_app(
    zalo: LocalZaloOA, http: aiohttp.ClientSession, database: Database, clock: FakeClock
) -> None:
    tokens = OaTokens(database.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
    with pytest.raises(TokensMissing):
        await tokens.access_token()
