"""The desk's app (the webhook's FastAPI app) on the local Bot API, with the world seeded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhook import create_app
from tests.desk.world import DESK_URL, FakeClock, Seeded, seed


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk_settings(api: LocalBotApi, migrated_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=api.base_url,
        telegram_file_url=api.file_base_url,
        database_url=migrated_database_url,
        webhook_secret=SecretStr("s3cret-token"),
        desk_url=DESK_URL,
        zalo_media_dir=str(tmp_path / "zalo-media"),
    )


@dataclass
class Desk:
    app: FastAPI
    rt: Runtime
    client: httpx.AsyncClient
    seeded: Seeded
    clock: FakeClock


@pytest.fixture
async def desk(api: LocalBotApi, desk_settings: Settings, clock: FakeClock) -> AsyncIterator[Desk]:
    app = create_app(desk_settings, token=api.token, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=DESK_URL) as client,
    ):
        rt: Runtime = app.state.runtime
        seeded = await seed(rt, clock())
        yield Desk(app, rt, client, seeded, clock)
