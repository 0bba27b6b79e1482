"""One resident's erasure beside a month of everyone else's messages: how long it holds a write.

    .venv/bin/python bench/erasure.py [--db sqlite|postgresql] [--messages 100000]
                                      [--cases 20] [--runs 3]

Fills a fresh database with ``--messages`` sent messages to other chats (30 days of outbox,
the longest the retention keeps them) and, per run, one resident with ``--cases`` cases
(half still being verified, half proposed to the council), subscriptions, a question, and
the updates and replies of their chat; then times
:func:`core.personal_data.erase_personal_data` (its transaction, committed: the write lock
it holds) and :meth:`storage.uow.Database.scrub` after it. Prints each run's figures and
the median. The messages to others are searched for the resident's phone, their cases'
codes and pieces of what they wrote: that scan is what grows with the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench.common import drop_database, make_database
from core.codes import ALPHABET, TrackingCode
from core.inquiries import Inquiry
from core.nomination import Nomination, NominationStatus, Nominator, Nominee, NomineeKind
from core.outbox import OutgoingMessage
from core.people import Consent, ConsentPurpose, User
from core.personal_data import erase_personal_data, plan_erasure
from core.subscriptions import Scope, Subscription
from storage.tables import OutboxRow
from storage.uow import Database, open_database

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
CHUNK = 5000


def code(n: int) -> TrackingCode:
    """Return the ``n``-th tracking code of the bench (canonical, unique)."""
    letters = []
    for _ in range(8):
        n, digit = divmod(n, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return TrackingCode(f"NT-{''.join(letters[:4])}-{''.join(letters[4:])}")


async def fill(db: Database, messages: int) -> None:
    async with db.uow() as uow:
        connection = await uow.session.connection()
        rows: list[dict[str, object]] = []
        for n in range(messages):
            chat = 7_000_000_000 + n % 5000
            at = NOW - timedelta(days=30) * (1 - n / messages)
            rows.append(
                {
                    "chat_id": chat,
                    "method": "sendMessage",
                    "params": {
                        "chat_id": chat,
                        "text": f"Đề cử {code(10_000_000 + n)} về Nguyễn Văn Bình đã tiếp nhận.",
                        "parse_mode": "HTML",
                    },
                    "created_at": at,
                    "status": "sent",
                    "attempts": 1,
                    "last_attempt_at": at,
                    "sent_at": at,
                }
            )
            if len(rows) == CHUNK:
                await connection.execute(insert(OutboxRow), rows)
                rows = []
        if rows:
            await connection.execute(insert(OutboxRow), rows)
        await uow.commit()


async def resident(db: Database, user_id: int, cases: int, first: int) -> None:
    """Give ``user_id`` an account, consent, cases, a subscription, a question, messages."""
    async with db.uow() as uow:
        await uow.users.save(User(user_id, "Trịnh Quỳnh Như Ý", "vi", None, NOW))
        await uow.consents.add(Consent(user_id, ConsentPurpose.NOMINATION, "2026-12-04", NOW))
        for n in range(cases):
            status = NominationStatus.VERIFYING if n % 2 else NominationStatus.PROPOSED
            await uow.nominations.add(
                Nomination(
                    code=code(first + n),
                    nominee=Nominee(NomineeKind.INDIVIDUAL, "Nguyễn Văn Bình"),
                    unit_key="phuong-hang-bac",
                    deed="Anh Bình nhặt được ví có 5 triệu đồng và trả lại người đánh rơi.",
                    deed_date=date(2026, 11, 20),
                    nominator=Nominator(user_id, "+84912345678"),
                    status=status,
                    created_at=NOW,
                    status_changed_at=NOW,
                )
            )
        await uow.subscriptions.add(Subscription(user_id, Scope.ALL, None, NOW))
        await uow.inquiries.add(Inquiry(user_id, "Xin hỏi hồ sơ của tôi đến đâu rồi ạ?", NOW))
        replies = [
            OutgoingMessage(user_id, "sendMessage", {"chat_id": user_id, "text": "Cảm ơn"}, NOW)
            for _ in range(20)
        ]
        await uow.outbox.add_many(replies, taken_by=None, at=NOW)
        await uow.commit()


async def erase(db: Database, user_id: int) -> tuple[float, float]:
    """Erase the resident; return the transaction's seconds (to commit) and the scrub's."""
    started = time.perf_counter()
    async with db.uow() as uow:
        plan = await plan_erasure(uow, user_id, chat_id=user_id)
        assert plan is not None
        await erase_personal_data(
            uow, user_id, chat_id=user_id, fingerprint=plan.fingerprint, now=NOW
        )
        await uow.commit()
    erased = time.perf_counter()
    await db.scrub()
    return erased - started, time.perf_counter() - erased


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, name = await make_database(args.db, Path(folder))
        db = await open_database(url, migrate=False)
        try:
            await fill(db, args.messages)
            print(f"{args.db}: {args.messages:,} messages to others, {args.cases} cases a run")
            erasures, scrubs = [], []
            for run in range(args.runs):
                user_id = 7_311_559_000 + run
                await resident(db, user_id, args.cases, first=run * 1000)
                took, scrubbed = await erase(db, user_id)
                erasures.append(took)
                scrubs.append(scrubbed)
                print(
                    f"run {run + 1}: erasure {took * 1000:.0f} ms, scrub {scrubbed * 1000:.0f} ms"
                )
            print(
                f"median: erasure {statistics.median(erasures) * 1000:.0f} ms, "
                f"scrub {statistics.median(scrubs) * 1000:.0f} ms"
            )
        finally:
            await db.dispose()
            if name is not None:
                await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
