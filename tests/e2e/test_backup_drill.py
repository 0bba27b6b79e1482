"""The restore drill: a backup taken while residents write, restored, and every draft goes on.

``ntvt run`` serves residents through the real PTB stack; some stop mid-nomination at
different steps (their drafts stored), others keep nominating while ``ntvt db backup``
runs. The backup is restored into a new database (``ntvt db restore``), a new bot starts on
it, and each resident who had stopped gives their next answer: it is taken, and the flow
goes on to the step after (one of them to the end and a tracking code). On SQLite the copy
is SQLite's online backup; on PostgreSQL, pg_dump and pg_restore.

The new bot logs in JSON (``NTVT_LOG_FORMAT=json``): every line of its output is one JSON
object, each turn has its line, and none holds what the residents wrote, their names or
their chats' ids.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.keyboards import ButtonSigner
from bot.local_api import BotMessage, LocalBotApi, SimUser
from tests.bot.flows import DEED, agree_and_start, answer_name, leave, press, say
from tests.e2e.conftest import CODE, StartNtvt, start_polling_bot, telegram_env

pytestmark = pytest.mark.e2e

NAME = "Nguyễn Thị Hồng Nhung"
REPLY_TIMEOUT = 15.0
Act = Callable[[SimUser, str], Awaitable[BotMessage]]
# The answer to each of the ten steps of an individual's nomination, in order.
ANSWERS: tuple[tuple[Act, str], ...] = (
    (press, "👤 Cá nhân"),
    (answer_name, NAME),
    (press, "Người dân"),
    (say, DEED),
    (press, "Hôm qua"),
    (say, "hoan kiem"),
    (leave, "Bỏ qua"),  # place
    (press, "Bỏ qua"),  # evidence
    (leave, "Bỏ qua"),  # phone
    (press, "Không cần"),  # anonymous
)
SUMMARY = "Xin Anh/Chị kiểm tra lại đề cử"
STOPPED_AT = (2, 5, 9)  # the first types NAME again after the restore
CHAT = 7_314_159_265  # the residents' chats: ids found nowhere else
FIRST_NAME = "Quách Thị Diệu"  # the step each resident who stops is asked, 1 to 10
WRITERS = 2


def asked(step: int) -> str:
    """What the question of ``step`` (1 to 10) says, or the summary after the last."""
    return f"Bước {step}/10" if step <= len(ANSWERS) else SUMMARY


async def answer(user: SimUser, step: int) -> BotMessage:
    """Answer ``step`` (1 to 10); return the bot's next question."""
    act, given = ANSWERS[step - 1]
    return await act(user, given)


async def stop_at(user: SimUser, step: int) -> None:
    """Start a nomination and answer up to the question of ``step``."""
    reply = await agree_and_start(user)
    for done in range(1, step):
        assert asked(done) in reply.text, reply.text
        reply = await answer(user, done)
    assert asked(step) in reply.text, reply.text


class Turns:
    """The writers' turns, counted as their replies come, to wait for a number of them."""

    def __init__(self) -> None:
        self.count = 0
        self._moved = asyncio.Condition()

    async def add(self) -> None:
        async with self._moved:
            self.count += 1
            self._moved.notify_all()

    async def reach(self, count: int) -> None:
        async with self._moved:
            await asyncio.wait_for(self._moved.wait_for(lambda: self.count >= count), 60)


async def keep_nominating(user: SimUser, stop: asyncio.Event, turns: Turns) -> None:
    """Nominate again and again, one turn after another, until ``stop`` is set."""
    await agree_and_start(user)
    while not stop.is_set():
        for step in range(1, len(ANSWERS) + 1):
            await answer(user, step)
            await turns.add()
            if stop.is_set():
                return
        done = await press(user, "✅ Gửi")
        assert CODE.search(done.text), done.text
        await user.send_command("/nominate")
        await user.next_message(REPLY_TIMEOUT)


async def test_a_backup_taken_under_load_restores_and_every_draft_goes_on(
    api: LocalBotApi,
    ntvt: StartNtvt,
    migrated_database_url: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    live = await start_polling_bot(api, ntvt, telegram_env(api, migrated_database_url))
    residents = [api.user(CHAT + i, f"{FIRST_NAME} {i}") for i in range(len(STOPPED_AT))]
    await asyncio.gather(*(stop_at(u, s) for u, s in zip(residents, STOPPED_AT, strict=True)))

    writers = [api.user(8200 + i, f"Người viết {i}") for i in range(WRITERS)]
    stop, turns = asyncio.Event(), Turns()
    load = asyncio.gather(*(keep_nominating(user, stop, turns) for user in writers))
    await turns.reach(2 * WRITERS)
    file = tmp_path / "backups" / "ntvt.backup"
    file.parent.mkdir()
    before = turns.count
    backing_up = await ntvt("db", "backup", str(file), env=telegram_env(api, migrated_database_url))
    assert await backing_up.wait_exit() == 0, backing_up.describe()
    assert "read back ok" in backing_up.output()
    await turns.reach(before + 2 * WRITERS)  # the writers went on all along
    stop.set()
    await load
    assert await live.interrupt(signal.SIGINT) == 0, live.describe()

    fresh = telegram_env(api, database_url)
    restoring = await ntvt("db", "restore", str(file), env=fresh)
    assert await restoring.wait_exit() == 0, restoring.describe()
    assert "restored" in restoring.output()

    restored = await start_polling_bot(api, ntvt, {**fresh, "NTVT_LOG_FORMAT": "json"})
    # Replies in flight when the backup was taken may be sent again: read on from here.
    await api.wait_until_idle(timeout=REPLY_TIMEOUT)
    for user in residents:
        user.skip_pending()

    async def goes_on(user: SimUser, step: int) -> None:
        reply = await answer(user, step)
        assert asked(step + 1) in reply.text, (step, reply.text)

    await asyncio.gather(*(goes_on(u, s) for u, s in zip(residents, STOPPED_AT, strict=True)))
    furthest, step = residents[-1], STOPPED_AT[-1] + 1
    while step <= len(ANSWERS):
        summary = await answer(furthest, step)
        step += 1
    assert SUMMARY in summary.text
    assert NAME in summary.text and DEED in summary.text  # typed before the backup
    done = await press(furthest, "✅ Gửi")
    code = CODE.search(done.text)
    assert code is not None, done.text
    assert NAME in (await say(furthest, f"/status {code[0]}")).text

    written = restored.output()
    logged = [json.loads(line) for line in written.splitlines()]  # each line one object
    turn_lines = [line for line in logged if line["logger"] == "bot.turns"]
    tags = ButtonSigner.from_secret(api.token)
    for user in residents:
        theirs = [line for line in turn_lines if line["chat"] == tags.pseudonym(user.id)]
        assert theirs, f"no turn logged for {user.id}"
        assert theirs[0]["flow"] == "n"  # in the nomination's dialog, as the backup had it
        assert all(line["outcome"] == "done" and line["duration_ms"] > 0 for line in theirs)
    assert {"time", "level", "update_id", "channel", "handler", "step"} <= turn_lines[0].keys()
    for secret in (NAME, DEED, FIRST_NAME, *(str(user.id) for user in residents)):
        assert secret not in written
