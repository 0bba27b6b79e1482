"""``ntvt privacy purge [--dry-run]`` as an operator runs it, as a process, on SQLite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.dialog import Dialog
from core.outbox import OutgoingMessage
from storage.tables import DialogRow, InboundUpdateRow, OutboxRow
from storage.uow import SqlUnitOfWork, open_database
from tests.e2e.conftest import sqlite_url
from tests.e2e.test_cli import assert_one_line_error, run_ntvt

pytestmark = pytest.mark.e2e

NOW = "2026-11-26T09:00:00+07:00"
AT = datetime.fromisoformat(NOW)
DRAFT_CHAT, LOOKUP_CHAT, FRESH_CHAT = 3401, 3402, 3403

DRY_RUN = [
    "ntvt: privacy purge at 26/11/2026 09:00 (Asia/Ho_Chi_Minh): dry run, nothing changed",
    "what                                  kept         rows  action",
    "processed updates (inbound journal)   30 days         3  would be deleted",
    "updates set aside (dead letters)      90 days         1  would be deleted",
    "processed Zalo events                 30 days         0  would be deleted",
    "sent replies and notices (outbox)     30 days         2  would be deleted",
    "sent broadcast messages (outbox)      30 days         1  text would be emptied, row kept",
    "nominations not commended             5 years         0  would be anonymised",
    "abandoned dialogs and drafts          30 days         1  would be deleted",
    "notices: draft deleted tomorrow       -               1  would be queued",
]


async def fill(url: str) -> None:
    """What a year-old bot leaves: some of it past its time, some a moment inside."""
    db = await open_database(url)
    try:
        async with db.uow() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            for update_id, days in ((1, 40), (2, 31), (3, 30.01), (4, 29.99)):
                at = AT - timedelta(days=days)
                await uow.inbound.record(update_id, {"update_id": update_id}, at, chat_id=1)
                await uow.inbound.claim(update_id, at)
            await uow.inbound.record(5, {"update_id": 5}, AT - timedelta(days=200))  # waits
            await uow.inbound.record(6, {"update_id": 6}, AT - timedelta(days=91))
            await uow.inbound.set_aside(6, AT - timedelta(days=91), "cannot be read: TypeError")
            for days, broadcast in ((45, None), (31, None), (29, None), (31, 9)):
                at = AT - timedelta(days=days)
                message = OutgoingMessage(1, "sendMessage", {"text": "Chào Lan"}, at)
                (queued,) = await uow.outbox.add_many([message], taken_by=None, at=at)
                assert queued.id is not None
                await uow.outbox.mark_sent(queued.id, at=at, sent_message_id=1)
                if broadcast is not None:
                    row = await uow.session.get(OutboxRow, queued.id)
                    assert row is not None
                    row.broadcast_id = broadcast
            await uow.outbox.add(
                OutgoingMessage(2, "sendMessage", {"text": "…"}, AT - timedelta(days=60))
            )
            idle = AT - timedelta(days=29, hours=1)
            await uow.dialogs.save(
                Dialog(DRAFT_CHAT, DRAFT_CHAT, "n", "name", {"draft": {}}, 2, idle)
            )
            await uow.dialogs.save(
                Dialog(LOOKUP_CHAT, LOOKUP_CHAT, "s", "code", {}, 1, AT - timedelta(days=31))
            )
            await uow.dialogs.save(
                Dialog(FRESH_CHAT, FRESH_CHAT, "n", "deed", {"draft": {}}, 4, AT)
            )
            await uow.commit()
    finally:
        await db.dispose()


async def counts(url: str) -> tuple[int, int, int, int]:
    """Updates, outbox rows, dialogs, and outbox rows still holding their text."""
    db = await open_database(url, migrate=False)
    try:
        async with db.uow() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            session = uow.session
            return (
                len((await session.scalars(select(InboundUpdateRow.update_id))).all()),
                len((await session.scalars(select(OutboxRow.id))).all()),
                len((await session.scalars(select(DialogRow.chat_id))).all()),
                len([p for p in await session.scalars(select(OutboxRow.params)) if p]),
            )
    finally:
        await db.dispose()


def test_privacy_purge_counts_then_purges_what_is_past_its_time(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    asyncio.run(fill(url))
    before = asyncio.run(counts(url))
    assert before == (6, 5, 3, 5)

    dry = run_ntvt(
        "privacy", "purge", "--dry-run", "--now", NOW, cwd=tmp_path, NTVT_DATABASE_URL=url
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == DRY_RUN
    assert asyncio.run(counts(url)) == before

    done = run_ntvt("privacy", "purge", "--now", NOW, cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ntvt: privacy purge at 26/11/2026 09:00 (Asia/Ho_Chi_Minh): done",
        *(
            line.replace("text would be emptied", "text emptied").replace("would be ", "")
            for line in DRY_RUN[1:]
        ),
        "the running bot sends the notices queued (ntvt run or ntvt serve)",
    ]
    # Left: the update inside its window and the one waiting; the reply inside its window,
    # the broadcast's row (emptied), the message still to send and the notice just queued;
    # the draft noticed and the fresh one.
    assert asyncio.run(counts(url)) == (2, 4, 2, 3)

    again = run_ntvt("privacy", "purge", "--now", NOW, cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    rows = [line.split() for line in again.stdout.splitlines()[2:]]
    assert len(rows) == 8 and all("0" in row for row in rows), again.stdout


def test_privacy_purge_refuses_a_time_it_cannot_read_in_one_line(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ntvt.db")
    result = run_ntvt("privacy", "purge", "--now", "hôm qua", cwd=tmp_path, NTVT_DATABASE_URL=url)
    assert_one_line_error(result, "--now", "2026-05-01T09:00+07:00")
