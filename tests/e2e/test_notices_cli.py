"""``ntvt notices preview`` and ``ntvt notices run-once`` as an operator runs them, as processes.

The preview reads the 2018 plan from a database loaded by ``ntvt plan load``; run-once sends
through the local Bot API running in this process, two processes at the same instant on
PostgreSQL sending the officer's digest once.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bot.local_api import LocalBotApi
from tests.e2e.conftest import NtvtProcess, StartNtvt, sqlite_url, telegram_env
from tests.e2e.test_cli import DEMO_PLAN, RUN_TIMEOUT, run_ntvt

pytestmark = pytest.mark.e2e

OFFICER = 5001
NOW = "2018-01-04T08:00:00+07:00"
SENT = re.compile(r"^ntvt: (\d+) notices sent$", re.M)
TASK = re.compile(r"Nhiệm vụ (\d+):")
LINE_DAY = re.compile(r"^(\d\d)/(\d\d)/(\d{4}) \d\d:\d\d  ")


def _day_of(line: str) -> date:
    found = LINE_DAY.match(line)
    assert found is not None, line
    day, month, year = (int(part) for part in found.groups())
    return date(year, month, day)


@pytest.fixture(scope="module")
def hang_bac_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite database with the 2018 plan and an officer of Phường Hàng Bạc, via the CLI.

    Shared by the preview tests, which only read it.
    """
    tmp_path = tmp_path_factory.mktemp("notices")
    settings = {"NTVT_DATABASE_URL": sqlite_url(tmp_path / "ntvt.db")}
    loaded = run_ntvt("plan", "load", str(DEMO_PLAN), cwd=tmp_path, **settings)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    granted = run_ntvt(
        "officers",
        "grant",
        "--user",
        str(OFFICER),
        "--role",
        "officer",
        "--unit",
        "hang bac",
        cwd=tmp_path,
        **settings,
    )
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert f"granted officer to {OFFICER}" in granted.stdout
    return settings


def test_preview_lists_task_3_due_on_the_friday_before_quoting_the_plan(
    tmp_path: Path, hang_bac_db: dict[str, str]
) -> None:
    result = run_ntvt(
        "notices",
        "preview",
        "--from",
        "2018-01-01",
        "--to",
        "2018-01-10",
        "--unit",
        "hang bac",
        cwd=tmp_path,
        **hang_bac_db,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all("Phường Hàng Bạc" in line for line in lines), result.stdout
    task_3 = [line for line in lines if "task  3" in line]
    assert [line.split()[2] for line in task_3] == [
        "reminder",  # 02/01, 3 working days before (the 7-day one, 25/12, is before the window)
        "reminder",  # 04/01
        "due_today",  # 05/01
        "overdue",  # 08/01
        "overdue",  # 09/01
        "overdue",  # 10/01
    ], result.stdout
    # "Trước ngày 08/01/2018" (a Monday): due Friday 05/01, never on the Monday; each line
    # quotes the plan's words and says why the day is not the Sunday before.
    quoted = "“Trước ngày 08/01/2018”  [06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật]"
    for line in task_3:
        assert "due 05/01/2018" in line and line.endswith(quoted), line
    assert task_3[0].startswith("02/01/2018 08:00") and "(+3 working days)" in task_3[0]
    # Nothing is dated on a day off: 01/01 (Tết Dương lịch), 06-07/01 (the weekend).
    days = {_day_of(line) for line in lines}
    assert days.isdisjoint({date(2018, 1, 1), date(2018, 1, 6), date(2018, 1, 7)})
    assert result.stderr == ""


def test_preview_over_tet_2018_dates_no_notice_within_the_holiday(
    tmp_path: Path, hang_bac_db: dict[str, str]
) -> None:
    result = run_ntvt(
        "notices",
        "preview",
        "--from",
        "2018-02-10",
        "--to",
        "2018-02-22",
        "--unit",
        "hang bac",
        cwd=tmp_path,
        **hang_bac_db,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    days = [_day_of(line) for line in lines]
    assert days, result.stdout
    tet = {date(2018, 2, day) for day in range(14, 21)}
    assert tet.isdisjoint(days), result.stdout
    # February's "Hàng tháng" deadline (28/02) is reminded 7 working days ahead, counted
    # over Tết: on Monday 12/02, sixteen calendar days before.
    reminder = next(line for line in lines if "task 19" in line)
    assert reminder.startswith("12/02/2018 08:00  reminder")
    assert "due 28/02/2018 (+7 working days)" in reminder


@pytest.mark.postgres
@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_two_run_once_processes_at_the_same_instant_send_each_notice_once(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    officer = api.user(OFFICER, "Cán bộ Hàng Bạc")
    env = telegram_env(api, migrated_database_url)

    async def run(*args: str) -> NtvtProcess:
        process = await ntvt(*args, env=env)
        code = await process.wait_exit(RUN_TIMEOUT)
        assert code == 0, process.describe()
        return process

    await run("plan", "load", str(DEMO_PLAN))
    # The notices replayed are of 2018: the officer's role must apply from before them.
    await run(
        "officers",
        "grant",
        "--user",
        str(OFFICER),
        "--role",
        "officer",
        "--unit",
        "hang bac",
        "--valid-from",
        "2018-01-01",
    )

    first, second = [await ntvt("notices", "run-once", "--now", NOW, env=env) for _ in range(2)]
    codes = await asyncio.gather(first.wait_exit(RUN_TIMEOUT), second.wait_exit(RUN_TIMEOUT))
    assert list(codes) == [0, 0], first.describe() + "\n" + second.describe()
    counts: list[int] = []
    for process in (first, second):
        sent = SENT.search(process.output())
        assert sent is not None, process.describe()
        counts.append(int(sent.group(1)))

    texts = [
        call.params["text"]
        for call in api.calls_for("sendMessage")
        if call.ok and call.params["chat_id"] == OFFICER
    ]
    # On 04/01/2018 one digest: task 1 (due 29/12/2017) is overdue, task 3 (due 05/01) is a
    # working day away.
    assert sum(counts) == len(texts) == 1, (counts, texts)
    assert max(Counter(texts).values()) == 1
    assert sorted(TASK.findall(" ".join(m.text for m in officer.messages))) == ["1", "3"]

    third = await run("notices", "run-once", "--now", NOW)
    assert SENT.search(third.output()) is not None
    assert "ntvt: 0 notices sent" in third.output(), third.describe()
    assert len([c for c in api.calls_for("sendMessage") if c.params["chat_id"] == OFFICER]) == 1
