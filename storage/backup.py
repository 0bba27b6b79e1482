"""Backups of the database, their restore and a check: SQLite in process, PostgreSQL by its tools.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the whole file in one
step, inside one read transaction: with the bot's write-ahead log, that is a consistent
snapshot taken while the bot goes on writing (its writers are never blocked). The copy is
written next to the target under a temporary name, checked (``PRAGMA integrity_check``), made
a single self-contained file (rollback journal, no ``-wal``) and only then given its name.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``, when they are on ``PATH`` (their
major version at least the server's); the archive is read back (``pg_restore --list``) before
it is given its name. The password goes to them in the environment, never on a command line.

A restore goes into a database that is new (no table) or holds no data (only migrated); one
with data is refused unless ``force`` is given, which replaces everything in it. The restored
database is migrated to the code's head, so an older backup comes forward.

The blocking work runs in a thread: nothing here blocks an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from core.people import ERASED_PERSON
from storage.database import create_engine, is_postgresql, is_sqlite
from storage.migrate import HEAD, upgrade

# What the README says to run where pg_dump is not installed.
PG_RECIPE = (
    "pg_dump is not on PATH: install PostgreSQL's client tools (Debian: apt-get install "
    "postgresql-client), or run on a machine that has them: "
    "pg_dump --format=custom --file=FILE DBNAME, and to restore into a new database: "
    "pg_restore --no-owner --no-privileges --exit-on-error --single-transaction -d DBNAME FILE, "
    "then ntvt db upgrade"
)
# The tables whose rows a check counts: what residents and officers would miss.
COUNTED = ("users", "nominations", "dialogs", "inbound_updates", "outbox", "broadcasts")
_REVISION = re.compile(r"^[0-9A-Za-z_]+$")


class BackupError(Exception):
    """A backup, restore or check cannot be done; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    size: int
    revision: str | None
    seconds: float
    tool: str


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore did: the backup's revision and the database's after migrating."""

    revision: str | None
    migrated_to: str | None
    seconds: float


@dataclass(slots=True)
class CheckReport:
    """A database looked over: its revision, its rows, and anything wrong."""

    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def known_revisions() -> list[str]:
    """Return the migrations' revisions, oldest first."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


async def backup(url: str, file: Path, *, force: bool = False) -> BackupReport:
    """Write a consistent copy of the database at ``url`` to ``file``."""
    return await asyncio.to_thread(_backup, url, file, force)


def _backup(url: str, file: Path, force: bool) -> BackupReport:
    if file.exists() and not force:
        raise BackupError(f"{file} exists (use --force to overwrite it)")
    if not file.parent.is_dir():
        raise BackupError(f"{file.parent} is not a directory")
    started = time.perf_counter()
    if is_sqlite(url):
        source = sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"no database at {source}")
        revision = _sqlite_backup(source, file, force)
        tool = "SQLite's online backup"
    elif is_postgresql(url):
        revision = _pg_backup(make_url(url), file, force)
        tool = "pg_dump"
    else:
        raise BackupError("only SQLite and PostgreSQL databases can be backed up")
    return BackupReport(file, file.stat().st_size, revision, time.perf_counter() - started, tool)


async def restore(url: str, file: Path, *, force: bool = False) -> RestoreReport:
    """Restore ``file`` into the database at ``url``, then migrate it to the code's head."""
    started = time.perf_counter()
    if not await asyncio.to_thread(file.is_file):
        raise BackupError(f"{file}: no such file")
    if is_sqlite(url):
        revision = await asyncio.to_thread(_sqlite_restore, file, sqlite_path(url), force)
    elif is_postgresql(url):
        revision = await asyncio.to_thread(_pg_archive_revision, file)
        _refuse_newer(revision, file)
        await _pg_prepare_target(url, force=force)
        await asyncio.to_thread(_pg_restore, make_url(url), file)
    else:
        raise BackupError("only SQLite and PostgreSQL databases can be restored")
    await upgrade(url)
    report = await check(url)
    if report.problems:
        raise BackupError(f"restored, but the check failed: {'; '.join(report.problems)}")
    return RestoreReport(revision, report.revision, time.perf_counter() - started)


async def check(url: str) -> CheckReport:
    """Look the database over: its revision against the code's, its integrity, its rows."""
    if is_sqlite(url):
        problems = await asyncio.to_thread(_sqlite_integrity, sqlite_path(url))
    else:
        problems = []
    engine = create_engine(url)
    report = CheckReport(None, problems=problems)
    try:
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(_table_names))
            if "alembic_version" in tables:
                stored = await connection.execute(text("SELECT version_num FROM alembic_version"))
                report.revision = stored.scalar()
            for name in COUNTED:
                if name in tables:
                    counted = await connection.execute(text(f"SELECT count(*) FROM {name}"))
                    report.counts[name] = int(counted.scalar_one())
    finally:
        await engine.dispose()
    if report.revision != HEAD:
        at = report.revision or "no revision (never migrated)"
        report.problems.append(f"the database is at {at}, the code at {HEAD}: ntvt db upgrade")
    return report


