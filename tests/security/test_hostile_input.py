"""Hostile text at every step: the bot answers politely, keeps it as text, and goes on.

HTML (escaped, so Telegram accepts the reply and shows the tags as typed), 5,000 characters,
zero-width and right-to-left marks, emoji, NUL bytes, Telex leftovers and SQL-ish strings,
typed at each step of the nomination and of the other dialogs and commands. A reply that
Telegram would refuse (bad HTML, too long) never arrives, and the test fails waiting for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import KEYBOARD_STEPS, agree_and_start, leave, press, say, say_and_leave
from tests.security.people import CODE, ERROR_MARKS, HANG_BAC, grant, nominate

HTML = '<b>Đậm</b> <a href="https://lua-dao.example">bấm vào</a> & <script>x</script> &amp;'
HOSTILE = (
    HTML,
    "Nguyễn " + "Văn " * 1249,  # 5,000 characters
    "Ngu\u200byễn\u200d Văn\ufeff Bình\u2060",  # zero-width
    "\u202eBình Văn Nguyễn\u202c \u200fمرحبا",  # right-to-left override, Arabic
    "🙏 Nguyễn 👨‍👩‍👧 Văn Bình 🇻🇳",
    "Nguyễn\x00Văn\x07Bình",  # NUL and a bell
    "Nguyeenx Vawn Binhf ddaf lamf vieecj toots",  # Telex leftovers
    "Robert'); DROP TABLE nominations;-- ' OR 1=1 --",
    "%(code)s {code} {{ code }} ${code} %s %d",
)
STEP_ANSWERS: dict[str, tuple[Callable[[SimUser, str], Awaitable[BotMessage]], str]] = {
    "kind": (press, "👤 Cá nhân"),
    "name": (say, HTML),
    "role": (press, "Người dân"),
    "deed": (say, "Anh đã nhặt được ví & trả lại <ngay> cho người đánh rơi ở chợ Đồng Xuân 🙏."),
    "date": (press, "Hôm qua"),
    "unit": (say, "hoan kiem"),
    "place": (say_and_leave, "Chợ <Đồng Xuân> & phố Hàng Bạc"),
    "evidence": (press, "Bỏ qua"),
    "phone": (leave, "Bỏ qua"),
    "anonymous": (press, "Không cần"),
}


def polite(reply: BotMessage) -> None:
    """Assert the reply is no error and no other person's case."""
    assert not any(mark in reply.text for mark in ERROR_MARKS), reply.text
    assert set(CODE.findall(reply.text)) <= {"NT-XXXX-XXXX"}, reply.text


async def step_of(bot: RunningBot, user: SimUser) -> str | None:
    async with bot.runtime.uow() as uow:
        dialog = await uow.dialogs.get(user.chat_id)
    return dialog.step if dialog else None


async def test_hostile_text_at_every_step_of_a_nomination(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(33_001, "Người thử")
    await agree_and_start(user)
    for step, (act, answer) in STEP_ANSWERS.items():
        for text in HOSTILE:
            reply = await say(user, text)
            polite(reply)
            if await step_of(bot, user) != step:
                if step in KEYBOARD_STEPS:  # what it took, then the next question
                    polite(await user.next_message())
                # Taken as the answer (a name may well hold emoji): back to try the next one.
                polite(await press(user, "⬅️ Quay lại"))
                assert await step_of(bot, user) == step, (step, text[:40])
        polite(await act(user, answer))
    assert await step_of(bot, user) == "summary"
    for text in HOSTILE:
        polite(await say(user, text))
    summary = user.messages[-1]
    assert "<b>Đậm</b>" in summary.text and "<script>x</script> &amp;" in summary.text
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    async with bot.runtime.uow() as uow:
        stored = await uow.nominations.get_by_code(TrackingCode(found.group(0)))
    assert stored is not None and stored.nominee.name == HTML
    assert stored.place == "Chợ <Đồng Xuân> & phố Hàng Bạc"


async def test_hostile_text_in_the_other_dialogs_and_commands(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(33_011, "Cư dân"), api.user(33_012, "Cán bộ Bạc")
    secretary = api.user(33_013, "Thư ký")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await grant(bot, clock, secretary, Role.SECRETARIAT)
    code = await nominate(resident)
    for text in HOSTILE:
        for user, opening in (
            (resident, "/status"),
            (resident, None),
            (officer, None),
        ):
            if opening:
                await say(user, opening)
            polite(await say(user, text))
        for command in ("/status", "/subscribe", "/find", "/event", "/register", "/dossier"):
            reply = await say(officer, f"{command} {text}")
            assert not any(mark in reply.text for mark in ERROR_MARKS), (command, reply.text)
        polite(await say(resident, f"/invite {text}"))
        polite(await say(resident, f"/subscribe {text}"))
    # The officer asks a question; hostile answers and notes are relayed as text.
    await say(officer, f"/status {code}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()
    await press(officer, "❓ Yêu cầu bổ sung")
    too_long = await say(officer, HOSTILE[1])
    assert "1.000 ký tự" in too_long.text
    asked = await say(officer, HTML)
    assert code in asked.text
    question = await resident.next_message()
    assert "<b>Đậm</b>" in question.text
    await press(resident, "✍️ Trả lời cán bộ")
    for text in HOSTILE:
        reply = await say(resident, text)
        assert not any(mark in reply.text for mark in ERROR_MARKS), reply.text
    sent = await press(resident, "✅ Gửi trả lời")
    assert code in sent.text
    relayed = await officer.next_message()
    assert "<b>Đậm</b>" in relayed.text and "DROP TABLE" in relayed.text
    # The secretariat writes an announcement and names wards in hostile ways.
    await say(secretary, "/broadcast")
    for text in HOSTILE[2:]:
        reply = await say(secretary, text)
        assert not any(mark in reply.text for mark in ERROR_MARKS), reply.text
        await say(secretary, "/cancel")
        await say(secretary, "/broadcast")
    for typed in ("/event ² 15/03/2027", "/event ١٢ 15/03/2027", "/event 99999999999999999999 1/1"):
        reply = await say(officer, typed)
        assert "Cách dùng" in reply.text, reply.text
