"""``kill -9`` of ``ntvt run`` mid-nomination: the resident loses nothing and goes on.

The README promises it: the draft is saved with the reply that asks the next question, so a
restarted bot, even after ``kill -9``, continues at the step the resident was on; an update
Telegram holds while the bot is down is answered when it is back.
"""

from __future__ import annotations

import signal

import pytest

from bot.local_api import BotMessage, LocalBotApi, SimUser
from tests.bot.flows import DEED, agree_and_start, leave, press, say
from tests.e2e.conftest import CODE, NtvtProcess, StartNtvt, start_polling_bot, telegram_env

pytestmark = pytest.mark.e2e

NAME = "Nguyễn Thị Hồng Nhung"
REPLY_TIMEOUT = 10.0


async def answer_first_three_steps(user: SimUser) -> BotMessage:
    """Consent, /nominate, steps 1-3; return the bot's reply to step 3 (the step-4 question)."""
    assert "Bước 1/10" in (await agree_and_start(user)).text
    assert "Bước 2/10" in (await press(user, "👤 Cá nhân")).text
    assert "Bước 3/10" in (await say(user, NAME)).text
    step_4 = await press(user, "Người dân")
    assert "Bước 4/10" in step_4.text
    return step_4


async def kill9_and_check(bot: NtvtProcess) -> None:
    assert await bot.kill9() == -signal.SIGKILL


async def repeats_since(api: LocalBotApi, user: SimUser, seen: int, last: BotMessage) -> None:
    """After a restart, the bot may repeat the one reply that was in flight, nothing else.

    Then the resident's chat is read from here on.
    """
    await api.wait_until_idle(timeout=REPLY_TIMEOUT)
    extra = user.all_messages[seen:]
    assert len(extra) <= 1, [m.text for m in extra]
    assert all(m.text == last.text for m in extra), [m.text for m in extra]
    user.skip_pending()


async def test_kill_9_after_step_3_resumes_at_step_4_and_completes(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    env = telegram_env(api, migrated_database_url)
    first = await start_polling_bot(api, ntvt, env)
    user = api.user(7001, "Nhung", language_code="vi")
    step_4 = await answer_first_three_steps(user)
    seen = len(user.all_messages)

    await kill9_and_check(first)
    second = await start_polling_bot(api, ntvt, env)
    await repeats_since(api, user, seen, step_4)

    # The resident comes back to the bot: their draft waits at step 4, with the name typed
    # before the kill.
    await user.send_command("/nominate")
    offer = await user.next_message(REPLY_TIMEOUT)
    assert "bước 4/10" in offer.text
    assert NAME in offer.text
    again = await press(user, "▶️ Tiếp tục")
    assert "Bước 4/10" in again.text
    assert "việc tốt" in again.text

    assert "Bước 5/10" in (await say(user, DEED)).text
    assert "Bước 6/10" in (await press(user, "Hôm qua")).text
    assert "Bước 7/10" in (await say(user, "hoan kiem")).text
    assert "Bước 8/10" in (await leave(user, "Bỏ qua")).text  # place
    assert "Bước 9/10" in (await press(user, "Bỏ qua")).text  # evidence
    assert "Bước 10/10" in (await leave(user, "Bỏ qua")).text  # phone
    summary = await press(user, "Không cần")
    assert "Xin Anh/Chị kiểm tra lại đề cử" in summary.text
    assert NAME in summary.text  # typed before the kill
    assert "Người dân" in summary.text  # pressed before the kill
    assert "Phường Hoàn Kiếm" in summary.text
    assert DEED in summary.text

    done = await press(user, "✅ Gửi")
    code = CODE.search(done.text)
    assert code is not None, done.text
    assert "Cảm ơn" in done.text

    status = await say(user, f"/status {code.group(0)}")
    assert "Đã tiếp nhận" in status.text
    assert NAME in status.text

    # Ctrl+C stops the bot cleanly.
    assert await second.interrupt(signal.SIGINT) == 0, second.describe()
    assert "Traceback" not in second.output(), second.describe()


async def test_an_update_sent_while_the_bot_is_down_is_answered_after_restart(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    env = telegram_env(api, migrated_database_url)
    first = await start_polling_bot(api, ntvt, env)
    user = api.user(7002, "Bảo", language_code="vi")
    step_4 = await answer_first_three_steps(user)
    seen = len(user.all_messages)

    await kill9_and_check(first)
    # The resident answers step 4 while no bot runs: Telegram keeps the update.
    sent = await user.send_text(DEED)
    assert [u["message"]["message_id"] for u in api.pending_updates if "message" in u] == [
        sent["message_id"]
    ]

    await start_polling_bot(api, ntvt, env)
    reply = await user.next_message(REPLY_TIMEOUT)
    if reply.text == step_4.text:  # the reply in flight at the kill, sent again
        reply = await user.next_message(REPLY_TIMEOUT)
    assert "Bước 5/10" in reply.text, reply.text
    assert "Hôm qua" in [label for row in reply.buttons for label in row]

    await api.wait_until_idle(timeout=REPLY_TIMEOUT)
    assert api.pending_updates == []
    assert len(user.all_messages) - seen <= 2  # step 5, and at most one repeat of step 4
    assert "Bước 6/10" in (await press(user, "Hôm qua")).text
