"""How long what the bot stores for its own work is kept, and the purge that ends it.

The privacy notice promises that nothing is kept longer than its purpose needs. What each
record is kept for decides when it goes and how:

* an update Telegram delivered is kept until it is processed, then ``updates`` longer for
  inspection, and deleted. Recognising a second delivery, its other use, ends within a day
  (Telegram keeps an update 24 hours). One not processed and not set aside is never purged:
  it still waits for its turn.
* an update set aside (a dead letter) is kept ``dead_letters`` for the operator to look at.
* a reply or a notice that went, or never will (sent, failed, expired), is deleted
  ``sent`` after it went: only messages still to send are read again (a chat's order).
* a broadcast's message keeps its row without its text: the broadcast's report counts its
  rows by outcome, and the row per chat is what keeps a recipient from getting it twice.
* a nomination not commended (not commended by the council, turned down, withdrawn,
  merged) is anonymised ``case_years`` after its last change, the retention the privacy
  notice states: it keeps its code, unit, kind, dates and status (the programme's counts)
  and loses the nominee's name, the deed, the place, the files, the nominator and what
  anyone wrote in its trail. A commended case is the record of an honour and is kept.
* a dialog nobody touched for ``draft_days`` is deleted. A resident's nomination draft is
  announced the day before, with the date, once (the notice's claim is unique per dialog
  and moment of its last step, across processes), and is never deleted before the day its
  notice named.

The rules are pure functions of the stored times and ``now``; :func:`purge` applies them in
batches, each its own short transaction, so a large backlog never holds a lock for long.
"""

from __future__ import annotations

import abc
import asyncio
import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.dialog import Dialog
from core.nomination import NominationStatus
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

S = NominationStatus
# The cases anonymised once past the retention: every final state but an honour.
EXPIRING_STATUSES = frozenset({S.NOT_COMMENDED, S.REJECTED, S.WITHDRAWN, S.MERGED})

# The claim of a draft's notice: one per dialog and moment of its last step.
DRAFT_NOTICE_KEY = "draft-deletion"


class PurgeKind(StrEnum):
    """What a purge removes, in the order it goes."""

    UPDATES = "updates"  # processed inbound updates: deleted
    DEAD_LETTERS = "dead_letters"  # updates set aside: deleted
    ZALO_EVENTS = "zalo_events"  # processed Zalo webhook events: deleted
    REPLIES = "replies"  # replies and notices that went: deleted
    BROADCAST_TEXTS = "broadcast_texts"  # broadcasts' messages: text emptied, row kept
    OLD_CASES = "old_cases"  # nominations not commended, past the retention: anonymised
    DRAFTS = "drafts"  # abandoned dialogs: deleted
    DRAFT_NOTICES = "draft_notices"  # notices the day before: queued in the outbox


