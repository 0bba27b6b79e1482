"""POST /zalo/webhook over loopback: signed events stored before the 200, once; forgeries 401.

The local Zalo OA signs and POSTs each event to the webhook served by uvicorn on 127.0.0.1,
as Zalo would over the Internet.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from bot.local_api import LocalBotApi
from bot.settings import Settings
from bot.webhook import create_app
from bot.zalo.inbound import InputKind, take_event
from bot.zalo.local_api import LocalZaloOA
from bot.zalo.signature import SIGNATURE_HEADER, signature_of
from bot.zalo.webhook import ZALO_WEBHOOK_PATH, zalo_router
from core.channels import Channel, earliest_send
from core.identity import is_minted
from storage.uow import Database
from tests.zalo.conftest import RESIDENT, FakeClock


def zalo_settings(zalo: LocalZaloOA, **more: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_app_id=zalo.app_id,
        zalo_secret_key=SecretStr(zalo.secret_key),
        zalo_app_secret=SecretStr(zalo.app_secret),
        zalo_oa_id=zalo.oa_id,
        zalo_api_url=zalo.url,
        zalo_oauth_url=zalo.url,
        **more,
    )


@pytest.fixture
async def webhook(zalo: LocalZaloOA, database: Database, clock: FakeClock) -> AsyncIterator[str]:
    """Serve the Zalo router on 127.0.0.1 and point the local OA's webhook at it."""
    app = FastAPI()
    app.include_router(zalo_router(zalo_settings(zalo), uow=lambda _r: database.uow(), clock=clock))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # uvicorn offers no event to wait on; 5 s at most
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    zalo.webhook_url = f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}"
    try:
        yield zalo.webhook_url
    finally:
        server.should_exit = True
        await task
        sock.close()


async def stored(database: Database) -> list[tuple[str, str | None]]:
    async with database.uow() as uow:
        return [(e.event_name, e.sender_id) for e in await uow.zalo_events.waiting(limit=100)]


async def test_every_kind_of_event_is_stored_before_it_is_acknowledged(
    webhook: str, zalo: LocalZaloOA, database: Database, clock: FakeClock
) -> None:
    answers = []
    for send in (
        lambda: zalo.follow(RESIDENT),
        lambda: zalo.send_text(RESIDENT, "đề cử"),
        lambda: zalo.press(RESIDENT, "#consent:yes"),
        lambda: zalo.send_image(RESIDENT, b"photo"),
        lambda: zalo.send_file(RESIDENT, b"%PDF", "to-trinh.pdf"),
        lambda: zalo.send_location(RESIDENT, 21.0285, 105.8542),
        lambda: zalo.submit_info(RESIDENT, name="Nguyễn Văn Bình", phone="0912345678"),
        lambda: zalo.unfollow(RESIDENT),
    ):
        answers.append(await send())
        clock.advance(timedelta(seconds=1))
    assert answers == [200] * 8
    assert await stored(database) == [
        ("follow", RESIDENT),
        ("user_send_text", RESIDENT),
        ("user_send_text", RESIDENT),
        ("user_send_image", RESIDENT),
        ("user_send_file", RESIDENT),
        ("user_send_location", RESIDENT),
        ("user_submit_info", RESIDENT),
        ("unfollow", RESIDENT),
    ]


async def test_a_redelivered_event_is_stored_once(
    webhook: str, zalo: LocalZaloOA, database: Database
) -> None:
    event = zalo.event(RESIDENT, "đề cử")
    follow = {**zalo.event(RESIDENT, ""), "event_name": "follow"}
    del follow["message"]
    assert [await zalo.deliver(e) for e in (event, event, follow, follow)] == [200] * 4
    assert len(await stored(database)) == 2


