"""The retention purge's queries, and the purge over them, on SQLite and PostgreSQL.

Each query must take what is past its time and nothing else: rows a second inside their
window, updates still waiting, messages still to send and dialogs touched since are kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from core.broadcasts import Outcome
from core.dialog import Dialog
from core.outbox import FinishedMessage, OutboxStatus, OutboxWindow, OutgoingMessage
from core.ports import UnitOfWork
from core.retention import (
    DraftNotices,
    PurgeKind,
    RetentionPolicy,
    draft_notice_key,
    purge,
)
from core.zalo import ZaloEvent
from storage.tables import InboundUpdateRow, OutboxRow
from storage.uow import Database

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
CUTOFF = NOW - timedelta(days=30)
SECOND = timedelta(seconds=1)
CHAT = 7_123_456_789


async def _store_updates(database: Database, *updates: tuple[int, datetime]) -> None:
    """Store updates received at the given times, each processed at once."""
    async with database.uow() as uow:
        for update_id, at in updates:
            await uow.inbound.record(update_id, {"update_id": update_id}, at, chat_id=CHAT)
            assert await uow.inbound.claim(update_id, at)
        await uow.commit()


async def _update_ids(database: Database) -> set[int]:
    async with database.uow() as uow:
        return set(await uow.session.scalars(select(InboundUpdateRow.update_id)))


async def test_processed_updates_go_oldest_first_in_batches_and_the_rest_stays(
    database: Database,
) -> None:
    await _store_updates(
        database,
        (1, CUTOFF - timedelta(days=3)),
        (2, CUTOFF - timedelta(days=2)),
        (3, CUTOFF - SECOND),
        (4, CUTOFF + SECOND),  # a second inside the window
        (5, NOW),
    )
    async with database.uow() as uow:
        await uow.inbound.record(6, {"update_id": 6}, CUTOFF - timedelta(days=9), chat_id=CHAT)
        await uow.commit()  # stored long ago, never processed: it still waits

    async with database.uow() as uow:
        assert await uow.inbound.count_processed_before(CUTOFF) == 3
        assert await uow.inbound.delete_processed_before(CUTOFF, limit=2) == 2
        await uow.commit()
    assert await _update_ids(database) == {3, 4, 5, 6}

    async with database.uow() as uow:
        assert await uow.inbound.delete_processed_before(CUTOFF, limit=2) == 1
        assert await uow.inbound.delete_processed_before(CUTOFF, limit=2) == 0
        assert await uow.inbound.count_processed_before(CUTOFF) == 0
        await uow.commit()
    assert await _update_ids(database) == {4, 5, 6}


async def test_dead_letters_go_after_their_own_time_unless_put_back(database: Database) -> None:
    long_ago = NOW - timedelta(days=100)
    async with database.uow() as uow:
        for update_id in (11, 12, 13, 14):
            await uow.inbound.record(update_id, {"update_id": update_id}, long_ago, chat_id=CHAT)
        assert await uow.inbound.set_aside(11, long_ago, "cannot be read: TypeError")
        assert await uow.inbound.set_aside(12, long_ago, "cannot be read: TypeError")
        assert await uow.inbound.set_aside(13, NOW - timedelta(days=89), "its turn failed")
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.inbound.put_back(12)  # waiting again: not a dead letter any more
        await uow.commit()

    before = NOW - timedelta(days=90)
    async with database.uow() as uow:
        assert await uow.inbound.count_set_aside_before(before) == 1
        assert await uow.inbound.delete_set_aside_before(before, limit=10) == 1
        # Not what the processed updates' purge takes either: none of them was processed.
        assert await uow.inbound.delete_processed_before(NOW, limit=10) == 0
        await uow.commit()
    assert await _update_ids(database) == {12, 13, 14}


def _message(
    status: OutboxStatus,
    at: datetime,
    *,
    broadcast_id: int | None = None,
    chat_id: int = CHAT,
) -> dict[str, object]:
    """An outbox row as the sender leaves it: sent (or given up) at ``at``, or still waiting."""
    went = status is not OutboxStatus.PENDING
    return {
        "chat_id": chat_id,
        "method": "sendMessage",
        "params": {"chat_id": chat_id, "text": "Nguyễn Thị Lan, đề cử NT-ABCD-EFGH"},
        "created_at": at - timedelta(minutes=1),
        "status": status.value,
        "attempts": 1 if went else 0,
        "last_attempt_at": at if went else None,
        "sent_at": at if status is OutboxStatus.SENT else None,
        "broadcast_id": broadcast_id,
    }


async def _outbox(database: Database, *rows: dict[str, object]) -> list[int]:
    async with database.uow() as uow:
        added = []
        for values in rows:
            row = OutboxRow(**values)
            uow.session.add(row)
            await uow.session.flush()
            added.append(row.id)
        await uow.commit()
    return added


async def test_messages_that_went_are_found_window_by_window_and_only_those(
    database: Database,
) -> None:
    old = CUTOFF - timedelta(days=1)
    ids = await _outbox(
        database,
        _message(OutboxStatus.SENT, old),
        _message(OutboxStatus.PENDING, old),  # still to send (its back-off)
        _message(OutboxStatus.FAILED, old),
        _message(OutboxStatus.EXPIRED, old),
        _message(OutboxStatus.SENT, CUTOFF + SECOND),  # inside the window
        _message(OutboxStatus.SENT, old, broadcast_id=5, chat_id=1),
        _message(OutboxStatus.CANCELLED, old, broadcast_id=5, chat_id=2),
        _message(OutboxStatus.SENDING, old, broadcast_id=5, chat_id=3),
        _message(OutboxStatus.SENT, NOW, chat_id=4),
        _message(OutboxStatus.SENT, NOW, chat_id=5),
    )
    sent, _pending, failed, expired, _recent, delivered, cancelled, sending, *young = ids

    async with database.uow() as uow:
        walk = [await uow.outbox.finished_before(CUTOFF, after=0, limit=4)]
        while walk[-1].last_id is not None and not walk[-1].young:
            walk.append(await uow.outbox.finished_before(CUTOFF, after=walk[-1].last_id, limit=4))
        assert await uow.outbox.count_finished_before(CUTOFF) == (3, 2)
    assert walk == [
        OutboxWindow(
            (FinishedMessage(sent), FinishedMessage(failed), FinishedMessage(expired)),
            expired,
            young=False,
        ),
        OutboxWindow(
            (FinishedMessage(delivered, 5), FinishedMessage(cancelled, 5)), sending, young=False
        ),
        OutboxWindow((), young[-1], young=True),  # queued after the cutoff: the walk ends
    ]
    async with database.uow() as uow:
        assert await uow.outbox.finished_before(CUTOFF, after=young[-1], limit=4) == OutboxWindow(
            (), None, young=True
        )


async def test_replies_are_deleted_and_a_broadcasts_rows_keep_their_outcomes_without_text(
    database: Database,
) -> None:
    old = CUTOFF - timedelta(days=1)
    reply, pending, delivered, blocked = await _outbox(
        database,
        _message(OutboxStatus.SENT, old),
        _message(OutboxStatus.PENDING, old),
        _message(OutboxStatus.SENT, old, broadcast_id=7, chat_id=1),
        _message(OutboxStatus.FAILED, old, broadcast_id=7, chat_id=2) | {"failure": "blocked"},
    )
    async with database.uow() as uow:
        outcomes = await uow.outbox.broadcast_outcomes(7)
        # Only what went: a message still to send is neither deleted nor emptied.
        assert await uow.outbox.delete_finished([reply, pending]) == 1
        assert await uow.outbox.forget_texts([delivered, blocked, pending]) == 2
        await uow.commit()

    async with database.uow() as uow:
        rows = {row.id: row for row in await uow.session.scalars(select(OutboxRow))}
        assert set(rows) == {pending, delivered, blocked}
        assert rows[delivered].params == {} and rows[blocked].params == {}
        assert rows[pending].params["text"].startswith("Nguyễn Thị Lan")
        assert await uow.outbox.broadcast_outcomes(7) == outcomes
        assert outcomes == {Outcome.DELIVERED: 1, Outcome.BLOCKED: 1}
        # Emptied, they are not found again: the next walk does not rewrite them.
        assert (await uow.outbox.finished_before(CUTOFF, after=0, limit=10)).due == ()
        assert await uow.outbox.count_finished_before(CUTOFF) == (0, 0)


def _dialog(chat_id: int, idle_since: datetime, flow: str = "n") -> Dialog:
    return Dialog(
        chat_id, chat_id, flow, "name", {"draft": {"nominee_kind": "individual"}}, 3, idle_since
    )


async def test_idle_dialogs_come_by_chat_and_one_touched_since_is_not_deleted(
    database: Database,
) -> None:
    before = NOW - timedelta(days=29)
    async with database.uow() as uow:
        for dialog in (
            _dialog(30, before - timedelta(days=5)),
            _dialog(10, before - SECOND),
            _dialog(20, before),  # not before: kept out
            _dialog(40, before - timedelta(days=1), flow="s"),
        ):
            await uow.dialogs.save(dialog)
        await uow.commit()

    async with database.uow() as uow:
        first = await uow.dialogs.idle(before, after=None, limit=2)
        rest = await uow.dialogs.idle(before, after=first[-1].chat_id, limit=2)
    assert [d.chat_id for d in first] == [10, 30] and [d.chat_id for d in rest] == [40]
    assert first[0] == _dialog(10, before - SECOND)

    # The resident of chat 10 takes a step while the purge looks at the dialog.
    touched = _dialog(10, NOW)
    async with database.uow() as uow:
        await uow.dialogs.save(touched)
        await uow.commit()
    async with database.uow() as uow:
        assert not await uow.dialogs.delete_idle(10, idle_since=before - SECOND)
        assert await uow.dialogs.delete_idle(30, idle_since=before - timedelta(days=5))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.dialogs.get(10) == touched
        assert await uow.dialogs.get(30) is None


async def test_notices_claimed_says_when_each_was_first_claimed(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.deadlines.claim_notice("draft-deletion:1:x", recipient_id=1, at=NOW)
        assert await uow.deadlines.claim_notice("other", recipient_id=2, at=NOW + SECOND)
        await uow.commit()
    async with database.uow() as uow:
        claimed = await uow.deadlines.notices_claimed(["draft-deletion:1:x", "never", "other"])
        assert await uow.deadlines.notices_claimed([]) == {}
    assert claimed == {"draft-deletion:1:x": NOW, "other": NOW + SECOND}


# --- The purge over these queries -------------------------------------------------------


class _Notices(DraftNotices):
    def concerns(self, dialog: Dialog) -> bool:
        return dialog.flow == "n"

    async def message(
        self, uow: UnitOfWork, dialog: Dialog, day: date, now: datetime
    ) -> OutgoingMessage:
        text = f"deleted on {day:%d/%m/%Y}"
        return OutgoingMessage(dialog.chat_id, "sendMessage", {"text": text}, now)


# The daily run at NOW's time of day, in UTC.
POLICY = RetentionPolicy(batch_size=2, timezone=UTC, run_time=NOW.time())


async def _fill(database: Database) -> None:
    """Five updates and five replies past their time, one of each inside it, two drafts."""
    await _store_updates(
        database,
        *((n, CUTOFF - timedelta(hours=n)) for n in range(1, 6)),
        (9, CUTOFF + SECOND),
    )
    await _outbox(
        database,
        *(_message(OutboxStatus.SENT, CUTOFF - timedelta(hours=n)) for n in range(1, 6)),
        _message(OutboxStatus.SENT, CUTOFF + SECOND),
    )
    async with database.uow() as uow:
        await uow.dialogs.save(_dialog(1, NOW - timedelta(days=29, hours=1)))  # notice today
        await uow.dialogs.save(_dialog(2, NOW - timedelta(days=31), flow="s"))  # goes
        await uow.dialogs.save(_dialog(3, NOW - timedelta(days=3)))
        await uow.commit()


async def _counts(database: Database) -> tuple[int, int, int]:
    async with database.uow() as uow:
        session = uow.session
        updates = await session.scalar(select(func.count()).select_from(InboundUpdateRow))
        messages = await session.scalar(select(func.count()).select_from(OutboxRow))
        dialogs = len(await uow.dialogs.idle(NOW, after=None, limit=100))
    return int(updates or 0), int(messages or 0), dialogs


async def _zalo_events(database: Database) -> None:
    """Three Zalo events: two processed long ago (purged), one waiting since then (kept)."""
    async with database.uow() as uow:
        for number, processed in enumerate((True, True, False)):
            event = ZaloEvent(
                event_id=f"msg:{number}",
                event_name="user_send_text",
                sender_id="2468458835296117922",
                payload={"message": {"text": "đề cử"}},
                occurred_at=NOW - timedelta(days=40),
                received_at=NOW - timedelta(days=40),
            )
            await uow.zalo_events.record(event)
            if processed:
                await uow.zalo_events.claim(event.event_id, at=NOW - timedelta(days=31))
        await uow.commit()


async def test_a_dry_run_counts_what_a_run_then_purges_in_batches(database: Database) -> None:
    await _fill(database)
    await _zalo_events(database)
    dry = await purge(database.uow(), POLICY, NOW, notices=_Notices(), dry_run=True)
    assert await _counts(database) == (6, 6, 3)  # nothing changed
    done = await purge(database.uow(), POLICY, NOW, notices=_Notices())

    expected = {
        PurgeKind.UPDATES: 5,
        PurgeKind.DEAD_LETTERS: 0,
        PurgeKind.ZALO_EVENTS: 2,
        PurgeKind.REPLIES: 5,
        PurgeKind.BROADCAST_TEXTS: 0,
        PurgeKind.OLD_CASES: 0,
        PurgeKind.DRAFTS: 1,
        PurgeKind.DRAFT_NOTICES: 1,
    }
    assert dry.counts == expected and done.counts == expected
    assert dry.notice_ids == [] and len(done.notice_ids) == 1
    # The notice is queued: one message more in the outbox.
    assert await _counts(database) == (1, 2, 2)
    async with database.uow() as uow:
        assert [e.event_id for e in await uow.zalo_events.waiting(limit=10)] == ["msg:2"]
        assert await uow.zalo_events.get("msg:0") is None
    async with database.uow() as uow:
        (notice,) = await uow.outbox.pending(limit=10)
        assert notice.params == {"text": "deleted on 27/11/2026"}
        claimed = await uow.deadlines.notices_claimed(
            [draft_notice_key(_dialog(1, NOW - timedelta(days=29, hours=1)))]
        )
    assert list(claimed.values()) == [NOW]

    again = await purge(database.uow(), POLICY, NOW, notices=_Notices())
    assert set(again.counts.values()) == {0}


async def test_a_run_stops_at_its_bound_or_when_it_loses_the_job(database: Database) -> None:
    await _fill(database)
    bounded = RetentionPolicy(batch_size=2, max_batches=2, timezone=UTC)
    report = await purge(database.uow(), bounded, NOW, notices=_Notices())
    assert report.counts[PurgeKind.UPDATES] == 4 and report.counts[PurgeKind.REPLIES] == 4
    assert {PurgeKind.UPDATES, PurgeKind.REPLIES} <= report.more

    calls = 0

    async def lost_after_one_batch(uow: UnitOfWork) -> bool:
        nonlocal calls
        calls += 1
        return calls == 1

    stopped = await purge(
        database.uow(), POLICY, NOW, notices=_Notices(), keep_going=lost_after_one_batch
    )
    assert stopped.stopped and stopped.counts[PurgeKind.UPDATES] == 1
    assert stopped.counts[PurgeKind.REPLIES] == 0 and stopped.notice_ids == []
