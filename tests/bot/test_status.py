"""Following a nomination: /status by the nominator, by a stranger, /my, unknown codes."""

from __future__ import annotations

import re

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED, agree_and_start, fill_nomination, press, say

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def _nominate(user: SimUser, name: str) -> str:
    await agree_and_start(user)
    await fill_nomination(user, name=name)
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None
    return found.group(0)


async def test_the_nominator_sees_everything_a_stranger_only_the_status(
    api: LocalBotApi, bot: RunningBot
) -> None:
    owner, stranger = api.user(701, "Loan"), api.user(702, "Khách")
    code = await _nominate(owner, "Đinh Văn Tâm")

    own_view = await say(owner, f"/status {code}")
    assert "Đinh Văn Tâm" in own_view.text and DEED in own_view.text

    other_view = await say(stranger, f"/tracuu {code.replace('-', '').lower()}")
    assert code in other_view.text and "Đã tiếp nhận" in other_view.text
    assert "Đinh Văn Tâm" not in other_view.text and DEED not in other_view.text


async def test_an_unknown_code_says_so(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(703, "Dũng")
    reply = await say(user, "/status NT-0000-0000")
    assert "Không tìm thấy đề cử" in reply.text and "NT-0000-0000" in reply.text
    malformed = await say(user, "/status xyz")
    assert "chưa đúng dạng" in malformed.text


async def test_status_without_a_code_asks_for_it(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(704, "Lực")
    code = await _nominate(user, "Trịnh Thị Duyên")
    ask = await say(user, "/status")
    assert "gõ mã đề cử" in ask.text
    wrong = await say(user, "không nhớ")
    assert "chưa đúng dạng" in wrong.text
    shown = await say(user, code)
    assert "Trịnh Thị Duyên" in shown.text


async def test_a_code_typed_alone_is_looked_up(api: LocalBotApi, bot: RunningBot) -> None:
    owner, other = api.user(705, "Ánh"), api.user(706, "Bảo")
    code = await _nominate(owner, "Cao Văn Khải")
    reply = await say(other, code.lower().replace("0", "o"))
    assert code in reply.text and "Đã tiếp nhận" in reply.text


async def test_my_lists_my_nominations_newest_first(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(707, "Diệp")
    empty = await say(user, "/my")
    assert "chưa gửi đề cử nào" in empty.text
    first = await _nominate(user, "Hồ Văn Một")
    await user.send_command("/nominate")
    await user.next_message()
    await fill_nomination(user, name="Hồ Văn Hai")
    second_done = await press(user, "✅ Gửi")
    second = CODE.search(second_done.text).group(0)  # type: ignore[union-attr]
    listing = await say(user, "/cuatoi")
    assert listing.text.index(second) < listing.text.index(first)
    detail = await press(user, first)
    assert "Hồ Văn Một" in detail.text


async def test_the_menu_buttons_work_as_commands(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(708, "Giang")
    await user.send_command("/start")
    await user.wait_for_messages(2)
    assert user.reply_keyboard is not None
    assert ["📝 Đề cử người tốt, việc tốt"] in user.reply_keyboard
    helped = await say(user, "ℹ️ Hướng dẫn")
    assert "/nominate" in helped.text
    mine = await say(user, "📋 Đề cử của tôi")
    assert "chưa gửi đề cử nào" in mine.text


async def test_a_lookup_in_the_middle_of_a_draft_gives_the_draft_back(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(2251, "Quân")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")  # the draft is at step 2
    await say(user, "/status")
    cancelled = await press(user, "✖️ Hủy")
    assert "vẫn được giữ" in cancelled.text
    again = await say(user, "/status")
    assert "mã" in again.text.lower()
    await say(user, "/cancel")
    resumed = await say(user, "/nominate")
    assert "đang ở bước 2/10" in resumed.text, "the draft survived two lookups"
