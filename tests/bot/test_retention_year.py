"""A year of the daily purge, through the real bot and the local Bot API, per backend.

The bot starts on Monday 05/01/2026 with a clock the test moves; residents write to it now
and then (a weekly /help, drafts begun and left, a lookup left open, an update nobody can
read), and ``bot.retention.purge`` is run by hand at 09:00 Hà Nội time every day of the
year, sending its notices through the bot's own outbox sender. Around every run the test
reads the bookkeeping of every stored update, message and dialog, and checks that the run
removed exactly what was past its time: rows a moment inside their window survive, and an
update still waiting or a message still to send never goes. Then it checks what residents
read: one notice the day before a draft goes, naming the day, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.local_api import LocalBotApi, SimUser
from bot.retention import purge, retention_policy
from bot.runtime import Runtime
from bot.settings import Settings
from core.broadcasts import Outcome
from core.outbox import OutboxStatus, OutgoingMessage
from core.retention import PurgeKind, PurgeReport, RetentionPolicy
from storage.tables import DialogRow, InboundUpdateRow, OutboxRow
from storage.uow import SqlUnitOfWork
from tests.bot.conftest import FakeClock, RunningBot, StartBot
from tests.bot.flows import agree_and_start, answer_steps, say
from tests.bot.simulation import OncePerBackend

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2026, 1, 5)  # a Monday
DAYS = 366

LAN, BINH, CHI, DUNG, YEN = 3101, 3102, 3103, 3104, 3105
# Stored directly: an update never processed and a reply never sent (nobody sweeps them).
WAITING_UPDATE = 9_000_000_001
SILENT_CHAT = 3199
BROADCAST = 77

NOTICE = re.compile(r"Bản nháp đề cử của Anh/Chị .* sẽ được xóa vào ngày (\d\d)/(\d\d)/(\d{4})")


def day_of(n: int) -> date:
    return FIRST_DAY + timedelta(days=n)


def hanoi(n: int, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` in Hà Nội on day ``n`` of the year, as UTC."""
    return datetime.combine(day_of(n), time(hour, minute), HANOI).astimezone(UTC)


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    # No sweep of stored updates: the one stored directly must stay waiting all year.
    return bot_settings.model_copy(update={"update_sweep": 1e9})


@dataclass(frozen=True)
class Stored:
    """The bookkeeping of every stored update, message and dialog (never their content)."""

    updates: dict[int, tuple[datetime | None, datetime | None]]
    messages: dict[int, tuple[str, datetime, int | None, bool]]
    dialogs: dict[int, datetime | None]


async def stored(rt: Runtime) -> Stored:
    async with rt.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        session = uow.session
        updates = {
            row.update_id: (row.processed_at, row.set_aside_at)
            for row in await session.execute(
                select(
                    InboundUpdateRow.update_id,
                    InboundUpdateRow.processed_at,
                    InboundUpdateRow.set_aside_at,
                )
            )
        }
        messages = {
            row.id: (
                row.status,
                row.sent_at or row.last_attempt_at or row.created_at,
                row.broadcast_id,
                row.params == {},
            )
            for row in await session.scalars(select(OutboxRow))
        }
        dialogs = {
            row.chat_id: row.updated_at
            for row in await session.execute(select(DialogRow.chat_id, DialogRow.updated_at))
        }
    return Stored(updates, messages, dialogs)


FINISHED = {"sent", "failed", "expired", "cancelled"}


def check_run(policy: RetentionPolicy, now: datetime, before: Stored, after: Stored) -> None:
    """The run removed what was past its time at ``now``, and nothing else."""
    processed_before = policy.updates_processed_before(now)
    set_aside_before = policy.dead_letters_set_aside_before(now)

    def update_due(processed_at: datetime | None, set_aside_at: datetime | None) -> bool:
        if processed_at is not None:
            return processed_at < processed_before
        return set_aside_at is not None and set_aside_at < set_aside_before

    for update_id, times in before.updates.items():
        assert (update_id in after.updates) != update_due(*times), (now, update_id, times)

    sent_before = policy.sent_before(now)
    for message_id, (status, went_at, broadcast_id, empty) in before.messages.items():
        due = status in FINISHED and went_at < sent_before
        if broadcast_id is None:
            assert (message_id in after.messages) != due, (now, message_id, status, went_at)
        else:
            # A broadcast's message stays, its text emptied once past its time.
            assert after.messages[message_id][:3] == (status, went_at, broadcast_id)
            assert after.messages[message_id][3] == (due or empty), (now, message_id)