class DraftAction(StrEnum):
    """What the purge does to an idle dialog now."""

    KEEP = "keep"
    NOTICE = "notice"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class DraftFate:
    """What happens to an idle dialog now; ``day``: the deletion day a notice names."""

    action: DraftAction
    day: date | None = None


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind is kept, when the daily run goes, and how much one run does.

    ``run_time`` is the local time of the daily run: a draft is deleted at the first run at
    least ``draft_days`` after its last step, and its notice goes at the run of the day
    before. ``batch_size`` rows make one transaction (a tenth as many dialogs); a run purges
    at most ``max_batches`` batches' worth of each kind and leaves the rest to the next run.
    """

    updates: timedelta = timedelta(days=30)
    dead_letters: timedelta = timedelta(days=90)
    sent: timedelta = timedelta(days=30)
    draft_days: int = 30
    case_years: int = 5
    timezone: tzinfo = UTC
    run_time: time = time(9, 0)
    batch_size: int = 1000
    max_batches: int = 1000

    def __post_init__(self) -> None:
        if self.draft_days < 2:
            raise ValueError("drafts must be kept at least 2 days: the notice goes a day before")
        if self.batch_size < 1 or self.max_batches < 1:
            raise ValueError("a purge needs batches of at least one row")

    @property
    def dialogs_per_batch(self) -> int:
        """Return how many dialogs one batch looks at: a tenth of the rows of other kinds.

        A dialog may cost a few statements (its notice's claim, the notice, its deletion),
        where a row of the other kinds costs a share of one.
        """
        return max(1, self.batch_size // 10)

    def updates_processed_before(self, now: datetime) -> datetime:
        """Return the instant before which a processed update goes."""
        return now - self.updates

    def dead_letters_set_aside_before(self, now: datetime) -> datetime:
        """Return the instant before which an update set aside goes."""
        return now - self.dead_letters

    def sent_before(self, now: datetime) -> datetime:
        """Return the instant before which a message that went loses its text."""
        return now - self.sent

    def cases_changed_before(self, now: datetime) -> datetime:
        """Return the instant before which a case not commended, last changed, is anonymised.

        ``case_years`` calendar years back (29 February falls back to the 28th).
        """
        year = now.year - self.case_years
        try:
            return now.replace(year=year)
        except ValueError:
            return now.replace(year=year, day=28)

    def deletion_day(self, idle_since: datetime) -> date:
        """Return the day a dialog untouched since ``idle_since`` is deleted.

        The first day whose run comes at least ``draft_days`` after ``idle_since``.
        """
        due = (idle_since + timedelta(days=self.draft_days)).astimezone(self.timezone)
        return due.date() + timedelta(days=1 if due.time() > self.run_time else 0)

    def drafts_idle_before(self, now: datetime) -> datetime:
        """Return an instant before which every dialog the purge may act on was last touched.

        A dialog's notice is due from the day before its deletion day, which is never
        earlier than the day ``draft_days`` after its last step.
        """
        today = now.astimezone(self.timezone).date()
        day_after_tomorrow = datetime.combine(today + timedelta(days=2), time(0), self.timezone)
        return day_after_tomorrow - timedelta(days=self.draft_days)

    def draft_fate(
        self,
        idle_since: datetime,
        now: datetime,
        *,
        noticed: bool,
        noticed_at: datetime | None = None,
    ) -> DraftFate:
        """Decide what happens now to a dialog untouched since ``idle_since``.

        ``noticed``: whether its resident is told before (a nomination draft); ``noticed_at``:
        when that notice was queued, if it was. A dialog without a notice goes once
        ``draft_days`` have passed. A draft's notice goes from the day before its deletion
        day; one that could only go later (the bot was stopped) names the next day instead,
        and the draft is deleted no earlier than the day its notice named.
        """
        today = now.astimezone(self.timezone).date()
        old_enough = now >= idle_since + timedelta(days=self.draft_days)
        if not noticed:
            return DraftFate(DraftAction.DELETE if old_enough else DraftAction.KEEP)
        day = self.deletion_day(idle_since)
        if noticed_at is None:
            if today >= day - timedelta(days=1):
                return DraftFate(DraftAction.NOTICE, max(day, today + timedelta(days=1)))
            return DraftFate(DraftAction.KEEP)
        named = max(day, noticed_at.astimezone(self.timezone).date() + timedelta(days=1))
        if old_enough and today >= named:
            return DraftFate(DraftAction.DELETE, named)
        return DraftFate(DraftAction.KEEP, named)


def draft_notice_key(dialog: Dialog) -> str:
    """Return the claim of the notice about this dialog as it stands (its last step)."""
    assert dialog.updated_at is not None
    return f"{DRAFT_NOTICE_KEY}:{dialog.chat_id}:{dialog.updated_at.astimezone(UTC).isoformat()}"


class DraftNotices(abc.ABC):
    """How the edge tells a resident their draft is about to be deleted (core renders nothing)."""

    @abc.abstractmethod
    def concerns(self, dialog: Dialog) -> bool:
        """Tell whether the dialog holds the resident's work, worth a notice (a draft)."""

    @abc.abstractmethod
    async def message(
        self, uow: UnitOfWork, dialog: Dialog, day: date, now: datetime
    ) -> OutgoingMessage:
        """Return the notice that ``dialog`` will be deleted on ``day``, queued at ``now``."""


@dataclass(slots=True)
class PurgeReport:
    """What a purge did, or would do (``dry_run``), per kind.

    ``more``: kinds the run's bound stopped before their end (the next run goes on);
    ``stopped``: another process took the job over, so this one stopped; ``notice_ids``: the
    outbox ids of the notices queued, for the caller to send.
    """

    now: datetime
    dry_run: bool
    counts: dict[PurgeKind, int] = field(default_factory=lambda: dict.fromkeys(PurgeKind, 0))
    more: set[PurgeKind] = field(default_factory=set)
    stopped: bool = False
    notice_ids: list[int] = field(default_factory=list)


# Called first in each batch's transaction (a lease renewed): False stops the run there.
KeepGoing = Callable[[UnitOfWork], Awaitable[bool]]
# Awaited before each batch, outside any transaction: the process's other tasks go first.
Pause = Callable[[], Awaitable[None]]


async def purge(
    uow: UnitOfWork,
    policy: RetentionPolicy,
    now: datetime,
    *,
    notices: DraftNotices,
    dry_run: bool = False,
    keep_going: KeepGoing | None = None,
    pause: Pause | None = None,
) -> PurgeReport:
    """Purge what is past its time at ``now``; with ``dry_run``, only count it.

    Each batch is one transaction, which first asks ``keep_going`` (when given) whether this
    process still holds the job; ``pause`` is awaited before each (by default a bare yield
    to the other tasks). Idempotent: a second run at the same ``now`` finds nothing. A dry
    run counts every row due (even beyond one run's bound) and changes nothing.
    """
    run = _Run(uow, policy, now, PurgeReport(now, dry_run), keep_going, pause or _let_others_in)
    if dry_run:
        await run.count()
        await run.drafts(notices)
        return run.report
    processed_before = policy.updates_processed_before(now)
    set_aside_before = policy.dead_letters_set_aside_before(now)

    async def updates(uow: UnitOfWork, limit: int) -> int:
        return await uow.inbound.delete_processed_before(processed_before, limit=limit)

    async def dead_letters(uow: UnitOfWork, limit: int) -> int:
        return await uow.inbound.delete_set_aside_before(set_aside_before, limit=limit)

    async def zalo_events(uow: UnitOfWork, limit: int) -> int:
        return await uow.zalo_events.delete_processed_before(processed_before, limit=limit)

    changed_before = policy.cases_changed_before(now)

    async def old_cases(uow: UnitOfWork, limit: int) -> int:
        return await uow.erasure.anonymise_cases(
            EXPIRING_STATUSES, changed_before=changed_before, now=now, limit=limit
        )

    if (
        await run.deleting(PurgeKind.UPDATES, updates)
        and await run.deleting(PurgeKind.DEAD_LETTERS, dead_letters)
        and await run.deleting(PurgeKind.ZALO_EVENTS, zalo_events)
        and await run.outbox()
        and await run.deleting(PurgeKind.OLD_CASES, old_cases)
    ):
        await run.drafts(notices)
    return run.report


async def _let_others_in() -> None:
    """Give the process's other tasks (turns, sending) their turn before the next batch.

    A store may run its statements on the event loop itself (SQLite, inline): without a
    pause a long purge would hold the loop for its whole length, not one batch's.
    """
    await asyncio.sleep(0)


@dataclass(slots=True)
class _Run:
    """One purge: its batches, each a transaction of its own, and what they did."""

    uow: UnitOfWork
    policy: RetentionPolicy
    now: datetime
    report: PurgeReport
    keep_going: KeepGoing | None
    pause: Pause

    async def batches(self, *, bounded: bool = True) -> AsyncGenerator[UnitOfWork, None]:
        """Open each batch's transaction, up to the run's bound; stop if the job is lost.

        Each is rolled back unless the batch commits it. Iterate inside ``aclosing``: a batch
        that ends the walk early closes its transaction then, not when collected.
        """
        for _ in range(self.policy.max_batches) if bounded else itertools.count():
            await self.pause()
            async with self.uow as uow:
                if self.keep_going is not None and not await self.keep_going(uow):
                    self.report.stopped = True
                    return
                yield uow

    async def count(self) -> None:
        """Count what the deleting kinds would remove (a dry run)."""
        counts, policy = self.report.counts, self.policy
        async with self.uow as uow:
            counts[PurgeKind.UPDATES] = await uow.inbound.count_processed_before(
                policy.updates_processed_before(self.now)
            )
            counts[PurgeKind.DEAD_LETTERS] = await uow.inbound.count_set_aside_before(
                policy.dead_letters_set_aside_before(self.now)
            )
            counts[PurgeKind.ZALO_EVENTS] = await uow.zalo_events.count_processed_before(
                policy.updates_processed_before(self.now)
            )
            replies, texts = await uow.outbox.count_finished_before(policy.sent_before(self.now))
            counts[PurgeKind.OLD_CASES] = await uow.erasure.count_cases_to_anonymise(
                EXPIRING_STATUSES, changed_before=policy.cases_changed_before(self.now)
            )
        counts[PurgeKind.REPLIES], counts[PurgeKind.BROADCAST_TEXTS] = replies, texts
        for kind, count in counts.items():
            if count > policy.batch_size * policy.max_batches:
                self.report.more.add(kind)

    async def deleting(
        self, kind: PurgeKind, batch: Callable[[UnitOfWork, int], Awaitable[int]]
    ) -> bool:
        """Run ``batch`` until it removes less than a batch; False if the run must stop."""
        async with aclosing(self.batches()) as batches:
            async for uow in batches:
                removed = await batch(uow, self.policy.batch_size)
                await uow.commit()
                self.report.counts[kind] += removed
                if removed < self.policy.batch_size:
                    return True
        return self._ended({kind})

    async def outbox(self) -> bool:
        """Delete replies and notices that went; empty the texts of broadcasts' messages.

        Walked in windows of the id order, from the oldest row to the first window queued
        after the cutoff: the broadcasts' rows stay, and are read once a run. The bound
        counts the rows purged, not the windows walked to find them.
        """
        before, after, purged = self.policy.sent_before(self.now), 0, 0
        bound = self.policy.batch_size * self.policy.max_batches
        async with aclosing(self.batches(bounded=False)) as batches:
            async for uow in batches:
                window = await uow.outbox.finished_before(
                    before, after=after, limit=self.policy.batch_size
                )
                replies = [m.id for m in window.due if m.broadcast_id is None]
                broadcasts = [m.id for m in window.due if m.broadcast_id is not None]
                deleted = await uow.outbox.delete_finished(replies)
                emptied = await uow.outbox.forget_texts(broadcasts)
                await uow.commit()
                self.report.counts[PurgeKind.REPLIES] += deleted
                self.report.counts[PurgeKind.BROADCAST_TEXTS] += emptied
                purged += deleted + emptied
                if window.last_id is None or window.young:
                    return True
                if purged >= bound:
                    break
                after = window.last_id
        return self._ended({PurgeKind.REPLIES, PurgeKind.BROADCAST_TEXTS})

    async def drafts(self, notices: DraftNotices) -> bool:
        """Tell residents of drafts deleted tomorrow; delete the dialogs whose day has come."""
        before, after = self.policy.drafts_idle_before(self.now), None
        page = self.policy.dialogs_per_batch
        async with aclosing(self.batches()) as batches:
            async for uow in batches:
                dialogs = await uow.dialogs.idle(before, after=after, limit=page)
                keys = {d.chat_id: draft_notice_key(d) for d in dialogs if notices.concerns(d)}
                claimed = await uow.deadlines.notices_claimed(list(keys.values())) if keys else {}
                told: list[OutgoingMessage] = []
                for dialog in dialogs:
                    key = keys.get(dialog.chat_id)
                    noticed_at = claimed.get(key) if key is not None else None
                    message = await self._draft(uow, dialog, key, noticed_at, notices)
                    if message is not None:
                        told.append(message)
                if not self.report.dry_run:
                    queued = await uow.outbox.add_many(told, taken_by=None, at=self.now)
                    await uow.commit()
                    self.report.notice_ids.extend(m.id for m in queued if m.id is not None)
                if len(dialogs) < page:
                    return True
                after = dialogs[-1].chat_id
        return self._ended({PurgeKind.DRAFTS, PurgeKind.DRAFT_NOTICES})

    async def _draft(
        self,
        uow: UnitOfWork,
        dialog: Dialog,
        key: str | None,
        noticed_at: datetime | None,
        notices: DraftNotices,
    ) -> OutgoingMessage | None:
        """Do to one idle dialog what its fate says; return the notice to queue, if one.

        In a dry run, only count it.
        """
        assert dialog.updated_at is not None
        fate = self.policy.draft_fate(
            dialog.updated_at, self.now, noticed=key is not None, noticed_at=noticed_at
        )
        counts, dry_run = self.report.counts, self.report.dry_run
        if fate.action is DraftAction.DELETE:
            if dry_run or await uow.dialogs.delete_idle(
                dialog.chat_id, idle_since=dialog.updated_at
            ):
                counts[PurgeKind.DRAFTS] += 1
        elif fate.action is DraftAction.NOTICE and key is not None and fate.day is not None:
            if dry_run:
                counts[PurgeKind.DRAFT_NOTICES] += 1
            elif await uow.deadlines.claim_notice(key, recipient_id=dialog.user_id, at=self.now):
                counts[PurgeKind.DRAFT_NOTICES] += 1
                return await notices.message(uow, dialog, fate.day, self.now)
        return None

    def _ended(self, kinds: set[PurgeKind]) -> bool:
        """Say why the batches ended short of the end: lost the job (False), or the bound."""
        if self.report.stopped:
            return False
        self.report.more.update(kinds)
        return True
