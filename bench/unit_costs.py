"""What each part of a turn costs in CPU: the limits under the per-update figure.

    .venv/bin/python bench/unit_costs.py [--db sqlite|postgresql|both] [--n 2000]

bench/updates.py measures the CPU a whole update costs; this one measures, alone and in this
process's CPU time (``time.process_time``, so a loaded machine slows it less than wall time),
the pieces an update is made of, so that a miss of the per-update target can be told apart:

* one statement of the turn (the claim, ``UPDATE inbound_updates ... WHERE update_id = ?``)
  run as storage runs it (``AsyncSession.execute`` of a Core statement), on the session's
  Core connection, and on the database driver directly (sqlite3 inline, or asyncpg);
* one transaction (a unit of work entered, that statement, commit), as every turn, every
  journal batch and every send record pays it;
* PTB reading one update (``Update.de_json``, a button press on a message with a keyboard);
* one Bot API call through the bot's aiohttp request, to a server in another process that
  answers at once (only this side's CPU is counted).

Each figure is the median of 5 rounds of ``--n`` operations, in µs of CPU per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import text
from telegram import Update

from bench.common import drop_database, make_database
from bench.inbound import BUTTON
from bot.transport import AiohttpRequest
from storage.inbound import _CLAIM_UPDATE
from storage.uow import open_database

ROUNDS = 5
# A Bot API stand-in answering every call at once with a sent message, in its own process.
SERVER = """
import sys
from aiohttp import web

ANSWER = b'{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}}}'

async def answer(request):
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")

app = web.Application()
app.router.add_post("/{tail:.*}", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""
RAW_CLAIM = {
    "sqlite": "UPDATE inbound_updates SET processed_at = ? WHERE update_id = ? "
    "AND processed_at IS NULL AND set_aside_at IS NULL",
    "postgresql": "UPDATE inbound_updates SET processed_at = $1 WHERE update_id = $2 "
    "AND processed_at IS NULL AND set_aside_at IS NULL",
}


async def per_op(n: int, op: Callable[[], Awaitable[Any]]) -> float:
    """Return the median over rounds of the CPU µs one ``op`` costs."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(n):
            await op()
        rounds.append((time.process_time() - start) / n * 1e6)
    return statistics.median(rounds)


async def database_costs(kind: str, n: int) -> list[tuple[str, float]]:
    """Return the costs of one statement three ways, and of one transaction."""
    with tempfile.TemporaryDirectory() as folder:
        url, dropped = await make_database(kind, Path(folder))
        db = await open_database(url)
        try:
            params = {"claimed": 1, "now": None}
            figures = []
            async with db.uow() as uow:
                session = uow.session
                connection = await session.connection()
                raw: Any = (await connection.get_raw_connection()).driver_connection
                figures.append(
                    (
                        "statement, AsyncSession (as storage runs it)",
                        await per_op(n, lambda: session.execute(_CLAIM_UPDATE, params)),
                    )
                )
                figures.append(
                    (
                        "statement, the session's Core connection",
                        await per_op(n, lambda: connection.execute(_CLAIM_UPDATE, params)),
                    )
                )
                sql = RAW_CLAIM[kind]
                if kind == "sqlite":
                    figures.append(
                        (
                            "statement, sqlite3 directly",
                            await per_op(n, lambda: raw.execute(sql, (None, 1))),
                        )
                    )
                else:
                    figures.append(
                        (
                            "statement, asyncpg directly",
                            await per_op(n, lambda: raw.execute(sql, None, 1)),
                        )
                    )
                await session.execute(text("SELECT 1"))

            async def transaction() -> None:
                async with db.uow() as uow:
                    await uow.session.execute(_CLAIM_UPDATE, params)
                    await uow.commit()

            figures.append(
                ("transaction: enter, that statement, commit", await per_op(n // 4, transaction))
            )
            return figures
        finally:
            await db.dispose()
            if dropped:
                await drop_database(dropped)


async def api_call_cost(n: int) -> float:
    """Return the CPU µs of one sendMessage through the bot's aiohttp request."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVER, str(port))
    request = AiohttpRequest(connections=8)
    await request.initialize()
    url = f"http://127.0.0.1:{port}/botTOKEN/sendMessage"
    params = {"chat_id": 1, "text": "Bước 2/10: họ và tên người được đề cử?", "parse_mode": "HTML"}
    try:
        for _ in range(100):  # wait for the server
            try:
                await request.call(url, params)
                break
            except Exception:
                await asyncio.sleep(0.05)
        return await per_op(n, lambda: request.call(url, params))
    finally:
        await request.shutdown()
        server.terminate()
        await server.wait()


async def parse_cost(n: int) -> float:
    async def parse() -> None:
        Update.de_json(BUTTON, None)

    return await per_op(n, parse)


async def main(args: argparse.Namespace) -> None:
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(
        f"CPU µs per operation, median of {ROUNDS} rounds of {args.n}; {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for kind in kinds:
        for label, cost in await database_costs(kind, args.n):
            print(f"  {kind:<10} {label:<48} {cost:8.0f}")
    print(
        f"  {'telegram':<10} {'PTB reads a button press (Update.de_json)':<48} "
        f"{await parse_cost(args.n):8.0f}"
    )
    print(
        f"  {'telegram':<10} {'one Bot API call (AiohttpRequest, this side)':<48} "
        f"{await api_call_cost(args.n // 2):8.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
