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
    """Press a button of the latest keyboard and return the bot's answer.

    The pressed question edited into the next one, or a new message (see
    :meth:`SimUser.press_for_reply`).
    """
    return await user.press_for_reply(label)


# The steps that show Telegram's own button on a reply keyboard (see ``leave``).
KEYBOARD_STEPS = ("place", "phone")


async def leave(user: SimUser, label: str) -> BotMessage:
    """Press ``label`` at a step with Telegram's own button (place, phone); return what follows.

    Leaving such a step, the bot says what it took with the main menu back in place of the
    step's reply keyboard, then asks the next question: that question is returned.
    """
    await user.press(label)
    return await left(user)


async def say_and_leave(user: SimUser, text: str) -> BotMessage:
    """Answer a step with Telegram's own button by typing ``text``; return the next question."""
    await user.send_text(text)
    return await left(user)


async def left(user: SimUser) -> BotMessage:
    """Read what the bot says on leaving a keyboard step; return the next question."""
    taken, question = await user.wait_for_messages(2)
    menu = user.reply_keyboard_markup or {}
    assert menu.get("is_persistent"), f"no main menu after {taken.text!r}"  # the step's is not
    return question


async def agree_and_start(user: SimUser) -> BotMessage:
    """/start, agree to the privacy notice, start a nomination; return the first question."""
    await user.send_command("/start")
    welcome, notice = await user.wait_for_messages(2)
    assert "Xin chào" in welcome.text
    assert "dữ liệu cá nhân" in notice.text
    await press(user, "✅ Tôi đồng ý")  # the notice, the thanks below it
    await user.send_command("/nominate")
    return await user.next_message()


async def answer_name(user: SimUser, name: str) -> BotMessage:
    """Type the nominee's name; keep it as typed if a written form with accents is offered."""
    reply = await say(user, name)
    keep = f"Giữ như đã gõ: {name}"
    if any(keep in row for row in reply.buttons):
        reply = await press(user, keep)
    return reply


# The standard answers of an individual's nomination, step by step (button or typed text).
# "age" (under 16?) is asked of a student only.
STEPS = (
    "kind",
    "name",
    "role",
    "age",
    "deed",
    "date",
    "unit",
    "place",
    "evidence",
    "phone",
    "anonymous",
)
STUDENT = "Học sinh, sinh viên"


async def answer_steps(
    user: SimUser,
    until: str | None = None,
    *,
    name: str = "Nguyen Van Binh",
    ward: str = "hoan kiem",
    deed_day: str = "Hôm qua",
    role: str = "Người dân",
    under_16: bool = False,
) -> BotMessage:
    """From the first question, answer each step up to (not including) ``until``.

    ``role``: the button pressed at the role step; a student (:data:`STUDENT`) is asked
    whether they are under 16, answered with ``under_16``. Return the question of
    ``until``, or the summary when ``until`` is None.
    """
    answers = {
        "kind": (press, "👤 Cá nhân"),
        "name": (answer_name, name),
        "role": (press, role),
        "age": (press, "Có, dưới 16 tuổi" if under_16 else "Không, từ 16 tuổi trở lên"),
        "deed": (say, DEED),
        "date": (press, deed_day),
        "unit": (say, ward),
        "place": (leave, "Bỏ qua"),
        "evidence": (press, "Bỏ qua"),
        "phone": (leave, "Bỏ qua"),
        "anonymous": (press, "Không cần"),
    }
    reply = user.last_message
    for step in STEPS:
        if step == until:
            break
        if step == "age" and role != STUDENT:
            continue
        act, answer = answers[step]
        reply = await act(user, answer)
    return reply


async def fill_nomination(
    user: SimUser,
    *,
    name: str = "Nguyen Van Binh",
    ward: str = "hoan kiem",
    role: str = "Người dân",
    under_16: bool = False,
) -> BotMessage:
    """Answer every step from the first question to the summary; return the summary."""
    return await answer_steps(user, name=name, ward=ward, role=role, under_16=under_16)
