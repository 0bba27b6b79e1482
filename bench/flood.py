"""Residents answering a campaign announcement while the broadcast still runs: reply waits.

    .venv/bin/python bench/flood.py [--recipients 600] [--think 0] [--limit 30]
                                    [--latency 0.05] [--rate 25] [--seed 1]

The bot runs in this process (``running_bot``, polling, SQLite) against the fake Bot API,
which answers every call after ``--latency`` seconds and refuses with 429 beyond ``--limit``
sends a second overall and one a second per chat. A campaign's announcement goes to
``--recipients`` subscribers at the broadcast rate (``--rate``); each resident presses its
"🔔 Nhận tin" button on receiving it, after a random think time of 0 to ``--think`` seconds,
and waits for the bot's answer.

It prints the wait for the answer (press → Telegram accepted the reply) at p50, p99 and
max, the answers still missing after two minutes, the 429s Telegram answered, and what the
limits allow: each reply served, replies first, at the overall limit, but no sooner than
one second after the announcement to its chat (the replies queued ahead of it ÷ the rate).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import make_database
from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.local_api.models import ChatEvent
from bot.settings import Settings
from core.broadcasting import create
from core.broadcasts import Audience, Broadcast
from core.roles import Actor
from tests.bot.audience import store_subscribers

MARKER = "Bench flood"
FIRST_ID = 20_000_000
PATIENCE = 120.0  # seconds after the last press before missing answers are counted


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _allowed(pressed: dict[int, float], announced: dict[int, float], limit: int) -> list[float]:
    """Return each reply's wait if replies went first, at ``limit`` a second, 1/s per chat.

    A reply may go one second after its chat's announcement at the earliest; replies are
    served in that order, one every 1/limit seconds: the queue ahead of it ÷ the rate.
    """
    earliest = sorted((max(at, announced[chat] + 1.0), at) for chat, at in pressed.items())
    free, waits = 0.0, []
    for ready, at in earliest:
        start = max(ready, free)
        free = start + 1.0 / limit
        waits.append(start - at)
    return waits


async def run(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    url, _ = await make_database("sqlite", folder)
    ids = list(range(FIRST_ID, FIRST_ID + args.recipients))
    await store_subscribers(url, ids, now=datetime.now(UTC))
    rng = random.Random(args.seed)
    announced: dict[int, float] = {}
    pressed: dict[int, float] = {}
    answered: dict[int, float] = {}
    presses: set[asyncio.Task[object]] = set()

    async with LocalBotApi(latency=args.latency) as api:
        users = {user_id: api.user(user_id, f"Cư dân {user_id}") for user_id in ids}
        api.rate_limits(global_per_second=args.limit, per_chat_per_second=1)

        async def press(chat_id: int, message: object) -> None:
            pressed[chat_id] = time.monotonic()
            await users[chat_id].press_on(message, "🔔 Nhận tin về phong trào này")  # type: ignore[arg-type]

        def listen(event: ChatEvent) -> None:
            if event.kind != "sent" or event.message is None:
                return
            chat_id, text = event.chat_id, event.message.text or ""
            if MARKER in text and chat_id not in announced:
                announced[chat_id] = time.monotonic()
                loop = asyncio.get_running_loop()
                think = rng.uniform(0, args.think)
                message = event.message

                def start() -> None:
                    task = asyncio.create_task(press(chat_id, message))
                    presses.add(task)
                    task.add_done_callback(presses.discard)

                loop.call_later(think, start)
            elif chat_id in pressed and chat_id not in answered:
                answered[chat_id] = time.monotonic()

        api.add_listener(listen)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_api_url=api.base_url,
            telegram_file_url=api.file_base_url,
            database_url=url,
            broadcast_rate=args.rate,
            quiet_start="00:00",  # type: ignore[arg-type]
            quiet_end="00:00",  # type: ignore[arg-type]
        )
        async with running_bot(settings, token=api.token, polling=True, poll_timeout=1) as (
            _application,
            rt,
        ):
            organisation = rt.directory.organisation
            assert organisation is not None and organisation.campaigns
            campaign = organisation.campaigns[0].key
            started, cpu_started = time.monotonic(), time.process_time()
            async with rt.uow() as uow:
                await create(
                    uow,
                    Broadcast(
                        f"{MARKER}: phát động phong trào",
                        Audience.parse("all"),
                        rt.clock(),
                        campaign_key=campaign,
                    ),
                    actor=Actor.operator(),
                    today=rt.today(),
                )
                await uow.commit()
            assert rt.bulk is not None
            rt.bulk.wake()
            last_change, seen = time.monotonic(), -1
            while len(answered) < len(ids) and time.monotonic() - last_change < PATIENCE:
                if len(answered) + len(pressed) != seen:
                    seen, last_change = len(answered) + len(pressed), time.monotonic()
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            cpu = time.process_time() - cpu_started
    waits = [answered[c] - pressed[c] for c in answered]
    allowed = _allowed(pressed, announced, args.limit)
    too_many = [c for c in api.calls if c.error_code == 429]
    return {
        "residents": len(ids),
        "announced": len(announced),
        "answered": len(answered),
        "missing": len(pressed) - len(answered),
        "wait_p50": statistics.median(waits) if waits else float("nan"),
        "wait_p99": _percentile(waits, 0.99) if waits else float("nan"),
        "wait_max": max(waits, default=float("nan")),
        "allowed_p50": statistics.median(allowed) if allowed else float("nan"),
        "allowed_p99": _percentile(allowed, 0.99) if allowed else float("nan"),
        "429s": len(too_many),
        "429s_on_replies": sum(1 for c in too_many if MARKER not in str(c.params.get("text"))),
        "elapsed": elapsed,
        "cpu_share": cpu / elapsed,
        "broadcast_seconds": max(announced.values()) - min(announced.values()),
        "all_messages_at_limit": 2 * len(ids) / args.limit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=600)
    parser.add_argument("--think", type=float, default=0.0, help="seconds, at most")
    parser.add_argument("--limit", type=int, default=30, help="fake's sends per second")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=25.0, help="NTVT_BROADCAST_RATE")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(run(args, Path(folder)))
    print(
        f"{result['residents']} residents, think 0-{args.think:g} s, fake {args.limit}/s "
        f"overall and 1/s per chat, {args.latency * 1000:.0f} ms per call"
    )
    print(
        f"reply wait: p50 {result['wait_p50']:.2f} s, p99 {result['wait_p99']:.2f} s, "
        f"max {result['wait_max']:.2f} s; answered {result['answered']}, "
        f"missing {result['missing']}"
    )
    print(
        f"the limits allow: p50 {result['allowed_p50']:.2f} s, p99 {result['allowed_p99']:.2f} s "
        f"(replies first at {args.limit}/s, each ≥ 1 s after its chat's announcement)"
    )
    print(
        f"the announcement reached {result['announced']} in "
        f"{result['broadcast_seconds']:.1f} s; this process (bot, fake Bot API and residents) "
        f"used {100 * result['cpu_share']:.0f} % of a core"
    )
    print(
        f"429 answers: {result['429s']} ({result['429s_on_replies']} to replies); "
        f"everything done in {result['elapsed']:.1f} s "
        f"(announcements + replies at the limit: {result['all_messages_at_limit']:.1f} s)"
    )


if __name__ == "__main__":
    main()
