"""Steps a simulated resident takes, shared by the bot tests."""

from __future__ import annotations

from bot.local_api import SimUser
from bot.local_api.models import BotMessage

DEED = "Anh đã nhặt được ví có 5 triệu đồng ở chợ Đồng Xuân và trả lại cho người đánh rơi."


async def say(user: SimUser, text: str) -> BotMessage:
    """Send a text and return the bot's next message."""
    await user.send_text(text)
    return await user.next_message()


async def press(user: SimUser, label: str) -> BotMessage:
    """Press a button of the latest keyboard and return the bot's next message."""
    await user.press(label)
    return await user.next_message()


async def agree_and_start(user: SimUser) -> BotMessage:
    """/start, agree to the privacy notice, start a nomination; return the first question."""
    await user.send_command("/start")
    welcome, notice = await user.wait_for_messages(2)
    assert "Xin chào" in welcome.text
    assert "dữ liệu cá nhân" in notice.text
    await user.press("✅ Tôi đồng ý")
    await user.next_message()  # thanks
    await user.send_command("/nominate")
    return await user.next_message()


async def fill_nomination(
    user: SimUser, *, name: str = "Nguyen Van Binh", ward: str = "hang bac"
) -> BotMessage:
    """Answer every step from the first question to the summary; return the summary."""
    await press(user, "👤 Cá nhân")
    await say(user, name)
    await press(user, "Người dân")
    await say(user, DEED)
    await press(user, "Hôm qua")
    await say(user, ward)
    await press(user, "Bỏ qua")  # place
    await press(user, "Bỏ qua")  # evidence
    await press(user, "Bỏ qua")  # phone
    return await press(user, "Không cần")
