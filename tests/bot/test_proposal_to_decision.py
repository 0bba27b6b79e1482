"""Issue 17 end to end through the real stack, on today's ward plan: from a unit's proposal to
the council's secret vote, the papers, and the exemplar on the ward's public channel."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import docx
import pytest

from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.plans import TODAY_PLAN
from bot.settings import Settings
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot, bot_with_channel
from tests.bot.flows import press, say
from tests.bot.test_officers import _grant, _nominate

CHANNEL = -1002027000000
WARD = "phuong-hoan-kiem"
SUDDEN = "Giấy khen đột xuất (thủ tục đơn giản)"
MEMBERS = (41_011, 41_012, 41_013, 41_014, 41_015)


@pytest.fixture
async def bot(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> AsyncIterator[RunningBot]:
    async with bot_with_channel(api, bot_settings, clock, CHANNEL, plan_file=TODAY_PLAN) as running:
        yield running


def _docx_text(api: LocalBotApi, message: BotMessage) -> str:
    content = api.state.files[message.raw["document"]["file_id"]].content
    assert content is not None
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_from_a_units_proposal_to_the_councils_decision_and_the_public(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    channel = api.group(CHANNEL, "Phường Hoàn Kiếm", chat_type="channel")
    resident, neighbour = api.user(41_001, "Lan"), api.user(41_002, "Hùng")
    officer, office = api.user(41_003, "Cán bộ Minh"), api.user(41_004, "Thư ký Thảo")
    members: dict[int, SimUser] = {m: api.user(m, f"Ủy viên {n}") for n, m in enumerate(MEMBERS)}
    await _grant(bot, clock, officer, Role.OFFICER, WARD)
    await _grant(bot, clock, office, Role.SECRETARIAT)
    for member in members.values():
        await _grant(bot, clock, member, Role.COUNCIL_MEMBER)
    code = await _nominate(resident, anonymous=True)

    # The unit proposes under the simplified form: refused until the summary is attached.
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()
    await press(officer, "📤 Đề xuất lên Hội đồng")
    refused = await press(officer, SUDDEN)
    assert "chưa đủ giấy tờ" in refused.text and "⬜ Tóm tắt thành tích" in refused.text
    await press(officer, "📎 Nộp giấy tờ hồ sơ")
    await press(officer, "⬜ Tóm tắt thành tích")
    await officer.send_document("tom-tat-thanh-tich.pdf", file_size=100_000)
    await officer.next_message()
    await press(officer, "✅ Xác nhận")
    await press(officer, "📤 Đề xuất lên Hội đồng")
    assert "Đã đề xuất lên Hội đồng" in (await press(officer, f"✔️ {SUDDEN}")).text
    await resident.next_message()
    await say(office, f"/status {code}")
    await press(office, "🏛 Đưa ra Hội đồng xét")
    await resident.next_message()

    # Public comment for 10 working days over Culture Day (24/11), a comment arrives.
    choose = await say(office, "/congkhai")
    # The simplified form sets no window of its own: the office chooses its length.
    assert choose.buttons == [["5 ngày làm việc", "10 ngày làm việc", "15 ngày làm việc"]]
    opened = await press(office, "10 ngày làm việc")
    assert "đến hết ngày 07/12/2026" in opened.text
    (listed,) = await channel.wait_for_messages(1)
    assert "Nguyễn Văn Bình" in listed.text and "Lan" not in listed.text
    await neighbour.send_command("/start")
    await neighbour.wait_for_messages(2)
    await press(neighbour, "✅ Tôi đồng ý")
    await say(neighbour, f"/gopy {code}")
    await say(neighbour, "Tôi biết anh Bình, anh ấy luôn giúp mọi người.")
    assert "luôn giúp mọi người" in (await office.next_message()).text
    early = await say(office, "/hop")
    await press(office, early.buttons[0][0])  # today: the window is still open
    await press(office, "➡️ Tiếp tục")
    await press(office, "➡️ Tiếp tục")
    blocked = await press(office, "✅ Mở phiên bỏ phiếu")
    assert "lấy ý kiến nhân dân đến hết ngày 07/12/2026" in blocked.text

    # The council of 5 meets once the window ended: one recusal, the threshold decides.
    clock.now += timedelta(days=18)  # Tuesday 8/12/2026
    asked = await say(office, "/hop")
    await press(office, asked.buttons[0][0])
    await press(office, "➡️ Tiếp tục")
    await press(office, "➡️ Tiếp tục")
    await office.press("✅ Mở phiên bỏ phiếu")
    await office.next_message()  # the progress, below the question turned into the opening
    ballots = {m: await members[m].next_message() for m in MEMBERS}
    assert all("Lan" not in ballot.text for ballot in ballots.values())
    first, *others, last = MEMBERS
    await members[first].press_on(ballots[first], ballots[first].buttons[-1][0])
    await members[first].next_message()
    await press(members[first], "Tôi là người thân của người được đề cử")
    for member in others:
        await members[member].press_on(ballots[member], "✅ Đồng ý")
        await members[member].next_message()
    await members[last].press_on(ballots[last], "❌ Không đồng ý")
    await members[last].next_message()
    results = await office.next_message()
    assert "Đồng ý: 3 · Không đồng ý: 1 · Không biểu quyết: 1" in results.text
    assert "Đạt tỷ lệ phiếu đồng ý" in results.text  # 3 of 5 members: over the form's half

    # The decision, the papers read back, the nominee's consent, the public channel.
    await office.press_on_for_reply(results, results.buttons[0][0])
    await press(office, f"✔️ {SUDDEN}")
    await say(office, "45/QĐ-UBND")
    await say(office, "08/12/2026")
    commended, ask = await resident.wait_for_messages(2)
    assert "Chúc mừng" in commended.text and "45/QĐ-UBND" in commended.text
    await say(office, "/vanban")
    papers = await office.wait_for_messages(4)
    proposal, minutes, decision = (_docx_text(api, paper) for paper in papers[:3])
    assert "Nguyễn Văn Bình" in proposal and "Nguyễn Văn Bình" in minutes
    assert "45/QĐ-UBND" in decision and SUDDEN in decision and "60%" in minutes
    assert all("Lan" not in text for text in (proposal, minutes, decision))
    published = await resident.press_on_for_reply(ask, ask.buttons[0][0])
    assert published.message_id == ask.message_id and "kênh công khai" in published.text
    (post,) = await channel.wait_for_messages(1)
    assert "Nguyễn Văn Bình" in post.text and SUDDEN in post.text and "Lan" not in post.text
