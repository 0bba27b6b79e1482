"""Count the SQL statements and transactions of single turns of the nomination flow.

    .venv/bin/python bench/turn_statements.py [--db sqlite|postgresql] [--sql]

A resident agrees to the privacy notice and starts a nomination; then each of four turns
is counted alone: two button presses (the kind, the role) and two typed steps (the name,
the deed). For each: the statements of the turn itself (its transaction and the sending of
its replies) and of the batch that records what Telegram accepted. ``--sql`` prints the
statements themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.common import drop_database, make_database
from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from tests.bot.flows import DEED, agree_and_start, press, say
from tests.bot.statements import TurnStatements


async def main(db: str, sql: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url, dropped = await make_database(db, Path(folder))
        try:
            async with LocalBotApi() as api:
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    telegram_api_url=api.base_url,
                    telegram_file_url=api.file_base_url,
                    database_url=url,
                )
                async with running_bot(settings, token=api.token, polling=True, poll_timeout=1) as (
                    _,
                    runtime,
                ):
                    user = api.user(900_002, "Bench")
                    await agree_and_start(user)
                    counter = TurnStatements(runtime)
                    steps = [
                        ("button press (kind)", lambda: press(user, "👤 Cá nhân")),
                        ("text step (name)", lambda: say(user, "Trần Thị Mai")),
                        ("button press (role)", lambda: press(user, "Người dân")),
                        ("text step (deed)", lambda: say(user, DEED)),
                    ]
                    with counter.counting():
                        for name, act in steps:
                            await counter.of(act)
                            print(f"== {name} ({db})")
                            print(counter.report())
                            if sql:
                                for statement in counter.turn.statements:
                                    print("   ", " ".join(statement.split())[:160])
        finally:
            if dropped is not None:
                await drop_database(dropped)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sql", action="store_true", help="print each statement of the turn")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.db, arguments.sql))
