"""The ``ntvt`` command: run the bot, serve the webhook, chat locally, manage the database."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from bot.settings import Settings, SettingsError, load_settings

_T = TypeVar("_T")

app = typer.Typer(
    help="ntvt-bot: Người tốt, việc tốt in Telegram.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Plan files (the council, its units, campaigns and tasks).", no_args_is_help=True
)
officers_app = typer.Typer(help="Officers and their roles.", no_args_is_help=True)
notices_app = typer.Typer(help="Deadline notices of the plan.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(officers_app, name="officers")
broadcast_app = typer.Typer(
    help="Announcements to subscribers and officers, sent by the running bot.",
    invoke_without_command=True,
)
app.add_typer(broadcast_app, name="broadcast")
updates_app = typer.Typer(
    help="Inbound updates set aside (they could not be read, or their turn kept failing).",
    no_args_is_help=True,
)
app.add_typer(updates_app, name="updates")

ROLE_HELP = (
    "cán bộ (officer), thường trực (secretariat), thành viên hội đồng (council_member) "
    "or quản trị (admin); diacritics optional."
)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    from bot.logs import configure_logging

    configure_logging(settings.log_format)


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop's event loop where it is installed (as uvicorn does for serve)."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


@app.command()
def run() -> None:
    """Run the bot with long polling (needs NTVT_TELEGRAM_TOKEN)."""
    from bot.app import run_polling
    from storage.uow import DatabaseUnavailableError

    settings = _settings()
    _logging(settings)
    try:
        _run_fast(run_polling(settings))
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    except DatabaseUnavailableError as exc:
        _fail(str(exc), 1)
    except KeyboardInterrupt:
        pass


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the webhook (POST /telegram/webhook) and /healthz under uvicorn."""
    import uvicorn

    from bot.webhook import AcknowledgedUpdatesUnlogged, DrainingServer, create_app
    from storage.uow import DatabaseUnavailableError, open_database

    settings = _settings()
    _logging(settings)
    try:
        web_app = create_app(settings)
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None

    async def reach_database() -> None:
        # Waited for here, before uvicorn: its lifespan would print a traceback instead.
        db = await open_database(settings.database_url, wait=settings.database_wait)
        await db.dispose()

    try:
        asyncio.run(reach_database())
    except DatabaseUnavailableError as exc:
        _fail(str(exc), 1)
    # With JSON logs, uvicorn's records go through the root logger's JSON lines, not its own.
    logging_config: dict[str, Any] = {"log_config": None} if settings.log_format == "json" else {}
    config = uvicorn.Config(web_app, host=host, port=port, log_level="info", **logging_config)
    # No access line per acknowledged update: README "Logs".
    logging.getLogger("uvicorn.access").addFilter(AcknowledgedUpdatesUnlogged())
    # SIGTERM drains first: README "Deploying", rolling restarts.
    DrainingServer(config, web_app, settings.drain_seconds).run()


@app.command()
def chat(
    user_name: Annotated[str, typer.Option("--name", help="Your name in the chat.")] = "Bạn",
    language: Annotated[str, typer.Option("--lang", help="vi or en.")] = "vi",
    plan: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A plan file to load first; by default today's organisation "
            "(storage/plans/phuong-hoan-kiem-2027.yaml).",
        ),
    ] = None,
    as_role: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Type as a member of staff, with demo cases filed: officer, secretariat or "
            "council (resident by default; ':vai ROLE' switches inside the chat).",
        ),
    ] = None,
    channel: Annotated[
        str,
        typer.Option(
            "--channel",
            help="telegram, or zalo: be a resident writing to the ward's Zalo OA instead.",
        ),
    ] = "telegram",
) -> None:
    """Chat with the bot in this terminal: no Telegram token needed."""
    from bot.chat import run_chat
    from bot.demo import PERSONAS, RESIDENT, persona
    from bot.plans import TODAY_PLAN

    chosen = persona(as_role) if as_role is not None else None
    if as_role is not None and chosen is None:
        names = ", ".join(p.key for p in PERSONAS)
        _fail(f"--as {as_role}: not a role of the chat (one of {names})", 2)
    if channel not in ("telegram", "zalo"):
        _fail(f"--channel {channel}: not a channel of the chat (telegram or zalo)", 2)
    if channel == "zalo" and chosen not in (None, RESIDENT):
        _fail(f"--as {as_role}: staff work on Telegram; on Zalo the chat is a resident's", 2)
    settings = _settings()
    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(
            run_chat(
                settings,
                user_name=user_name,
                language=language,
                plan=plan or TODAY_PLAN,
                as_role=as_role,
                channel=channel,
            )
        )
    except (KeyboardInterrupt, EOFError):
        typer.echo()
    except SettingsError as error:  # NTVT_DESK_PORT taken, say
        _fail(str(error), 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from storage.migrate import upgrade

    settings = _settings()
    asyncio.run(upgrade(settings.database_url))
    typer.echo("ntvt: database is up to date")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the backup.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing FILE.")] = False,
) -> None:
    """Back the database up to FILE while the bot runs (SQLite's backup API, or pg_dump)."""
    from bot.db_cli import backup_lines

    settings = _settings()
    for line in _db_command(lambda: backup_lines(settings, file, force=force)):
        typer.echo(line)


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="A file 'db backup' wrote.")],
    force: Annotated[
        bool, typer.Option(help="Replace everything in a database that holds data.")
    ] = False,
) -> None:
    """Restore FILE into the database (new or empty; stop the bot first), then migrate it."""
    from bot.db_cli import restore_lines

    settings = _settings()
    for line in _db_command(lambda: restore_lines(settings, file, force=force)):
        typer.echo(line)


