"""The operator's side of dead letters, and the checks at start, as real ``ntvt`` processes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from bot.local_api import LocalBotApi
from storage.uow import open_database
from tests.e2e.conftest import StartNtvt, free_port, sqlite_url, start_polling_bot, telegram_env
from tests.e2e.test_cli import run_ntvt

SECRET_NAME = "Nguyễn Thị Bí Mật"


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


async def test_updates_dead_lists_what_a_bad_update_left_and_retry_puts_it_back(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    user = api.user(1701, "Yến")
    bot = await start_polling_bot(api, ntvt, telegram_env(api, url))
    api.deliver_raw(
        {
            "update_id": 500020,
            "message": {"chat": {"id": user.chat_id}, "date": "x", "text": SECRET_NAME},
        }
    )
    await user.send_text("/help")
    assert "/nominate" in (await user.next_message(timeout=20)).text
    # A supervisor's SIGTERM: the poll stops, what is in hand finishes, the exit is clean.
    assert await bot.interrupt(signal.SIGTERM) == 0, bot.describe()
    assert "SIGTERM: stopping the poll" in bot.output()
    assert SECRET_NAME not in bot.output()

    dead = await asyncio.to_thread(run_ntvt, "updates", "dead", cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert dead.returncode == 0, dead.stderr
    heading, line = lines_of(dead)
    assert heading.startswith("1 cập nhật bị để riêng")
    update_id, chat, _when, reason = line.split("\t")
    assert (update_id, chat) == ("500020", str(user.chat_id))
    assert reason.startswith("cannot be read: TypeError") and SECRET_NAME not in dead.stdout

    retried = await asyncio.to_thread(
        run_ntvt, "updates", "retry", "500020", cwd=tmp_path, NTVT_DATABASE_URL=url
    )
    assert retried.returncode == 0 and "sẽ được xử lý lại" in retried.stdout
    unknown = await asyncio.to_thread(
        run_ntvt, "updates", "retry", "500020", cwd=tmp_path, NTVT_DATABASE_URL=url
    )
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.strip() == (
        "ntvt: không có cập nhật 500020 nào đang bị để riêng (xem danh sách: ntvt updates dead)"
    )

    # The next start takes it up again; it still cannot be read, so it is set aside again.
    again = await start_polling_bot(api, ntvt, telegram_env(api, url))
    await again.interrupt()
    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            (letter,) = await uow.inbound.set_aside_updates(limit=10)
    finally:
        await db.dispose()
    assert letter.update_id == 500020 and letter.attempts == 1


def test_updates_dead_says_when_there_is_none(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    assert run_ntvt("db", "upgrade", cwd=tmp_path, NTVT_DATABASE_URL=url).returncode == 0
    result = run_ntvt("updates", "dead", cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert result.returncode == 0 and result.stdout == "Không có cập nhật nào bị để riêng.\n"


def test_a_webhook_secret_telegram_would_refuse_is_one_clear_line(tmp_path: Path) -> None:
    for secret in ("bí-mật", "has space", "x" * 257):
        result = run_ntvt(
            "serve", cwd=tmp_path, NTVT_TELEGRAM_TOKEN="1:A", NTVT_WEBHOOK_SECRET=secret
        )
        assert result.returncode == 2 and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("ntvt: invalid configuration: NTVT_WEBHOOK_SECRET: must be 1-256")


def test_starting_against_an_unreachable_database_waits_then_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/ntvt"
    result = run_ntvt(
        "run",
        cwd=tmp_path,
        NTVT_TELEGRAM_TOKEN="1:A",
        NTVT_DATABASE_URL=url,
        NTVT_DATABASE_WAIT="2.5",
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    tries = [line for line in result.stderr.splitlines() if "cannot be reached" in line]
    assert len(tries) >= 2 and all("trying again in" in line for line in tries)
    last = result.stderr.splitlines()[-1]
    assert last.startswith("ntvt: cannot reach the database postgresql+asyncpg://postgres@")
    assert "after 2.5 s" in last
