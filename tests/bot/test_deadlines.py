"""Deadline notices reach a unit's officers on working days, once, until the task is done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

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


async def test_one_digest_arrives_once_with_each_task_its_plan_wording_and_button(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1101, "Cán bộ Bạc")
    await _officer(year_2018, clock, officer.id)
    assert await _run(year_2018, clock, "2018-01-02") == 1
    (digest,) = officer.messages
    assert "Bản tin hạn chót ngày 02/01/2018" in digest.text
    # Task 1 ("Trước ngày 31/12/2017", due Friday 29/12) is one working day late: urgent,
    # first. Task 3 ("Trước ngày 08/01/2018", a Monday): due Friday 05/01.
    urgent, coming = digest.text.split("Sắp đến hạn")
    assert "Cần làm ngay" in urgent and "Nhiệm vụ 1:" in urgent and "quá 1 ngày làm việc" in urgent
    assert "Kế hoạch ghi: “Trước ngày 31/12/2017” (30/12/2017 là Thứ Bảy)" in urgent
    assert "Nhiệm vụ 3:" in coming and "Hạn: 05/01/2018 · còn 3 ngày làm việc" in coming
    assert "“Trước ngày 08/01/2018” (06/01/2018 và 07/01/2018 là Thứ Bảy, Chủ nhật)" in coming
    assert [label for row in digest.buttons for label in row] == [
        "✅ Đã hoàn thành · 1 · 29/12",
        "✅ Đã hoàn thành · 3 · 05/01",
    ]
    assert await _run(year_2018, clock, "2018-01-02", 9) == 0  # nothing twice


async def test_nothing_goes_out_on_a_weekend_or_outside_office_hours(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    await _officer(year_2018, clock, api.user(1102, "Cán bộ").id)
    assert await _run(year_2018, clock, "2018-01-06") == 0  # Saturday
    assert await _run(year_2018, clock, "2018-01-05", 6) == 0  # before office hours
    assert await _run(year_2018, clock, "2018-01-05", 20) == 0  # evening
    assert await _run(year_2018, clock, "2018-01-03") == 0  # a working day with no news


async def test_done_stops_the_reminders_and_tells_the_secretariat(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1103, "Cán bộ"), api.user(1104, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    await _run(year_2018, clock, "2018-01-02")
    (digest,) = officer.messages
    officer.skip_pending()
    done = await officer.press_on_for_reply(digest, "✅ Đã hoàn thành · 3 · 05/01")
    assert "hoàn thành nhiệm vụ 3" in done.text and "Cơ quan thường trực đã được báo" in done.text
    await api.wait_until_idle(timeout=5)
    told = [m.text for m in secretary.messages if "đã báo hoàn thành nhiệm vụ 3" in m.text]
    assert told and "Phường Hàng Bạc" in told[0]
    seen = len(officer.messages)
    # Its reminder of 04/01, due day of 05/01 and first overdue day 08/01 are gone...
    for day in ("2018-01-04", "2018-01-05", "2018-01-08"):
        assert await _run(year_2018, clock, day) == 0, day
    # ...while task 19's January deadline (31/01) is reminded 7 working days before.
    assert await _run(year_2018, clock, "2018-01-22") == 1
    later = [m.text for m in officer.messages[seen:]]
    assert len(later) == 1 and "Nhiệm vụ 19:" in later[0]
    assert "Nhiệm vụ 3:" not in later[0]


async def test_the_first_overdue_day_leads_the_digest(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1105, "Cán bộ")
    await _officer(year_2018, clock, officer.id)
    assert await _run(year_2018, clock, "2018-01-08") == 1
    (digest,) = officer.messages
    urgent = digest.text.split("Cần làm ngay")[1]
    assert urgent.index("Nhiệm vụ 3:") < urgent.index("quá 1 ngày làm việc")
    # Later overdue days are listed in digests that go for other news, never on their own.
    assert await _run(year_2018, clock, "2018-01-09") == 0


async def test_an_officer_sets_a_later_digest_and_gets_urgent_tasks_alone_at_office_time(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    late, punctual = api.user(1120, "Cán bộ chiều"), api.user(1121, "Cán bộ sáng")
    await _officer(year_2018, clock, late.id)
    await _officer(year_2018, clock, punctual.id)
    shown = await say(late, "/gionhan")
    assert "lúc 08:00" in shown.text and "/gionhan 07:30" in shown.text
    for typed in ("25:00", "06:30", "17:00", "sáng mai"):
        refused = await say(late, f"/gionhan {typed}")
        assert "Chưa đổi được giờ nhận bản tin" in refused.text, typed
        assert "từ 07:00 đến trước 17:00" in refused.text, typed
    saved = await say(late, "/digest 14h")
    assert "Đã ghi" in saved.text and "lúc 14:00" in saved.text
    assert "lúc 14:00" in (await say(late, "/gionhan")).text
    assert "không có quyền" in (await say(api.user(1122, "Dân"), "/gionhan 09:00")).text
    late.skip_pending()
    punctual.skip_pending()
    seen = {user.id: len(user.messages) for user in (late, punctual)}

    # Friday 05/01/2018: task 3 is due today.
    assert await _run(year_2018, clock, "2018-01-05") == 2
    (alone,) = late.messages[seen[late.id] :]
    assert "Hạn chót hôm nay" in alone.text and "Nhiệm vụ 3:" in alone.text
    assert "Bản tin hạn chót" not in alone.text
    assert [label for row in alone.buttons for label in row] == ["✅ Đã hoàn thành"]
    (digest,) = punctual.messages[seen[punctual.id] :]
    assert "Bản tin hạn chót ngày 05/01/2018" in digest.text and "Nhiệm vụ 3:" in digest.text
    assert await _run(year_2018, clock, "2018-01-05", 13) == 0
    assert await _run(year_2018, clock, "2018-01-05", 14) == 1
    (later,) = late.messages[seen[late.id] + 1 :]
    assert "Bản tin hạn chót ngày 05/01/2018" in later.text and "Nhiệm vụ 3:" in later.text
    assert await _run(year_2018, clock, "2018-01-05", 15) == 0


async def test_a_digest_time_before_office_hours_brings_the_digest_early(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1123, "Cán bộ sớm")
    await _officer(year_2018, clock, officer.id)
    assert "lúc 07:30" in (await say(officer, "/gionhan 07:30")).text
    officer.skip_pending()
    clock.now = hanoi("2018-01-02", 7) + timedelta(minutes=30)
    rt = year_2018.runtime
    ids = await run_once(rt, rt.calendar, rt.reminders, clock())
    assert rt.sender is not None
    await rt.sender.send_ids(ids)
    assert len(ids) == 1
    assert "Bản tin hạn chót ngày 02/01/2018" in (await officer.next_message()).text
    assert await _run(year_2018, clock, "2018-01-02") == 0  # no urgent notice besides


async def test_deadlines_lists_what_is_coming_for_my_unit(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1106, "Cán bộ")
    await _officer(year_2018, clock, officer.id)
    listing = await say(officer, "/deadlines")
    assert "Nhiệm vụ 3:" in listing.text and "hạn 05/01/2018" in listing.text
    assert "Kế hoạch ghi: “Trước ngày 08/01/2018”" in listing.text
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
    assert "“Trước ngày 08/01/2018”" in resident.text
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
    secretary.skip_pending()
    report = await say(secretary, "/compliance")
    lines = report.text.splitlines()
    hang_bac = lines[lines.index("🔴 Phường Hàng Bạc") + 1]
    # Tasks 1 (due 29/12/2017) and 3 (due 05/01) are overdue on 10/01.
    assert "Đăng ký thi đua: có" in hang_bac and "📝 0/1" in hang_bac and "⚠️ 2" in hang_bac
    hang_gai = lines[lines.index("🔴 Phường Hàng Gai") + 1]
    assert "Đăng ký thi đua: chưa" in hang_gai
    refused = await say(officer, "/compliance")
    assert "không có quyền" in refused.text


async def test_the_monthly_quota_is_told_once_with_task_19_in_the_digest(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1112, "Cán bộ"), api.user(1113, "Thư ký")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    assert await _run(year_2018, clock, "2018-03-19") == 0
    # The quota day, a Tuesday: task 19 (due 30/03, 8 working days ahead) is listed with
    # the unit's standing, in its one digest; no separate quota notice.
    assert await _run(year_2018, clock, "2018-03-20") == 1
    (digest,) = officer.messages
    assert "Nhiệm vụ 19:" in digest.text and "Kế hoạch ghi: “Hàng tháng”" in digest.text
    assert "Tháng 03/2018: đã đề xuất lên Hội đồng 0/1 trường hợp" in digest.text
    assert "✅ Đã hoàn thành · 19 · 30/03" in [label for row in digest.buttons for label in row]
    assert await _run(year_2018, clock, "2018-03-20", 10) == 0
    # Task 19's own reminder, 7 working days before: the standing comes with it again.
    assert await _run(year_2018, clock, "2018-03-21") == 1
    assert "Tháng 03/2018: đã đề xuất lên Hội đồng 0/1" in officer.messages[-1].text
    assert len(officer.messages) == 2
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
        line = f"❗ Nhiệm vụ {task}: “{written}” · ngày ghi nằm ngoài thời gian của kế hoạch"
        assert line in listing.text, listing.text
    # A unit's officer is not the one to correct the plan: their list stays theirs.
    assert "Không ai được nhắc" not in (await say(officer, "/deadlines")).text


async def test_an_officer_files_a_report_with_done_and_only_the_secretariat_gets_it_back(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    officer, secretary = api.user(1130, "Cán bộ Bạc"), api.user(1131, "Thư ký")
    other, resident = api.user(1132, "Cán bộ Gai"), api.user(1133, "Dân")
    await _officer(year_2018, clock, officer.id)
    await _officer(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    await _officer(year_2018, clock, other.id, unit="phuong-hang-gai")
    await _run(year_2018, clock, "2018-01-02")
    (digest,) = officer.messages
    officer.skip_pending()
    done = await officer.press_on_for_reply(digest, "✅ Đã hoàn thành · 3 · 05/01")
    assert done.message_id == digest.message_id and "Bản tin hạn chót" in done.text
    assert done.buttons == [["📎 Gửi kèm văn bản"]]
    signed = done.callback_data[0][0]
    assert signed is not None
    plain = signed[:-8]  # the data without its signature for the officer's chat

    # Replayed in another officer's chat the press is no button of the bot's; signed for
    # their chat (leaked, say) or a resident's, core still refuses it.
    for user in (other, resident):
        user.skip_pending()
        await say(user, "/deadlines")
        await user.send_callback(signed, user.last_message)
        assert "không còn hiệu lực" in (await user.next_message()).text
        forged = year_2018.runtime.buttons.sign(user.chat_id, plain)
        await user.send_callback(forged, user.last_message)
        assert "không có quyền" in (await user.next_message()).text
        async with year_2018.runtime.uow() as uow:
            assert await uow.dialogs.get(user.chat_id) is None

    ask = await press(officer, "📎 Gửi kèm văn bản")
    assert "nhiệm vụ 3 của Phường Hàng Bạc" in ask.text and "PDF, DOCX" in ask.text
    assert "không nhận" not in (await say(officer, "xong rồi")).text
    sent = await officer.send_document("bao-cao-nhiem-vu-3.pdf", file_size=100_000)
    filed = await officer.next_message()
    assert "Đã nhận văn bản của Phường Hàng Bạc cho nhiệm vụ 3" in filed.text
    assert "bao-cao-nhiem-vu-3.pdf (98 KB)" in filed.text
    await api.wait_until_idle(timeout=5)
    told = [m.text for m in secretary.messages if "đã nộp văn bản" in m.text]
    assert told and "Phường Hàng Bạc" in told[0] and "bao-cao-nhiem-vu-3.pdf" in told[0]

    secretary.skip_pending()
    report = await say(secretary, "/compliance")
    lines = report.text.splitlines()
    hang_bac = next(lines[i + 1] for i, line in enumerate(lines) if "Phường Hàng Bạc" in line)
    assert "📎 1 văn bản" in hang_bac
    assert "📎" not in next(
        lines[i + 1] for i, line in enumerate(lines) if "Phường Hàng Gai" in line
    )
    listing = await press(secretary, "📎 Xem văn bản đã nộp")
    assert "Phường Hàng Bạc" in listing.text and "bao-cao-nhiem-vu-3.pdf" in listing.text
    await api.wait_until_idle(timeout=5)
    resent = [
        call.params.get("document")
        for call in api.calls_for("sendDocument")
        if call.params.get("chat_id") == secretary.chat_id
    ]
    assert resent == [sent["document"]["file_id"]]
    refused = await say(officer, "/compliance")
    assert "không có quyền" in refused.text
