"""The ``ntvt`` command as an operator and a first-time user run it, as real processes."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
from pathlib import Path

import pytest

from core.org import UnitKind
from tests.bot.flows import DEED
from tests.bot.test_terminal_chat import SEED, random_line
from tests.e2e.conftest import CODE, NTVT, clean_env, sqlite_url

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "storage" / "plans" / "hoan-kiem-2018.yaml"
RUN_TIMEOUT = 60.0

SMALL_PLAN = """\
council:
  key: hdtdkt-phuong-thu
  name: "Hội đồng Thi đua - Khen thưởng phường Thử Nghiệm"
  secretariat_key: van-phong
units:
  - {key: van-phong, name: "Văn phòng UBND phường Thử Nghiệm", kind: department}
  - {key: to-dan-pho-1, name: "Tổ dân phố số 1", kind: other, aliases: ["TDP 1"]}
  - {key: truong-th-thu, name: "Trường Tiểu học Thử Nghiệm", kind: school}
campaigns:
  - key: nguoi-tot-viec-tot-2026
    title: "Phong trào Người tốt, việc tốt"
    theme: good-deeds
    description: "Phát hiện, biểu dương người tốt, việc tốt trên địa bàn phường."
    valid_from: "2026-01-01"
    valid_to: "2026-12-31"
plan:
  key: thu-nghiem-2026
  number: "01/KH-HĐTĐKT"
  title: "Kế hoạch công tác thi đua, khen thưởng năm 2026"
  year: 2026
  issued_on: "2025-12-20"
  council_key: hdtdkt-phuong-thu
  tasks:
    - number: 1
      quarter: "I"
      content: "Phát động phong trào thi đua năm 2026."
      lead: [ALL_UNITS]
      coordinating: [van-phong]
      due: "Trước ngày 15/01/2026"
    - number: 2
      quarter: "IV"
      content: "Tổng kết phong trào Người tốt, việc tốt."
      lead: [COUNCIL]
      due: "Trước ngày 30/11/2026"
