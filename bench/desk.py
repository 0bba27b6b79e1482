"""Time the desk over 100,000 nominations: each page, as the office and as a ward officer.

    .venv/bin/python bench/desk.py [--n 100000] [--requests 30] [--postgres] [--rebuild]
                                   [--only PAGE ...] [--profile PAGE] [--drop]

Builds (once; later runs reuse it) a database of ``--n`` nominations filed over the 24 months
before Thursday 20/12/2018, 09:00 in Hà Nội (the demo plan's year, so compliance and the charts
have a plan to count against), spread over the 21 units in service then, with the nominees,
deeds and codes of ``bench/find.py``'s generator, a state drawn by the case's age, the audit
trail of every transition that led there (about 2.5 entries a case), the nominators and their
consent, and evidence for half of them. SQLite is cached in ``bench/data/`` (``*.db`` is not
committed); PostgreSQL (``--postgres``, 127.0.0.1:5432) in a database named after the
generation, kept for the next run unless ``--drop``.

Then serves the real app (``bot.webhook.create_app``, its bot on the local Bot API, the clock
standing at that Thursday) in this process through httpx's ASGI transport, signs in the
standing office and an officer of Phường Hàng Bạc with a one-time link as ``/web`` makes it,
and times ``--requests`` requests of each page for each (after two unmeasured ones). Prints
p50/p99 in ms per page and the database's size. Times include the HTTP machinery, the
template and, for the charts, matplotlib; the client is in the same process, so they are the
server's cost plus httpx's (a few hundred µs).

``--profile PAGE`` prints pyinstrument's profile of that page as the office (pyinstrument is
optional: ``.venv/bin/pip install pyinstrument``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from pydantic import SecretStr
from sqlalchemy import Table, select, text

from bench import find, stored
from bench.common import POSTGRES, POSTGRES_ADMIN
from bot.desk.links import link_token, signin_url
from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhook import create_app
from core.desk_services import issue_link
from core.nomination import NominationStatus as S, NomineeKind
from core.review import actor_for, grant_role
from core.roles import Actor, Role
from core.services import meet_user
from core.text import fold
from core.workflow import TRANSITIONS, Action
from storage.migrate import upgrade
from storage.tables import AuditEntryRow, NominationRow
from storage.uow import open_database

# Thursday 20/12/2018, 09:00 in Hà Nội: the demo plan's year, every old ward in service.
NOW = datetime(2018, 12, 20, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONTHS = 24
OFFICE = 7102  # the standing office: every unit
WARD_OFFICER = 7101  # an officer of Phường Hàng Bạc only
WARD = "phuong-hang-bac"
FIRST_OFFICER = stored.FIRST_OFFICER
DESK_URL = "http://desk.bench"
# Bump when what is generated changes: the cached database's name carries it.
GENERATION = 1
DATA = Path(__file__).resolve().parent / "data"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

_NOMINATIONS = cast(Table, NominationRow.__table__)
_AUDIT = cast(Table, AuditEntryRow.__table__)

# The transitions that lead from "submitted" to each state (rejected: half at verification).
PATHS: dict[S, tuple[Action, ...]] = {
    S.SUBMITTED: (),
    S.VERIFYING: (Action.VERIFY,),
    S.NEEDS_INFO: (Action.VERIFY, Action.ASK_INFO),
    S.PROPOSED: (Action.VERIFY, Action.PROPOSE),
    S.UNDER_REVIEW: (Action.VERIFY, Action.PROPOSE, Action.START_REVIEW),
    S.COMMENDED: (Action.VERIFY, Action.PROPOSE, Action.START_REVIEW, Action.COMMEND),
    S.NOT_COMMENDED: (Action.VERIFY, Action.PROPOSE, Action.START_REVIEW, Action.DECLINE),
    S.REJECTED: (Action.VERIFY, Action.REJECT),
    S.WITHDRAWN: (Action.WITHDRAW,),
}
# A case's state by its age: new ones wait at the unit, old ones are mostly decided.
NEW = find.Table({S.SUBMITTED: 6, S.VERIFYING: 3, S.NEEDS_INFO: 1})
RECENT = find.Table(
    {
        S.SUBMITTED: 3,
        S.VERIFYING: 3,
        S.NEEDS_INFO: 1,
        S.PROPOSED: 3,
        S.UNDER_REVIEW: 2,
        S.REJECTED: 1,
        S.WITHDRAWN: 1,
    }
)


# --- the database -------------------------------------------------------------------------


def first_month() -> date:
    today = NOW.astimezone(TZ).date()
    month = today.month - MONTHS
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


async def build(url: str, n: int, seed: int) -> None:
    """Fill the empty migrated database at ``url`` with ``n`` nominations and the officers."""
    started = time.perf_counter()
    db = await open_database(url)
    try:
        organisation = await stored._organisation(db)
        today = NOW.astimezone(TZ).date()
        units = [unit.key for unit in organisation.units if unit.active_on(today)]
        entries = find.generate(n, seed)
        rng = random.Random(seed + 7)
        start = datetime.combine(first_month(), datetime.min.time(), TZ)
        span = (NOW - start).total_seconds()
        filed = sorted(start + timedelta(seconds=rng.random() * span) for _ in entries)
        async with db.engine.begin() as connection:
            nominators = range(
                stored.FIRST_NOMINATOR,
                stored.FIRST_NOMINATOR + round(n / stored.NOMINATIONS_PER_NOMINATOR),
            )
            await stored._store_nominators(connection, entries, nominators)
            rows = []
            folded: dict[str, str] = {}
            for entry, created in zip(entries, filed, strict=True):
                rows.append(nomination_row(rng, entry, created, units, nominators, folded))
            del entries
            await stored._insert(connection, _NOMINATIONS, rows)
            read = await connection.execute(select(_NOMINATIONS.c.code, _NOMINATIONS.c.id))
            ids: dict[str, int] = dict(read.all())
            audit = [entry for row in rows for entry in history(rng, ids[row["code"]], row)]
            await stored._insert(connection, _AUDIT, audit)
            evidence = stored._evidence_rows([ids[row["code"]] for row in rows], seed)
            await stored._insert(connection, stored._EVIDENCE, evidence)
        async with db.uow() as uow:
            for user_id, name, role, unit in (
                (WARD_OFFICER, "Cán bộ Hàng Bạc", Role.OFFICER, WARD),
                (OFFICE, "Văn phòng Nội vụ", Role.SECRETARIAT, None),
            ):
                await grant_role(
                    uow,
                    Actor.operator(),
                    user_id=user_id,
                    role=role,
                    unit_key=unit,
                    now=start,
                    valid_from=start.date(),
                )
                await meet_user(
                    uow, user_id=user_id, display_name=name, language_code="vi", now=start
                )
            await uow.commit()
        if db.engine.dialect.name == "postgresql":
            async with db.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
        else:
            async with db.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        print(
            f"built {n:,} nominations, {len(audit):,} audit entries, {len(evidence):,} evidence "
            f"files in {time.perf_counter() - started:.0f} s"
        )
    finally:
        await db.dispose()


def nomination_row(
    rng: random.Random,
    entry: Any,
    created: datetime,
    units: Sequence[str],
    nominators: range,
    folded: dict[str, str],
) -> dict[str, Any]:
    age = NOW - created
    table = stored.STATUSES
    if age < timedelta(days=60):
        table = NEW if age < timedelta(days=14) else RECENT
    status = S(table.draw(rng))
    changed = created
    if status is not S.SUBMITTED:
        hours = max(1, min(24 * 60, int(age.total_seconds() // 3600) - 1))
        changed = created + timedelta(hours=rng.randint(1, hours) if hours > 1 else 0, minutes=1)
    claimed = status in (S.VERIFYING, S.NEEDS_INFO)
    deed_date = created.astimezone(TZ).date() - timedelta(days=rng.choice((0, 0, 1, 2, 3, 7)))
    name = entry.nominee_name
    return {
        "code": entry.code,
        "status": status.value,
        "nominee_kind": NomineeKind.INDIVIDUAL.value,
        "nominee_name": name,
        "nominee_name_key": folded.get(name) or folded.setdefault(name, fold(name)),
        "nominee_role": str(stored.ROLES.draw(rng)),
        "unit_key": rng.choice(units),
        "deed": entry.deed,
        "deed_date": deed_date,
        "place": None,
        "latitude": None,
        "longitude": None,
        "nominator_user_id": rng.choice(nominators),
        "nominator_phone": f"09{rng.randrange(10**8):08d}" if rng.random() < 0.3 else None,
        "nominator_anonymous": rng.random() < 0.1,
        "campaign_key": None,
        "created_at": created,
        "status_changed_at": changed,
        "handler_id": FIRST_OFFICER + rng.randrange(40) if claimed else None,
        "handled_since": changed if claimed else None,
        "merged_into_id": None,
    }


def history(rng: random.Random, nomination_id: int, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the audit entries of the transitions that brought the case to its state."""
    status = S(row["status"])
    path = PATHS[status]
    if status is S.REJECTED and rng.random() < 0.5:
        path = (Action.REJECT,)
    created, changed = row["created_at"], row["status_changed_at"]
    officer = FIRST_OFFICER + rng.randrange(40)
    entries, before = [], S.SUBMITTED
    for step, action in enumerate(path, start=1):
        after = TRANSITIONS[action].target
        data: dict[str, Any] = {}
        if action is Action.COMMEND:
            data = {
                "award_form": "Giấy khen",
                "decision_number": f"{rng.randint(1, 999)}/QĐ-UBND",
                "decision_date": changed.astimezone(TZ).date().isoformat(),
            }
        entries.append(
            {
                "nomination_id": nomination_id,
                "action": action.value,
                "from_status": before.value,
                "to_status": after.value,
                "actor_id": row["nominator_user_id"] if action is Action.WITHDRAW else officer,
                "at": created + (changed - created) * step / len(path),
                "public_note": "Chưa đủ căn cứ xác minh." if action is Action.REJECT else None,
                "private_note": None,
                "data": data,
            }
        )
        before = after
    return entries


