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


async def erasure_lines(settings: Settings, *, limit: int) -> list[str]:
    """Return the latest erasures as the proof of what was done: when, what, nobody named."""
    db = await open_database(settings.database_url, migrate=False)
    try:
        async with db.uow() as uow:
            receipts = await uow.erasure.receipts(limit=limit)
    finally:
        await db.dispose()
    if not receipts:
        return ["ntvt: no erasure yet"]
    lines = [f"{'receipt':>8}  {'erased at':<17}{'cases erased':>13}  kept cases and rows removed"]
    for receipt in receipts:
        at = receipt.erased_at.astimezone(settings.tz)
        kept = ", ".join(receipt.kept_codes) or "-"
        rows = ", ".join(f"{name} {n}" for name, n in receipt.counts.as_dict().items() if n)
        lines.append(
            f"{receipt.id:>8}  {at:%d/%m/%Y %H:%M}  {receipt.cases_erased:>12}  "
            f"kept: {kept}; {rows or 'no other rows'}"
        )
    return lines