@db_app.command("check")
def db_check() -> None:
    """Check the database: its revision, its integrity (SQLite) and its rows; exit 1 if bad."""
    from bot.db_cli import check_lines

    settings = _settings()
    lines, sound = _db_command(lambda: check_lines(settings))
    for line in lines:
        typer.echo(line)
    if not sound:
        raise typer.Exit(1)


@plan_app.command("check")
def plan_check(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Report the entries of a plan file that cannot be right."""
    from bot.plans import read_plan_file

    document = read_plan_file(file)
    for problem in document.problems:
        typer.echo(f"{file}: {problem.message}")
    tasks = len(document.plan.tasks) if document.plan else 0
    units = len(document.organisation.units) if document.organisation else 0
    typer.echo(f"{units} units, {tasks} tasks, {len(document.problems)} problems")
    if document.problems:
        raise typer.Exit(1)


@plan_app.command("new")
def plan_new(
    ward: Annotated[str, typer.Option(help='The ward\'s name, e.g. "Phường Hoàn Kiếm".')],
    year: Annotated[int, typer.Option(help="The plan's year.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write it (default: ward-slug-YEAR.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented plan skeleton for a ward's council, to fill in and load."""
    from bot.plan_skeleton import skeleton, skeleton_file_name

    if not ward.strip() or not 1945 <= year <= 9999:
        typer.echo("ntvt: give the ward's name and a year such as 2027", err=True)
        raise typer.Exit(2)
    target = output or Path(skeleton_file_name(ward, year))
    if target.exists() and not force:
        typer.echo(f"ntvt: {target} exists (use --force to overwrite)", err=True)
        raise typer.Exit(1)
    target.write_text(skeleton(ward, year), encoding="utf-8")
    typer.echo(f"ntvt: wrote {target}: fill it in, then ntvt plan check {target}")


@plan_app.command("load")
def plan_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load a plan file into the database; entries with problems are reported and left out."""
    from bot.plans import load_plan, no_reminder_lines, read_plan_file
    from storage.uow import open_database

    settings = _settings()
    document = read_plan_file(file)
    for problem in document.problems:
        typer.echo(f"{file}: {problem.message}", err=True)
    if document.organisation is None and document.plan is None:
        typer.echo("ntvt: nothing in the file could be loaded", err=True)
        raise typer.Exit(1)

    async def _load() -> None:
        db = await open_database(settings.database_url)
        try:
            await load_plan(db, document)
        finally:
            await db.dispose()

    asyncio.run(_load())
    tasks = len(document.plan.tasks) if document.plan else 0
    typer.echo(f"ntvt: loaded {file.name}: {tasks} tasks, {len(document.problems)} problems")
    for line in no_reminder_lines(document.plan):
        typer.echo(line, err=True)


@app.command()
def invite(
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    unit: Annotated[str | None, typer.Option(help="The officer's unit, by name.")] = None,
    days: Annotated[int, typer.Option(help="Days before the link expires.")] = 7,
) -> None:
    """Print a single-use invitation link that makes whoever opens it an officer."""
    from bot.admin import create_invitation

    settings = _settings()
    try:
        link, unit_name = asyncio.run(create_invitation(settings, role, unit, days))
    except (SettingsError, ValueError) as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    where = f" ({unit_name})" if unit_name else ""
    typer.echo(f"Invitation for {role}{where}, valid {days} days, single use:")
    typer.echo(link)


@officers_app.command("list")
def officers_list() -> None:
    """List the roles granted, with their units and dates."""
    from bot.admin import list_grants

    settings = _settings()
    for line in asyncio.run(list_grants(settings)):
        typer.echo(line)


@officers_app.command("revoke")
def officers_revoke(
    grant_id: Annotated[int, typer.Argument(help="The id from 'officers list'.")],
) -> None:
    """Revoke a role."""
    from bot.admin import revoke_grant

    settings = _settings()
    if not asyncio.run(revoke_grant(settings, grant_id)):
        typer.echo(f"ntvt: no active grant {grant_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ntvt: grant {grant_id} revoked")


@officers_app.command("grant")
def officers_grant(
    user: Annotated[int, typer.Option(help="The Telegram user id.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    unit: Annotated[str | None, typer.Option(help="The officer's unit, by name.")] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="First day the role applies, YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Grant a role to a Telegram user id directly (the first admin)."""
    from bot.admin import grant

    settings = _settings()
    try:
        start = date.fromisoformat(valid_from) if valid_from else None
        grant_id = asyncio.run(grant(settings, user, role, unit, valid_from=start))
    except ValueError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"ntvt: granted {role} to {user} (grant {grant_id})")