async def sqlite_database(n: int, seed: int, rebuild: bool) -> tuple[str, Path]:
    path = DATA / f"desk-{n}-{seed}-g{GENERATION}.db"
    if rebuild:
        path.unlink(missing_ok=True)
    if not path.exists():
        building = path.with_suffix(".building.db")
        building.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{building}"
        await upgrade(url)
        await build(url, n, seed)
        building.rename(path)
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)  # a cached database gains the migrations written since
    return url, path


async def postgres_database(n: int, seed: int, rebuild: bool) -> tuple[str, str]:
    import asyncpg  # type: ignore[import-untyped]

    name = f"ntvt_bench_desk_{n}_{seed}_g{GENERATION}"
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        if rebuild:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            building = f"{name}_building"
            await connection.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{building}"')
            url = f"{POSTGRES}/{building}"
            await upgrade(url)
            await build(url, n, seed)
            await connection.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    finally:
        await connection.close()
    url = f"{POSTGRES}/{name}"
    await upgrade(url)
    return url, name


async def database_size(url: str, where: Path | str) -> float:
    """Return the database's size in MB."""
    if isinstance(where, Path):
        return sum(p.stat().st_size for p in where.parent.glob(where.name + "*")) / 2**20
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        size = await connection.fetchval("SELECT pg_database_size($1)", where)
    finally:
        await connection.close()
    return int(size) / 2**20


