"""Residents on Zalo at once: how long from their message to the bot's answer on Zalo.

    .venv/bin/python bench/zalo.py [--residents 100] [--database URL]

The whole path of production: the local Zalo OA signs and POSTs each resident's "Xin chào"
to ``/zalo/webhook`` of ``ntvt serve``'s app (uvicorn on 127.0.0.1), the event is stored,
taken up as a turn of the flows, and the welcome and the privacy notice are rendered for Zalo
and sent through the OA API back to the fake, which records when each arrived. Every
resident then agrees to the notice (a button's payload), the second round. Printed: events
per second taken by the webhook, and the time from a resident's message to the last message
of its answer (median, p90, max), per round. SQLite in a temporary directory by default.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import uvicorn
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local_api import LocalBotApi  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.webhook import WEBHOOK_PATH, create_app  # noqa: E402
from bot.zalo.local_api import LocalZaloOA  # noqa: E402
from bot.zalo.tokens import OaTokens, TokenEndpoint, TokenGrant  # noqa: E402
from bot.zalo.webhook import ZALO_WEBHOOK_PATH  # noqa: E402
from storage.uow import open_database  # noqa: E402


async def _round(zalo: LocalZaloOA, people: list[str], send: str, answers: int) -> list[float]:
    """Have every resident send at once; return each one's seconds to its full answer."""
    before = {person: len(zalo.messages_to(person)) for person in people}
    started = time.perf_counter()
    sent_at: dict[str, float] = {}

    async def one(person: str) -> None:
        payload = send
        if send == "agree":
            (title, payload), *_ = zalo.messages_to(person)[-1].buttons
            assert "đồng ý" in title.lower()
        sent_at[person] = time.perf_counter()
        assert await zalo.send_text(person, payload) == 200

    await asyncio.gather(*(one(person) for person in people))
    took = time.perf_counter() - started
    done: dict[str, float] = {}
    deadline = time.perf_counter() + 120
    while len(done) < len(people) and time.perf_counter() < deadline:
        for person in people:
            if person not in done and len(zalo.messages_to(person)) >= before[person] + answers:
                done[person] = time.perf_counter() - sent_at[person]
        await asyncio.sleep(0.005)
    print(f"  webhook took {len(people) / took:.0f} events/s ({len(people)} in {took:.2f} s)")
    if len(done) < len(people):
        print(f"  {len(people) - len(done)} residents got no full answer within 120 s")
    return sorted(done.values())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--database", help="a database URL (default: SQLite, temporary)")
    parser.add_argument("--rate", type=float, default=20.0, help="NTVT_ZALO_SEND_RATE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{folder}/bench.db"
        async with LocalBotApi() as telegram, LocalZaloOA(quiet_hours=None) as zalo:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_api_url=telegram.base_url,
                telegram_file_url=telegram.file_base_url,
                database_url=url,
                webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                webhook_secret=SecretStr("bench-secret"),
                zalo_app_id=zalo.app_id,
                zalo_app_secret=SecretStr(zalo.app_secret),
                zalo_secret_key=SecretStr(zalo.secret_key),
                zalo_oa_id=zalo.oa_id,
                zalo_api_url=zalo.url,
                zalo_oauth_url=zalo.url,
                zalo_media_dir=f"{folder}/media",
                zalo_quiet_start="00:00",
                zalo_quiet_end="00:00",
                zalo_send_rate=args.rate,
            )
            db = await open_database(url)
            async with aiohttp.ClientSession() as http:
                endpoint = TokenEndpoint(
                    http, oauth_url=zalo.url, app_id=zalo.app_id, app_secret=zalo.app_secret
                )
                pair = zalo.issue_tokens()
                await OaTokens(db.uow, endpoint, oa_id=zalo.oa_id, clock=zalo.clock).install(
                    TokenGrant(pair["access_token"], pair["refresh_token"], _lifetime(pair))
                )
            await db.dispose()
            zalo.webhook_url = f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}"
            app = create_app(settings, token=telegram.token)
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
            task = asyncio.create_task(server.serve(sockets=[sock]))
            for _ in range(1000):  # uvicorn offers no event to wait on
                if server.started:
                    break
                await asyncio.sleep(0.01)
            people = [f"{8_000_000_000_000_000_000 + n}" for n in range(args.residents)]
            print(
                f"{args.residents} residents on Zalo, {url.split(':')[0]}, "
                f"sending paced at {args.rate:g} messages/s"
            )
            for label, send, answers in (("greeting", "Xin chào", 2), ("agreeing", "agree", 1)):
                print(f"{label}:")
                waits = await _round(zalo, people, send, answers)
                if waits:
                    p90 = waits[int(0.9 * (len(waits) - 1))]
                    median = statistics.median(waits) * 1000
                    print(
                        f"  message to full answer: median {median:.0f} ms,"
                        f" p90 {p90 * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
                    )
            server.should_exit = True
            await task
            sock.close()


def _lifetime(pair: dict[str, str]) -> timedelta:
    return timedelta(seconds=int(pair["expires_in"]))


if __name__ == "__main__":
    asyncio.run(main())
