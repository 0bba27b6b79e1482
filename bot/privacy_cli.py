"""What ``ntvt privacy purge`` does: the daily purge, from the shell, or only its counts."""

from __future__ import annotations

from datetime import datetime

from bot.rendering import Renderer
from bot.retention import DraftDeletionNotices, report_lines, retention_policy
from bot.settings import Settings
from core.retention import purge
from storage.uow import open_database


async def purge_lines(settings: Settings, *, now: datetime, dry_run: bool) -> list[str]:
    """Purge what is past its time at ``now`` (or count it); return the table of counts.

    Safe beside a running bot: every step of the purge is idempotent and the notices of
    drafts are claimed once; the running bot sends the notices this queues.
    """
    policy = retention_policy(settings)
    renderer = Renderer(timezone=settings.tz, default_locale=settings.default_locale)
    db = await open_database(settings.database_url, migrate=False)
    try:
        report = await purge(
            db.uow(),
            policy,
            now,
            notices=DraftDeletionNotices(renderer, settings.default_locale),
            dry_run=dry_run,
        )
        if not dry_run:
            await db.scrub()  # what went leaves the files too (the WAL, dead tuples)
    finally:
        await db.dispose()
    return report_lines(report, policy, settings.timezone)