@dataclass
class Residents:
    """The simulated residents, and the day each message they read arrived."""

    users: dict[int, SimUser]
    seen: dict[int, int] = field(default_factory=dict)
    read: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def collect(self, n: int) -> None:
        for user_id, user in self.users.items():
            new = user.all_messages[self.seen.get(user_id, 0) :]
            self.seen[user_id] = len(user.all_messages)
            self.read.setdefault(user_id, []).extend((n, m.text) for m in new)

    def notices(self, user_id: int) -> list[tuple[int, date]]:
        """The draft notices a resident read: the day each arrived, the day it names."""
        found = []
        for n, text in self.read.get(user_id, []):
            match = NOTICE.search(text.replace("\n", " "))
            if match is not None:
                day, month, year = (int(part) for part in match.groups())
                found.append((n, date(year, month, day)))
        return found


async def leave_a_draft(user: SimUser) -> None:
    """Agree, start a nomination, choose "a person", and go no further."""
    await agree_and_start(user)
    await answer_steps(user, "name")


@dataclass
class Year:
    residents: Residents
    reports: list[PurgeReport]
    dialogs: dict[int, set[int]]  # day -> chats with a dialog after that day
    updates: dict[int, set[int]]  # day -> update ids stored after that day
    last: Stored
    first_help: int
    dead_letter: int
    waiting_message: int
    broadcast_outcomes: tuple[dict[Outcome, int], dict[Outcome, int]]
    broadcast_emptied_on: int | None


async def store_aside(rt: Runtime, at: datetime) -> int:
    """Store what nobody will touch all year, and a broadcast's three messages; return the
    id of the message never sent."""
    async with rt.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        await uow.inbound.record(WAITING_UPDATE, {"update_id": WAITING_UPDATE}, at)
        params = {"chat_id": SILENT_CHAT, "text": "…"}
        waiting = await uow.outbox.add(OutgoingMessage(SILENT_CHAT, "sendMessage", params, at))
        sent_at = hanoi(20, 10)
        for chat_id, status in ((1, "sent"), (2, "sent"), (3, "failed")):
            uow.session.add(
                OutboxRow(
                    chat_id=chat_id,
                    method="sendMessage",
                    params={"chat_id": chat_id, "text": "Thông báo của phường"},
                    created_at=sent_at,
                    status=status,
                    attempts=1,
                    last_attempt_at=sent_at,
                    sent_at=sent_at if status == "sent" else None,
                    broadcast_id=BROADCAST,
                    failure="blocked" if status == "failed" else None,
                )
            )
        await uow.commit()
    assert waiting.id is not None
    return waiting.id


async def simulate_year(api: LocalBotApi, bot: RunningBot, clock: FakeClock) -> Year:
    rt = bot.runtime
    policy = retention_policy(rt.settings)
    names = {LAN: "Lan", BINH: "Bình", CHI: "Chi", DUNG: "Dũng", YEN: "Yến"}
    users = {user_id: api.user(user_id, name) for user_id, name in names.items()}
    residents = Residents(users)
    waiting = await store_aside(rt, clock())
    async with rt.uow() as uow:
        outcomes_before = await uow.outbox.broadcast_outcomes(BROADCAST)

    first_help = dead_letter = emptied_on = None
    reports: list[PurgeReport] = []
    dialogs: dict[int, set[int]] = {}
    updates: dict[int, set[int]] = {}
    for n in range(DAYS):
        if n == 40:
            clock.now = hanoi(n, 8)
            await leave_a_draft(users[CHI])  # its day is 70: told at the run of 69

        clock.now = hanoi(n, 9)
        before = await stored(rt)
        report = await purge(rt, clock())
        after = await stored(rt)
        check_run(policy, clock(), before, after)
        removed = len(before.updates.keys() - after.updates.keys())
        assert report.counts[PurgeKind.UPDATES] + report.counts[PurgeKind.DEAD_LETTERS] == removed
        removed = len(before.messages.keys() - after.messages.keys())
        assert report.counts[PurgeKind.REPLIES] == removed
        assert not report.stopped and not report.more
        reports.append(report)
        if emptied_on is None and all(
            empty for _, _, broadcast, empty in after.messages.values() if broadcast == BROADCAST
        ):
            emptied_on = n

        if n % 7 == 0:
            clock.now = hanoi(n, 10)
            await say(users[LAN], "/help")
            if first_help is None:
                first_help = max((await stored(rt)).updates.keys() - {WAITING_UPDATE})
        if n == 3:
            clock.now = hanoi(n, 12)
            unreadable = {"message": {"chat": {"id": YEN}, "date": "x", "text": "Tôi là Yến"}}
            dead_letter = int(api.deliver_raw(unreadable)["update_id"])  # set aside as stored
        if n == 10:
            clock.now = hanoi(n, 20)
            await leave_a_draft(users[BINH])  # its day is 41: told at the run of 40
        if n == 69:
            clock.now = hanoi(n, 15)
            users[CHI].skip_pending()
            await say(users[CHI], "Trần Thị Hoa")  # a step taken: the draft stays 30 days more
        if n == 100:
            clock.now = hanoi(n, 11)
            await say(users[DUNG], "/status")  # a lookup left open: gone at 131, no notice
        await api.wait_until_idle(timeout=5)
        residents.collect(n)
        final = await stored(rt)
        dialogs[n], updates[n] = set(final.dialogs), set(final.updates)

    async with rt.uow() as uow:
        outcomes_after = await uow.outbox.broadcast_outcomes(BROADCAST)
    assert first_help is not None and dead_letter is not None
    return Year(
        residents,
        reports,
        dialogs,
        updates,
        final,
        first_help,
        dead_letter,
        waiting,
        (outcomes_before, outcomes_after),
        emptied_on,
    )


