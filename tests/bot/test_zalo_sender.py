"""The Zalo sender against the local Zalo OA: what residents receive, when, and what is kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import bot.zalo.sender
from bot.keyboards import ButtonSigner
from bot.zalo.client import ZaloClient
from bot.zalo.local_api import LocalZaloOA
from bot.zalo.local_api.server import HANOI
from bot.zalo.media import MediaStore, media_file_id
from bot.zalo.render import CallKind, NotForChannel, ZaloCall, render
from bot.zalo.sender import NIGHT_BAN_RECHECK, TOKENS_RETRY, ZaloSender
from bot.zalo.tokens import OaTokens, TokenGrant
from core.broadcasts import Audience, Broadcast, BroadcastStatus, Outcome
from core.channels import Capabilities, Channel, zalo_capabilities
from core.outbox import OutboxStatus, OutgoingMessage
from storage.tables import OutboxRow
from storage.uow import Database
from tests.zalo.conftest import FakeClock, endpoint_of, grant_of

# Friday 20/11/2026, 10:00 in Hà Nội.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
HOA = "2468458835296117922"
BINH = "1357913579135791357"
YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite")])
def database_backend(request: pytest.FixtureRequest) -> str:
    """SQLite, but where a test asks for PostgreSQL: the outbox's queries are tested on both."""
    backend: str = request.param
    if backend == "postgresql":
        request.getfixturevalue("postgres_server")
    return backend


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def zalo(clock: FakeClock) -> AsyncIterator[LocalZaloOA]:
    async with LocalZaloOA(clock=clock) as oa:
        yield oa


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def tokens(
    zalo: LocalZaloOA, http: aiohttp.ClientSession, database: Database, clock: FakeClock
) -> OaTokens:
    return OaTokens(database.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)


@pytest.fixture
async def client(zalo: LocalZaloOA, http: aiohttp.ClientSession, tokens: OaTokens) -> ZaloClient:
    await tokens.install(grant_of(zalo.issue_tokens()))
    return ZaloClient(http, tokens, api_url=zalo.url)


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def sender_of(
    client: ZaloClient,
    database: Database,
    clock: FakeClock,
    media: MediaStore,
    capabilities: Capabilities | None = None,
    **options: Any,
) -> ZaloSender:
    return ZaloSender(
        client,
        database.uow,
        clock,
        capabilities=capabilities or zalo_capabilities(),
        tz=HANOI,
        media=media,
        **options,
    )


@pytest.fixture
def sender(
    client: ZaloClient, database: Database, clock: FakeClock, media: MediaStore
) -> ZaloSender:
    return sender_of(client, database, clock, media, rate=1000.0)


async def resident(
    database: Database, zalo: LocalZaloOA, zalo_id: str, *, wrote_at: datetime = YESTERDAY
) -> int:
    """Make a person who wrote to the OA at ``wrote_at``; return their chat id."""
    async with database.uow() as uow:
        identity = await uow.identities.mint(Channel.ZALO, zalo_id, at=wrote_at)
        await uow.identities.heard_from(Channel.ZALO, zalo_id, at=wrote_at)
        await uow.commit()
    zalo.wrote(zalo_id, wrote_at)
    return identity.user_id


def text(chat_id: int, words: str, **params: Any) -> OutgoingMessage:
    return OutgoingMessage(
        chat_id, "sendMessage", {"chat_id": chat_id, "text": words, **params}, NOW
    )


def with_buttons(chat_id: int, words: str, *labels: str) -> OutgoingMessage:
    keyboard = [[{"text": label, "callback_data": f"pick:{n}"}] for n, label in enumerate(labels)]
    return text(chat_id, words, reply_markup={"inline_keyboard": keyboard})


async def queue(database: Database, *messages: OutgoingMessage) -> list[int]:
    async with database.uow() as uow:
        ids = [(await uow.outbox.add(message)).id for message in messages]
        await uow.commit()
    return [message_id for message_id in ids if message_id is not None]


async def stored(database: Database, message_id: int) -> tuple[str, str | None, datetime | None]:
    """Return the message's (status, failure, retry_at)."""
    async with database.uow() as uow:
        row = await uow.session.get_one(OutboxRow, message_id)
        return row.status, row.failure, row.retry_at


