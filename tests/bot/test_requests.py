"""``/yeucau``: a resident's request to the standing office, with the law's two clocks.

Filed on Friday 20/11/2026 at 09:00 in Hà Nội, with Tuesday 24/11/2026 a public holiday
(Ngày Văn hóa Việt Nam, configured so the tests hold whichever ``holidays`` release is
installed): acknowledged by Wednesday 25/11 (2 working days), done by Monday 07/12 (15 days
end on Saturday 05/12). The secretariat is reminded on working days only, before each clock
runs out, once a day; the resident is told each step.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app import BotApplication
from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.notices import run_once
from bot.runtime import Runtime
from bot.settings import Settings
from core.data_requests import acknowledge
from core.personal_data import personal_data
from core.review import actor_for
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say
from tests.security.people import grant
from tests.security.test_buttons import signed

HOLIDAY = "2026-11-24"
TEXT = "Hồ sơ NT-AB12-CD34 đã có quyết định nhưng ghi sai tên tôi: Trần Thị Lan."
OUTCOME = "Đã sửa tên trong hồ sơ thành Trần Thị Lan; quyết định khen thưởng được in lại."
CORRECTION = "Sửa thông tin đề cử đã có quyết định"
NUMBER = re.compile(r"Đã nhận yêu cầu số (\d+)")
REMINDER = "của người dân:"  # in every reminder, in no other message


@pytest.fixture
def bot_settings(api: LocalBotApi, migrated_database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=api.base_url,
        telegram_file_url=api.file_base_url,
        database_url=migrated_database_url,
        extra_days_off=HOLIDAY,
    )


@pytest.fixture
async def quiet_bot(
    start_bot: Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]],
) -> AsyncIterator[RunningBot]:
    """The bot without its own notice loop: the test runs the notices day by day."""
    async with start_bot(notices=False) as (application, runtime):
        yield RunningBot(application, runtime)


def hanoi(day: str, hour: int = 8) -> datetime:
    """``hour`` o'clock in Hà Nội on ``day`` (YYYY-MM-DD), as UTC."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+07:00").astimezone(UTC)


async def _consent(user: SimUser) -> None:
    await user.send_command("/start")
    await user.wait_for_messages(2)
    await press(user, "✅ Tôi đồng ý")  # the thanks, in place of the notice


async def _file(user: SimUser) -> tuple[int, str]:
    """Consent, file a correction; return its number (sequences run on) and the answer."""
    await _consent(user)
    asked = await say(user, "/yeucau")
    assert "2 ngày làm việc" in asked.text and "15 ngày" in asked.text
    assert [CORRECTION] in asked.buttons
    question = await press(user, CORRECTION)
    assert "gõ nội dung yêu cầu" in question.text
    answer = (await say(user, TEXT)).text
    found = NUMBER.search(answer)
    assert found is not None, answer
    return int(found.group(1)), answer


