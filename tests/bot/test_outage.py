"""A Telegram outage loses nothing: replies and notices wait, then arrive once, in order.

The long outage runs on a clock sixty times faster than the wall clock (a minute a second):
the sender computes its back-offs on that clock and sleeps them through the matching sleep,
so ten minutes pass in ten seconds and the back-off reaches its three-minute cap.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import running_bot
from bot.bulk import OUTAGE_AFTER, BulkSender
from bot.local_api import LocalBotApi
from bot.local_api.users import SimChat
from bot.notices import run_once
from bot.sender import BACK_OFF_CAP
from bot.settings import Settings
from core.broadcasting import create
from core.broadcasts import Audience, Broadcast, BroadcastStatus, Outcome
from core.outbox import OutboxStatus
from core.review import grant_role
from core.roles import Actor, Role
from storage.tables import OutboxRow
from storage.uow import open_database
from tests.bot.audience import add_subscribers
from tests.bot.conftest import FakeClock, RunningBot

SCALE = 60.0  # clock seconds per wall-clock second
HANG_BAC = "phuong-hang-bac"
# A working morning of the demo plan, when deadline notices are due (tests/bot/test_deadlines).
MORNING = datetime.fromisoformat("2018-01-04T08:00:00+07:00").astimezone(UTC)


class FastClock:
    """A clock running ``SCALE`` times faster than the wall clock, and its sleep."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._origin) * SCALE)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / SCALE)

    async def wait(self, seconds: float) -> None:
        """Let ``seconds`` of this clock pass."""
        await asyncio.sleep(seconds / SCALE)


async def _outbox(url: str) -> list[OutboxRow]:
    db = await open_database(url, migrate=False)
    try:
        async with db.session_factory() as session:
            return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    finally:
        await db.dispose()


def _assert_each_chat_got_its_messages_once_in_order(
    api: LocalBotApi, rows: list[OutboxRow]
) -> None:
    """Every message sent, once (as Telegram saw it), in the order it was queued per chat."""
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT.value: len(rows)}
    accepted = Counter(
        call.params.get("chat_id")
        for call in api.calls
        if call.ok and call.method in ("sendMessage", "editMessageReplyMarkup")
    )
    assert accepted == Counter(row.chat_id for row in rows), "each message went exactly once"
    for chat_id in {row.chat_id for row in rows}:
        ids = [row.sent_message_id for row in rows if row.chat_id == chat_id]
        assert ids == sorted(ids), f"chat {chat_id} got its messages out of order"


async def test_a_ten_minute_outage_loses_no_reply_and_no_notice(
    api: LocalBotApi, bot_settings: Settings
) -> None:
    clock = FastClock(MORNING)
    residents = [api.user(1500 + n, f"Cư dân {n}") for n in range(6)]
    officers = residents[:2]  # residents who are officers too: notices and replies interleave
    async with running_bot(
        bot_settings,
        token=api.token,
        polling=True,
        clock=clock,
        sleep=clock.sleep,
        poll_timeout=1,
        notices=False,
    ) as (_application, rt):
        async with rt.uow() as uow:
            for officer in officers:
                await grant_role(
                    uow,
                    Actor.operator(),
                    user_id=officer.id,
                    role=Role.OFFICER,
                    unit_key=HANG_BAC,
                    now=clock(),
                )
            await uow.commit()
        assert rt.sender is not None

        api.start_outage(500)
        outage_began = clock()
        for resident in residents:
            await resident.send_command("/start")
        await clock.wait(60)
        notices = await run_once(rt, rt.calendar, rt.reminders, clock())
        assert notices, "the notice run has something to say"
        await rt.sender.send_ids(notices)
        await clock.wait(120)
        for resident in residents:
            await resident.send_command("/help")
        await clock.wait(600 - (clock() - outage_began).total_seconds())
        assert all(resident.messages == [] for resident in residents)
        assert len([c for c in api.calls if c.error_code == 500]) > len(residents) * 5

        api.end_outage()
        ended = time.monotonic()
        for resident in residents:
            await resident.wait_until(_help_arrived, timeout=30)
        recovered = time.monotonic() - ended
        await api.wait_until_idle(timeout=10)

    # Once Telegram answered one of them, the others' back-offs ended: recovery took about
    # one back-off (at most its cap), not one per chat.
    assert recovered < 2 * BACK_OFF_CAP / SCALE
    rows = await _outbox(bot_settings.database_url)
    _assert_each_chat_got_its_messages_once_in_order(api, rows)
    for officer in officers:
        texts = [m.text for m in officer.messages]
        assert "Xin chào" in texts[0] and any("Nhiệm vụ" in t for t in texts)
        assert "/nominate" in texts[-1], "the reply queued after the notices comes after them"
    for resident in residents[2:]:
        texts = [m.text for m in resident.messages]
        assert "Xin chào" in texts[0] and "dữ liệu cá nhân" in texts[1]
        assert "/nominate" in texts[2] and len(texts) == 3


