"""A resident on Zalo, end to end: the bot's one server takes Telegram's and Zalo's webhooks.

The local Zalo OA signs and POSTs what the resident does to ``/zalo/webhook`` of the app
``ntvt serve`` runs (uvicorn on 127.0.0.1); the local Bot API POSTs the officer's updates to
``/telegram/webhook`` of the same app. The resident agrees, nominates with a photo and their
shared phone, gets a code, asks its status by a word (Zalo has no command menu) and hears of
the decision an officer takes on Telegram: at once by day, at 06:00 when taken at 23:00, and
when they next write after 8 days of silence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import text

from bot.keyboards import ButtonSigner
from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.logs import JsonFormatter
from bot.settings import Settings
from bot.turn_log import TURN_LOGGER
from bot.webhook import WEBHOOK_PATH, create_app
from bot.zalo.local_api import LocalZaloOA
from bot.zalo.tokens import OaTokens
from bot.zalo.webhook import ZALO_WEBHOOK_PATH
from core.channels import Channel
from core.review import grant_role
from core.roles import Actor, Role
from storage.uow import Database
from tests.bot.flows import DEED, press, say
from tests.zalo.conftest import FakeClock, endpoint_of, grant_of
from tests.zalo.resident import ZaloResident

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
HOAN_KIEM = "phuong-hoan-kiem"
RESIDENT = "2468458835296117922"
PHOTO = b"\xff\xd8\xff\xe0 a JPEG of the wallet handed back"


@pytest.fixture
async def telegram() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


def settings_for(
    telegram: LocalBotApi, zalo: LocalZaloOA, database_url: str, media: Path, port: int
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=telegram.base_url,
        telegram_file_url=telegram.file_base_url,
        database_url=database_url,
        webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        webhook_secret=SecretStr("s3cret-token"),
        zalo_app_id=zalo.app_id,
        zalo_app_secret=SecretStr(zalo.app_secret),
        zalo_secret_key=SecretStr(zalo.secret_key),
        zalo_oa_id=zalo.oa_id,
        zalo_api_url=zalo.url,
        zalo_oauth_url=zalo.url,
        zalo_media_dir=str(media),
    )


@asynccontextmanager
async def serving(
    settings: Settings, token: str, clock: Callable[[], datetime], sock: socket.socket
) -> AsyncIterator[None]:
    """Run ``ntvt serve``'s app on ``sock`` until the block exits."""
    app = create_app(settings, token=token, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):  # uvicorn offers no event to wait on; 10 s at most
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    try:
        yield
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def world(
    telegram: LocalBotApi,
    zalo: LocalZaloOA,
    migrated_database_url: str,
    database: Database,
    clock: FakeClock,
    tmp_path: Path,
) -> AsyncIterator[tuple[ZaloResident, SimUser]]:
    """The running server, the OA's tokens installed, a resident on Zalo, an officer."""
    async with aiohttp.ClientSession() as http:
        tokens = OaTokens(database.uow, endpoint_of(zalo, http), oa_id=zalo.oa_id, clock=clock)
        await tokens.install(grant_of(zalo.issue_tokens()))
    officer = telegram.user(905, "Cán bộ Hoàn Kiếm")
    async with database.uow() as uow:
        await grant_role(
            uow,
            Actor.operator(),
            user_id=officer.id,
            role=Role.OFFICER,
            unit_key=HOAN_KIEM,
            now=clock(),
        )
        await uow.commit()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = settings_for(telegram, zalo, migrated_database_url, tmp_path / "media", port)
    zalo.webhook_url = f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}"
    try:
        async with serving(settings, telegram.token, clock, sock):
            yield ZaloResident(zalo, RESIDENT), officer
    finally:
        sock.close()