@pytest.fixture
async def started(start_bot: StartBot, clock: FakeClock) -> AsyncIterator[RunningBot]:
    clock.now = hanoi(0, 7)
    async with start_bot(notices=False, retention=False) as (application, runtime):
        yield RunningBot(application, runtime)


# The year is simulated once per backend and its record shared by the tests below.
_SIMULATED: OncePerBackend[Year] = OncePerBackend()


@pytest.fixture
async def year(
    database_backend: str, api: LocalBotApi, started: RunningBot, clock: FakeClock
) -> Year:
    return await _SIMULATED.get(database_backend, lambda: simulate_year(api, started, clock))


def test_a_year_of_purges_removes_what_is_past_its_time_and_nothing_else(year: Year) -> None:
    # Every run was checked against the stored times (check_run); here, what it came to.
    total = {kind: sum(r.counts[kind] for r in year.reports) for kind in PurgeKind}
    assert total[PurgeKind.UPDATES] > 52 and total[PurgeKind.REPLIES] > 52
    assert total[PurgeKind.DEAD_LETTERS] == 1 and total[PurgeKind.BROADCAST_TEXTS] == 3

    # Lan's first /help, processed at 10:00 on day 0: an hour inside the window at the run
    # of day 30, gone at the run of day 31.
    assert year.first_help in year.updates[30] and year.first_help not in year.updates[31]
    # The update nobody could read, set aside at 12:00 on day 3: kept 90 days for inspection.
    assert year.dead_letter in year.updates[93] and year.dead_letter not in year.updates[94]
    # Still waiting after a year: an update never processed, a message never sent.
    assert WAITING_UPDATE in year.last.updates
    assert year.last.messages[year.waiting_message][0] == OutboxStatus.PENDING.value
    # The broadcast's report is the same; its texts went 30 days after it was sent.
    before, after = year.broadcast_outcomes
    assert before == after == {Outcome.DELIVERED: 2, Outcome.BLOCKED: 1}
    assert year.broadcast_emptied_on == 51
    # Only the last 30 days of Lan's weekly /help remain.
    lan = [m for m in year.last.messages.values() if m[2] is None and m[0] == "sent"]
    assert 4 <= len(lan) <= 6


def test_a_draft_is_announced_once_the_day_before_and_deleted_on_the_day_named(
    year: Year,
) -> None:
    residents = year.residents
    assert residents.notices(BINH) == [(40, day_of(41))]
    assert BINH in year.dialogs[40] and BINH not in year.dialogs[41]

    # Chi took a step on the day of her notice: kept, told again 30 days later, then gone.
    assert residents.notices(CHI) == [(69, day_of(70)), (99, day_of(100))]
    assert all(CHI in year.dialogs[n] for n in range(40, 100))
    assert CHI not in year.dialogs[100]

    # A lookup left open holds nothing of Dũng's: it goes without a notice.
    assert residents.notices(DUNG) == []
    assert DUNG in year.dialogs[130] and DUNG not in year.dialogs[131]

    assert residents.notices(LAN) == residents.notices(YEN) == []
    total = {kind: sum(r.counts[kind] for r in year.reports) for kind in PurgeKind}
    assert total[PurgeKind.DRAFT_NOTICES] == 3 and total[PurgeKind.DRAFTS] == 3
    assert year.dialogs[DAYS - 1] == set()
    text = next(t for _, t in residents.read[BINH] if NOTICE.search(t.replace("\n", " ")))
    assert "/nominate" in text and f"{day_of(41):%d/%m/%Y}" in text
