"""``/lienhe``: a resident's question reaches the standing office and its answer comes back.

The flow added on the registry of flows (one module, one core service with its port): the
resident asks, the secretariat answers once, and nobody else can answer or read the
question, whatever button data they send.
"""

from __future__ import annotations

import re

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import press, say
from tests.security.test_buttons import signed

QUESTION = "Hồ sơ đề cử cần những giấy tờ gì ạ?"
ANSWER = "Anh/Chị chỉ cần mô tả việc tốt và ảnh nếu có; đơn vị sẽ xác minh."


async def _consent(user: SimUser) -> None:
    await user.send_command("/start")
    await user.wait_for_messages(2)
    await press(user, "✅ Tôi đồng ý")  # the thanks, in place of the notice


async def _secretary(bot: RunningBot, clock: FakeClock, user: SimUser) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow,
            Actor.operator(),
            user_id=user.id,
            role=Role.SECRETARIAT,
            unit_key=None,
            now=clock(),
        )
        await uow.commit()


async def test_a_question_reaches_the_secretariat_and_the_answer_the_resident(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, secretary = api.user(1301, "Mai"), api.user(1302, "Thư ký Hà")
    await _secretary(bot, clock, secretary)
    await _consent(resident)

    asked = await say(resident, "/lienhe")
    assert "Văn phòng thường trực" in asked.text
    sent = await say(resident, QUESTION)
    # PostgreSQL's sequences go on across the tests of a session: the number is read.
    number = re.search(r"Đã gửi câu hỏi số (\d+)", sent.text)
    assert number is not None, sent.text
    n = number.group(1)

    notice = await secretary.next_message()
    assert f"Câu hỏi số {n} của Mai" in notice.text and QUESTION in notice.text
    opened = await press(secretary, "✍️ Trả lời")
    assert QUESTION in opened.text and "gõ câu trả lời" in opened.text
    done = await say(secretary, ANSWER)
    assert f"Đã gửi câu trả lời cho câu hỏi số {n}" in done.text

    reply = await resident.next_message()
    assert f"trả lời câu hỏi số {n}" in reply.text
    assert QUESTION in reply.text and ANSWER in reply.text

    again = await secretary.send_callback(signed(bot, secretary, f"h:0:reply:{n}"), notice)
    assert again is not None
    assert "đã có người trả lời" in (await secretary.next_message()).text


async def test_nobody_but_the_secretariat_answers_and_a_refusal_tells_nothing(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, other = api.user(1303, "Tùng"), api.user(1304, "Người khác")
    secretary = api.user(1305, "Thư ký")
    await _secretary(bot, clock, secretary)
    await _consent(resident)
    await say(resident, "/lienhe")
    await say(resident, QUESTION)
    await secretary.next_message()
    await _consent(other)

    answers = []
    for data in ("h:0:reply:1", "h:0:reply:999"):  # the question exists; this one does not
        await other.send_callback(signed(bot, other, data), other.last_message)
        answers.append((await other.next_message()).text)
    assert answers[0] == answers[1], "the same words whether the question exists or not"
    assert QUESTION not in answers[0]
    forged = await say(other, "/lienhe")  # and a forged signature is a stale button
    await other.send_callback("h:0:reply:1", forged)
    assert QUESTION not in (await other.next_message()).text


async def test_a_question_needs_consent_first_and_a_long_one_is_explained(
    api: LocalBotApi, bot: RunningBot
) -> None:
    stranger = api.user(1306, "Lạ")
    first = await say(stranger, "/lienhe")
    assert "đồng ý với thông báo về dữ liệu cá nhân" in first.text

    await _consent(stranger)
    await say(stranger, "/lienhe")
    too_long = await say(stranger, "a" * 1001)
    assert "quá dài (1001 ký tự)" in too_long.text
    assert "Văn phòng thường trực" in too_long.text, "the question is asked again"
    cancelled = await press(stranger, "✖️ Hủy")
    assert "Đã hủy" in cancelled.text
