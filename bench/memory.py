"""Peak RSS of ``ntvt serve`` over 100,000 stored nominations: at start, after searches and pages.

    .venv/bin/python bench/memory.py [--n 100000] [--postgres] [--top 10]

Takes ``bench/desk.py``'s database (building it if needed), starts ``ntvt serve`` on it (its
bot on the local Bot API, a webhook on 127.0.0.1), waits until it answers ``/healthz`` and
has made its start-up calls. Then signs the standing office in at the desk with a one-time
link, searches 5 times ("hang bac", names typed without accents) and opens every desk page
(overview, queue, a case, compliance, the three charts, the queue's workbook). Prints the
process's resident set (``VmRSS`` in ``/proc/PID/status``) and its peak so far (``VmHWM``)
once the log says the search index is loaded, once ready, and after each step, then issue
19's target line: "peak RSS ≤ 200 MB with 100,000 stored nominations: X MB PASS" (or MISS).

``--top N``: then serves the same app in a child process traced by tracemalloc from its
start (imports included), and prints the memory traced after each step, the N packages
holding the most once imported, once the index is loaded and after the pages, and the N
lines grown most by each (tracemalloc sees Python's allocations only, and slows everything
several times).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from pydantic import SecretStr

from bench import desk
from bench.updates import NTVT, clean_env, free_port, peak_rss_mb, wait_healthy, wait_ready
from bot.desk.links import link_token, signin_url
from bot.keyboards import ButtonSigner
from bot.local_api import LocalBotApi
from bot.settings import Settings
from core.desk_services import issue_link
from core.review import actor_for
from storage.uow import open_database

TARGET_MB = 200.0
SEARCHES = ("hang bac", "nguyen van", "tran thi mai", "tra lai vi", "le minh tuan")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def issue(url: str, signer: ButtonSigner, base: str, user_id: int) -> str:
    """Return a one-time sign-in link for ``user_id``, made in the database as /web makes it."""
    db = await open_database(url)
    try:
        now = datetime.now(UTC)
        async with db.uow() as uow:
            actor = await actor_for(uow, user_id, now.astimezone(desk.TZ).date())
            secret, _ = await issue_link(uow, actor, now=now)
            await uow.commit()
    finally:
        await db.dispose()
    return signin_url(base, link_token(signer, user_id, secret))


def addresses(code: str) -> list[tuple[str, str]]:
    """Return (step, address) of the searches and every desk page, in the order visited."""
    steps = [(f'search "{text}"', f"/desk/queue?q={text.replace(' ', '+')}") for text in SEARCHES]
    steps += [
        ("overview", "/desk/"),
        ("queue", "/desk/queue"),
        ("queue of a ward, commended", f"/desk/queue?unit={desk.WARD}&state=commended"),
        ("a case", f"/desk/case/{code}"),
        ("compliance", "/desk/compliance"),
        ("chart: on time", "/desk/charts/on-time.svg"),
        ("chart: monthly", "/desk/charts/monthly.svg"),
        ("chart: exemplars", "/desk/charts/exemplars.svg"),
        ("chart: monthly again", "/desk/charts/monthly.svg"),
        ("workbook of the queue", f"/desk/queue.xlsx?unit={desk.WARD}&state=commended"),
    ]
    return steps


async def browse(
    client: httpx.AsyncClient, link: str, code: str, after: Callable[[str], object] = print
) -> int:
    """Sign in with ``link``, search and open every page; call ``after`` with each step.

    Return how many requests went.
    """
    page = await client.get(link)
    found = CSRF.search(page.text)
    assert found is not None, page.text[:2000]
    token = link.rsplit("/", 1)[1]
    answer = await client.post("/desk/signin", data={"token": token, "csrf": found.group(1)})
    assert answer.status_code == 303, answer.text[:2000]
    after("signed in")
    steps = addresses(code)
    for step, address in steps:
        answer = await client.get(address)
        # The on-time chart is a 404 when no plan covers the month (the clock is today's).
        if answer.status_code not in (200, 404):
            raise SystemExit(f"{address}: {answer.status_code}\n{answer.text[:2000]}")
        after(step)
    return len(steps)


@dataclass
class Steps:
    """The server's resident set after each step: (step, VmRSS, VmHWM) in MB."""

    pid: int
    rows: list[tuple[str, float, float]] = field(default_factory=list)

    def note(self, step: str) -> None:
        self.rows.append((step, current_rss_mb(self.pid), peak_rss_mb(self.pid)))


def watch_start(log: Path, steps: Steps, stop: threading.Event) -> None:
    """Note the resident set when the log says the search index is loaded (polled)."""
    while not stop.wait(0.02):
        if "search index ready" in log.read_text(errors="replace"):
            steps.note("search index loaded")
            return