# --- the pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    page: str
    who: str
    p50: float
    p99: float
    size: int


def pages(codes: Sequence[str]) -> dict[str, list[str]]:
    """Return each page's addresses (the case page takes a different case each time)."""
    filtered = f"unit={WARD}&state={S.COMMENDED.value}"
    return {
        "overview": ["/desk/"],
        "queue": ["/desk/queue"],
        "queue unit+state": [f"/desk/queue?{filtered}"],
        "queue 'hang bac'": ["/desk/queue?q=hang+bac"],
        "case": [f"/desk/case/{code}" for code in codes],
        "compliance": ["/desk/compliance"],
        "charts/on-time.svg": ["/desk/charts/on-time.svg"],
        "charts/monthly.svg": ["/desk/charts/monthly.svg"],
        "charts/exemplars.svg": ["/desk/charts/exemplars.svg"],
        "queue.xlsx unit+state": [f"/desk/queue.xlsx?{filtered}"],
    }


async def sign_in(rt: Runtime, client: httpx.AsyncClient, user_id: int) -> None:
    """Sign ``client`` in as ``user_id`` with a one-time link, as /web and its button do."""
    async with rt.uow() as uow:
        actor = await actor_for(uow, user_id, NOW.astimezone(TZ).date())
        secret, _ = await issue_link(uow, actor, now=NOW)
        await uow.commit()
    assert rt.settings.desk_url is not None
    link = signin_url(rt.settings.desk_url, link_token(rt.buttons, user_id, secret))
    page = await client.get(link)
    found = CSRF.search(page.text)
    assert found is not None, page.text
    token = link.rsplit("/", 1)[1]
    answer = await client.post("/desk/signin", data={"token": token, "csrf": found.group(1)})
    assert answer.status_code == 303, answer.text