"""


def run_ntvt(
    *args: str, cwd: Path, input: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run ``ntvt ARGS`` to completion in ``cwd`` with only the given ``NTVT_*`` settings."""
    return subprocess.run(
        [str(NTVT), *args],
        cwd=cwd,
        env=clean_env(**settings),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=RUN_TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *mentions: str) -> str:
    """Exit code 2, nothing on stdout, exactly one ``ntvt: ...`` line on stderr."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ntvt: "), lines[0]
    for mention in mentions:
        assert mention in lines[0]
    return lines[0]


# plan files ---------------------------------------------------------------------------------


def test_plan_check_reports_the_impossible_dates_and_task_4s_year_of_the_2018_plan(
    tmp_path: Path,
) -> None:
    result = run_ntvt("plan", "check", str(DEMO_PLAN), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    problems = [line for line in lines if line.startswith(f"{DEMO_PLAN}: ")]
    assert len(problems) == 4, result.stdout
    # "Các cụm thi đua ký cam kết giao ước thi đua năm 2017": a pact for a year gone by.
    [year] = [line for line in problems if ".content" in line]
    assert "plan.tasks[3].content (task 4)" in year and "the year 2017" in year, year
    for line, (index, task, written) in zip(
        [line for line in problems if line != year],
        [
            (1, 2, "Trước ngày 08/01/2017"),
            (3, 4, "Trước ngày 31/01/2017"),
            (6, 7, "Hồ sơ gửi trước ngày 25/4/2017"),
        ],
        strict=True,
    ):
        assert f"plan.tasks[{index}].due" in line
        assert f"(task {task})" in line
        assert written in line
        assert "before the plan was issued on 2017-12-15" in line
    assert lines[-1] == "26 units, 23 tasks, 4 problems"  # 21, and the 5 wards since 2025
    assert result.stderr == ""


def test_plan_check_accepts_a_valid_plan(tmp_path: Path) -> None:
    plan = tmp_path / "small.yaml"
    plan.write_text(SMALL_PLAN, encoding="utf-8")
    result = run_ntvt("plan", "check", str(plan), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "3 units, 2 tasks, 0 problems\n"
    assert result.stderr == ""


async def test_plan_load_stores_the_council_with_its_18_wards(tmp_path: Path) -> None:
    from storage.uow import open_database

    url = sqlite_url(tmp_path / "plan.db")
    result = await asyncio.to_thread(
        run_ntvt, "plan", "load", str(DEMO_PLAN), cwd=tmp_path, NTVT_DATABASE_URL=url
    )
    assert result.returncode == 0, result.stdout + result.stderr
    loaded = re.fullmatch(
        r"ntvt: loaded hoan-kiem-2018\.yaml: (\d+) tasks, 4 problems\n", result.stdout
    )
    assert loaded is not None, result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 4 + 3, result.stderr  # the problems, then the tasks not reminded
    assert errors[4:] == [
        f"ntvt: WARNING task {task} gets NO REMINDER until its due text is fixed: "
        f"“{written}” (its due day lies outside the plan's time)"
        for task, written in (
            (2, "Trước ngày 08/01/2017"),
            (4, "Trước ngày 31/01/2017"),
            (7, "Hồ sơ gửi trước ngày 25/4/2017"),
        )
    ]

    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            organisation = await uow.organisation.load()
            plan = await uow.organisation.get_plan("hoan-kiem-2018")
    finally:
        await db.dispose()
    assert organisation is not None
    assert organisation.council.name == "Hội đồng Thi đua - Khen thưởng quận Hoàn Kiếm"
    wards = [unit for unit in organisation.units if unit.kind is UnitKind.WARD]
    ended = [ward for ward in wards if ward.successors]
    assert len(ended) == 18  # and the 5 wards that took over the district's area in 2025
    assert "Phường Hàng Bạc" in {ward.name for ward in ended}
    assert plan is not None
    assert len(plan.tasks) == int(loaded.group(1))


# configuration errors: one line, exit code 2 ------------------------------------------------


def test_run_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    result = run_ntvt("run", cwd=tmp_path)
    assert_one_line_error(result, "NTVT_TELEGRAM_TOKEN", "ntvt chat")
    assert list(tmp_path.iterdir()) == []  # no database was created on the way


def test_an_unknown_time_zone_is_one_clear_line(tmp_path: Path) -> None:
    result = run_ntvt("db", "upgrade", cwd=tmp_path, NTVT_TIMEZONE="Mars/Base")
    assert_one_line_error(result, "NTVT_TIMEZONE", "Mars/Base")


def test_an_unsupported_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run_ntvt("db", "upgrade", cwd=tmp_path, NTVT_DATABASE_URL="mysql://x")
    assert_one_line_error(result, "NTVT_DATABASE_URL", "sqlite+aiosqlite")


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "data" / "fresh.db"
    path.parent.mkdir()
    result = run_ntvt("db", "upgrade", cwd=tmp_path, NTVT_DATABASE_URL=sqlite_url(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "ntvt: database is up to date\n"
    assert path.stat().st_size > 0


def test_db_restore_of_a_missing_file_says_so_not_that_the_database_is_away(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "new.db")
    missing = str(tmp_path / "none.backup")
    result = run_ntvt("db", "restore", missing, cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert result.returncode == 1
    assert f"{missing}: no such file" in result.stderr + result.stdout
    assert "cannot reach the database" not in result.stderr + result.stdout


# ntvt chat: the README's first command -------------------------------------------------------

NOMINEE = "Nguyễn Văn Bình"
# Each line is what the user types; a number presses that button of the latest keyboard.
CHAT_SESSION = [
    "1",  # ✅ Tôi đồng ý
    "/nominate",
    "1",  # 👤 Cá nhân
    NOMINEE,
    "1",  # Người dân
    DEED,
    "2",  # Hôm qua
    "hang bac",  # abolished on 01/07/2025: its successor is offered
    "1",  # Phường Hoàn Kiếm
    "Bỏ qua",  # place: on the reply keyboard, with «📍 Gửi vị trí hiện tại»
    "1",  # evidence: Bỏ qua
    "Bỏ qua",  # phone: on the reply keyboard, with «📱 Gửi số điện thoại của tôi»
    "2",  # anonymous: Không cần
    "1",  # ✅ Gửi
    "/my",
    ":thoat",
]


@pytest.fixture(scope="module")
def chat_session(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One ``ntvt chat`` session typed on stdin, from the privacy notice to the code."""
    cwd = tmp_path_factory.mktemp("chat")
    return run_ntvt(
        "chat",
        cwd=cwd,
        input="".join(f"{line}\n" for line in CHAT_SESSION),
        NTVT_DATABASE_URL=sqlite_url(cwd / "chat.db"),
    )


