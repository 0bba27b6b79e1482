"""``ntvt broadcast`` as an operator types it, while ``ntvt run`` sends, as real processes.

The command only stores the broadcast; the running bot's paced sender delivers it. The
acceptance test of the bulk sender is here too: ``kill -9`` of the bot a third of the way
through 300 subscribers, a restart, and every subscriber has the announcement, with no more
repeats than the sender's own bound and no 429 left unanswered.
"""

from __future__ import annotations

import asyncio
import re
import struct
import subprocess
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from bot.bulk import BulkSender
from bot.local_api import LocalBotApi
from bot.local_api.models import UploadedFile
from core.broadcasts import BroadcastStatus
from tests.bot.audience import add_subscribers
from tests.e2e.conftest import (
    NtvtProcess,
    StartNtvt,
    sqlite_url,
    start_polling_bot,
    telegram_env,
    wait_until,
)
from tests.e2e.test_cli import DEMO_PLAN, assert_one_line_error, run_ntvt

pytestmark = pytest.mark.e2e

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ANNOUNCEMENT = "Phát động phong trào Người tốt, việc tốt tháng 12 trên địa bàn phường."
CREATED = re.compile(r"^ntvt: broadcast (\d+) created$", re.M)
# Quiet hours from 00:00 to 00:00 are none: the tests do not depend on the hour they run at.
NO_QUIET_HOURS = {"NTVT_QUIET_START": "00:00", "NTVT_QUIET_END": "00:00"}
DONE_TIMEOUT = 60.0


def _env(api: LocalBotApi, url: str, **settings: str) -> dict[str, str]:
    return telegram_env(api, url, **NO_QUIET_HOURS, **settings)


