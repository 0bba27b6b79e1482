"""The daily purge over a year of backlog: how long it takes, and how long it holds a write.

    .venv/bin/python bench/retention.py [--db sqlite|postgresql] [--updates 100000]
                                        [--replies 100000] [--broadcast 50000] [--batch 1000]

Fills a fresh database with a year of processed updates (realistic payloads), replies that
went and the messages of a few broadcasts, spread evenly over the year, and a thousand
dialogs; then runs ``core.retention.purge`` (30 days kept) paced as the bot's daily job is
(``bot.retention.HalfTheLoop``), then on a fresh copy unpaced, as ``ntvt privacy purge``,
while another task writes a small transaction every 20 ms, as turns would. Prints each run's
time, its counts, its longest transaction, and how long the concurrent writes waited; then
the time of a second run (nothing left to do: the daily cost of the scans).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench.common import drop_database, make_database
from bot.rendering import Renderer
from bot.retention import DraftDeletionNotices, HalfTheLoop
from core.retention import Pause, PurgeKind, RetentionPolicy, purge
from storage.tables import DialogRow, InboundUpdateRow, OutboxRow
from storage.uow import open_database

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
CHUNK = 5000


def payload(update_id: int) -> dict[str, object]:
    """A text message update as Telegram sends it (about 600 bytes of JSON)."""
    chat = 7_000_000_000 + update_id % 5000
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {
                "id": chat,
                "is_bot": False,
                "first_name": "Nguyễn Thị",
                "last_name": "Lan",
                "language_code": "vi",
            },
            "chat": {"id": chat, "first_name": "Nguyễn Thị", "last_name": "Lan", "type": "private"},
            "date": 1_764_000_000 + update_id,
            "text": "Anh Bình ở tổ 5 đã nhặt được ví có 5 triệu đồng và trả lại người đánh rơi.",
        },
    }


class Timed:
    """The purge's pause before each batch, timing the batches between two pauses."""

    def __init__(self, pause: Pause) -> None:
        self._pause = pause
        self._resumed: float | None = None
        self.durations: list[float] = []

    async def __call__(self) -> None:
        self.end()
        await self._pause()
        self._resumed = time.perf_counter()

    def end(self) -> None:
        """Count the batch running since the last pause, if any (the last one, at the end)."""
        if self._resumed is not None:
            self.durations.append(time.perf_counter() - self._resumed)
            self._resumed = None


async def fill(url: str, updates: int, replies: int, broadcast: int) -> None:
    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            connection = await uow.session.connection()
            rows: list[dict[str, object]] = []
            for n in range(updates):
                at = NOW - YEAR + YEAR * (n / updates)
                rows.append(
                    {
                        "update_id": n + 1,
                        "payload": payload(n + 1),
                        "received_at": at,
                        "processed_at": at,
                        "chat_id": 7_000_000_000 + n % 5000,
                        "attempts": 0,
                    }
                )
                if len(rows) == CHUNK:
                    await connection.execute(insert(InboundUpdateRow), rows)
                    rows = []
            if rows:
                await connection.execute(insert(InboundUpdateRow), rows)
            total = replies + broadcast
            rows = []
            for n in range(total):
                at = NOW - YEAR + YEAR * (n / total)
                # Every third message belongs to a broadcast (10,000 recipients each, one
                # message per chat), as long as there are some.
                is_broadcast = n % 3 == 0 and n // 3 < broadcast
                chat = 8_000_000_000 + n // 3 if is_broadcast else 7_000_000_000 + n % 5000
                rows.append(
                    {
                        "chat_id": chat,
                        "method": "sendMessage",
                        "params": {
                            "chat_id": chat,
                            "text": "Đề cử NT-ABCD-EFGH về Nguyễn Văn Bình đã được tiếp nhận.",
                            "parse_mode": "HTML",
                        },
                        "created_at": at,
                        "status": "sent",
                        "attempts": 1,
                        "last_attempt_at": at,
                        "sent_at": at,
                        "broadcast_id": (n // 3) // 10_000 + 1 if is_broadcast else None,
                    }
                )
                if len(rows) == CHUNK:
                    await connection.execute(insert(OutboxRow), rows)
                    rows = []
            if rows:
                await connection.execute(insert(OutboxRow), rows)
            dialogs = [
                {
                    "chat_id": 7_000_000_000 + n,
                    "user_id": 7_000_000_000 + n,
                    "flow": "n" if n % 2 else "s",
                    "step": "deed",
                    "data": {"draft": {"nominee_name": "Nguyễn Văn Bình"}},
                    "token": 3,
                    "updated_at": NOW - timedelta(days=n % 60, hours=3),
                }
                for n in range(1000)
            ]
            await connection.execute(insert(DialogRow), dialogs)
            await uow.commit()
    finally:
        await db.dispose()


async def measure(url: str, batch: int, *, paced: bool) -> None:
    db = await open_database(url, migrate=False)
    policy = RetentionPolicy(batch_size=batch, timezone=UTC, run_time=NOW.time())
    notices = DraftDeletionNotices(Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh")), "vi")
    waits: list[float] = []
    stop = asyncio.Event()

    async def writer() -> None:
        """A turn's worth of writing every 20 ms: how long is it held up by the purge?

        Counted from when it was due (its sleep ended) to its commit: a task that shares
        the event loop with the purge waits for a batch to end before it even starts.
        """
        n = 10_000_000
        while not stop.is_set():
            due = time.perf_counter() + 0.02
            await asyncio.sleep(0.02)
            async with db.uow() as uow:
                await uow.inbound.record(n, {"update_id": n}, NOW, chat_id=1)
                await uow.commit()
            waits.append(time.perf_counter() - due)
            n += 1

    how = "paced as the bot's daily job" if paced else "unpaced, as ntvt privacy purge"
    try:
        for label in (f"the backlog, {how}", "again (nothing left)"):
            timed = Timed(HalfTheLoop() if paced else _yield)
            waits.clear()
            stop.clear()
            writing = asyncio.create_task(writer())
            started = time.perf_counter()
            report = await purge(db.uow(), policy, NOW, notices=notices, pause=timed)
            timed.end()
            elapsed = time.perf_counter() - started
            stop.set()
            await writing
            counts = ", ".join(f"{k.value} {report.counts[k]:,}" for k in PurgeKind)
            durations = sorted(timed.durations)
            print(f"purge of {label}: {elapsed:.2f} s in {len(durations)} transactions")
            print(f"  {counts}")
            print(
                f"  longest transaction {durations[-1] * 1000:.0f} ms, "
                f"median {durations[len(durations) // 2] * 1000:.1f} ms; a write due every "
                f"20 ms meanwhile waited at most {max(waits) * 1000:.0f} ms, "
                f"median {sorted(waits)[len(waits) // 2] * 1000:.0f} ms ({len(waits)} writes)"
            )
    finally:
        await db.dispose()


async def _yield() -> None:
    await asyncio.sleep(0)


async def main(kind: str, updates: int, replies: int, broadcast: int, batch: int) -> None:
    for paced in (True, False):
        with tempfile.TemporaryDirectory() as folder:
            url, name = await make_database(kind, Path(folder))
            try:
                started = time.perf_counter()
                await fill(url, updates, replies, broadcast)
                print(
                    f"{kind}: {updates:,} processed updates, {replies:,} replies and "
                    f"{broadcast:,} broadcast messages over a year, 1,000 dialogs "
                    f"(filled in {time.perf_counter() - started:.0f} s); batches of {batch:,}"
                )
                await measure(url, batch, paced=paced)
            finally:
                if name is not None:
                    await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--broadcast", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.updates, args.replies, args.broadcast, args.batch))