def test_chat_walks_a_nomination_to_its_tracking_code(
    chat_session: subprocess.CompletedProcess[str],
) -> None:
    out = chat_session.stdout
    assert chat_session.returncode == 0, out[-3000:] + chat_session.stderr
    assert chat_session.stderr == ""
    assert "Xin chào Bạn" in out
    assert "[1] ✅ Tôi đồng ý  [2] Không đồng ý" in out
    for step in range(1, 11):
        assert f"Bước {step}/10" in out
    assert "Xin Anh/Chị kiểm tra lại đề cử" in out
    # ntvt chat runs today's organisation: the old ward is named with where its area went.
    assert "Phường Hàng Bạc không còn từ ngày 01/07/2025" in out
    assert "tổ dân phố hoặc đơn vị" in out
    assert "Phường Hoàn Kiếm" in out
    assert f"Đã gửi đề cử về {NOMINEE}" in out
    codes = CODE.findall(out)
    assert codes, out[-3000:]
    # /my lists it: it was stored, not just shown.
    assert codes.count(codes[0]) >= 2, out[-3000:]
    assert "Traceback" not in out


def test_chat_shows_each_line_of_a_message_on_its_own_line(
    chat_session: subprocess.CompletedProcess[str],
) -> None:
    # Regression: lines of a message used to run together ("Bước 1/10Anh/Chị muốn...").
    out = chat_session.stdout
    assert "Bước 1/10\nAnh/Chị muốn đề cử" in out
    assert "Ảnh, tài liệu: 0 tệp\nSố điện thoại: —\n" in out
    assert re.search(r"Mã đề cử: NT-[0-9A-Z]{4}-[0-9A-Z]{4}\n", out), out[-1500:]


# The 200 lines at every step are typed in-process (tests/bot/test_terminal_chat.py); the
# real process gets enough of the same mix to show it outlives them.
PROCESS_LINES = 60


