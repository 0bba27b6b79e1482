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
* a dialog nobody touched for ``draft_days`` is deleted. A resident's nomination draft is
  announced the day before, with the date, once (the notice's claim is unique per dialog
  and moment of its last step, across processes), and is never deleted before the day its
  notice named.

The rules are pure functions of the stored times and ``now``; :func:`purge` applies them in
batches, each its own short transaction, so a large backlog never holds a lock for long.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.dialog import Dialog
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

# The claim of a draft's notice: one per dialog and moment of its last step.
DRAFT_NOTICE_KEY = "draft-deletion"


class PurgeKind(StrEnum):
    """What a purge removes, in the order it goes."""

    UPDATES = "updates"  # processed inbound updates: deleted
    DEAD_LETTERS = "dead_letters"  # updates set aside: deleted
    REPLIES = "replies"  # replies and notices that went: deleted
    BROADCAST_TEXTS = "broadcast_texts"  # broadcasts' messages: text emptied, row kept
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
    before. ``batch_size`` rows make one transaction; a run does at most ``max_batches`` of
    them per kind and leaves the rest to the next run.
    """

    updates: timedelta = timedelta(days=30)
    dead_letters: timedelta = timedelta(days=90)
    sent: timedelta = timedelta(days=30)
    draft_days: int = 30
    timezone: tzinfo = UTC
    run_time: time = time(9, 0)
    batch_size: int = 1000
    max_batches: int = 1000

    def __post_init__(self) -> None:
        if self.draft_days < 2:
            raise ValueError("drafts must be kept at least 2 days: the notice goes a day before")
        if self.batch_size < 1 or self.max_batches < 1:
            raise ValueError("a purge needs batches of at least one row")

    def updates_processed_before(self, now: datetime) -> datetime:
        """Return the instant before which a processed update goes."""
        return now - self.updates

    def dead_letters_set_aside_before(self, now: datetime) -> datetime:
        """Return the instant before which an update set aside goes."""
        return now - self.dead_letters

    def sent_before(self, now: datetime) -> datetime:
        """Return the instant before which a message that went loses its text."""
        return now - self.sent

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
_Batch = Callable[[UnitOfWork, int], Awaitable[int]]


async def purge(
    uow: UnitOfWork,
    policy: RetentionPolicy,
    now: datetime,
    *,
    notices: DraftNotices,
    dry_run: bool = False,
    keep_going: KeepGoing | None = None,
) -> PurgeReport:
    """Purge what is past its time at ``now``; with ``dry_run``, only count it.

    Each batch is one transaction, which first asks ``keep_going`` (when given) whether this
    process still holds the job. Idempotent: a second run at the same ``now`` finds nothing.
    A dry run counts every row due (even beyond one run's bound) and changes nothing.
    """
    report = PurgeReport(now, dry_run)
    if dry_run:
        await _count(uow, policy, now, report)
        await _drafts(uow, policy, now, report, notices, dry_run=True, keep_going=None)
        return report
    processed_before = policy.updates_processed_before(now)
    set_aside_before = policy.dead_letters_set_aside_before(now)

    async def updates(uow: UnitOfWork, limit: int) -> int:
        return await uow.inbound.delete_processed_before(processed_before, limit=limit)

    async def dead_letters(uow: UnitOfWork, limit: int) -> int:
        return await uow.inbound.delete_set_aside_before(set_aside_before, limit=limit)

    for kind, batch in ((PurgeKind.UPDATES, updates), (PurgeKind.DEAD_LETTERS, dead_letters)):
        if not await _deleting(uow, policy, report, kind, batch, keep_going):
            return report
    if not await _outbox(uow, policy, now, report, keep_going):
        return report
    await _drafts(uow, policy, now, report, notices, dry_run=False, keep_going=keep_going)
    return report


async def _count(uow: UnitOfWork, policy: RetentionPolicy, now: datetime, r: PurgeReport) -> None:
    async with uow:
        inbound = uow.inbound
        r.counts[PurgeKind.UPDATES] = await inbound.count_processed_before(
            policy.updates_processed_before(now)
        )
        r.counts[PurgeKind.DEAD_LETTERS] = await inbound.count_set_aside_before(
            policy.dead_letters_set_aside_before(now)
        )
        replies, texts = await uow.outbox.count_finished_before(policy.sent_before(now))
        r.counts[PurgeKind.REPLIES] = replies
        r.counts[PurgeKind.BROADCAST_TEXTS] = texts
    for kind, count in r.counts.items():
        if count > policy.batch_size * policy.max_batches:
            r.more.add(kind)


async def _deleting(
    uow: UnitOfWork,
    policy: RetentionPolicy,
    report: PurgeReport,
    kind: PurgeKind,
    batch: _Batch,
    keep_going: KeepGoing | None,
) -> bool:
    """Run ``batch`` until it removes fewer rows than a batch; False if the run must stop."""
    for _ in range(policy.max_batches):
        async with uow:
            if keep_going is not None and not await keep_going(uow):
                report.stopped = True
                return False
            removed = await batch(uow, policy.batch_size)
            await uow.commit()
        report.counts[kind] += removed
        if removed < policy.batch_size:
            return True
    report.more.add(kind)
    return True


async def _outbox(
    uow: UnitOfWork,
    policy: RetentionPolicy,
    now: datetime,
    report: PurgeReport,
    keep_going: KeepGoing | None,
) -> bool:
    """Delete replies and notices that went; empty the texts of broadcasts' messages.

    Walked in id order from where the last batch stopped: the broadcasts' rows stay, and a
    batch must not look at them again.
    """
    before = policy.sent_before(now)
    after = 0
    for _ in range(policy.max_batches):
        async with uow:
            if keep_going is not None and not await keep_going(uow):
                report.stopped = True
                return False
            found = await uow.outbox.finished_before(before, after=after, limit=policy.batch_size)
            replies = [m.id for m in found if m.broadcast_id is None]
            broadcasts = [m.id for m in found if m.broadcast_id is not None]
            deleted = await uow.outbox.delete_finished(replies)
            emptied = await uow.outbox.forget_texts(broadcasts)
            await uow.commit()
        report.counts[PurgeKind.REPLIES] += deleted
        report.counts[PurgeKind.BROADCAST_TEXTS] += emptied
        if len(found) < policy.batch_size:
            return True
        after = found[-1].id
    report.more.update({PurgeKind.REPLIES, PurgeKind.BROADCAST_TEXTS})
    return True


async def _drafts(
    uow: UnitOfWork,
    policy: RetentionPolicy,
    now: datetime,
    report: PurgeReport,
    notices: DraftNotices,
    *,
    dry_run: bool,
    keep_going: KeepGoing | None,
) -> None:
    """Tell residents of drafts deleted tomorrow; delete the dialogs whose day has come."""
    before = policy.drafts_idle_before(now)
    after: int | None = None
    for _ in range(policy.max_batches):
        async with uow:
            if keep_going is not None and not await keep_going(uow):
                report.stopped = True
                return
            dialogs = await uow.dialogs.idle(before, after=after, limit=policy.batch_size)
            keys = {d.chat_id: draft_notice_key(d) for d in dialogs if notices.concerns(d)}
            claimed = await uow.deadlines.notices_claimed(list(keys.values())) if keys else {}
            for dialog in dialogs:
                assert dialog.updated_at is not None
                key = keys.get(dialog.chat_id)
                fate = policy.draft_fate(
                    dialog.updated_at,
                    now,
                    noticed=key is not None,
                    noticed_at=claimed.get(key) if key is not None else None,
                )
                if fate.action is DraftAction.DELETE:
                    if dry_run or await uow.dialogs.delete_idle(
                        dialog.chat_id, idle_since=dialog.updated_at
                    ):
                        report.counts[PurgeKind.DRAFTS] += 1
                elif fate.action is DraftAction.NOTICE and key is not None and fate.day:
                    if dry_run:
                        report.counts[PurgeKind.DRAFT_NOTICES] += 1
                    elif await uow.deadlines.claim_notice(key, recipient_id=dialog.user_id, at=now):
                        queued = await uow.outbox.add(
                            await notices.message(uow, dialog, fate.day, now)
                        )
                        assert queued.id is not None
                        report.notice_ids.append(queued.id)
                        report.counts[PurgeKind.DRAFT_NOTICES] += 1
            if not dry_run:
                await uow.commit()
        if len(dialogs) < policy.batch_size:
            return
        after = dialogs[-1].chat_id
    report.more.update({PurgeKind.DRAFTS, PurgeKind.DRAFT_NOTICES})