async def ntvt_broadcast(
    cwd: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``ntvt broadcast ARGS`` off the event loop (the fake Bot API must keep answering)."""
    settings = {key: value for key, value in env.items() if key.startswith("NTVT_")}
    return await asyncio.to_thread(run_ntvt, "broadcast", *args, cwd=cwd, **settings)


async def subscribe(api: LocalBotApi, url: str, ids: range) -> list[int]:
    """Residents who consented and subscribed to every announcement, with chats in the fake."""
    from storage.uow import open_database

    db = await open_database(url, migrate=False)
    try:
        # The database has the ``uow`` that add_subscribers asks of a runtime.
        return await add_subscribers(api, cast(Any, db), ids, now=datetime.now(UTC))
    finally:
        await db.dispose()


async def status_of(url: str, broadcast_id: int) -> BroadcastStatus:
    from storage.uow import open_database

    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            found = await uow.broadcasts.get(broadcast_id)
    finally:
        await db.dispose()
    assert found is not None
    return found.status


async def wait_for_status(
    url: str,
    broadcast_id: int,
    wanted: BroadcastStatus,
    *,
    process: NtvtProcess,
    timeout: float = DONE_TIMEOUT,  # noqa: ASYNC109
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (status := await status_of(url, broadcast_id)) is not wanted:
        process.assert_running(f"waiting for broadcast {broadcast_id} to be {wanted.value}")
        if loop.time() > deadline:
            pytest.fail(
                f"broadcast {broadcast_id} still {status.value} after {timeout}s: "
                f"{process.describe()}",
                pytrace=False,
            )
        await asyncio.sleep(0.2)


def announcements(api: LocalBotApi, method: str = "sendMessage") -> Counter[int]:
    """How many copies of the announcement each chat received."""
    key = "text" if method == "sendMessage" else "caption"
    return Counter(
        call.params["chat_id"]
        for call in api.calls_for(method)
        if call.ok and ANNOUNCEMENT in str(call.params.get(key, ""))
    )


def created_id(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stdout + result.stderr
    found = CREATED.search(result.stdout)
    assert found is not None, result.stdout
    return int(found.group(1))


def line_of(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xcc\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def announcement_file(tmp_path: Path) -> Path:
    path = tmp_path / "thong-bao.txt"
    path.write_text(ANNOUNCEMENT + "\n", encoding="utf-8")
    return path


# creating, following and cancelling --------------------------------------------------------


async def test_a_broadcast_typed_on_the_command_line_is_sent_by_the_running_bot(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path, announcement_file: Path
) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    env = _env(api, url)
    bot = await start_polling_bot(api, ntvt, env)  # loads the demo plan into the empty database
    ids = await subscribe(api, url, range(61_001, 61_006))

    created = await ntvt_broadcast(
        tmp_path, env, "--text-file", str(announcement_file), "--audience", "all"
    )
    broadcast_id = created_id(created)
    assert "audience: all" in created.stdout
    assert "recipients now: 5" in created.stdout
    assert "goes: now" in created.stdout
    assert "'ntvt run' or 'ntvt serve'" in created.stdout

    # While it goes: its status, and one for tomorrow morning, which waits.
    tomorrow = datetime.now(HANOI).date() + timedelta(days=1)
    early, scheduled = await asyncio.gather(
        ntvt_broadcast(tmp_path, env, "status", str(broadcast_id)),
        ntvt_broadcast(
            tmp_path,
            env,
            "--text-file",
            str(announcement_file),
            "--audience",
            "ward:hang bac",
            "--at",
            f"{tomorrow.isoformat()}T08:30",
        ),
    )
    assert early.returncode == 0, early.stdout + early.stderr
    assert line_of(early.stdout, f"broadcast {broadcast_id}: ") in {
        f"broadcast {broadcast_id}: {status}" for status in ("scheduled", "sending", "done")
    }
    later_id = created_id(scheduled)
    assert "audience: ward:phuong-hang-bac (Phường Hàng Bạc)" in scheduled.stdout
    assert f"goes: at {tomorrow:%d/%m/%Y} 08:30" in scheduled.stdout
    cancelled = await ntvt_broadcast(tmp_path, env, "cancel", str(later_id))
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert (
        cancelled.stdout
        == f"ntvt: broadcast {later_id} cancelled before it started: nothing was sent\n"
    )

    await wait_until(api, lambda: len(announcements(api)) == 5, "5 announcements", process=bot)
    await wait_for_status(url, broadcast_id, BroadcastStatus.DONE, process=bot)
    done, late, listed = await asyncio.gather(
        ntvt_broadcast(tmp_path, env, "status", str(broadcast_id)),
        ntvt_broadcast(tmp_path, env, "cancel", str(broadcast_id)),
        ntvt_broadcast(tmp_path, env, "list"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"broadcast {broadcast_id}: done" in done.stdout
    assert "recipients: 5" in done.stdout
    assert "delivered: 5  blocked: 0  failed: 0  cancelled: 0  pending: 0" in done.stdout
    started = line_of(done.stdout, "started: ")
    assert re.fullmatch(r"started: \d\d/\d\d/\d{4} \d\d:\d\d", started), started
    assert re.fullmatch(r"duration: \d+ min \d+ s", line_of(done.stdout, "duration: "))
    assert set(announcements(api)) == set(ids)
    assert set(announcements(api).values()) == {1}  # and the cancelled one went nowhere

    # A finished broadcast cannot be cancelled.
    assert late.returncode == 1, late.stdout + late.stderr
    assert late.stderr == (
        f"ntvt: broadcast {broadcast_id} is done already: nothing left to cancel\n"
    )

    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert [line.split("\t")[:2] for line in listed.stdout.splitlines()] == [
        [str(later_id), "cancelled"],
        [str(broadcast_id), "done"],
    ]


@pytest.fixture(scope="module")
def planned_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite database with the 2018 plan loaded by ``ntvt plan load`` (no bot runs)."""
    tmp_path = tmp_path_factory.mktemp("broadcast-plan")
    settings = {"NTVT_DATABASE_URL": sqlite_url(tmp_path / "ntvt.db")}
    loaded = run_ntvt("plan", "load", str(DEMO_PLAN), cwd=tmp_path, **settings)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return settings


def test_a_time_in_the_quiet_hours_waits_for_the_morning(
    tmp_path: Path, announcement_file: Path, planned_db: dict[str, str]
) -> None:
    evening = datetime.now(HANOI).date() + timedelta(days=2)
    result = run_ntvt(
        "broadcast",
        "--text-file",
        str(announcement_file),
        "--audience",
        "all,campaign:an toan thuc pham",
        "--at",
        f"{evening.isoformat()}T22:30",
        cwd=tmp_path,
        **planned_db,
    )
    created_id(result)
    morning = evening + timedelta(days=1)
    assert f"goes: after the quiet hours end at 07:00 on {morning:%d/%m/%Y}" in result.stdout
    assert "campaign:an-toan-thuc-pham-2018" in result.stdout


def test_an_unknown_ward_is_refused_in_one_line_naming_it(
    tmp_path: Path, announcement_file: Path, planned_db: dict[str, str]
) -> None:
    result = run_ntvt(
        "broadcast",
        "--text-file",
        str(announcement_file),
        "--audience",
        "all",
        "--audience",
        "ward:hang bac,ward:pho co",
        cwd=tmp_path,
        **planned_db,
    )
    assert_one_line_error(result, "no ward 'pho co'")


def test_an_empty_text_file_is_refused(tmp_path: Path, planned_db: dict[str, str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    result = run_ntvt(
        "broadcast", "--text-file", str(empty), "--audience", "all", cwd=tmp_path, **planned_db
    )
    assert_one_line_error(result, "empty.txt is empty")


async def test_a_photo_is_uploaded_once_and_its_file_id_reused(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path, announcement_file: Path
) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    env = _env(api, url)
    bot = await start_polling_bot(api, ntvt, env)
    ids = await subscribe(api, url, range(62_001, 62_005))
    photo = tmp_path / "anh.png"
    photo.write_bytes(tiny_png())

    created = await ntvt_broadcast(
        tmp_path,
        env,
        "--text-file",
        str(announcement_file),
        "--photo",
        str(photo),
        "--audience",
        "all",
    )
    broadcast_id = created_id(created)
    await wait_for_status(url, broadcast_id, BroadcastStatus.DONE, process=bot)

    calls = [c for c in api.calls_for("sendPhoto") if c.ok]
    assert sorted(c.params["chat_id"] for c in calls) == ids
    first, rest = calls[0], calls[1:]
    assert isinstance(first.params["photo"], UploadedFile)
    assert first.params["photo"].data == photo.read_bytes()
    file_id = first.result["photo"][-1]["file_id"]
    assert [c.params["photo"] for c in rest] == [file_id] * 3
    assert all(ANNOUNCEMENT in c.params["caption"] for c in calls)


# the acceptance test: kill -9 mid-broadcast ------------------------------------------------

SUBSCRIBERS = 300
KILL_AFTER = 100


# SQLite only, for the suite's time: PostgreSQL's crash safety goes through the same claims
# (tests/e2e/test_kill_and_resume.py and tests/e2e/test_scale_out.py run there).
@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_kill_9_mid_broadcast_loses_nobody_and_repeats_within_the_bound(
    api: LocalBotApi,
    ntvt: StartNtvt,
    migrated_database_url: str,
    tmp_path: Path,
    announcement_file: Path,
    request: pytest.FixtureRequest,
) -> None:
    url = migrated_database_url
    env = _env(api, url, NTVT_LEASE_SECONDS="2")  # default rate: 25 a second
    api.rate_limits(global_per_second=30, per_chat_per_second=1)
    first = await start_polling_bot(api, ntvt, env)
    ids = await subscribe(api, url, range(63_001, 63_001 + SUBSCRIBERS))

    created = await ntvt_broadcast(
        tmp_path, env, "--text-file", str(announcement_file), "--audience", "all"
    )
    broadcast_id = created_id(created)
    assert f"recipients now: {SUBSCRIBERS}" in created.stdout
    await wait_until(
        api,
        lambda: len(announcements(api)) >= KILL_AFTER,
        f"{KILL_AFTER} announcements",
        process=first,
    )
    await first.kill9()
    received_before_kill = len(announcements(api))
    assert received_before_kill < SUBSCRIBERS

    second = await start_polling_bot(api, ntvt, env)
    await wait_for_status(url, broadcast_id, BroadcastStatus.DONE, process=second)

    received = announcements(api)
    assert set(received) == set(ids)  # nobody lost
    twice = sum(1 for copies in received.values() if copies > 1)
    extra = sum(received.values()) - len(received)
    bound = BulkSender(cast(Any, None), cast(Any, None), rate=25.0).max_duplicates
    calls = list(api.calls)
    flood_waits = sum(1 for call in calls if call.error_code == 429)
    print(
        f"kill -9 after {received_before_kill} announcements: {twice} subscribers received it "
        f"twice (bound {bound}); {flood_waits} answers 429"
    )
    request.node.user_properties += [("duplicates", twice), ("flood_waits", flood_waits)]
    assert twice <= bound and extra <= bound

    # Every 429 was answered by waiting and sending to that chat again.
    for index, call in enumerate(calls):
        if call.error_code == 429:
            chat = call.params.get("chat_id")
            assert any(
                later.ok and later.method == call.method and later.params.get("chat_id") == chat
                for later in calls[index + 1 :]
            ), f"429 to chat {chat} never followed by a successful {call.method}"

    status = await ntvt_broadcast(tmp_path, env, "status", str(broadcast_id))
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"broadcast {broadcast_id}: done" in status.stdout
    assert f"recipients: {SUBSCRIBERS}" in status.stdout
    assert (
        f"delivered: {SUBSCRIBERS}  blocked: 0  failed: 0  cancelled: 0  pending: 0"
        in status.stdout
    )
    assert "Traceback" not in second.output(), second.describe()
