"""The daily purge of what the bot keeps for its own work (see :mod:`core.retention`).

Run once a day, at ``NTVT_PURGE_TIME``, by one process at a time: the holder of the
``retention`` lease, taken as the deadline notices take theirs and renewed in every batch's
transaction, so a process that lost it stops at its next batch. ``ntvt privacy purge`` runs
the same purge from the shell (``--dry-run`` only counts). Both are idempotent: the notices
of drafts about to go are claimed once, and what was purged is not found again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from datetime import date, datetime, timedelta

from bot.conversations.nomination import FLOW as DRAFT_FLOW
from bot.messages import locale_of, text_message
from bot.rendering import Renderer
from bot.runtime import Runtime
from bot.settings import Settings
from bot.zalo.media import FILE_ID_PREFIX, MediaStore, media_key
from core import retention
from core.dialog import Dialog
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork
from core.retention import DraftNotices, PurgeKind, PurgeReport, RetentionPolicy

log = logging.getLogger(__name__)

LEASE = "retention"
# Seconds between looks at whether the day's purge is due, and at the lease.
CHECK_SECONDS = 60.0
# A media file younger than this is left by the daily sweep: its turn may not have stored
# its file id yet (a download, then the transaction).
MEDIA_GRACE = timedelta(hours=1)


def retention_policy(settings: Settings) -> RetentionPolicy:
    """Return how long each kind is kept, as configured."""
    return RetentionPolicy(
        updates=timedelta(days=settings.retention_updates_days),
        dead_letters=timedelta(days=settings.retention_dead_letters_days),
        sent=timedelta(days=settings.retention_sent_days),
        draft_days=settings.retention_draft_days,
        case_years=settings.retention_years,
        timezone=settings.tz,
        run_time=settings.purge_time,
        batch_size=settings.purge_batch,
    )


class DraftDeletionNotices(DraftNotices):
    """A nomination draft's resident is told, in their language, the day before it goes.

    Other dialogs (a lookup, a question being typed, an officer's form) hold no work of a
    resident's worth a notice: they go without one.
    """

    def __init__(self, renderer: Renderer, default_locale: str) -> None:
        self._renderer = renderer
        self._default_locale = default_locale

    def concerns(self, dialog: Dialog) -> bool:
        """Tell whether the dialog is a nomination draft."""
        return dialog.flow == DRAFT_FLOW

    async def message(
        self, uow: UnitOfWork, dialog: Dialog, day: date, now: datetime
    ) -> OutgoingMessage:
        """Return the notice that the draft will be deleted on ``day``."""
        locale = await locale_of(uow, dialog.user_id, self._default_locale)
        return text_message(
            self._renderer, dialog.chat_id, locale, "notices/draft_deletion", now=now, day=day
        )


async def purge(
    rt: Runtime,
    now: datetime,
    *,
    dry_run: bool = False,
    keep_going: retention.KeepGoing | None = None,
    pause: retention.Pause | None = None,
) -> PurgeReport:
    """Purge what is past its time at ``now``, send the notices it queued, scrub the files.

    What the purge deleted leaves the database's files too (:meth:`storage.uow.Database.scrub`): the
    SQLite write-ahead log is checkpointed and truncated, PostgreSQL's tables vacuumed.
    """
    report = await retention.purge(
        rt.uow(),
        retention_policy(rt.settings),
        now,
        notices=DraftDeletionNotices(rt.renderer, rt.settings.default_locale),
        dry_run=dry_run,
        keep_going=keep_going,
        pause=pause,
    )
    if report.notice_ids and rt.sender is not None:
        await rt.sender.send_ids(report.notice_ids)
    if not dry_run and rt.scrub is not None and not await rt.scrub():
        log.info("the database's write-ahead log was in use: truncated at the next purge")
    if not dry_run:
        swept = await sweep_media(rt, grace=MEDIA_GRACE)
        if swept:
            log.info("%d files no case or draft names any more left the media store", swept)
    return report


async def sweep_media(rt: Runtime, *, grace: timedelta) -> int:
    """Delete the media store's files no kept row names, but those of the last ``grace``."""
    async with rt.uow() as uow:
        named = await uow.erasure.files_in_use(FILE_ID_PREFIX)
    keep = {key for key in map(media_key, named) if key is not None}
    store = MediaStore(rt.settings.zalo_media_dir)
    return await store.sweep(keep, older_than=rt.clock() - grace)


class HalfTheLoop:
    """Before each batch, pause as long as the last batch took (at most a second).

    On SQLite a batch runs on the event loop itself: paced so, the purge of a backlog takes
    at most half of the process's time, and turns and sending keep the other half.
    """

    def __init__(self) -> None:
        self._resumed: float | None = None

    async def __call__(self) -> None:
        """Wait, then note when the next batch starts."""
        held = 0.0 if self._resumed is None else time.monotonic() - self._resumed
        await asyncio.sleep(min(held, 1.0))
        self._resumed = time.monotonic()


class RetentionJob:
    """The daily purge inside a running bot: the lease's holder runs it once a day.

    Every ``interval`` seconds the job takes or renews the ``retention`` lease; the holder
    purges when the day's run is due (``NTVT_PURGE_TIME`` has passed and it has not run
    today). A holder that dies loses the lease after ``3 × interval`` (at least 30 s) and
    another process takes over; it runs the day's purge again, which finds what is left.
    """

    def __init__(self, rt: Runtime, *, interval: float = CHECK_SECONDS) -> None:
        self._rt = rt
        self.interval = interval
        self.lease_seconds = max(3 * interval, 30.0)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.last_day: date | None = None
        self.last_report: PurgeReport | None = None

    def due(self, now: datetime) -> bool:
        """Tell whether the day's purge is due at ``now`` and this process has not run it."""
        local = now.astimezone(self._rt.settings.tz)
        return local.date() != self.last_day and local.time() >= self._rt.settings.purge_time

    async def step(self) -> PurgeReport | None:
        """Take or renew the lease; purge if holding it and the day's run is due."""
        now = self._rt.clock()
        async with self._rt.uow() as uow:
            leading = await self._keep_lease(uow)
            await uow.commit()
        if not leading or not self.due(now):
            return None
        report = await purge(self._rt, now, keep_going=self._keep_lease, pause=HalfTheLoop())
        self.last_report = report
        if report.stopped:
            log.warning("the purge stopped: another process holds the retention lease")
            return report
        self.last_day = now.astimezone(self._rt.settings.tz).date()
        log.info("purge done: %s", summary(report))
        return report

    async def run(self) -> None:
        """Look every ``interval`` seconds, until cancelled; give the lease up on the way out."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                try:
                    await self.step()
                except Exception:
                    log.exception("the purge failed; trying again in %s s", self.interval)
        finally:
            with contextlib.suppress(Exception):  # it lapses anyway
                async with self._rt.uow() as uow:
                    await uow.leases.release(LEASE, self.holder)
                    await uow.commit()

    async def _keep_lease(self, uow: UnitOfWork) -> bool:
        return await uow.leases.acquire(
            LEASE, self.holder, now=self._rt.clock(), seconds=self.lease_seconds
        )


def summary(report: PurgeReport) -> str:
    """Return a log line of a purge's counts (numbers only, nothing about anyone)."""
    counts = ", ".join(f"{kind.value} {report.counts[kind]}" for kind in PurgeKind)
    more = f"; more left: {', '.join(sorted(report.more))}" if report.more else ""
    return counts + more


# Each kind's line in ``ntvt privacy purge``: what it is, what a run does, what a dry run says.
_KINDS = {
    PurgeKind.UPDATES: ("processed updates (inbound journal)", "deleted", "would be deleted"),
    PurgeKind.DEAD_LETTERS: ("updates set aside (dead letters)", "deleted", "would be deleted"),
    PurgeKind.ZALO_EVENTS: ("processed Zalo events", "deleted", "would be deleted"),
    PurgeKind.REPLIES: ("sent replies and notices (outbox)", "deleted", "would be deleted"),
    PurgeKind.BROADCAST_TEXTS: (
        "sent broadcast messages (outbox)",
        "text emptied, row kept",
        "text would be emptied, row kept",
    ),
    PurgeKind.OLD_CASES: (
        "nominations not commended",
        "anonymised",
        "would be anonymised",
    ),
    PurgeKind.DRAFTS: ("abandoned dialogs and drafts", "deleted", "would be deleted"),
    PurgeKind.DRAFT_NOTICES: ("notices: draft deleted tomorrow", "queued", "would be queued"),
}


def report_lines(report: PurgeReport, policy: RetentionPolicy, timezone: str) -> list[str]:
    """Return the operator's table of a purge: per kind, its time, how many rows, what."""
    local = report.now.astimezone(policy.timezone)
    done = "dry run, nothing changed" if report.dry_run else "done"
    kept = {
        PurgeKind.UPDATES: policy.updates.days,
        PurgeKind.DEAD_LETTERS: policy.dead_letters.days,
        PurgeKind.ZALO_EVENTS: policy.updates.days,
        PurgeKind.REPLIES: policy.sent.days,
        PurgeKind.BROADCAST_TEXTS: policy.sent.days,
        PurgeKind.DRAFTS: policy.draft_days,
    }
    years = {PurgeKind.OLD_CASES: policy.case_years}
    lines = [
        f"ntvt: privacy purge at {local:%d/%m/%Y %H:%M} ({timezone}): {done}",
        f"{'what':<38}{'kept':<9}{'rows':>8}  action",
    ]
    for kind, (what, did, would) in _KINDS.items():
        days = f"{kept[kind]} days" if kind in kept else "-"
        if kind in years:
            days = f"{years[kind]} years"
        more = " (more left for the next run)" if kind in report.more else ""
        action = would if report.dry_run else did
        lines.append(f"{what:<38}{days:<9}{report.counts[kind]:>8}  {action}{more}")
    if report.stopped:
        lines.append("stopped: another process took the purge over")
    if not report.dry_run and report.counts[PurgeKind.DRAFT_NOTICES]:
        lines.append("the running bot sends the notices queued (ntvt run or ntvt serve)")
    return lines