async def test_a_request_is_filed_acknowledged_and_resolved_and_the_resident_told_each_step(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, secretary = api.user(1701, "Lan"), api.user(1702, "Thư ký Hà")
    await grant(bot, clock, secretary, Role.SECRETARIAT)

    n, filed = await _file(resident)

    assert f"Đã nhận yêu cầu số {n}" in filed
    assert "tiếp nhận chậm nhất ngày 25/11/2026" in filed
    assert "Kết quả giải quyết chậm nhất ngày 07/12/2026" in filed
    notice = await secretary.next_message()
    assert f"Yêu cầu số {n} của Lan" in notice.text and TEXT in notice.text
    assert "Hạn tiếp nhận: 25/11/2026" in notice.text
    assert notice.buttons == [[f"📥 Tiếp nhận số {n}", f"✅ Trả kết quả số {n}"]]

    listed = await say(secretary, "/xulyyeucau")
    assert f"Số {n}" in listed.text and "Hạn tiếp nhận: 25/11/2026" in listed.text

    clock.now += timedelta(hours=2)
    taken = await press(secretary, f"📥 Tiếp nhận số {n}")
    assert f"Đã tiếp nhận yêu cầu số {n}" in taken.text
    told = await resident.next_message()
    assert f"đã tiếp nhận yêu cầu số {n}" in told.text and "11:00 20/11/2026" in told.text
    assert "chậm nhất ngày 07/12/2026" in told.text

    asked = await press(secretary, f"✅ Trả kết quả số {n}")
    assert TEXT in asked.text and "gõ kết quả giải quyết" in asked.text
    done = await say(secretary, OUTCOME)
    assert f"Đã gửi kết quả giải quyết yêu cầu số {n}" in done.text
    result = await resident.next_message()
    assert f"Kết quả giải quyết yêu cầu số {n}" in result.text and OUTCOME in result.text

    again = await secretary.send_callback(signed(bot, secretary, f"rq:0:done:{n}"), notice)
    assert again is not None
    # The notice pressed again says so in place, below the request.
    await secretary.wait_until(lambda _: "đã được giải quyết" in notice.text)
    assert TEXT in notice.text
    assert "Không có yêu cầu nào đang chờ" in (await say(secretary, "/xulyyeucau")).text

    mine = await say(resident, "/dulieu")
    assert "Yêu cầu, khiếu nại về dữ liệu" in mine.text and "Đã giải quyết 20/11/2026" in mine.text
    async with bot.runtime.uow() as uow:
        data = await personal_data(uow, resident.id, chat_id=resident.chat_id)
    assert data is not None
    (request,) = data.as_json(now=clock())["requests"]
    assert request["text"] == TEXT and request["outcome"] == OUTCOME
    assert "acknowledged_by" not in json.dumps(request), "the officer's id is not the resident's"


async def test_nobody_but_the_office_handles_a_request_and_a_refusal_tells_nothing(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, other = api.user(1711, "Lan"), api.user(1712, "Người khác")
    officer = api.user(1713, "Cán bộ phường")
    await grant(bot, clock, officer, Role.OFFICER, "phuong-hoan-kiem")
    n, _ = await _file(resident)
    await _consent(other)
    await say(officer, "/help")

    for user in (other, officer):
        answers = []
        for action, number in (("ack", n), ("ack", n + 999), ("done", n)):  # n + 999: none
            data = f"rq:0:{action}:{number}"
            await user.send_callback(signed(bot, user, data), user.last_message)
            answers.append((await user.next_message()).text)
        assert len(set(answers)) == 1, "the same words whether the request exists or not"
        assert TEXT not in answers[0]
        listed = await say(user, "/xulyyeucau")
        assert TEXT not in listed.text and "không xử lý được" in listed.text
    async with bot.runtime.uow() as uow:
        (still,) = await uow.data_requests.open()
    assert not still.is_acknowledged


async def test_a_request_needs_consent_and_a_kind_and_can_be_cancelled(
    api: LocalBotApi, bot: RunningBot
) -> None:
    stranger = api.user(1721, "Lạ")
    first = await say(stranger, "/yeucau")
    assert "đồng ý với thông báo về dữ liệu cá nhân" in first.text

    await _consent(stranger)
    await say(stranger, "/yeucau")
    typed = await say(stranger, "Tôi muốn khiếu nại")
    assert "chọn một trong các nút" in typed.text
    await press(stranger, CORRECTION)
    too_long = await say(stranger, "a" * 2001)
    assert "quá dài (2001 ký tự)" in too_long.text
    cancelled = await press(stranger, "✖️ Hủy")
    assert "Đã hủy" in cancelled.text
    async with bot.runtime.uow() as uow:
        assert await uow.data_requests.filed_by(stranger.id) == []


async def _day(bot: RunningBot, clock: FakeClock, secretary: SimUser, day: date) -> list[str]:
    """Run the notices at 08:00 and again at 11:00 on ``day``; return the reminders sent."""
    before = len(secretary.messages)
    rt = bot.runtime
    assert rt.sender is not None
    for hour in (8, 11):
        clock.now = hanoi(day.isoformat(), hour)
        await rt.sender.send_ids(await run_once(rt, rt.calendar, rt.reminders, clock()))
    return [m.text for m in secretary.messages[before:] if REMINDER in m.text]


async def _reminders_per_day(
    bot: RunningBot, clock: FakeClock, secretary: SimUser, last: date
) -> dict[date, list[str]]:
    seen: dict[date, list[str]] = {}
    day = date(2026, 11, 20)
    while day <= last:
        found = await _day(bot, clock, secretary, day)
        if found:
            seen[day] = found
        day += timedelta(days=1)
    return seen


async def test_the_two_clocks_remind_the_secretariat_on_working_days_only_once_a_day(
    api: LocalBotApi, quiet_bot: RunningBot, clock: FakeClock
) -> None:
    resident, secretary = api.user(1731, "Lan"), api.user(1732, "Thư ký")
    await grant(quiet_bot, clock, secretary, Role.SECRETARIAT)
    clock.now = hanoi("2026-11-20", 9)
    await _file(resident)
    await secretary.next_message()  # the new request

    seen = await _reminders_per_day(quiet_bot, clock, secretary, date(2026, 12, 8))

    assert quiet_bot.runtime.calendar.is_working_day(date(2026, 11, 24)) is False
    for off in ("2026-11-21", "2026-11-22", HOLIDAY, "2026-11-28", "2026-12-05", "2026-12-06"):
        assert date.fromisoformat(off) not in seen, off
    assert date(2026, 11, 20) not in seen, "nothing runs out on the next working day"
    # The acknowledgement runs out on Wednesday 25/11: reminded on Monday 23/11, the working
    # day before it (Tuesday is the holiday), on the day, then each working day overdue.
    (soon,) = seen[date(2026, 11, 23)]
    assert "Nhắc hạn" in soon and "Hạn tiếp nhận: 25/11/2026" in soon
    assert "ngày làm việc tiếp theo" in soon
    (today,) = seen[date(2026, 11, 25)]
    assert "Hạn chót hôm nay" in today and "Hạn tiếp nhận: 25/11/2026" in today
    (overdue,) = seen[date(2026, 11, 26)]
    assert "Quá hạn" in overdue
    # The end runs out on Monday 07/12: reminded on Friday 04/12, not over the weekend.
    assert any("Hạn giải quyết: 07/12/2026" in text for text in seen[date(2026, 12, 4)])
    assert any("Hạn chót hôm nay" in text for text in seen[date(2026, 12, 7)])
    assert all(len(texts) <= 2 for texts in seen.values()), "one per clock per day"
    assert all(TEXT not in text for texts in seen.values() for text in texts)


async def test_acknowledging_stops_the_first_clocks_reminders(
    api: LocalBotApi, quiet_bot: RunningBot, clock: FakeClock
) -> None:
    resident, secretary = api.user(1741, "Lan"), api.user(1742, "Thư ký")
    await grant(quiet_bot, clock, secretary, Role.SECRETARIAT)
    clock.now = hanoi("2026-11-20", 9)
    n, _ = await _file(resident)
    async with quiet_bot.runtime.uow() as uow:
        actor = await actor_for(uow, secretary.id, date(2026, 11, 20))
        await acknowledge(uow, actor, n, now=clock())
        await uow.commit()

    seen = await _reminders_per_day(quiet_bot, clock, secretary, date(2026, 12, 7))

    assert sorted(seen) == [date(2026, 12, 4), date(2026, 12, 7)]
    assert all("Hạn giải quyết: 07/12/2026" in text for texts in seen.values() for text in texts)
