"""Deadline notices reach a unit's officers on working days, once, until the task is done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.local_api import LocalBotApi
from bot.notices import run_once
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say

OPERATOR = Actor.operator()

HANG_BAC = "phuong-hang-bac"


def hanoi(day: str, hour: int = 8) -> datetime:
    """08:00 in Hà Nội on ``day`` (YYYY-MM-DD), as UTC."""
    local = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+07:00")
    return local.astimezone(UTC)


@pytest.fixture
async def year_2018(start_bot, clock: FakeClock) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    clock.now = hanoi("2018-01-02")
    async with start_bot(notices=False) as (application, runtime):
        yield RunningBot(application, runtime)


async def _officer(
    bot: RunningBot,
    clock: FakeClock,
    user_id: int,
    role: Role = Role.OFFICER,
    unit: str | None = HANG_BAC,
) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(uow, OPERATOR, user_id=user_id, role=role, unit_key=unit, now=clock())
        await uow.commit()


async def _run(bot: RunningBot, clock: FakeClock, day: str, hour: int = 8) -> int:
    clock.now = hanoi(day, hour)
    rt = bot.runtime
    ids = await run_once(rt, rt.calendar, rt.reminders, clock())
    assert rt.sender is not None
    await rt.sender.send_ids(ids)
    return len(ids)


async def test_a_reminder_arrives_once_names_the_task_and_its_shifted_due_date(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1101, "Cán bộ Bạc")
    await _officer(year_2018, clock, officer.id)
    assert await _run(year_2018, clock, "2018-01-04") > 0
    texts = [m.text for m in officer.messages]
    task_3 = next(t for t in texts if "Nhiệm vụ 3:" in t)
    # "Trước ngày 08/01/2018" (a Monday): due Friday 05/01, the last working day before it;
    # the notice quotes the plan and says why the day is not Sunday 07/01.
    assert "Hạn: 05/01/2018" in task_3 and "còn 1 ngày làm việc" in task_3
    quoted = "Kế hoạch ghi: «Trước ngày 08/01/2018» (06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật)"
    assert quoted in task_3
    assert "Phòng Nội vụ" in task_3
    assert await _run(year_2018, clock, "2018-01-04", 9) == 0  # nothing twice


async def test_nothing_goes_out_on_a_weekend_or_outside_office_hours(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    await _officer(year_2018, clock, api.user(1102, "Cán bộ").id)
    assert await _run(year_2018, clock, "2018-01-06") == 0  # Saturday
    assert await _run(year_2018, clock, "2018-01-04", 6) == 0  # before office hours
    assert await _run(year_2018, clock, "2018-01-04", 20) == 0  # evening


async def test_done_stops_the_reminders_and_tells_the_secretariat(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1103, "Cán bộ"), api.user(1104, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    await _run(year_2018, clock, "2018-01-04")
    task_3 = next(m for m in officer.messages if "Nhiệm vụ 3:" in m.text)
    officer.skip_pending()
    await officer.press_on(task_3, "✅ Đã hoàn thành")
    done = await officer.next_message()
    assert "hoàn thành nhiệm vụ 3" in done.text and "Cơ quan thường trực đã được báo" in done.text
    await api.wait_until_idle(timeout=5)
    told = [m.text for m in secretary.messages if "đã báo hoàn thành nhiệm vụ 3" in m.text]
    assert told and "Phường Hàng Bạc" in told[0]
    seen = len(officer.messages)
    await _run(year_2018, clock, "2018-01-05")
    await _run(year_2018, clock, "2018-01-08")
    later = [m.text for m in officer.messages[seen:]]
    assert later, "other tasks still send their notices"
    assert [t for t in later if "Nhiệm vụ 3:" in t] == []


async def test_overdue_notices_follow_a_missed_deadline(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1105, "Cán bộ")
    await _officer(year_2018, clock, officer.id)
    # Task 3 was due Friday 05/01; Monday 08/01 is its first overdue day.
    await _run(year_2018, clock, "2018-01-08")
    overdue = [m.text for m in officer.messages if "Nhiệm vụ 3:" in m.text]
    assert len(overdue) == 1  # the due-day notice of Friday is not sent days late
    assert "Quá hạn" in overdue[0] and "quá 1 ngày làm việc" in overdue[0]


async def test_deadlines_lists_what_is_coming_for_my_unit(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1106, "Cán bộ")
    await _officer(year_2018, clock, officer.id)
    listing = await say(officer, "/deadlines")
    assert "Nhiệm vụ 3:" in listing.text and "hạn 05/01/2018" in listing.text
    assert "Kế hoạch ghi: «Trước ngày 08/01/2018»" in listing.text
    assert any(label.startswith("✅ Đã hoàn thành · 3") for row in listing.buttons for label in row)
    done = await press(
        officer,
        next(
            label
            for row in listing.buttons
            for label in row
            if label.startswith("✅ Đã hoàn thành · 3")
        ),
    )
    assert "hoàn thành nhiệm vụ 3" in done.text
    assert "Cơ quan thường trực" not in done.text  # no secretariat officer to tell here
    again = await say(officer, "/deadlines")
    assert "Nhiệm vụ 3:" not in again.text
    resident = await say(api.user(1107, "Dân"), "/deadlines")
    assert "Các hạn sắp tới của Kế hoạch" in resident.text and "05/01/2018" in resident.text
    assert "«Trước ngày 08/01/2018»" in resident.text
    assert resident.buttons == []


async def test_a_relative_deadline_follows_the_entered_event_date(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    secretary = api.user(1108, "Thư ký")
    await _officer(year_2018, clock, secretary.id, Role.OFFICER, "phong-noi-vu")
    usage = await say(secretary, "/event 3 01/05/2018")
    assert "Cách dùng" in usage.text
    entered = await say(secretary, "/event 21 20/04/2018")
    # 45 days before 20/04/2018 is 06/03/2018, a Tuesday.
    assert "Hạn gửi hồ sơ: 06/03/2018" in entered.text


async def test_registration_and_compliance_show_who_is_late(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1110, "Cán bộ Bạc"), api.user(1111, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    usage = await say(officer, "/register")
    assert "Cách dùng" in usage.text
    registered = await say(officer, "/register Tập thể lao động xuất sắc; Cờ thi đua")
    assert "Phường Hàng Bạc" in registered.text and "Cờ thi đua" in registered.text

    clock.now = hanoi("2018-01-10")
    report = await say(secretary, "/compliance")
    lines = report.text.splitlines()
    hang_bac = lines[lines.index("🔴 Phường Hàng Bạc") + 1]
    # Tasks 1 (due 29/12/2017) and 3 (due 05/01) are overdue on 10/01.
    assert "ĐK: có" in hang_bac and "📝 0/1" in hang_bac and "⚠️ 2" in hang_bac
    hang_gai = lines[lines.index("🔴 Phường Hàng Gai") + 1]
    assert "ĐK: chưa" in hang_gai
    refused = await say(officer, "/compliance")
    assert "không có quyền" in refused.text


async def test_units_at_zero_are_reminded_of_the_monthly_quota(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1112, "Cán bộ"), api.user(1113, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    await _run(year_2018, clock, "2018-03-19")
    assert not [m for m in officer.messages if "chưa giới thiệu" in m.text]
    await _run(year_2018, clock, "2018-03-20")  # the quota day, a Tuesday
    quota = [m.text for m in officer.messages if "chưa giới thiệu" in m.text]
    assert len(quota) == 1 and "03/2018" in quota[0] and "Phường Hàng Bạc" in quota[0]
    await _run(year_2018, clock, "2018-03-20", 10)
    assert len([m for m in officer.messages if "chưa giới thiệu" in m.text]) == 1
    await _run(year_2018, clock, "2018-03-30")  # the month's last working day
    summary = [m.text for m in secretary.messages if "Tổng hợp đề cử tháng 03/2018" in m.text]
    assert len(summary) == 1 and "Phường Hàng Bạc" in summary[0]


async def test_a_year_end_dossier_needs_the_emulation_registration_unless_switched_off(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1114, "Cán bộ"), api.user(1115, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    refused = await say(officer, "/dossier Tập thể lao động xuất sắc")
    assert "Chưa thể nhận hồ sơ" in refused.text and "không đăng ký thi đua" in refused.text
    await say(officer, "/register Tập thể lao động xuất sắc")
    filed = await say(officer, "/dossier Tập thể lao động xuất sắc; Giấy khen")
    assert "Đã nhận hồ sơ" in filed.text and "Giấy khen" in filed.text
    await api.wait_until_idle(timeout=5)
    assert any("Hồ sơ đề nghị khen thưởng cuối năm 2018" in m.text for m in secretary.messages)

    runtime = year_2018.runtime
    runtime.settings = runtime.settings.model_copy(update={"require_registration": False})
    other = api.user(1116, "Cán bộ Gai")
    await _officer(year_2018, clock, other.id, Role.OFFICER, "phuong-hang-gai")
    accepted = await say(other, "/dossier Giấy khen")
    assert "Đã nhận hồ sơ" in accepted.text
    async with runtime.uow() as uow:
        dossiers = await uow.deadlines.dossiers(2018)
    assert dossiers == {
        "phuong-hang-bac": ("Tập thể lao động xuất sắc", "Giấy khen"),
        "phuong-hang-gai": ("Giấy khen",),
    }


async def test_the_secretariat_sees_which_tasks_nobody_will_be_reminded_of(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1120, "Cán bộ Bạc"), api.user(1121, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    listing = await say(secretary, "/deadlines")
    assert "Không ai được nhắc các nhiệm vụ sau" in listing.text
    for task, written in (
        (2, "Trước ngày 08/01/2017"),
        (4, "Trước ngày 31/01/2017"),
        (7, "Hồ sơ gửi trước ngày 25/4/2017"),
    ):
        line = f"❗ Nhiệm vụ {task}: «{written}» · ngày ghi nằm ngoài thời gian của kế hoạch"
        assert line in listing.text, listing.text
    # A unit's officer is not the one to correct the plan: their list stays theirs.
    assert "Không ai được nhắc" not in (await say(officer, "/deadlines")).text
