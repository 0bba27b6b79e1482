"""Count the Bot API calls and time one resident's whole nomination, on SQLite.

    .venv/bin/python bench/nomination_calls.py [--latency SECONDS]

Prints the calls by method (getUpdates excluded), the updates the resident sent, and the
wall time of the flow against the local Bot API with the given latency per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from tests.bot.flows import agree_and_start, fill_nomination, press


async def main(latency: float) -> None:
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
                api.clear_calls()
                started = time.perf_counter()
                await agree_and_start(user)
                await fill_nomination(user)
                await press(user, "✅ Gửi")
                elapsed = time.perf_counter() - started
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
    print(f"wall time of the whole flow: {elapsed:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    asyncio.run(main(parser.parse_args().latency))
