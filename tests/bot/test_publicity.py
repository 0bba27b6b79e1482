"""Public comment before the council, and exemplars made known after it, through the real stack.

The ward's public channel is a channel of the local Bot API where the bot is an admin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.settings import Settings
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot, bot_with_channel
from tests.bot.flows import press, say
from tests.bot.test_officers import HANG_BAC, _grant, _nominate

CHANNEL = -1001234567890


@pytest.fixture
async def bot(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> AsyncIterator[RunningBot]:
    async with bot_with_channel(api, bot_settings, clock, CHANNEL) as running:
        yield running


async def _before_the_council(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> tuple[str, SimUser, SimUser, SimUser]:
    """A case nominated by Lan, verified and proposed; the officer and the office."""
    resident = api.user(1904, "Lan")
    officer, office = api.user(1905, "Cán bộ Bạc"), api.user(1906, "Thư ký")
    await _grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await _grant(bot, clock, office, Role.SECRETARIAT)
    code = await _nominate(resident, anonymous=True)
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()
    await press(officer, "📤 Đề xuất lên Hội đồng")
    await resident.next_message()
    return code, resident, officer, office


async def test_the_list_goes_public_comments_reach_the_office_and_the_window_closes(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    channel = api.group(CHANNEL, "Phường Hoàn Kiếm", chat_type="channel")
    code, resident, _officer, office = await _before_the_council(api, bot, clock)

    refused = await say(resident, "/congkhai")
    assert "dành cho Văn phòng thường trực" in refused.text
    asked = await say(office, "/congkhai")
    assert code in asked.text
    # From Friday 20/11/2026, 10 working days over Vietnam's Culture Day (Tuesday 24/11, a
    # public holiday since 2026) end on Monday 7/12/2026.
    opened = await press(office, "10 ngày làm việc")
    assert "đến hết ngày 07/12/2026" in opened.text
    (posted,) = await channel.wait_for_messages(1)
    assert code in posted.text and "Nguyễn Văn Bình" in posted.text
    assert "Lan" not in posted.text, "the anonymous nominator is never published"

    neighbour = api.user(1907, "Hùng")
    await neighbour.send_command("/start")
    await neighbour.wait_for_messages(2)
    await press(neighbour, "✅ Tôi đồng ý")
    unknown = await say(neighbour, "/gopy NT-AAAA-BBBB")
    assert "không có trong danh sách" in unknown.text
    ask = await say(neighbour, code)
    assert "Góp ý về hồ sơ" in ask.text
    sent = await say(neighbour, "Anh Bình giúp đỡ hàng xóm rất nhiều, tôi đồng ý.")
    assert "đã được gửi tới Văn phòng thường trực" in sent.text
    told = await office.next_message()
    assert code in told.text and "giúp đỡ hàng xóm" in told.text
    assert [m.text for m in channel.messages] == [posted.text], "comments are never public"
    card = await say(office, f"/status {code}")
    assert "Góp ý của nhân dân: 1" in card.text and "giúp đỡ hàng xóm" in card.text
    mine = await say(resident, f"/status {code}")
    assert "giúp đỡ hàng xóm" not in mine.text, "the nominator never sees the comments"

    clock.now += timedelta(days=18)  # Tuesday 8/12: the window has ended
    late = await say(neighbour, f"/gopy {code}")
    assert "không có trong danh sách" in late.text


async def test_a_commended_exemplar_is_published_with_consent_and_listed(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    channel = api.group(CHANNEL, "Phường Hoàn Kiếm", chat_type="channel")
    code, resident, _officer, office = await _before_the_council(api, bot, clock)
    await say(office, f"/status {code}")
    await press(office, "🏛 Đưa ra Hội đồng xét")
    await resident.next_message()
    await press(office, "🏅 Khen thưởng")
    await say(office, "Giấy khen")  # the 2018 plan lists no award forms: the form is typed
    await say(office, "45/QĐ-UBND")
    await say(office, "18/11/2026")
    commended, asked = await resident.wait_for_messages(2)
    assert "Chúc mừng" in commended.text
    assert "Nguyễn Văn Bình" in asked.text and code in asked.text

    stranger = api.user(1908, "Người lạ")
    empty = await say(stranger, "/guong")
    assert "Chưa có gương nào" in empty.text
    agree = asked.callback_data[0][0]
    assert agree is not None
    # The nominator's button, sent from another chat: not signed for it.
    await stranger.send_callback(agree, empty)
    assert "không còn hiệu lực" in (await stranger.next_message()).text
    done = await press(resident, "✅ Đồng ý công bố")
    assert "đã được giới thiệu trên kênh công khai" in done.text
    (post,) = await channel.wait_for_messages(1)
    assert "Nguyễn Văn Bình" in post.text and "Đã được tặng Giấy khen" in post.text
    assert "Lan" not in post.text

    listed = await say(stranger, "/guong")
    assert "Nguyễn Văn Bình" in listed.text and "Lan" not in listed.text
    by_ward = await say(stranger, "/guong hoan kiem")
    assert "· Phường Hoàn Kiếm" in by_ward.text and "Nguyễn Văn Bình" in by_ward.text
    elsewhere = await say(stranger, "/guong cua nam")  # another ward: none published there
    assert "Chưa có gương nào" in elsewhere.text
    unknown = await say(stranger, "/guong sao hoa")
    assert "Không tìm thấy" in unknown.text
    # The same press replayed: published once.
    await resident.send_callback(agree, asked)
    assert "không còn hiệu lực" in (await resident.next_message()).text
    assert len(channel.messages) == 1
    summary = await say(office, "/tongket 2026")
    assert "Phường Hoàn Kiếm: 1 đề xuất, 1 được khen thưởng" in summary.text
    assert "Giấy khen: 1" in summary.text and "Đã công bố trên kênh công khai: 1" in summary.text
    assert "dành cho Văn phòng thường trực" in (await say(resident, "/tongket")).text