async def test_a_forged_or_stale_event_is_refused_and_nothing_is_stored(
    webhook: str, zalo: LocalZaloOA, database: Database, clock: FakeClock
) -> None:
    event = zalo.event(RESIDENT, "đề cử")
    body = json.dumps(event, ensure_ascii=False).encode()
    assert "đề cử".encode() in body
    forged = signature_of(
        app_id=zalo.app_id, body=body, timestamp=event["timestamp"], secret_key="guessed"
    )
    assert await zalo.deliver(event, signature=forged) == 401
    assert await zalo.deliver(event, signature="") == 401
    # Signed, then changed on the way.
    genuine = signature_of(
        app_id=zalo.app_id, body=body, timestamp=event["timestamp"], secret_key=zalo.secret_key
    )
    tampered = body.replace("đề cử".encode(), "xóa hết".encode())
    assert await zalo.deliver(event, signature=genuine, raw=tampered) == 401
    # Genuine but replayed long after (the webhook's clock is 11 minutes on).
    clock.advance(timedelta(minutes=11))
    assert await zalo.deliver(event, signature=genuine, raw=body) == 401
    assert await stored(database) == []


async def test_a_stored_event_becomes_a_residents_input_through_the_seam(
    webhook: str, zalo: LocalZaloOA, database: Database, clock: FakeClock
) -> None:
    await zalo.send_text(RESIDENT, "đề cử")
    clock.advance(timedelta(minutes=1))
    await zalo.submit_info(RESIDENT, name="Nguyễn Văn Bình", phone="0912345678")
    clock.advance(timedelta(minutes=1))
    await zalo.send_location(RESIDENT, 21.0285, 105.8542)
    async with database.uow() as uow:
        given = [await take_event(uow, e) for e in await uow.zalo_events.waiting(limit=10)]
        await uow.commit()
    text, contact, place = given
    assert text is not None and contact is not None and place is not None
    assert (text.kind, text.text) == (InputKind.TEXT, "đề cử")
    assert (contact.kind, contact.phone, contact.name) == (
        InputKind.CONTACT,
        "0912345678",
        "Nguyễn Văn Bình",
    )
    assert (place.kind, place.latitude, place.longitude) == (InputKind.LOCATION, 21.0285, 105.8542)
    assert text.user_id == contact.user_id == place.user_id and is_minted(text.user_id)
    async with database.uow() as uow:
        identity = await uow.identities.get(Channel.ZALO, RESIDENT)
    # Their last message opens Zalo's window: a reply may go now, at 10:02 in Hà Nội.
    assert identity is not None and identity.last_inbound_at == clock()
    assert (
        earliest_send(
            clock(), identity.last_inbound_at, zalo_settings(zalo).zalo_capabilities(), zalo.tz
        )
        == clock()
    )


@pytest.fixture
async def telegram() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


async def test_the_bots_webhook_app_serves_zalo_only_when_it_is_configured(
    telegram: LocalBotApi,
    migrated_database_url: str,
    zalo: LocalZaloOA,
    clock: FakeClock,
    database: Database,
) -> None:
    bot_settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=telegram.base_url,
        telegram_file_url=telegram.file_base_url,
        database_url=migrated_database_url,
    )
    secret = SecretStr("s3cret-token")
    event = zalo.event(RESIDENT, "đề cử")
    body = json.dumps(event).encode()
    header = signature_of(
        app_id=zalo.app_id, body=body, timestamp=event["timestamp"], secret_key=zalo.secret_key
    )
    answers = {}
    for name, settings in {
        "without": bot_settings.model_copy(update={"webhook_secret": secret}),
        "with": bot_settings.model_copy(
            update={
                "webhook_secret": secret,
                "zalo_app_id": zalo.app_id,
                "zalo_secret_key": SecretStr(zalo.secret_key),
                "zalo_app_secret": SecretStr(zalo.app_secret),
                "zalo_oa_id": zalo.oa_id,
                "zalo_api_url": zalo.url,
                "zalo_oauth_url": zalo.url,
            }
        ),
    }.items():
        app = create_app(settings, token=telegram.token, clock=clock)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as c,
        ):
            answers[name] = (
                await c.post(ZALO_WEBHOOK_PATH, content=body, headers={SIGNATURE_HEADER: header})
            ).status_code
    assert answers == {"without": 404, "with": 200}
    assert await stored(database) == [("user_send_text", RESIDENT)]