@notices_app.command("preview")
def notices_preview(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    unit: Annotated[str | None, typer.Option(help="Only this unit, by name.")] = None,
) -> None:
    """Print the notices the plan makes due between two days, without sending anything."""
    from bot.deadline_cli import preview

    settings = _settings()
    try:
        lines = asyncio.run(preview(settings, start, end, unit))
    except ValueError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    for line in lines:
        typer.echo(line)


@notices_app.command("run-once")
def notices_run_once(
    now: Annotated[str | None, typer.Option(help="The instant, ISO 8601 (default: now).")] = None,
) -> None:
    """Send the notices due at an instant; safe to repeat (nothing is sent twice)."""
    from bot.deadline_cli import run_once_now

    settings = _settings()
    try:
        sent = asyncio.run(run_once_now(settings, now))
    except (SettingsError, ValueError) as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"ntvt: {sent} notices sent")


@broadcast_app.callback()
def broadcast(
    ctx: typer.Context,
    text_file: Annotated[
        Path | None, typer.Option(help="The announcement, UTF-8 plain text.", dir_okay=False)
    ] = None,
    photo: Annotated[
        Path | None, typer.Option(help="A JPEG, PNG or WebP photo (10 MB at most).")
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(
            help="all, ward:NAME, campaign:KEY, officers:UNIT, cluster:KEY; "
            "comma-separated or repeated."
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When, ISO 8601; without an offset, local time.")
    ] = None,
    urgent: Annotated[bool, typer.Option(help="Send during the quiet hours too.")] = False,
    campaign: Annotated[
        str | None, typer.Option(help="The campaign it launches: adds a subscribe button.")
    ] = None,
) -> None:
    """Create a broadcast with --text-file and --audience; the running bot sends it."""
    from bot.broadcast_cli import NewBroadcast, create_broadcast

    if ctx.invoked_subcommand is not None:
        if text_file is not None:
            _fail("give --text-file without a subcommand (status, cancel, list)", 2)
        return
    if text_file is None:
        if any(value for value in (photo, audience, at, urgent, campaign)):
            _fail("a broadcast needs --text-file FILE", 2)
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    if not audience:
        _fail("a broadcast needs --audience (all, ward:NAME, campaign:KEY, ...)", 2)
    settings = _settings()
    typed = NewBroadcast(text_file, audience, photo, at, urgent, campaign)
    now = datetime.now(UTC)  # the clock, read here (bot.runtime would import telegram)
    _echo_lines(lambda: create_broadcast(settings, typed, now=now))


@broadcast_app.command("status")
def broadcast_status(
    broadcast_id: Annotated[int, typer.Argument(help="The number from 'broadcast list'.")],
) -> None:
    """Show a broadcast's status, its counts and its times."""
    from bot.broadcast_cli import status_lines

    settings = _settings()
    _echo_lines(lambda: status_lines(settings, broadcast_id))


@broadcast_app.command("cancel")
def broadcast_cancel(
    broadcast_id: Annotated[int, typer.Argument(help="The number from 'broadcast list'.")],
) -> None:
    """Cancel a scheduled or running broadcast: what is not sent yet will not be."""
    from bot.broadcast_cli import cancel_broadcast

    settings = _settings()
    _echo_lines(lambda: cancel_broadcast(settings, broadcast_id))


@broadcast_app.command("list")
def broadcast_list() -> None:
    """List the latest 20 broadcasts, newest first."""
    from bot.broadcast_cli import list_lines

    settings = _settings()
    _echo_lines(lambda: list_lines(settings))


@updates_app.command("dead")
def updates_dead() -> None:
    """List the updates set aside: id, chat, when, why (never their content)."""
    from bot.updates_cli import dead_lines

    settings = _settings()
    for line in _database(lambda: dead_lines(settings)):
        typer.echo(line)


@updates_app.command("retry")
def updates_retry(
    update_id: Annotated[int, typer.Argument(help="The id from 'updates dead'.")],
) -> None:
    """Put a set-aside update back: the running bot's sweep or the next start processes it."""
    from bot.updates_cli import UpdatesCommandError, retry

    settings = _settings()
    try:
        lines = _database(lambda: retry(settings, update_id))
    except UpdatesCommandError as exc:
        _fail(str(exc), 1)
    for line in lines:
        typer.echo(line)


privacy_app = typer.Typer(
    help="Personal data: what is kept, and for how long.", no_args_is_help=True
)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("purge")
def privacy_purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be purged.")
    ] = False,
    now: Annotated[str | None, typer.Option(help="The instant, ISO 8601 (default: now).")] = None,
) -> None:
    """Purge what is kept past its time (the running bot does it daily); safe to repeat."""
    from bot.privacy_cli import purge_lines

    settings = _settings()
    try:
        at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        _fail(f"--now {now!r} is not a date and time like 2026-05-01T09:00+07:00", 2)
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tz)
    for line in _database(lambda: purge_lines(settings, now=at, dry_run=dry_run)):
        typer.echo(line)