def _help_arrived(chat: SimChat) -> bool:
    return any("/nominate" in (m.text or "") for m in chat.messages)


async def test_when_telegram_answers_again_other_chats_stop_waiting_out_their_back_off(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    # The clock stands still: a back-off would never end by itself.
    waiting = [api.user(1600 + n, f"Chờ {n}") for n in range(3)]
    api.start_outage(502)
    for resident in waiting:
        await resident.send_command("/help")
    await api.wait_until_idle(timeout=5)
    assert all(resident.messages == [] for resident in waiting)

    api.end_outage()
    newcomer = api.user(1610, "Đến sau")
    await newcomer.send_command("/help")
    assert "/nominate" in (await newcomer.next_message()).text
    for resident in waiting:
        assert "/nominate" in (await resident.next_message(timeout=5)).text


async def test_a_definitive_refusal_fails_the_message_with_its_reason_and_the_chat_goes_on(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1620, "Từ chối")
    api.fail_next("sendMessage", 400, description="Bad Request: message text is empty")
    await user.send_command("/start")
    notice = await user.next_message()
    assert "dữ liệu cá nhân" in notice.text, "the welcome failed; the notice after it went"
    await api.wait_until_idle(timeout=5)
    rows = await _outbox(bot.runtime.settings.database_url)
    failed = [row for row in rows if row.chat_id == user.chat_id and row.status == "failed"]
    assert [(row.failure, row.attempts) for row in failed] == [("bad_request", 1)]


async def test_a_message_that_cannot_reach_telegram_for_a_day_expires(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1630, "Hết hạn")
    api.start_outage(503)
    await user.send_command("/help")
    await api.wait_until_idle(timeout=5)
    clock.now += timedelta(hours=24)
    assert bot.runtime.sender is not None
    await bot.runtime.sender.flush_all()
    for _ in range(50):  # the sweep, or the sender's own retry a moment later, gives it up
        rows = [r for r in await _outbox(bot.runtime.settings.database_url) if r.chat_id == 1630]
        if rows[0].status != OutboxStatus.PENDING.value:
            break
        await asyncio.sleep(0.1)
    api.end_outage()
    await api.wait_until_idle(timeout=5)
    assert user.messages == []
    (expired,) = rows
    assert (expired.status, expired.failure) == (OutboxStatus.EXPIRED.value, "expired")
    assert expired.last_error is not None and "network" in expired.last_error


async def test_a_broadcast_pauses_and_probes_during_an_outage_instead_of_burning_its_rows(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    rt = bot.runtime
    ids = await add_subscribers(api, rt, range(1700, 1780), now=clock.now)
    async with rt.uow() as uow:
        broadcast = await create(
            uow,
            Broadcast("Tin trong lúc mất kết nối", Audience.parse("all"), clock.now),
            actor=Actor.operator(),
            today=rt.today(),
        )
        await uow.commit()
    assert isinstance(rt.bulk, BulkSender) and broadcast.id is not None
    rt.bulk.wake()
    await api.state.signal.wait_for(lambda: len(api.calls_for("sendMessage")) >= 10, 10)
    api.start_outage(500)  # in the middle of the broadcast
    await asyncio.sleep(3)
    refused = len([c for c in api.calls_for("sendMessage") if c.error_code == 500])
    print(f"{refused} sends refused during the outage, {rt.bulk.stats.probes} of them probes")
    # The sends in flight find Telegram down; then one probe per pause (1 s, then 2 s).
    assert refused <= rt.bulk.max_in_flight + OUTAGE_AFTER, (
        f"{refused} messages tried against a dead Telegram"
    )
    api.end_outage()

    async def done() -> bool:
        async with rt.uow() as uow:
            found = await uow.broadcasts.get(broadcast.id or 0)
        return found is not None and found.status is BroadcastStatus.DONE

    for _ in range(200):
        if await done():
            break
        await asyncio.sleep(0.1)
    received = Counter(
        c.params["chat_id"]
        for c in api.calls_for("sendMessage")
        if c.ok and "mất kết nối" in c.params.get("text", "")
    )
    assert received == Counter(ids), "everyone once, nobody given up"
    async with rt.uow() as uow:
        outcomes = await uow.outbox.broadcast_outcomes(broadcast.id)
    assert outcomes == {Outcome.DELIVERED: len(ids)}
    assert rt.bulk.stats.probes >= 1