async def nominate_on_zalo(resident: ZaloResident) -> str:
    """Write to the OA, agree, nominate with a photo and the shared phone; return the code."""
    await resident.zalo.follow(resident.user_id)
    await resident.say("Xin chào")
    welcome, notice = await resident.next_messages(2)
    assert welcome.text.startswith("Xin chào!")  # Zalo gives no name before they share it
    assert "Zalo" in notice.text and "Telegram" not in notice.text
    assert "dữ liệu cá nhân" in notice.text and "<b>" not in notice.text
    assert [title for title, _ in notice.buttons] == ["✅ Tôi đồng ý", "Không đồng ý"]
    await resident.tap("✅ Tôi đồng ý")
    thanks = await resident.next_message()
    assert thanks.buttons and thanks.buttons[0][0] == "📝 Đề cử người tốt, việc tốt"
    await resident.tap("📝 Đề cử người tốt, việc tốt")
    kind = await resident.next_message()
    await resident.tap("👤 Cá nhân")
    await resident.next_message()  # the name
    await resident.say("Nguyễn Văn Bình")
    role = await resident.next_message()
    # Ten answers, Zalo shows five buttons at most: a numbered list, answered by its number.
    assert not role.buttons and "\n1. Người dân\n2. Công nhân" in role.text
    await resident.say("1")
    await resident.next_message()  # the deed
    await resident.say(DEED)
    await resident.next_message()  # the date
    await resident.tap("Hôm qua")
    await resident.next_message()  # the unit
    await resident.say("hoan kiem")
    place = await resident.next_message()
    # Zalo cannot ask for a place: the step's other answers remain.
    assert [title for title, _ in place.buttons] == ["Bỏ qua", "⬅️ Quay lại", "✖️ Hủy"]
    await resident.tap("Bỏ qua")
    taken, evidence = await resident.next_messages(2)
    await resident.zalo.send_image(resident.user_id, PHOTO)
    await resident.next_message()  # the photo was taken
    await resident.tap("✅ Xong")
    phone, request = await resident.next_messages(2)
    assert "Số điện thoại" in phone.text
    assert request.template_type == "request_user_info"
    await resident.zalo.submit_info(resident.user_id, name="Lan", phone="0912345678")
    taken, anonymous = await resident.next_messages(2)
    await resident.tap("Không cần")
    summary = await resident.next_message()
    assert "Nguyễn Văn Bình" in summary.text and "+84912345678" in summary.text
    assert "Ảnh, tài liệu: 1 tệp" in summary.text
    await resident.tap("✅ Gửi")
    done = await resident.next_message()
    found = CODE.search(done.text)
    assert found is not None, done.text
    del kind, role, taken, evidence, phone, anonymous
    return found.group(0)


async def test_a_resident_on_zalo_nominates_asks_the_status_and_hears_the_decision(
    world: tuple[ZaloResident, SimUser], telegram: LocalBotApi
) -> None:
    resident, officer = world
    code = await nominate_on_zalo(resident)

    await resident.say("Xin chào")  # known now: the guide, in Zalo's words
    guide = await resident.next_message()
    assert "không cần dấu “/”" in guide.text

    await resident.say("Tra cứu")
    asked = await resident.next_message()
    await resident.say(code)
    status = await resident.next_message()
    assert code in status.text and "Đã tiếp nhận" in status.text, (asked.text, status.text)

    card = await say(officer, f"/status {code}")
    assert "Ảnh, tài liệu: 1 tệp" in card.text
    photo = await press(officer, "📎 Xem ảnh, tài liệu")
    # The photo sent on Zalo reaches the officer on Telegram: uploaded from the media store.
    (*_smaller, largest) = photo.snapshot()["photo"]
    assert telegram.state.files[largest["file_id"]].content == PHOTO
    verified = await press(officer, "🔍 Tiếp nhận, xác minh")
    assert "Đang xác minh" in verified.text
    notice = await resident.next_message()
    assert code in notice.text and "đang được xác minh" in notice.text


