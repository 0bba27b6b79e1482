"""The ``ntvt`` command: run the bot, serve the webhook, chat locally, manage the database."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="ntvt-bot: Người tốt, việc tốt in Telegram.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Plan files (the council, its units, campaigns and tasks).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None


def _logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def run() -> None:
    """Run the bot with long polling (needs NTVT_TELEGRAM_TOKEN)."""
    from bot.app import run_polling

    settings = _settings()
    _logging()
    try:
        asyncio.run(run_polling(settings))
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the webhook (POST /telegram/webhook) and /healthz under uvicorn."""
    import uvicorn

    from bot.webhook import create_app

    settings = _settings()
    _logging()
    try:
        web_app = create_app(settings)
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(web_app, host=host, port=port, log_level="info")


@app.command()
def chat(
    user_name: Annotated[str, typer.Option("--name", help="Your name in the chat.")] = "Bạn",
    language: Annotated[str, typer.Option("--lang", help="vi or en.")] = "vi",
) -> None:
    """Chat with the bot in this terminal: no Telegram token needed."""
    from bot.chat import run_chat

    settings = _settings()
    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(run_chat(settings, user_name=user_name, language=language))
    except (KeyboardInterrupt, EOFError):
        typer.echo()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from storage.migrate import upgrade

    settings = _settings()
    asyncio.run(upgrade(settings.database_url))
    typer.echo("ntvt: database is up to date")


@plan_app.command("check")
def plan_check(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Report the entries of a plan file that cannot be right."""
    from bot.app import read_plan_file

    document = read_plan_file(file)
    for problem in document.problems:
        typer.echo(f"{file}: {problem.location}: {problem.message}")
    tasks = len(document.plan.tasks) if document.plan else 0
    units = len(document.organisation.units) if document.organisation else 0
    typer.echo(f"{units} units, {tasks} tasks, {len(document.problems)} problems")
    if document.problems:
        raise typer.Exit(1)


@plan_app.command("load")
def plan_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load a plan file into the database; entries with problems are reported and left out."""
    from bot.app import load_plan, read_plan_file
    from storage.uow import open_database

    settings = _settings()
    document = read_plan_file(file)
    for problem in document.problems:
        typer.echo(f"{file}: {problem.location}: {problem.message}", err=True)
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


def main() -> None:
    """Run the ``ntvt`` command line."""
    # Durations from PTB as timedelta, its coming default (silences its deprecation warning).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"ntvt: {exc}", err=True)
        sys.exit(2)