def texts(zalo: LocalZaloOA, zalo_id: str) -> list[str]:
    return [sent.text for sent in zalo.messages_to(zalo_id)]


async def test_a_text_and_a_three_button_question_reach_the_resident(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    first, second = await queue(
        database,
        text(hoa, "Cảm ơn Anh/Chị đã đề cử. Mã hồ sơ: NT-7K3F-9QX2"),
        with_buttons(hoa, "Việc tốt diễn ra ở đâu?", "Phường Hoàn Kiếm", "Phường Cửa Nam", "Khác"),
    )

    went = await sender.send_due()

    plain, question = zalo.messages_to(HOA)
    assert went == 2
    assert plain.text == "Cảm ơn Anh/Chị đã đề cử. Mã hồ sơ: NT-7K3F-9QX2"
    assert plain.buttons == []
    assert question.text == "Việc tốt diễn ra ở đâu?"
    assert [label for label, _payload in question.buttons] == [
        "Phường Hoàn Kiếm",
        "Phường Cửa Nam",
        "Khác",
    ]
    assert len({payload for _label, payload in question.buttons}) == 3
    assert await stored(database, first) == (OutboxStatus.SENT.value, None, None)
    assert await stored(database, second) == (OutboxStatus.SENT.value, None, None)


async def test_each_chats_messages_arrive_in_the_order_they_were_queued(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    await queue(
        database,
        text(hoa, "Hoa 1"),
        text(binh, "Bình 1"),
        text(hoa, "Hoa 2"),
        text(hoa, "Hoa 3"),
        text(binh, "Bình 2"),
    )

    assert await sender.send_due() == 5
    assert texts(zalo, HOA) == ["Hoa 1", "Hoa 2", "Hoa 3"]
    assert texts(zalo, BINH) == ["Bình 1", "Bình 2"]


async def test_at_23_00_nothing_goes_and_the_message_is_due_at_06_00(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA, clock: FakeClock
) -> None:
    hoa = await resident(database, zalo, HOA)
    clock.now = datetime(2026, 11, 20, 23, 0, tzinfo=HANOI)
    (message_id,) = await queue(database, text(hoa, "Hồ sơ NT-7K3F-9QX2 đã được duyệt."))
    morning = datetime(2026, 11, 21, 6, 0, tzinfo=HANOI)

    went_at_night = await sender.send_due()
    at_night = await stored(database, message_id)
    clock.now = morning - timedelta(minutes=1)
    went_before_six = await sender.send_due()
    clock.now = morning
    went_at_six = await sender.send_due()

    assert (went_at_night, went_before_six, went_at_six) == (0, 0, 1)
    assert at_night == (OutboxStatus.PENDING.value, None, morning)
    assert texts(zalo, HOA) == ["Hồ sơ NT-7K3F-9QX2 đã được duyệt."]
    assert zalo.messages_to(HOA)[0].at == morning
    assert zalo.refusals == []  # nothing was even tried at night


async def test_zalos_night_ban_when_our_rules_see_day_is_tried_again_in_15_minutes(
    client: ZaloClient,
    database: Database,
    zalo: LocalZaloOA,
    clock: FakeClock,
    media: MediaStore,
) -> None:
    no_quiet_hours = sender_of(
        client, database, clock, media, zalo_capabilities(quiet_hours=None), rate=1000.0
    )
    hoa = await resident(database, zalo, HOA)
    clock.now = datetime(2026, 11, 20, 23, 0, tzinfo=HANOI)
    (message_id,) = await queue(database, text(hoa, "Nhắc việc"))

    assert await no_quiet_hours.send_due() == 0

    assert zalo.refusals == [-234]
    assert await stored(database, message_id) == (
        OutboxStatus.PENDING.value,
        None,
        clock.now + NIGHT_BAN_RECHECK,
    )


async def test_a_person_silent_for_8_days_gets_nothing_until_they_write_again(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA, clock: FakeClock
) -> None:
    hoa = await resident(database, zalo, HOA, wrote_at=NOW - timedelta(days=8))
    first, second = await queue(database, text(hoa, "Kết quả xét duyệt"), text(hoa, "Chúc mừng"))

    went_while_silent = await sender.send_due()
    held = await stored(database, first)
    behind = await stored(database, second)
    clock.now += timedelta(hours=1)
    zalo.wrote(HOA)
    async with database.uow() as uow:
        await uow.identities.heard_from(Channel.ZALO, HOA, at=clock.now)
        released = await uow.outbox.release_waiting(hoa)
        await uow.commit()
    went_after = await sender.send_due()

    assert (went_while_silent, held, behind) == (
        0,
        (OutboxStatus.WAITING.value, None, None),
        (OutboxStatus.PENDING.value, None, None),
    )
    assert released == 1
    assert went_after == 2
    assert texts(zalo, HOA) == ["Kết quả xét duyệt", "Chúc mừng"]
    assert zalo.refusals == []  # the rule was applied before Zalo was asked


async def test_a_telegram_only_tidy_up_is_done_at_once_even_for_a_silent_person(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA, wrote_at=NOW - timedelta(days=8))
    params = {"chat_id": hoa, "message_id": 42, "reply_markup": {"inline_keyboard": []}}
    (message_id,) = await queue(
        database, OutgoingMessage(hoa, "editMessageReplyMarkup", params, NOW)
    )

    assert await sender.send_due() == 1
    assert await stored(database, message_id) == (OutboxStatus.SENT.value, None, None)
    assert zalo.messages_to(HOA) == []


async def test_zalos_own_window_refusal_holds_the_message(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    zalo.wrote(HOA, NOW - timedelta(days=9))  # Zalo knows better than our record
    (message_id,) = await queue(database, text(hoa, "Kết quả xét duyệt"))

    assert await sender.send_due() == 0
    assert zalo.refusals == [-230]
    assert await stored(database, message_id) == (OutboxStatus.WAITING.value, None, None)


async def test_a_rate_limit_is_waited_out_and_the_message_goes_on_the_next_pass(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA, clock: FakeClock
) -> None:
    hoa = await resident(database, zalo, HOA)
    (message_id,) = await queue(database, text(hoa, "Cảm ơn Anh/Chị"))
    zalo.rate_limit(1)

    went_first = await sender.send_due()
    status, failure, retry_at = await stored(database, message_id)
    went_too_soon = await sender.send_due()
    assert retry_at is not None
    clock.now = retry_at
    went_next = await sender.send_due()

    assert (went_first, went_too_soon, went_next) == (0, 0, 1)
    assert (status, failure) == (OutboxStatus.PENDING.value, None)
    assert NOW < retry_at <= NOW + timedelta(seconds=2)
    assert texts(zalo, HOA) == ["Cảm ơn Anh/Chị"]


async def test_a_message_of_several_calls_goes_on_from_the_call_that_failed(
    client: ZaloClient,
    database: Database,
    zalo: LocalZaloOA,
    clock: FakeClock,
    media: MediaStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def in_two_parts(message: OutgoingMessage, capabilities: Capabilities) -> list[ZaloCall]:
        return [ZaloCall(CallKind.TEXT, text="Phần 1"), ZaloCall(CallKind.TEXT, text="Phần 2")]

    async def limited_after_the_first(user_id: str, words: str) -> str:
        sent = await ZaloClient.send_text(client, user_id, words)
        zalo.rate_limit(1)
        return sent

    monkeypatch.setattr(bot.zalo.sender, "render", in_two_parts)
    monkeypatch.setattr(client, "send_text", limited_after_the_first)
    sender = sender_of(client, database, clock, media, rate=1000.0)
    hoa = await resident(database, zalo, HOA)
    await queue(database, text(hoa, "Thông báo dài"))

    assert await sender.send_due() == 0
    clock.now += timedelta(minutes=5)
    assert await sender.send_due() == 1
    assert texts(zalo, HOA) == ["Phần 1", "Phần 2"]


async def test_a_person_who_unfollowed_the_oa_fails_as_blocked(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    (message_id,) = await queue(database, text(hoa, "Thông báo"))
    await zalo.unfollow(HOA, notify=False)

    assert await sender.send_due() == 0

    async with database.uow() as uow:
        blocked = await uow.subscriptions.is_blocked(hoa)
    assert await stored(database, message_id) == (OutboxStatus.FAILED.value, "blocked", None)
    assert blocked
    assert zalo.messages_to(HOA) == []


async def test_a_photo_from_the_media_store_is_uploaded_then_sent(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA, media: MediaStore
) -> None:
    hoa = await resident(database, zalo, HOA)
    photo = await media.save(b"\xff\xd8 JPEG of the deed", name="viec-tot.jpg", content_type="")
    params = {"chat_id": hoa, "photo": media_file_id(photo.key), "caption": "Ảnh minh chứng"}
    await queue(database, OutgoingMessage(hoa, "sendPhoto", params, NOW))

    assert await sender.send_due() == 1

    (sent,) = zalo.messages_to(HOA)
    (element,) = sent.message["attachment"]["payload"]["elements"]
    assert sent.template_type == "media"
    assert sent.text == "Ảnh minh chứng"
    assert zalo.uploaded(element["attachment_id"]) == b"\xff\xd8 JPEG of the deed"


async def test_a_photo_the_media_store_lost_fails_as_gone(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    params = {"chat_id": hoa, "photo": media_file_id("ab" * 32 + ".jpg")}
    (message_id,) = await queue(database, OutgoingMessage(hoa, "sendPhoto", params, NOW))

    assert await sender.send_due() == 0
    assert await stored(database, message_id) == (OutboxStatus.FAILED.value, "gone", None)


async def test_a_message_to_forget_is_deleted_once_sent(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    (message_id,) = await queue(
        database,
        OutgoingMessage(hoa, "sendMessage", {"text": "Đã xoá"}, NOW, forget_when_sent=True),
    )

    assert await sender.send_due() == 1

    async with database.uow() as uow:
        row = await uow.session.get(OutboxRow, message_id)
    assert row is None
    assert texts(zalo, HOA) == ["Đã xoá"]


async def test_a_message_with_no_zalo_form_fails_and_the_next_chat_still_gets_its_own(
    client: ZaloClient,
    database: Database,
    zalo: LocalZaloOA,
    clock: FakeClock,
    media: MediaStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refusing_polls(message: OutgoingMessage, capabilities: Capabilities) -> list[ZaloCall]:
        if message.method == "sendPoll":
            raise NotForChannel("a poll has no Zalo form")
        return render(message, capabilities)

    monkeypatch.setattr(bot.zalo.sender, "render", refusing_polls)
    sender = sender_of(client, database, clock, media, rate=1000.0)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    poll, _after_it, _binhs = await queue(
        database,
        OutgoingMessage(hoa, "sendPoll", {"chat_id": hoa, "question": "?"}, NOW),
        text(hoa, "Hoa sau"),
        text(binh, "Bình"),
    )

    assert await sender.send_due() == 2
    assert await stored(database, poll) == (OutboxStatus.FAILED.value, "bad_request", None)
    assert texts(zalo, HOA) == ["Hoa sau"]
    assert texts(zalo, BINH) == ["Bình"]


async def test_a_message_to_an_erased_person_fails_as_chat_not_found(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    (message_id,) = await queue(database, text(hoa, "Xác nhận xoá dữ liệu"))
    async with database.uow() as uow:
        await uow.identities.forget_user(hoa)
        await uow.commit()

    assert await sender.send_due() == 0
    assert await stored(database, message_id) == (OutboxStatus.FAILED.value, "chat_not_found", None)


async def test_without_tokens_messages_wait_a_minute_and_it_is_said_once(
    tokens: OaTokens,
    http: aiohttp.ClientSession,
    database: Database,
    zalo: LocalZaloOA,
    clock: FakeClock,
    media: MediaStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unauthorised = ZaloClient(http, tokens, api_url=zalo.url)  # no tokens installed
    sender = sender_of(unauthorised, database, clock, media, rate=1000.0)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    ids = await queue(database, text(hoa, "1"), text(binh, "2"))

    with caplog.at_level(logging.ERROR, logger="bot.zalo.sender"):
        assert await sender.send_due() == 0

    said = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(said) == 1 and "authorise" in said[0].getMessage()
    for message_id in ids:
        assert await stored(database, message_id) == (
            OutboxStatus.PENDING.value,
            None,
            NOW + TOKENS_RETRY,
        )


async def test_a_void_refresh_token_is_tried_once_a_pass_and_said_once(
    tokens: OaTokens,
    http: aiohttp.ClientSession,
    database: Database,
    zalo: LocalZaloOA,
    clock: FakeClock,
    media: MediaStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await tokens.install(TokenGrant("acc-expired", "ref-void", timedelta(0)))
    lost = ZaloClient(http, tokens, api_url=zalo.url)
    sender = sender_of(lost, database, clock, media, rate=1000.0)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    ids = await queue(database, text(hoa, "1"), text(binh, "2"), text(hoa, "3"))

    with caplog.at_level(logging.ERROR, logger="bot.zalo.sender"):
        assert await sender.send_due() == 0

    said = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert zalo.refresh_calls == ["ref-void"]  # not once a message: the token is spent
    assert len(said) == 1 and "AuthorisationLost" in said[0].getMessage()
    assert [await stored(database, message_id) for message_id in ids] == [
        (OutboxStatus.PENDING.value, None, NOW + TOKENS_RETRY),
        (OutboxStatus.PENDING.value, None, NOW + TOKENS_RETRY),
        (OutboxStatus.PENDING.value, None, None),  # behind the first, not attempted
    ]


async def test_messages_are_paced_at_the_rate(
    client: ZaloClient, database: Database, zalo: LocalZaloOA, clock: FakeClock, media: MediaStore
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sender = sender_of(client, database, clock, media, rate=2.0, sleep=sleep)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    await queue(database, text(hoa, "1"), text(binh, "2"), text(hoa, "3"))

    assert await sender.send_due() == 3
    assert sum(slept) == pytest.approx(1.5, abs=0.25)  # 0, then 0.5 s and 1 s after the first


async def test_running_it_sends_what_is_queued_once_woken(
    sender: ZaloSender, database: Database, zalo: LocalZaloOA
) -> None:
    hoa = await resident(database, zalo, HOA)
    running = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(0.05)
        await queue(database, text(hoa, "Chào Anh/Chị"))
        sender.wake()
        await asyncio.sleep(0.3)  # well under the poll's second
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert texts(zalo, HOA) == ["Chào Anh/Chị"]


@pytest.mark.parametrize(
    "database_backend",
    [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
async def test_two_senders_at_once_send_each_message_once_in_order(
    client: ZaloClient, database: Database, zalo: LocalZaloOA, clock: FakeClock, media: MediaStore
) -> None:
    first = sender_of(client, database, clock, media, rate=1000.0)
    second = sender_of(client, database, clock, media, rate=1000.0)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH)
    await queue(database, *(text(hoa if n % 2 else binh, str(n)) for n in range(12)))

    went = await asyncio.gather(first.send_due(), second.send_due())

    assert sum(went) == 12
    assert texts(zalo, HOA) == ["1", "3", "5", "7", "9", "11"]
    assert texts(zalo, BINH) == ["0", "2", "4", "6", "8", "10"]


async def test_a_broadcast_is_signed_for_each_reader_and_not_kept_for_the_silent(
    client: ZaloClient, database: Database, zalo: LocalZaloOA, clock: FakeClock, media: MediaStore
) -> None:
    signer = ButtonSigner.random()
    sender = sender_of(client, database, clock, media, rate=1000.0, buttons=signer)
    hoa = await resident(database, zalo, HOA)
    binh = await resident(database, zalo, BINH, wrote_at=NOW - timedelta(days=8))
    announcement = [[{"text": "🔔 Nhận tin", "callback_data": "s:0:sub:ntvt-2027"}]]
    async with database.uow() as uow:
        broadcast = await uow.broadcasts.add(
            Broadcast("Phát động", Audience.parse("all"), NOW, status=BroadcastStatus.SENDING)
        )
        assert broadcast.id is not None
        rows = [
            text(chat, "Phát động phong trào", reply_markup={"inline_keyboard": announcement})
            for chat in (hoa, binh)
        ]
        await uow.outbox.add_bulk(broadcast.id, rows)
        await uow.commit()

    went = await sender.send_due()

    (sent,) = zalo.messages_to(HOA)
    ((_label, payload),) = sent.buttons
    assert went == 1 and payload.startswith("#")
    assert signer.verify(hoa, payload[1:]) == "s:0:sub:ntvt-2027"
    assert signer.verify(binh, payload[1:]) is None
    assert zalo.messages_to(BINH) == []
    async with database.uow() as uow:
        outcomes = await uow.outbox.broadcast_outcomes(broadcast.id)
    assert outcomes[Outcome.DELIVERED] == 1 and outcomes[Outcome.FAILED] == 1
    assert outcomes.get(Outcome.PENDING, 0) == 0  # the broadcast can finish