async def test_a_decision_at_night_waits_for_six_and_one_after_8_silent_days_for_their_word(
    world: tuple[ZaloResident, SimUser], clock: FakeClock, database: Database
) -> None:
    resident, officer = world
    code = await nominate_on_zalo(resident)

    # 23:00 in Hà Nội: Zalo forbids writing to residents until 06:00.
    clock.now = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    await say(officer, f"/status {code}")
    verified = await press(officer, "🔍 Tiếp nhận, xác minh")
    assert "Đang xác minh" in verified.text
    assert await resident.quiet(1.5) == []
    async with database.uow() as uow:
        identity = await uow.identities.get(Channel.ZALO, resident.user_id)
        assert identity is not None
        (held,) = await uow.outbox.recent(identity.user_id, limit=1)
    assert held.retry_at == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 06:00 the next day
    clock.now = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    notice = await resident.next_message(within=5)
    assert code in notice.text and "đang được xác minh" in notice.text
    assert notice.at == clock.now

    # Eight days without a word from them: Zalo's 7-day window has closed.
    clock.now += timedelta(days=8)
    proposed = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert "Đã đề xuất lên Hội đồng" in proposed.text
    assert await resident.quiet(1.5) == []
    await resident.say("Xin chào")
    told, answer = await resident.next_messages(2)
    assert code in told.text and "đề xuất lên Hội đồng" in told.text
    assert "Xin lỗi" not in told.text and answer.text


# The chat-level rule, on one backend (storage is tested on both elsewhere).
@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_a_forged_or_anothers_button_payload_is_refused_and_agrees_to_nothing(
    world: tuple[ZaloResident, SimUser], database: Database
) -> None:
    resident, _officer = world
    other = ZaloResident(resident.zalo, "8123456789012345678")
    await resident.say("Xin chào")
    _welcome, notice = await resident.next_messages(2)
    (agree, _payload), _disagree = notice.buttons
    assert agree == "✅ Tôi đồng ý"
    await other.say("Xin chào")
    await other.next_messages(2)

    # The resident's own "agree" payload, typed by someone else; then one made up.
    await other.say(notice.buttons[0][1])
    refused = await other.next_message()
    await other.say("#c:0:yes:" + "A" * 8)
    forged = await other.next_message()
    for reply in (refused, forged):
        assert "Nút này không còn hiệu lực" in reply.text
        assert "Anh/Chị đã đồng ý" not in reply.text
    async with database.uow() as uow:
        identity = await uow.identities.get(Channel.ZALO, other.user_id)
        assert identity is not None
        assert await uow.consents.all_of(identity.user_id) == []


# The chat-level rule, on one backend (storage is tested on both elsewhere).
@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_erasure_on_zalo_answers_then_forgets_the_account(
    world: tuple[ZaloResident, SimUser], database: Database
) -> None:
    resident, _officer = world
    await resident.say("Xin chào")
    await resident.next_messages(2)
    await resident.tap("✅ Tôi đồng ý")
    await resident.next_message()
    await resident.say("Xóa dữ liệu")  # /xoadulieu, typed as words
    plan = await resident.next_message()
    await resident.tap("🗑 Xóa dữ liệu của tôi")
    done = await resident.next_message()
    assert "Đã xóa dữ liệu của Anh/Chị" in done.text, (plan.text, done.text)
    async with database.uow() as uow:
        assert await uow.identities.get(Channel.ZALO, resident.user_id) is None
        rows = await uow.session.execute(text("SELECT params FROM outbox"))
        assert not [row for row in rows if resident.user_id in str(row[0])]


@pytest.mark.parametrize("database_backend", ["sqlite"])  # the line is the same on both
async def test_a_zalo_turn_is_logged_with_a_tag_for_the_person_and_nothing_they_wrote(
    world: tuple[ZaloResident, SimUser],
    telegram: LocalBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=TURN_LOGGER)  # as NTVT_LOG_FORMAT=json sets it
    resident, _ = world
    await resident.zalo.follow(resident.user_id)
    await resident.say("Xin chào, tôi là Quách Thị Diệu")
    await resident.next_messages(2)  # the welcome and the notice

    turns = [r for r in caplog.records if r.name == TURN_LOGGER]
    lines = [json.loads(JsonFormatter().format(record)) for record in turns]
    tag = ButtonSigner.from_secret(telegram.token).pseudonym(RESIDENT)
    said = next(line for line in lines if line["handler"] == "user_send_text")
    assert (said["channel"], said["chat"], said["outcome"]) == ("zalo", tag, "done")
    written = "\n".join(JsonFormatter().format(record) for record in turns)
    assert "Diệu" not in written and RESIDENT not in written
