"""What ``ntvt db backup``, ``restore`` and ``check`` print (the work: :mod:`storage.backup`).

The restore drill of the README is ``ntvt db restore FILE`` into a scratch database, then
``ntvt db check`` on it: both end with a non-zero exit code and one line when anything is
wrong, so cron or a CI job can run them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage.backup import BackupError, backup, check, restore


class DatabaseCommandError(Exception):
    """A refusal or a failure, as one line for the operator (exit code 1)."""


def _shown(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


async def backup_lines(settings: Settings, file: Path, *, force: bool) -> list[str]:
    """Back the configured database up to ``file``; say what was written."""
    try:
        report = await backup(settings.database_url, file, force=force)
    except BackupError as error:
        raise DatabaseCommandError(str(error)) from None
    return [
        f"ntvt: backed up {_shown(settings)} to {report.path} with {report.tool}: "
        f"{_megabytes(report.size)}, revision {report.revision or 'none'}, "
        f"read back ok, in {report.seconds:.1f} s"
    ]


async def restore_lines(settings: Settings, file: Path, *, force: bool) -> list[str]:
    """Restore ``file`` into the configured database, migrated to the code's revision."""
    try:
        report = await restore(settings.database_url, file, force=force)
        counted = await check(settings.database_url)
    except BackupError as error:
        raise DatabaseCommandError(str(error)) from None
    came = report.revision or "none"
    moved = f", migrated to {report.migrated_to}" if report.migrated_to != report.revision else ""
    return [
        f"ntvt: restored {file} (revision {came}) into {_shown(settings)}{moved}, "
        f"in {report.seconds:.1f} s",
        _counts(counted.counts),
    ]


async def check_lines(settings: Settings) -> tuple[list[str], bool]:
    """Look the configured database over; return the lines and whether it is sound."""
    try:
        report = await check(settings.database_url)
    except BackupError as error:
        raise DatabaseCommandError(str(error)) from None
    lines = [f"ntvt: {_shown(settings)} at revision {report.revision or 'none'}"]
    lines.append(_counts(report.counts))
    lines += [f"problem: {problem}" for problem in report.problems]
    lines.append("ok" if not report.problems else f"{len(report.problems)} problems")
    return lines, not report.problems


def _counts(counts: dict[str, int]) -> str:
    return "rows: " + ", ".join(f"{table} {count}" for table, count in counts.items())
