"""Count the Bot API calls and time one resident's whole nomination, on SQLite.

    .venv/bin/python bench/nomination_calls.py [--latency SECONDS] [--sql] [--presses]

Prints the calls by method (getUpdates excluded), the updates the resident sent, the SQL
statements and transactions the bot ran for them (``--sql`` lists them by kind), and the wall
time of the flow against the local Bot API with the given latency per call. ``--presses``
lists the calls each press of a nomination's button cost (the bot idle before and after
each: the wall time then includes those waits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.app import running_bot
from bot.local_api import LocalBotApi, SimUser
from bot.local_api.models import BotMessage
from bot.settings import Settings
from tests.bot.flows import agree_and_start, fill_nomination, press
from tests.bot.statements import kind_of


class StatementCounter:
    """Counts the SQL statements every engine of this process runs, by kind."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.counting = False
        event.listen(Engine, "before_cursor_execute", self._count)
        event.listen(Engine, "begin", self._begin)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.counting:
            self.kinds[kind_of(statement)] += 1

    def _begin(self, connection: Any) -> None:
        # SQLite's BEGIN IMMEDIATE goes on the driver's cursor (storage.database).
        if self.counting and connection.dialect.name == "sqlite":
            self.kinds["BEGIN IMMEDIATE"] += 1

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


PressCalls = list[tuple[str, list[str]]]


def count_presses(api: LocalBotApi, user: SimUser) -> PressCalls:
    """Make each press the test helpers make record the Bot API calls it cost, in order."""
    counted: PressCalls = []
    original: Callable[..., Awaitable[BotMessage]] = user.press_for_reply

    async def press_counted(label: str, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
        await api.wait_until_idle(timeout=5)
        before = len(api.calls)
        reply = await original(label, timeout)
        await api.wait_until_idle(timeout=5)
        counted.append((label, [c.method for c in api.calls[before:] if c.method != "getUpdates"]))
        return reply

    setattr(user, "press_for_reply", press_counted)  # noqa: B010 - a measuring hook only
    return counted


async def main(latency: float, sql: bool, presses: bool) -> None:
    counter = StatementCounter()
    with tempfile.TemporaryDirectory() as folder:
        async with LocalBotApi(latency=latency) as api:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_api_url=api.base_url,
                telegram_file_url=api.file_base_url,
                database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
            )
            async with running_bot(settings, token=api.token, polling=True, poll_timeout=1):
                user = api.user(900_001, "Bench")
                pressed = count_presses(api, user) if presses else []
                api.clear_calls()
                counter.counting = True
                started = time.perf_counter()
                await agree_and_start(user)
                await fill_nomination(user)
                await press(user, "✅ Gửi")
                elapsed = time.perf_counter() - started
                await api.wait_until_idle(timeout=5)
                counter.counting = False
                calls = Counter(c.method for c in api.calls if c.method != "getUpdates")
                updates = sum(
                    1
                    for u in api.updates
                    if u.get("message", {}).get("chat", {}).get("id") == user.chat_id
                    or "callback_query" in u
                )
    print(f"latency per Bot API call: {latency * 1000:.0f} ms")
    print(f"updates sent by the resident: {updates}")
    print(f"Bot API calls (without getUpdates): {sum(calls.values())}")
    for method, count in calls.most_common():
        print(f"  {method}: {count}")
    transactions = sum(n for kind, n in counter.kinds.items() if kind.startswith("BEGIN"))
    print(f"SQL statements: {counter.total} ({counter.total / updates:.1f} per update)")
    print(f"transactions: {transactions} ({transactions / updates:.1f} per update)")
    if sql:
        for kind, count in counter.kinds.most_common():
            print(f"  {kind}: {count}")
    print(f"wall time of the whole flow: {elapsed:.2f} s")
    if presses:
        print(f"the nomination's button presses: {len(pressed)}")
        for label, methods in pressed:
            print(f"  {label}: {len(methods)} calls ({', '.join(sorted(methods))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--sql", action="store_true", help="list the SQL statements by kind")
    parser.add_argument("--presses", action="store_true", help="list the calls of each press")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.latency, arguments.sql, arguments.presses))