async def served(url: str, n: int) -> float:
    """Start ``ntvt serve`` on the database, print its RSS after each step; return the peak."""
    code = (await desk.ward_codes(url, 1))[0]
    button_secret = secrets.token_urlsafe(32)
    signer = ButtonSigner.from_secret(button_secret)
    async with LocalBotApi() as api:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = clean_env(
            NTVT_DATABASE_URL=url,
            NTVT_TELEGRAM_TOKEN=api.token,
            NTVT_TELEGRAM_API_URL=api.base_url,
            NTVT_TELEGRAM_FILE_URL=api.file_base_url,
            NTVT_WEBHOOK_URL=f"{base}/telegram/webhook",
            NTVT_WEBHOOK_SECRET=secrets.token_urlsafe(24),
            NTVT_BUTTON_SECRET=button_secret,
            NTVT_DESK_URL=base,
        )
        log = Path(tempfile.gettempdir()) / "ntvt-bench-memory-serve.log"
        launched = time.monotonic()
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                str(NTVT),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        steps = Steps(process.pid)
        stop = threading.Event()
        watcher = asyncio.create_task(asyncio.to_thread(watch_start, log, steps, stop))
        try:
            await wait_healthy(base, process, log)
            await wait_ready(api, process, log, "setWebhook")
            await api.wait_until_idle(timeout=60, quiet=0.3)
            await asyncio.wait_for(watcher, 5)
            started = time.monotonic() - launched
            steps.note("ready (webhook set, menus sent)")
            link = await issue(url, signer, base, desk.OFFICE)
            async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                await browse(client, link, code, steps.note)
        finally:
            stop.set()
            if process.returncode is None:
                process.terminate()
            await process.wait()
    print(f"ntvt serve over {n:,} nominations: ready in {started:.1f} s")
    print(f"  {'after':<36} {'RSS MB':>7} {'peak MB':>8}")
    for step, now, peak in steps.rows:
        print(f"  {step:<36} {now:7.1f} {peak:8.1f}")
    return steps.rows[-1][2]


async def traced(url: str, top: int) -> None:
    """Serve as ``ntvt serve`` does, in this process traced from its start; print the top.

    Run as a child with ``-X tracemalloc=12`` (see :func:`main`), so the imports are traced
    too. Prints the memory traced (and this process's RSS) after each step; the packages
    holding most once imported, once the search index is loaded and after the pages; and the
    lines that grew most from start to after the pages. Each block is put down to the
    innermost frame that is not the import machinery's: a module's code and constants go to
    the package whose code runs or imports it.
    """
    code = (await desk.ward_codes(url, 1))[0]
    rows: list[tuple[str, float, float]] = []

    def note(step: str) -> None:
        rows.append((step, tracemalloc.get_traced_memory()[0] / 2**20, current_rss_mb(os.getpid())))

    async with LocalBotApi() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_api_url=api.base_url,
            telegram_file_url=api.file_base_url,
            database_url=url,
            webhook_secret=SecretStr("bench-secret"),
            desk_url=desk.DESK_URL,
        )
        from bot.webhook import create_app

        app = create_app(settings, token=api.token, clock=lambda: desk.NOW)
        note("imports")
        imported = tracemalloc.take_snapshot()
        async with app.router.lifespan_context(app):
            note("search index loaded")
            at_start = tracemalloc.take_snapshot()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=desk.DESK_URL) as client:
                rt = app.state.runtime
                async with rt.uow() as uow:
                    actor = await actor_for(uow, desk.OFFICE, desk.NOW.astimezone(desk.TZ).date())
                    secret, _ = await issue_link(uow, actor, now=desk.NOW)
                    await uow.commit()
                link = signin_url(desk.DESK_URL, link_token(rt.buttons, desk.OFFICE, secret))
                await browse(client, link, code, note)
            after = tracemalloc.take_snapshot()
    print(f"tracemalloc (peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB traced):")
    print(f"  {'after':<36} {'traced MB':>9} {'RSS MB':>7}")
    for step, size, rss in rows:
        print(f"  {step:<36} {size:9.1f} {rss:7.1f}")
    snapshots = (("imports", imported), ("search index loaded", at_start), ("pages", after))
    for title, snapshot in snapshots:
        by_package: dict[str, int] = {}
        for trace in snapshot.traces:
            where = holder(trace.traceback)
            by_package[where] = by_package.get(where, 0) + trace.size
        total = sum(by_package.values()) / 2**20
        print(f"tracemalloc after {title}: {total:.1f} MB traced; the top {top}:")
        for where, size in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
            print(f"  {size / 2**20:7.1f} MB  {where}")
    for title, later, earlier in (
        ("the index's load", at_start, imported),
        ("the pages", after, at_start),
    ):
        print(f"the top {top} lines grown by {title} (innermost frame):")
        for diff in later.compare_to(earlier, "lineno")[:top]:
            frame = diff.traceback[0]
            print(f"  {diff.size_diff / 2**20:+7.1f} MB  {frame.filename}:{frame.lineno}")


ROOT = str(Path(__file__).resolve().parent.parent) + "/"


@functools.cache
def holder(traceback: tracemalloc.Traceback) -> str:
    """Return the package whose code allocated a block (the import machinery skipped)."""
    for frame in reversed(traceback):  # innermost first
        name = frame.filename
        if name.startswith("<"):
            continue
        if "site-packages/" in name:
            return name.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        if name.startswith(ROOT):
            parts = name[len(ROOT) :].split("/")
            return "/".join(parts[:2]) if parts[0] == "bot" and len(parts) > 2 else parts[0]
        return "stdlib " + Path(name).stem
    return "(import machinery)"


async def main(args: argparse.Namespace) -> None:
    desk.DATA.mkdir(exist_ok=True)
    if args.postgres:
        url, _ = await desk.postgres_database(args.n, args.seed, rebuild=False)
    else:
        url, _ = await desk.sqlite_database(args.n, args.seed, rebuild=False)
    if args.traced_child:
        await traced(url, args.top)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    peak = await served(url, args.n)
    verdict = "PASS" if peak <= TARGET_MB else "MISS"
    print(
        f"peak RSS ≤ {TARGET_MB:.0f} MB with {args.n:,} stored nominations: {peak:.1f} MB {verdict}"
    )
    if args.top:
        child = [sys.executable, "-X", "tracemalloc=12", __file__, "--traced-child"]
        child += ["--n", str(args.n), "--seed", str(args.seed), "--top", str(args.top)]
        process = await asyncio.create_subprocess_exec(*child, *(["--postgres"] * args.postgres))
        await process.wait()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="nominations in the database")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--top", type=int, default=0, help="then list tracemalloc's top N")
    parser.add_argument("--traced-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
