"""The secretariat writes, previews, sends, schedules and stops announcements in chat."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.runtime import Runtime
from core.broadcasts import BroadcastStatus
from core.review import grant_role
from core.roles import Actor, Role
from core.subscriptions import Scope
from tests.bot.audience import add_subscribers
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say

OPERATOR = Actor.operator()

ALL = "👥 Tất cả người đăng ký"
BY_WARD = "🏘 Người đăng ký theo phường"
BY_UNIT = "🧑‍💼 Cán bộ của đơn vị"
SEND_NOW = "📤 Gửi ngay"
SCHEDULE = "🕘 Hẹn giờ"
CONFIRM_SCHEDULE = "✅ Xác nhận hẹn giờ"
URGENT = "⚠️ Khẩn (gửi cả giờ nghỉ)"
SUBSCRIBE = "🔔 Nhận tin về phong trào này"
NUMBER = re.compile(r"thông báo số (\d+)")


async def _secretary(bot: RunningBot, clock: FakeClock, user: SimUser) -> SimUser:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, OPERATOR, user_id=user.id, role=Role.SECRETARIAT, unit_key=None, now=clock()
        )
        await uow.commit()
    return user


async def _officer_of(bot: RunningBot, clock: FakeClock, user: SimUser, unit: str) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, OPERATOR, user_id=user.id, role=Role.OFFICER, unit_key=unit, now=clock()
        )
        await uow.commit()


async def _status(rt: Runtime, broadcast_id: int) -> BroadcastStatus:
    async with rt.uow() as uow:
        found = await uow.broadcasts.get(broadcast_id)
    assert found is not None
    return found.status


async def _until_done(rt: Runtime, broadcast_id: int) -> None:
    """Wake the bulk sender and poll until the broadcast is done or cancelled (20 s at most)."""
    assert rt.bulk is not None
    rt.bulk.wake()
    for _ in range(400):
        if await _status(rt, broadcast_id) in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"broadcast {broadcast_id} is still {await _status(rt, broadcast_id)}")


def _received(api: LocalBotApi, text: str, officer: SimUser) -> dict[int, int]:
    """Count who received a message containing ``text``, leaving out the officer's preview."""
    counts: dict[int, int] = {}
    for call in api.calls_for("sendMessage") + api.calls_for("sendPhoto"):
        body = str(call.params.get("text") or call.params.get("caption") or "")
        if call.ok and text in body and call.params["chat_id"] != officer.id:
            chat = int(call.params["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts


async def _compose(officer: SimUser, text: str) -> None:
    """/broadcast and the text: up to the audience question."""
    ask = await say(officer, "/broadcast")
    assert "Anh/Chị gửi nội dung thông báo" in ask.text
    question = await say(officer, text)
    assert "Gửi tới ai?" in question.text


async def _preview(officer: SimUser, label: str = ALL) -> tuple[str, str]:
    """Choose an audience button; return the announcement's and the summary's texts."""
    await officer.press(label)
    announcement, summary = await officer.wait_for_messages(2)
    return announcement.text, summary.text


async def _send(officer: SimUser, label: str = SEND_NOW) -> tuple[int, str]:
    sent = await press(officer, label)
    found = NUMBER.search(sent.text)
    assert found is not None, sent.text
    return int(found.group(1)), sent.text


async def test_a_resident_may_not_broadcast_launch_or_stop(
    api: LocalBotApi, bot: RunningBot
) -> None:
    resident = api.user(7001, "Cư dân")
    for command in ("/broadcast", "/thongbao", "/broadcasts", "/launch", "/phatdong"):
        reply = await say(resident, command)
        assert "dành cho Cơ quan thường trực" in reply.text
    forged = await resident.send_callback("bs:0:stop:1", resident.last_message)
    assert forged
    refused = await resident.next_message()
    assert "không còn hiệu lực" in refused.text
    async with bot.runtime.uow() as uow:
        assert await uow.dialogs.get(resident.id) is None


async def test_an_announcement_to_all_is_previewed_sent_once_to_each_and_reported(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    ids = await add_subscribers(api, rt, range(7101, 7104), now=clock.now)
    officer = await _secretary(bot, clock, api.user(7100, "Thư ký"))
    await say(officer, "/broadcast")
    too_long = await say(officer, "x" * 4001)
    assert "4001 ký tự, vượt giới hạn 4000 ký tự" in too_long.text
    question = await say(officer, "Mời dự lễ tuyên dương <Người tốt> & việc tốt.")
    assert "Gửi tới ai?" in question.text
    stale_data = question.callback_data[0][0]
    assert stale_data is not None

    announcement, summary = await _preview(officer)
    assert "Thông báo của Hội đồng Thi đua - Khen thưởng" in announcement
    assert "<Người tốt> & việc tốt" in announcement
    assert "tất cả người đăng ký nhận thông báo" in summary
    assert "Sẽ gửi tới 3 người" in summary
    assert "Không rơi vào giờ nghỉ (21:00 đến 07:00)" in summary

    await officer.send_callback(stale_data, question)  # a button of a step gone by
    again = await officer.next_message()
    assert "thuộc một bước đã qua" in again.text

    number, sent = await _send(officer)
    assert "bắt đầu được gửi tới 3 người" in sent
    started = await officer.next_message(timeout=15)
    assert f"Thông báo số {number} đang được gửi tới 3 người" in started.text
    finished = await officer.next_message(timeout=15)
    assert f"Thông báo số {number} đã gửi xong" in finished.text
    assert "Đã gửi tới: 3 người" in finished.text
    assert _received(api, "việc tốt.", officer) == dict.fromkeys(ids, 1)

    listing = await say(officer, "/broadcasts")
    assert f"Số {number}" in listing.text and "Đã gửi xong" in listing.text
    assert "Số người nhận: 3" in listing.text
    assert listing.buttons == []  # nothing left to stop


async def test_a_photo_announcement_goes_as_the_photo_with_its_caption(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    ids = await add_subscribers(api, rt, [7201, 7202], now=clock.now)
    officer = await _secretary(bot, clock, api.user(7200, "Thư ký"))
    await say(officer, "/broadcast")
    sent_photo = await officer.send_photo(caption="Ảnh lễ tuyên dương điển hình tiên tiến")
    largest = sent_photo["photo"][-1]["file_id"]
    question = await officer.next_message()
    assert "Gửi tới ai?" in question.text

    await officer.press(ALL)
    announcement, summary = await officer.wait_for_messages(2)
    assert announcement.kind == "photo"
    assert "Ảnh lễ tuyên dương" in announcement.text
    assert "Sẽ gửi tới 2 người" in summary.text
    number, _ = await _send(officer)
    await _until_done(rt, number)
    photos = [c for c in api.calls_for("sendPhoto") if c.ok and c.params["chat_id"] in ids]
    assert sorted(c.params["chat_id"] for c in photos) == ids
    assert {c.params["photo"] for c in photos} == {largest}


async def test_a_ward_announcement_reaches_the_wards_and_the_all_subscribers_only(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    everything = await add_subscribers(api, rt, [7301], now=clock.now)
    hang_bac = await add_subscribers(
        api, rt, [7302, 7303], now=clock.now, scope=Scope.WARD, target="phuong-hoan-kiem"
    )
    hang_gai = await add_subscribers(
        api, rt, [7304], now=clock.now, scope=Scope.WARD, target="phuong-cua-nam-2025"
    )
    officer = await _secretary(bot, clock, api.user(7300, "Thư ký"))
    await _compose(officer, "Họp dân phố Hàng Bạc tối thứ Bảy.")
    ask = await press(officer, BY_WARD)
    assert "gõ tên phường" in ask.text
    unknown = await say(officer, "hoan kiem, khu vuc khong co")
    assert "Chưa tìm thấy: “khu vuc khong co”" in unknown.text
    assert "gõ tên phường" in unknown.text  # the same question again

    await officer.send_text("hoàn kiếm")
    announcement, summary = await officer.wait_for_messages(2)
    assert "Họp dân phố" in announcement.text
    assert "Phường Hoàn Kiếm" in summary.text and "Sẽ gửi tới 3 người" in summary.text
    number, _ = await _send(officer)
    await _until_done(rt, number)
    assert _received(api, "Họp dân phố", officer) == dict.fromkeys(everything + hang_bac, 1)
    assert hang_gai[0] not in _received(api, "Họp dân phố", officer)


async def test_several_wards_and_officers_of_units_are_audiences(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    await add_subscribers(api, rt, [7401], now=clock.now)
    bac, gai, dao = api.user(7402, "Cán bộ Bạc"), api.user(7403, "Cán bộ Gai"), api.user(7404)
    await _officer_of(bot, clock, bac, "phuong-hoan-kiem")
    await _officer_of(bot, clock, gai, "phuong-cua-nam-2025")
    await _officer_of(bot, clock, dao, "phuong-hang-dao")
    officer = await _secretary(bot, clock, api.user(7400, "Thư ký"))

    await _compose(officer, "Nhắc các phường nộp báo cáo tháng.")
    await press(officer, BY_UNIT)
    await officer.send_text("hoan kiem, cua nam")
    _, summary = await officer.wait_for_messages(2)
    assert "cán bộ của Phường Hoàn Kiếm, Phường Cửa Nam" in summary.text
    assert "Sẽ gửi tới 2 người" in summary.text
    number, _ = await _send(officer)
    await _until_done(rt, number)
    assert _received(api, "nộp báo cáo tháng", officer) == {bac.id: 1, gai.id: 1}


async def test_a_scheduled_announcement_waits_for_its_time(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    ids = await add_subscribers(api, rt, [7501, 7502], now=clock.now)
    officer = await _secretary(bot, clock, api.user(7500, "Thư ký"))
    await _compose(officer, "Lịch tiếp dân chiều nay.")
    await _preview(officer)
    ask = await press(officer, SCHEDULE)
    assert "giờ Hà Nội" in ask.text
    past = await say(officer, "20/11/2026 08:30")
    assert "Thời điểm 08:30 20/11/2026 đã qua" in past.text
    unreadable = await say(officer, "chiều mai")
    assert "Chưa đọc được thời điểm" in unreadable.text
    summary = await say(officer, "10:00")
    assert "Hẹn gửi lúc 10:00 20/11/2026" in summary.text
    number, sent = await _send(officer, CONFIRM_SCHEDULE)
    assert "sẽ được gửi lúc 10:00 20/11/2026" in sent

    assert rt.bulk is not None
    rt.bulk.wake()
    await asyncio.sleep(0.5)
    assert await _status(rt, number) is BroadcastStatus.SCHEDULED
    assert _received(api, "Lịch tiếp dân", officer) == {}

    clock.now += timedelta(hours=1, minutes=1)
    await _until_done(rt, number)
    assert _received(api, "Lịch tiếp dân", officer) == dict.fromkeys(ids, 1)


async def test_a_scheduled_announcement_can_be_stopped_from_the_list(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    await add_subscribers(api, rt, [7601], now=clock.now)
    officer = await _secretary(bot, clock, api.user(7600, "Thư ký"))
    await _compose(officer, "Thông báo sẽ bị dừng.")
    await _preview(officer)
    await press(officer, SCHEDULE)
    await say(officer, "21/11/2026 09:00")
    number, _ = await _send(officer, CONFIRM_SCHEDULE)

    listing = await say(officer, "/broadcasts")
    assert f"Số {number}" in listing.text and "Chờ gửi" in listing.text
    assert "Hẹn gửi lúc 09:00 21/11/2026" in listing.text
    stop = f"⏹ Dừng gửi số {number}"
    stopped = await press(officer, stop)
    assert f"Đã dừng thông báo số {number}" in stopped.text
    assert "chưa ai nhận được" in stopped.text
    again = await press(officer, stop)
    assert f"Thông báo số {number} đã được dừng trước đó" in again.text

    clock.now += timedelta(days=1, hours=1)
    assert rt.bulk is not None
    rt.bulk.wake()
    await asyncio.sleep(0.5)
    assert await _status(rt, number) is BroadcastStatus.CANCELLED
    assert _received(api, "sẽ bị dừng", officer) == {}
    listing = await say(officer, "/broadcasts")
    assert "Đã dừng" in listing.text and listing.buttons == []


async def test_quiet_hours_hold_an_ordinary_announcement_but_not_an_urgent_one(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    clock.now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 22:00 in Hà Nội
    ids = await add_subscribers(api, rt, [7701, 7702], now=clock.now)
    officer = await _secretary(bot, clock, api.user(7700, "Thư ký"))

    await _compose(officer, "Tin thường buổi tối.")
    _, summary = await _preview(officer)
    assert "thông báo sẽ chờ đến 07:00 21/11/2026 mới gửi" in summary
    ordinary, sent = await _send(officer)
    assert "rơi vào giờ nghỉ" in sent and "07:00 21/11/2026" in sent

    await _compose(officer, "Tin khẩn: cảnh báo mưa lớn.")
    await _preview(officer)
    toggled = await press(officer, URGENT)
    assert "Khẩn: gửi ngay cả trong giờ nghỉ" in toggled.text
    urgent, sent = await _send(officer)
    assert "bắt đầu được gửi tới 2 người" in sent
    await _until_done(rt, urgent)
    assert _received(api, "cảnh báo mưa lớn", officer) == dict.fromkeys(ids, 1)
    assert await _status(rt, ordinary) is BroadcastStatus.SCHEDULED
    assert _received(api, "Tin thường buổi tối", officer) == {}

    clock.now = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)  # 07:01
    await _until_done(rt, ordinary)
    assert _received(api, "Tin thường buổi tối", officer) == dict.fromkeys(ids, 1)


async def test_cancel_leaves_the_dialog_and_nothing_is_stored(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    officer = await _secretary(bot, clock, api.user(7800, "Thư ký"))
    await _compose(officer, "Bản nháp sẽ hủy.")
    cancelled = await say(officer, "/cancel")
    assert "Đã hủy soạn thông báo" in cancelled.text
    async with bot.runtime.uow() as uow:
        assert await uow.dialogs.get(officer.id) is None
        assert list(await uow.broadcasts.recent(limit=5)) == []
    unknown = await officer.send_callback("bc:3:kind:all", officer.last_message)
    assert unknown
    assert "không còn hiệu lực" in (await officer.next_message()).text


async def test_a_campaign_is_launched_and_a_resident_subscribes_from_its_announcement(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    (resident_id,) = await add_subscribers(api, rt, [7901], now=clock.now)
    resident = api.users[resident_id]
    officer = await _secretary(bot, clock, api.user(7900, "Thư ký"))
    title = "Thi đua “Hà Nội xanh” năm 2026"

    ask = await say(officer, "/launch")
    assert "Phát động phong trào thi đua" in ask.text
    await say(officer, title)
    starts = await press(officer, "Bỏ qua")
    assert "Ngày bắt đầu" in starts.text
    bad = await say(officer, "mai")
    assert "Chưa đọc được ngày" in bad.text
    ends = await say(officer, "hôm nay")
    assert "Ngày kết thúc" in ends.text
    before = await say(officer, "01/01/2026")
    assert "Ngày kết thúc phải từ ngày bắt đầu (20/11/2026)" in before.text
    await say(officer, "31/12/2026")
    text_ask = await say(officer, "Trồng và chăm sóc cây xanh ở mọi tổ dân phố.")
    assert f"phát động phong trào “{title}”" in text_ask.text

    await officer.send_text("Hưởng ứng phong trào Hà Nội xanh!")
    announcement, summary = await officer.wait_for_messages(2)
    assert announcement.buttons == [[SUBSCRIBE]]
    assert f"Phát động phong trào: {title}" in summary.text
    assert "Thời gian: từ 20/11/2026 đến 31/12/2026" in summary.text
    assert "Sẽ gửi tới 1 người" in summary.text
    number, sent = await _send(officer)
    assert f"Đã phát động phong trào “{title}”" in sent
    await _until_done(rt, number)

    received = await resident.next_message(timeout=10)
    assert "Hưởng ứng phong trào Hà Nội xanh!" in received.text
    subscribed = await press(resident, SUBSCRIBE)
    assert f"Đã đăng ký nhận thông báo về {title}" in subscribed.text
    async with rt.uow() as uow:
        organisation = await uow.organisation.load()
        found = await uow.subscriptions.active_of(resident.id)
    assert organisation is not None
    campaign = next(c for c in organisation.campaigns if c.title == title)
    assert campaign.theme == title and campaign.validity.valid_to is not None
    assert ("campaign", campaign.key) in [(s.scope.value, s.target) for s in found]
    offer = await say(resident, "/subscribe")
    assert [title] in offer.buttons  # the running campaign is offered from now on