@privacy_app.command("erasures")
def privacy_erasures(
    last: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
) -> None:
    """List the erasures done at residents' request (/xoadulieu): the proof, nobody named."""
    from bot.privacy_cli import erasure_lines

    settings = _settings()
    for line in _database(lambda: erasure_lines(settings, limit=last)):
        typer.echo(line)


zalo_app = typer.Typer(help='The Zalo Official Account (README, "Zalo").', no_args_is_help=True)
app.add_typer(zalo_app, name="zalo")


@zalo_app.command("tokens")
def zalo_tokens(
    access_token: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="The OA's access token.")
    ],
    refresh_token: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="The OA's refresh token.")
    ],
    expires_in: Annotated[
        int, typer.Option(min=60, help="Seconds the access token serves (Zalo: 90000).")
    ] = 90000,
) -> None:
    """Store the OA's first token pair (asked for when not given, not echoed)."""
    from datetime import timedelta

    from bot.zalo.cli import install_lines

    settings = _settings()
    lines = _database(
        lambda: install_lines(
            settings,
            access_token=access_token.strip(),
            refresh_token=refresh_token.strip(),
            lifetime=timedelta(seconds=expires_in),
        )
    )
    for line in lines:
        typer.echo(line)


@zalo_app.command("status")
def zalo_status() -> None:
    """Show the OA's tokens' times and the events waiting to be processed."""
    from bot.zalo.cli import status_lines

    settings = _settings()
    for line in _database(lambda: status_lines(settings)):
        typer.echo(line)


desk_app = typer.Typer(
    help="The secretariat's web desk (README, \"The secretariat's web desk\").",
    no_args_is_help=True,
)
app.add_typer(desk_app, name="desk")


@desk_app.command("sessions")
def desk_sessions() -> None:
    """List the open desk sessions: id, officer, since, last seen, until."""
    from bot.desk.cli import session_lines

    settings = _settings()
    for line in _database(lambda: session_lines(settings, now=datetime.now(UTC))):
        typer.echo(line)


@desk_app.command("revoke")
def desk_revoke(
    session_id: Annotated[
        int | None, typer.Argument(help="The id from 'desk sessions'.", show_default=False)
    ] = None,
    user: Annotated[
        int | None, typer.Option(help="End every session of this Telegram user id instead.")
    ] = None,
) -> None:
    """End a desk session, or every session of one officer (their unused links too)."""
    from bot.desk.cli import DeskCommandError, revoke_lines

    settings = _settings()
    now = datetime.now(UTC)
    try:
        lines = _database(
            lambda: revoke_lines(settings, session_id=session_id, user_id=user, now=now)
        )
    except DeskCommandError as exc:
        _fail(str(exc), 1)
    for line in lines:
        typer.echo(line)


def _database(command: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a command on the database; one line and exit 1 if it cannot be reached."""
    from storage.database import is_connection_error

    try:
        return asyncio.run(command())
    except Exception as exc:
        if not is_connection_error(exc):
            raise
        _fail(f"cannot reach the database: {exc.__class__.__name__}", 1)


def _db_command(command: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a ``db`` command: its refusal, as a database out of reach, is one line and exit 1."""
    from bot.db_cli import DatabaseCommandError

    try:
        return _database(command)
    except DatabaseCommandError as exc:
        _fail(str(exc), 1)


def _echo_lines(command: Callable[[], Coroutine[Any, Any, list[str]]]) -> None:
    """Run a broadcast command and print its lines, or its refusal as one line."""
    from bot.broadcast_cli import BroadcastCommandError

    try:
        lines = asyncio.run(command())
    except BroadcastCommandError as exc:
        _fail(str(exc), exc.exit_code)
    for line in lines:
        typer.echo(line)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"ntvt: {message}", err=True)
    raise typer.Exit(code)


def main() -> None:
    """Run the ``ntvt`` command line."""
    # Durations from PTB as timedelta, its coming default (silences its deprecation warning).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        sys.exit(2)
