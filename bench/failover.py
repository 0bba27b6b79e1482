"""Two servers behind a round-robin proxy, one stopped mid-flow: how long its residents wait.

    .venv/bin/python bench/failover.py [--users 30] [--kill-after 3] [--signal kill|term]
                                       [--latency 0.05] [--runs 1] [--env NAME=VALUE ...]
                                       [--logs DIR] [--ntvt PATH]

Two ``ntvt serve`` processes share one fresh PostgreSQL database; the fake Bot API
(:class:`bot.local_api.LocalBotApi`) POSTs every update to a round-robin proxy in this process
(:class:`tests.e2e.proxy.RoundRobinProxy`, nginx's ``proxy_next_upstream error timeout
http_503``), which passes it to the servers in turn. ``--users`` residents go through the
whole nomination at once, each waiting for the bot's answer before the next step. After
``--kill-after`` seconds the first server gets SIGKILL (``--signal kill``, a crash) or SIGTERM
(``--signal term``, a rolling restart).

A resident is *affected* when, at that moment, they were waiting for an answer to an update
the stopped server got first: its turn was in the stopped server's hands (stored and
acknowledged, being processed, or its reply taken for sending). For each the bench prints the
seconds from the signal to the first message of their chat that they had not seen before
(a message sent again does not count as the answer), as min / median / max; then how many
messages residents got twice (the same text and buttons as one they had), and whether every
resident finished. ``--env`` passes settings to both servers (``NTVT_HEARTBEAT_SECONDS=10``);
``--ntvt`` runs another checkout's command (``/work/main/.venv/bin/ntvt``: the figures
before a change).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import POSTGRES, POSTGRES_ADMIN, drop_database
from bench.updates import (
    NTVT,
    clean_env,
    free_port,
    keep_logs,
    output_tail,
    wait_healthy,
)
from bot.local_api import LocalBotApi
from tests.e2e.proxy import RoundRobinProxy
from tests.e2e.residents import Resident, listen, stopped_turns

FIRST_ID = 30_000_000


@dataclass
class Outcome:
    """What one run found."""

    affected: list[float]  # seconds from the signal to each affected resident's answer
    unanswered: int  # affected residents never answered
    repeated: int
    finished: int
    users: int
    waiting: int  # residents waiting for any answer at the signal
    exit_code: int | None


async def empty_database() -> tuple[str, str]:
    """Return a new empty PostgreSQL database's URL and name: the first server migrates it."""
    import asyncpg  # type: ignore[import-untyped]

    name = f"ntvt_failover_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"{POSTGRES}/{name}", name


async def start_server(
    ntvt: str, api: LocalBotApi, folder: Path, name: str, env: dict[str, str]
) -> tuple[asyncio.subprocess.Process, str, Path]:
    """Start ``ntvt serve`` on a free port; return it, its base URL and its log once healthy."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            ntvt,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            cwd=folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    await wait_healthy(base, process, log)
    return process, base, log


async def run_once(args: argparse.Namespace, folder: Path, url: str) -> Outcome:
    """Start the two servers and the residents, stop the first mid-flow, and measure."""
    async with LocalBotApi(latency=args.latency) as api, RoundRobinProxy([]) as proxy:
        residents = {
            FIRST_ID + n: Resident(api.user(FIRST_ID + n, f"Cư dân {n}")) for n in range(args.users)
        }

        listen(api, residents)
        env = clean_env(
            NTVT_DATABASE_URL=url,
            NTVT_TELEGRAM_TOKEN=api.token,
            NTVT_TELEGRAM_API_URL=api.base_url,
            NTVT_TELEGRAM_FILE_URL=api.file_base_url,
            NTVT_WEBHOOK_URL=f"{proxy.url}/telegram/webhook",
            NTVT_WEBHOOK_SECRET=secrets.token_urlsafe(24),
            **dict(setting.split("=", 1) for setting in args.env),
        )
        # One after the other: the second's start must not race the first's migration.
        first, first_url, _ = await start_server(args.ntvt, api, folder, "first", env)
        second, second_url, second_log = await start_server(args.ntvt, api, folder, "second", env)
        proxy.backends = [first_url, second_url]
        try:
            await api.wait_until_idle(timeout=30, quiet=0.3)
            tasks = [asyncio.create_task(r.nominate()) for r in residents.values()]
            await asyncio.sleep(args.kill_after)
            stopped_at = time.monotonic()
            first.send_signal(signal.SIGKILL if args.signal == "kill" else signal.SIGTERM)
            exit_code = await first.wait()
            failures = [
                r for r in await asyncio.gather(*tasks, return_exceptions=True) if r is not None
            ]
            if failures:
                print(f"{len(failures)} residents stopped: {failures[0]!r}")
            await api.wait_until_idle(timeout=30, quiet=2.0)
            if second.returncode is not None:
                raise SystemExit(f"the second server exited:\n{output_tail(second_log)}")
        finally:
            for process in (first, second):
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(process.wait(), 30)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
        affected, unanswered, waiting = stopped_turns(
            residents.values(), proxy, first_url, stopped_at
        )
        repeated = sum(r.repeated for r in residents.values())
        finished = sum(r.finished for r in residents.values())
        if args.logs:
            keep_logs(folder, Path(args.logs))
        return Outcome(
            sorted(affected), unanswered, repeated, finished, args.users, waiting, exit_code
        )


def describe(outcome: Outcome, how: str) -> str:
    """One paragraph of figures."""
    times = outcome.affected
    spread = (
        f"min {times[0]:.1f} s, median {statistics.median(times):.1f} s, max {times[-1]:.1f} s"
        if times
        else "none"
    )
    return (
        f"{how}: exit code {outcome.exit_code}; {outcome.waiting} residents waiting at the "
        f"signal, {len(times) + outcome.unanswered} of them on the stopped server; their wait "
        f"from the signal to the answer: {spread}"
        + (f" ({outcome.unanswered} never answered)" if outcome.unanswered else "")
        + f"; messages repeated: {outcome.repeated}; residents who finished: "
        f"{outcome.finished}/{outcome.users}"
    )


async def main(args: argparse.Namespace) -> None:
    how = "SIGKILL" if args.signal == "kill" else "SIGTERM"
    print(
        f"{args.users} residents nominating through a round-robin proxy to two `ntvt serve` on "
        f"one PostgreSQL; {how} to the first after {args.kill_after:g} s; fake Bot API "
        f"{1000 * args.latency:.0f} ms per call; {os.cpu_count()} CPUs"
        + (f"; settings {' '.join(args.env)}" if args.env else "")
    )
    everything: list[float] = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as name:
            url, database = await empty_database()
            try:
                outcome = await run_once(args, Path(name), url)
            finally:
                await drop_database(database)
        everything.extend(outcome.affected)
        print(f"run {n + 1}: {describe(outcome, how)}", flush=True)
    if args.runs > 1 and everything:
        everything.sort()
        print(
            f"all runs: {len(everything)} affected residents; min {everything[0]:.1f} s, "
            f"median {statistics.median(everything):.1f} s, max {everything[-1]:.1f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--kill-after", type=float, default=3.0)
    parser.add_argument("--signal", choices=("kill", "term"), default="kill")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for both servers")
    parser.add_argument("--logs", help="keep the servers' output in this folder")
    parser.add_argument(
        "--ntvt", default=str(NTVT), help="the ntvt command to run (another checkout's, to compare)"
    )
    asyncio.run(main(parser.parse_args()))