def test_chat_outlives_random_lines_as_a_resident_and_as_staff(tmp_path: Path) -> None:
    """The real ``ntvt chat``: numbers, commands, emoji, empty lines, roles; it never exits."""
    rng = random.Random(SEED)
    lines = [random_line(rng) for _ in range(PROCESS_LINES)]
    # A few switches of role and the window's own inputs, at seeded places.
    for extra in (":vai canbo", ":vai thuongtruc", ":vai nguoidan", ":vai hoidong", ":anh"):
        lines.insert(rng.randrange(len(lines)), extra)
    lines.insert(rng.randrange(len(lines)), ":vai ai-do")  # no such role: the roles are listed
    result = run_ntvt(
        "chat",
        cwd=tmp_path,
        input="".join(f"{line}\n" for line in lines),
        NTVT_DATABASE_URL=sqlite_url(tmp_path / "chat.db"),
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr
    assert result.stderr == "", result.stderr[-3000:]
    assert "Traceback" not in out and "Cửa sổ chat:" not in out, out[-3000:]
    # Every line was read, and the prompt came back after each (then the end of input).
    assert out.count("\n> ") == len(lines) + 1
    assert "Bạn đang là: Cán bộ" in out and "Vai: resident" in out


def test_chat_as_an_officer_opens_the_demo_queue_and_a_card(tmp_path: Path) -> None:
    session = ["/queue", "1", ":vai hoidong", ":thoat"]
    result = run_ntvt(
        "chat",
        "--as",
        "officer",
        cwd=tmp_path,
        input="".join(f"{line}\n" for line in session),
        NTVT_DATABASE_URL=sqlite_url(tmp_path / "chat.db"),
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr
    assert "Bạn đang là: Cán bộ Trần Thị Hoa, Tổ dân phố số 1" in out
    assert "Dành cho cán bộ" in out  # the officer's commands, from /help
    for name in ("Nguyễn Văn Bình", "Trần Thị Mai", "Lê Minh Tuấn", "Đỗ Thị Lan"):
        assert name in out
    assert "Lịch sử" in out  # a case card
    assert "Bạn đang là: Thành viên Hội đồng" in out
    assert "Traceback" not in out


def test_chat_answers_a_second_session_on_the_same_database(tmp_path: Path) -> None:
    # Regression: the second session's updates reused the first one's ids; the bot took
    # them for updates it had processed and answered nothing.
    database = sqlite_url(tmp_path / "ntvt.db")
    first = run_ntvt("chat", cwd=tmp_path, input="1\n:thoat\n", NTVT_DATABASE_URL=database)
    assert "Cảm ơn Anh/Chị đã đồng ý" in first.stdout, first.stdout[-2000:] + first.stderr
    again = run_ntvt("chat", cwd=tmp_path, input="/my\n:thoat\n", NTVT_DATABASE_URL=database)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr
    assert "Xin chào Bạn" in again.stdout
    assert "chưa gửi đề cử nào" in again.stdout, again.stdout[-2000:]


def test_chat_as_an_unknown_role_is_one_clear_line(tmp_path: Path) -> None:
    result = run_ntvt("chat", "--as", "mayor", cwd=tmp_path)
    assert_one_line_error(result, "--as mayor", "officer, secretariat, council")


# ntvt chat --channel zalo: a resident on Zalo; the same flows through the bot's server -------


def test_chat_on_zalo_greets_for_the_resident_and_reaches_the_nominations_first_question(
    tmp_path: Path,
) -> None:
    result = run_ntvt(
        "chat",
        "--channel",
        "zalo",
        cwd=tmp_path,
        input="1\n1\n:thoat\n",  # ✅ Tôi đồng ý, 📝 Đề cử người tốt, việc tốt
        NTVT_DATABASE_URL=sqlite_url(tmp_path / "chat.db"),
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr
    assert result.stderr == "", result.stderr[-3000:]
    # Zalo has no /start: the window said "Xin chào", and the welcome is what comes first.
    _help, _, shown = out.partition(":thoat quits.\n")
    assert shown.startswith("\nXin chào"), out[:3000]
    assert "[1] ✅ Tôi đồng ý  [2] Không đồng ý\n" in shown
    assert "Cảm ơn Anh/Chị đã đồng ý" in shown
    first_question = (
        "Bước 1/10\nAnh/Chị muốn đề cử một cá nhân hay một tập thể?\n"
        "[1] 👤 Cá nhân  [2] 👥 Tập thể  [3] ✖️ Hủy\n"
    )
    assert first_question in shown, out[-3000:]
    assert "<b>" not in out and "Traceback" not in out and "Cửa sổ chat:" not in out
    assert out.count("\n> ") == 3


def test_chat_on_an_unknown_channel_or_as_staff_on_zalo_is_one_clear_line(
    tmp_path: Path,
) -> None:
    result = run_ntvt("chat", "--channel", "viber", cwd=tmp_path)
    assert_one_line_error(result, "--channel viber", "telegram or zalo")
    result = run_ntvt("chat", "--channel", "zalo", "--as", "officer", cwd=tmp_path)
    assert_one_line_error(result, "--as officer", "Telegram")


# ntvt plan new: a ward's own plan -------------------------------------------------------------


async def test_plan_new_writes_a_skeleton_that_checks_and_loads_once_filled(
    tmp_path: Path,
) -> None:
    from storage.uow import open_database

    made = run_ntvt("plan", "new", "--ward", "Phường Hồng Hà", "--year", "2027", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    skeleton = tmp_path / "phuong-hong-ha-2027.yaml"
    text = skeleton.read_text(encoding="utf-8")
    assert "Hội đồng Thi đua - Khen thưởng phường Hồng Hà" in text
    assert "# ĐIỀN" in text and "successors" in text and "Hàng tháng" in text
    again = run_ntvt("plan", "new", "--ward", "Phường Hồng Hà", "--year", "2027", cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr  # never overwritten silently

    # The secretary fills it in: the real names, one more group, one more task.
    filled = (
        text.replace('"Trường Tiểu học ..."', '"Trường Tiểu học Hồng Hà"')
        .replace(
            "  - key: truong-tieu-hoc-1\n",
            '  - {key: to-dan-pho-2, name: "Tổ dân phố số 2", kind: residential_group,'
            ' valid_from: "2025-07-01"}\n  - key: truong-tieu-hoc-1\n',
        )
        .replace("member_keys: [to-dan-pho-1]", "member_keys: [to-dan-pho-1, to-dan-pho-2]")
        + '    - number: 5\n      quarter: "III"\n'
        '      content: "Sơ kết 6 tháng."\n      lead: [ALL_CLUSTERS]\n'
        '      due: "Trước ngày 15/7/2027"\n'
    )
    skeleton.write_text(filled, encoding="utf-8")
    checked = run_ntvt("plan", "check", str(skeleton), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "7 units, 5 tasks, 0 problems\n"

    url = sqlite_url(tmp_path / "ward.db")
    loaded = await asyncio.to_thread(
        run_ntvt, "plan", "load", str(skeleton), cwd=tmp_path, NTVT_DATABASE_URL=url
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert loaded.stdout == "ntvt: loaded phuong-hong-ha-2027.yaml: 5 tasks, 0 problems\n"
    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            organisation = await uow.organisation.load()
            plan = await uow.organisation.current_plan()
    finally:
        await db.dispose()
    assert organisation is not None and plan is not None
    assert organisation.council.name == "Hội đồng Thi đua - Khen thưởng phường Hồng Hà"
    assert organisation.council.level is not None and organisation.council.level.value == "ward"
    assert plan.key == "phuong-hong-ha-2027" and len(plan.tasks) == 5


def test_plan_check_accepts_todays_demo_organisation(tmp_path: Path) -> None:
    today = ROOT / "storage" / "plans" / "phuong-hoan-kiem-2027.yaml"
    result = run_ntvt("plan", "check", str(today), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("13 tasks, 0 problems\n")