def sqlite_path(url: str) -> Path:
    """Return the file of a SQLite URL (an in-memory database has none)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the SQLite database must be a file (sqlite+aiosqlite:///PATH)")
    return Path(database)


def _table_names(connection: object) -> list[str]:
    from sqlalchemy import inspect

    return list(inspect(connection).get_table_names())


def _refuse_newer(revision: str | None, file: Path) -> None:
    """Refuse a backup of a schema this code does not know (made by a newer ntvt)."""
    if revision is not None and revision not in known_revisions():
        raise BackupError(
            f"{file} is at revision {revision}, unknown to this version of ntvt "
            "(made by a newer one?): restore it with that version"
        )


# SQLite


def _sqlite_backup(source: Path, file: Path, force: bool) -> str | None:
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        # A busy source (another process checkpointing) is waited for, in this thread.
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            src.backup(copy)  # all pages in one step: one read transaction, one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problems = _integrity(copy)
            revision = _sqlite_revision(copy)
        if problems:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems)}")
        _fsync(partial)
        _give_name(partial, file, force)
        return revision
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_restore(file: Path, target: Path, force: bool) -> str | None:
    try:
        with contextlib.closing(
            sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        ) as src:
            problems = _integrity(src)
            revision = _sqlite_revision(src)
            if problems:
                raise BackupError(f"{file} failed its integrity check: {'; '.join(problems)}")
            _refuse_newer(revision, file)
            if target.exists():
                with contextlib.closing(sqlite3.connect(target, timeout=30)) as existing:
                    _refuse_data(existing, target, force)
            with contextlib.closing(sqlite3.connect(target, timeout=30)) as dst:
                src.backup(dst)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{file}: not a SQLite database ({error})") from None
    return revision


def _refuse_data(connection: sqlite3.Connection, target: Path, force: bool) -> None:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    holding = [
        name
        for name in tables
        if name != "alembic_version" and connection.execute(_has_rows(name)).fetchone() == (1,)
    ]
    if holding and not force:
        raise BackupError(_has_data(str(target), holding))


def _has_rows(table: str) -> str:
    """Return a query telling whether ``table`` holds a row the migrations did not put in."""
    seeded = f" WHERE id <> {ERASED_PERSON}" if table == "users" else ""  # 0014's placeholder
    return f'SELECT EXISTS (SELECT 1 FROM "{table}"{seeded})'


def _has_data(where: str, tables: list[str]) -> str:
    some = f"{len(tables)} tables with rows" if len(tables) > 1 else "a table with rows"
    return (
        f"{where} holds data ({some}: {', '.join(tables[:3])}): "
        "restore into a new database, or give --force to replace everything in it"
    )


def _integrity(connection: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    problems = [] if rows == ["ok"] else [str(row) for row in rows[:5]]
    broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        problems.append(f"{len(broken)} rows point at rows that are not there")
    return problems


def _sqlite_integrity(path: Path) -> list[str]:
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
        return _integrity(connection)


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _fsync(path: Path) -> None:
    with path.open("rb") as opened:
        os.fsync(opened.fileno())


def _give_name(partial: Path, file: Path, force: bool) -> None:
    """Name the finished copy; without ``force``, never over a file that appeared meanwhile."""
    if force:
        partial.replace(file)
        return
    try:
        os.link(partial, file)
    except FileExistsError:
        raise BackupError(f"{file} exists (use --force to overwrite it)") from None


# PostgreSQL


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(PG_RECIPE)
    return found


def _pg_env(url: URL) -> dict[str, str]:
    """Return libpq's environment for ``url``: the password is not on the command line."""
    env = dict(os.environ)
    given = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    env.update({key: value for key, value in given.items() if value})
    ssl = url.query.get("ssl") or url.query.get("sslmode")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = ssl
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {why}")
    return done.stdout


def _pg_backup(url: URL, file: Path, force: bool) -> str | None:
    pg_dump = _pg_tool("pg_dump")
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        _run([pg_dump, "--format=custom", f"--file={partial}", "--no-password"], _pg_env(url))
        revision = _pg_archive_revision(partial)  # reads it back: a broken archive fails here
        _fsync(partial)
        _give_name(partial, file, force)
        return revision
    finally:
        partial.unlink(missing_ok=True)


def _pg_archive_revision(file: Path) -> str | None:
    """Read the archive's table of contents and its schema revision (None if not migrated)."""
    if not file.is_file():
        raise BackupError(f"no backup at {file}")
    pg_restore = _pg_tool("pg_restore")
    env = dict(os.environ)
    _run([pg_restore, "--list", str(file)], env)
    data = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(file)], env)
    lines = data.splitlines()
    for at, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and at + 1 < len(lines):
            value = lines[at + 1].strip()
            return value if _REVISION.match(value) else None
    return None


async def _pg_prepare_target(url: str, *, force: bool) -> None:
    """Refuse a target holding data (unless ``force``); drop the tables of one that has any."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
            holding = []
            for name in tables:
                if name == "alembic_version":
                    continue
                found = await connection.execute(text(_has_rows(name)))
                if found.scalar():
                    holding.append(name)
            if holding and not force:
                shown = make_url(url).render_as_string(hide_password=True)
                raise BackupError(_has_data(shown, holding))
            if tables:
                names = ", ".join(f'"{name}"' for name in tables)
                await connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
                await connection.commit()
    finally:
        await engine.dispose()


def _pg_restore(url: URL, file: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={url.database}",
        str(file),
    ]
    _run(command, _pg_env(url))