async def ward_codes(url: str, count: int) -> list[str]:
    db = await open_database(url)
    try:
        async with db.engine.connect() as connection:
            found = await connection.scalars(
                select(_NOMINATIONS.c.code)
                .where(_NOMINATIONS.c.unit_key == WARD)
                .order_by(_NOMINATIONS.c.id.desc())
                .limit(count)
            )
            return list(found)
    finally:
        await db.dispose()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def time_pages(url: str, args: argparse.Namespace) -> list[Timed]:
    codes = await ward_codes(url, max(args.requests + 2, 2))
    addresses = pages(codes)
    chosen = args.only or list(addresses)
    results = []
    async with LocalBotApi() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_api_url=api.base_url,
            telegram_file_url=api.file_base_url,
            database_url=url,
            webhook_secret=SecretStr("bench-secret"),
            desk_url=DESK_URL,
        )
        app = create_app(settings, token=api.token, clock=lambda: NOW)
        started = time.perf_counter()
        async with app.router.lifespan_context(app):
            print(f"app ready in {time.perf_counter() - started:.1f} s (search index loaded)")
            rt: Runtime = app.state.runtime
            for who, user_id in (("office", OFFICE), ("ward officer", WARD_OFFICER)):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=DESK_URL) as client:
                    await sign_in(rt, client, user_id)
                    for page in chosen:
                        results.append(await time_page(client, page, who, addresses[page], args))
                        print(row(results[-1]), flush=True)
                    if args.profile and who == "office":
                        await profile(client, addresses[args.profile])
    return results


async def time_page(
    client: httpx.AsyncClient,
    page: str,
    who: str,
    addresses: Sequence[str],
    args: argparse.Namespace,
) -> Timed:
    times, size = [], 0
    for number in range(args.requests + 2):
        address = addresses[number % len(addresses)]
        began = time.perf_counter()
        answer = await client.get(address)
        took = time.perf_counter() - began
        if answer.status_code != 200:
            raise SystemExit(f"{page} as the {who}: {answer.status_code}\n{answer.text[:2000]}")
        if number >= 2:
            times.append(took * 1000)
            size = len(answer.content)
    return Timed(page, who, statistics.median(times), percentile(times, 0.99), size)


async def profile(client: httpx.AsyncClient, addresses: Sequence[str]) -> None:
    try:
        from pyinstrument import Profiler  # type: ignore[import-not-found]
    except ImportError:
        print("--profile needs pyinstrument: .venv/bin/pip install pyinstrument")
        return
    profiler = Profiler(async_mode="enabled")
    with profiler:
        for number in range(5):
            await client.get(addresses[number % len(addresses)])
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def row(t: Timed) -> str:
    return f"  {t.page:<24} {t.who:<13} p50 {t.p50:8.1f} ms   p99 {t.p99:8.1f} ms   {t.size:>9,} B"


async def main(args: argparse.Namespace) -> None:
    DATA.mkdir(exist_ok=True)
    began = time.perf_counter()
    if args.postgres:
        url, where = await postgres_database(args.n, args.seed, args.rebuild)
        kind: Path | str = where
    else:
        url, path = await sqlite_database(args.n, args.seed, args.rebuild)
        kind = path
    print(
        f"desk over {args.n:,} nominations, {'PostgreSQL' if args.postgres else 'SQLite'}: "
        f"database {await database_size(url, kind):.0f} MB (ready in "
        f"{time.perf_counter() - began:.0f} s); {args.requests} requests a page after 2 "
        "unmeasured; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    try:
        await time_pages(url, args)
    finally:
        if args.postgres and args.drop:
            from bench.common import drop_database

            await drop_database(str(kind))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="nominations in the database")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true", help="build the database afresh")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL database after")
    parser.add_argument("--only", nargs="*", help="time these pages only (names as printed)")
    parser.add_argument("--profile", help="print pyinstrument's profile of this page (office)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
