"""/healthz and /metrics of the webhook app, driven through ASGI against the local Bot API."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]
import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.engine import make_url
from telegram import Update

from bot.local_api import LocalBotApi, SimUser
from bot.runtime import Runtime, Turn
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, create_app
from core.outbox import OutgoingMessage
from storage.tables import InboundUpdateRow
from storage.uow import SqlUnitOfWork
from tests.bot.conftest import FakeClock
from tests.bot.updates import HELP

SECRET = "s3cret-token"
TOKEN = "metrics-token-0123456789"
REMOTE = ("203.0.113.7", 40000)  # not loopback (TEST-NET-3)


@asynccontextmanager
async def serving(
    settings: Settings, api: LocalBotApi, clock: FakeClock, *, client: tuple[str, int] | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Run the webhook app's lifespan and yield it with a client (from loopback by default)."""
    settings = settings.model_copy(
        update={"webhook_secret": SecretStr(SECRET), "notice_interval": 3600.0}
    )
    app = create_app(settings, token=api.token, clock=clock)
    transport = httpx.ASGITransport(app=app, client=client or ("127.0.0.1", 50000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as http,
    ):
        yield app, http


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Map (sample name, sorted labels) to its value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 10
    while not await check():
        assert time.monotonic() < deadline, f"not within 10 s: {what}"
        await asyncio.sleep(0.05)


async def post_help(
    http: httpx.AsyncClient, api: LocalBotApi, user: SimUser, update_id: int
) -> None:
    message = api.state.add_message(user.state, HELP, sender=user.user).snapshot()
    answer = await http.post(
        WEBHOOK_PATH,
        json={"update_id": update_id, "message": message},
        headers={SECRET_HEADER: SECRET},
    )
    assert answer.status_code == 200


async def queue_backlog_and_a_dead_letter(rt: Runtime, clock: FakeClock) -> None:
    """Two replies this process is sending (90 s and 30 s old), one broadcast message waiting
    (an hour old), one already sent, and one update set aside.

    Taken by this process, the replies are neither swept nor sent while the test looks.
    """
    assert rt.sender is not None
    now = clock()
    async with rt.uow() as uow:
        for age in (90, 30, 0):
            reply = OutgoingMessage(7, "sendMessage", {"text": "x"}, now - timedelta(seconds=age))
            [queued] = await uow.outbox.add_many([reply], taken_by=rt.sender.name, at=now)
            if age == 0:
                assert queued.id is not None
                await uow.outbox.mark_sent(queued.id, at=now, sent_message_id=1)
        old = now - timedelta(hours=1)
        await uow.outbox.add_bulk(4242, [OutgoingMessage(8, "sendMessage", {"text": "y"}, old)])
        await uow.inbound.record(900_001, {"update_id": 900_001}, now, chat_id=99)
        assert isinstance(uow, SqlUnitOfWork)
        await uow.session.execute(
            update(InboundUpdateRow)
            .where(InboundUpdateRow.update_id == 900_001)
            .values(set_aside_at=now, failure="cannot be read")
        )
        await uow.commit()


async def test_healthz_reports_the_backlog_and_the_dead_letters(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    async with serving(bot_settings, api, clock) as (app, http):
        empty = await http.get("/healthz")
        await queue_backlog_and_a_dead_letter(app.state.runtime, clock)
        await asyncio.sleep(1.05)  # past the cached answer
        counted = await http.get("/healthz")
        clock.now += timedelta(minutes=10)  # the oldest reply has now waited 690 s
        await asyncio.sleep(1.05)
        late = await http.get("/healthz")

    assert empty.status_code == 200
    assert empty.json() == {
        "status": "ok",
        "database": {"writable": True},
        "dead_letters": 0,
        "outbox": {
            "replies": {"unsent": 0, "oldest_age_seconds": None},
            "broadcasts": {"unsent": 0, "oldest_age_seconds": None},
        },
        "warnings": [],
    }
    assert counted.status_code == 200
    assert counted.json() == {
        "status": "ok",
        "database": {"writable": True},
        "dead_letters": 1,
        "outbox": {
            "replies": {"unsent": 2, "oldest_age_seconds": 90.0},
            "broadcasts": {"unsent": 1, "oldest_age_seconds": 3600.0},
        },
        "warnings": [],
    }
    # Replies stuck for over ten minutes: still 200 (the bot works; Telegram may not), flagged.
    assert late.status_code == 200
    body = late.json()
    assert body["status"] == "degraded"
    assert body["outbox"]["replies"] == {"unsent": 2, "oldest_age_seconds": 690.0}
    assert body["warnings"] == ["replies have waited 690 s to be sent (Telegram unreachable?)"]


@asynccontextmanager
async def write_lock_held(database_url: str) -> AsyncIterator[None]:
    """Hold the database's write lock from another connection, as another process could."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute("LOCK TABLE leases IN EXCLUSIVE MODE")  # reads go on, writes wait
    try:
        yield
    finally:
        await transaction.rollback()
        await connection.close()


async def test_healthz_is_unavailable_while_the_database_cannot_be_written_and_recovers(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    async with serving(bot_settings, api, clock) as (_app, http):
        before = await http.get("/healthz")
        await asyncio.sleep(1.05)
        async with write_lock_held(bot_settings.database_url):
            started = time.monotonic()
            during = await http.get("/healthz")
            waited = time.monotonic() - started
            again = await http.get("/healthz")  # within the second: the cached answer
        await asyncio.sleep(1.05)
        after = await http.get("/healthz")

    assert before.status_code == 200
    assert during.status_code == 503
    body = during.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"writable": False}
    assert body["reason"].startswith("the database")
    assert body["dead_letters"] is None
    assert 1.5 < waited < 4.0  # it gave up quickly, and did wait for the lock
    assert again.status_code == 503
    assert after.status_code == 200
    assert after.json()["status"] == "ok"


def value(
    scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return scraped[(name, tuple(sorted(labels.items())))]


async def test_metrics_count_turns_bot_api_errors_and_what_waits(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    user = api.user(1401, "Mai")
    async with serving(bot_settings, api, clock) as (app, http):
        before = await scrape(http)
        await post_help(http, api, user, 700)
        assert "/nominate" in (await user.next_message(timeout=10)).text

        async def turn_counted() -> bool:
            return value(await scrape(http), "ntvt_updates_processed_total", outcome="ok") == 1

        await eventually(turn_counted, "the turn counted")
        api.fail_next("sendMessage", error_code=403, description="Forbidden: bot was blocked")
        await post_help(http, api, user, 701)

        async def error_counted() -> bool:
            return (
                "ntvt_bot_api_errors_total",
                (("code", "403"),),
            ) in await scrape(http)

        await eventually(error_counted, "the 403 counted")
        await queue_backlog_and_a_dead_letter(app.state.runtime, clock)
        await asyncio.sleep(1.05)  # past the cached health check
        after = await scrape(http)

    assert value(before, "ntvt_updates_processed_total", outcome="ok") == 0
    assert value(before, "ntvt_updates_processed_total", outcome="failed") == 0
    assert value(before, "ntvt_turn_duration_seconds_count") == 0
    assert value(before, "ntvt_database_writable") == 1
    assert value(before, "ntvt_dead_letters") == 0
    assert value(before, "ntvt_outbox_backlog_messages", kind="replies") == 0

    assert value(after, "ntvt_updates_processed_total", outcome="ok") == 2
    assert value(after, "ntvt_turn_duration_seconds_count") == 2
    assert 0 < value(after, "ntvt_turn_duration_seconds_sum") < 10
    assert value(after, "ntvt_turn_duration_seconds_bucket", le="10.0") == 2
    assert value(after, "ntvt_bot_api_errors_total", code="403") == 1
    assert value(after, "ntvt_dead_letters") == 1
    assert value(after, "ntvt_outbox_backlog_messages", kind="replies") == 2
    assert value(after, "ntvt_outbox_oldest_age_seconds", kind="replies") == 90
    assert value(after, "ntvt_outbox_backlog_messages", kind="broadcasts") == 1
    assert value(after, "ntvt_outbox_oldest_age_seconds", kind="broadcasts") == 3600


async def test_metrics_are_refused_to_other_hosts_without_the_token(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    async with serving(bot_settings, api, clock, client=REMOTE) as (_app, http):
        refused = await http.get("/metrics")
        health = await http.get("/healthz")  # open to all: it says nothing personal
    with_token = bot_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async with serving(with_token, api, clock, client=REMOTE) as (_app, http):
        no_header = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        basic = await http.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert refused.status_code == 403
    assert refused.content == b""
    assert health.status_code == 200
    assert [no_header.status_code, wrong.status_code, basic.status_code] == [403, 403, 403]
    assert no_header.content == wrong.content == basic.content == b""
    assert right.status_code == 200
    assert "ntvt_updates_processed_total" in right.text


async def test_metrics_may_be_read_from_loopback_without_the_token(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    with_token = bot_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async with serving(with_token, api, clock, client=("::1", 40000)) as (_app, http):
        answer = await http.get("/metrics")
    assert answer.status_code == 200


async def test_a_turn_that_fails_is_counted_as_set_aside(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    user = api.user(1402, "Hà")

    async def broken(_turn: Turn) -> None:
        raise RuntimeError("a bug in a flow")

    async with serving(bot_settings, api, clock) as (app, http):
        message = api.state.add_message(user.state, HELP, sender=user.user).snapshot()
        payload = {"update_id": 702, "message": message}
        await app.state.journal.record([payload])  # stored, as the webhook does
        application = app.state.application
        await app.state.runtime.run_turn(
            Update.de_json(payload, application.bot), application.bot, broken
        )
        apology = await user.next_message(timeout=10)
        scraped = await scrape(http)

    assert apology.text  # the resident heard a polite word
    assert value(scraped, "ntvt_updates_processed_total", outcome="set_aside") == 1
    assert value(scraped, "ntvt_updates_processed_total", outcome="ok") == 0
    assert value(scraped, "ntvt_turn_duration_seconds_count") == 1
