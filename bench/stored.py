"""Fill a bot's database with generated nominations, as if it had served a district for years.

    .venv/bin/python bench/stored.py URL [--n 100000] [--seed 2018]

The nominees, wards, deeds, codes and submission times are :func:`bench.find.generate`'s
(names by real family-name frequency, the 18 wards of the 2018 demo plan, deeds from
templates), so a seed gives the same people here as in ``bench/find.py``. Around them, what a
stored nomination has in the bot: its nominator (a ``users`` row, the foreign key, with the
privacy notice agreed to), a status spread over the review (officers' claims on the cases
being verified), a role, a deed date, sometimes a campaign, a phone, anonymity and 1-3 photos
or documents. The demo plan is loaded first if the database has no organisation, so every
unit key is one the bot knows.

Rows go in with SQLAlchemy Core, :data:`CHUNK` per executemany, in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Executable, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bench import find
from bot.plans import DEMO_PLAN, load_plan, read_plan_file
from core.codes import new_tracking_code
from core.nomination import EvidenceKind, NominationStatus, NomineeKind, NomineeRole
from core.org import Organisation
from core.people import PRIVACY_NOTICE_VERSION, ConsentPurpose
from core.search import SearchEntry
from core.text import fold
from storage.tables import ConsentRow, EvidenceRow, NominationRow, UserRow
from storage.uow import Database, open_database

CHUNK = 5_000  # rows per executemany
# Nominators' Telegram ids start here: far from bench/updates.py's residents (20,000,000+).
FIRST_NOMINATOR = 5_000_000_000
NOMINATIONS_PER_NOMINATOR = 1.5  # most residents nominate once, some many times
FIRST_OFFICER = 900_000
# Where a district's nominations stand after a while: most decided, a fifth still open.
STATUSES = find.Table(
    {
        NominationStatus.SUBMITTED: 12,
        NominationStatus.VERIFYING: 6,
        NominationStatus.NEEDS_INFO: 3,
        NominationStatus.PROPOSED: 5,
        NominationStatus.UNDER_REVIEW: 4,
        NominationStatus.COMMENDED: 40,
        NominationStatus.NOT_COMMENDED: 12,
        NominationStatus.REJECTED: 13,
        NominationStatus.WITHDRAWN: 5,
    }
)
ROLES = find.Table(
    {
        NomineeRole.RESIDENT: 55,
        NomineeRole.WORKER: 12,
        NomineeRole.CIVIL_SERVANT: 10,
        NomineeRole.ARMED_FORCES: 6,
        NomineeRole.STUDENT: 14,
        NomineeRole.FOREIGNER: 3,
    }
)

_NOMINATIONS = cast(Table, NominationRow.__table__)
_EVIDENCE = cast(Table, EvidenceRow.__table__)
_USERS = cast(Table, UserRow.__table__)
_CONSENTS = cast(Table, ConsentRow.__table__)


@dataclass(frozen=True)
class Stored:
    """What :func:`store_nominations` put in the database, and how long it took."""

    nominations: int
    nominators: int
    evidence: int
    generate_s: float
    insert_s: float

    @property
    def seconds(self) -> float:
        return self.generate_s + self.insert_s


async def store_nominations(url: str, n: int, *, seed: int = 2018) -> Stored:
    """Migrate the database at ``url`` (and give it the demo plan); store ``n`` nominations."""
    db = await open_database(url)
    try:
        organisation = await _organisation(db)
        started = time.perf_counter()
        entries = find.generate(n, seed)
        generated = time.perf_counter()
        async with db.engine.begin() as connection:
            taken = set((await connection.scalars(select(_NOMINATIONS.c.code))).all())
            first_id = await connection.scalar(select(func.max(_NOMINATIONS.c.id))) or 0
            last_user = await connection.scalar(
                select(func.max(_USERS.c.id)).where(_USERS.c.id >= FIRST_NOMINATOR)
            )
            first_user = FIRST_NOMINATOR if last_user is None else last_user + 1
            nominators = range(
                first_user, first_user + max(1, round(n / NOMINATIONS_PER_NOMINATOR))
            )
            await _store_nominators(connection, entries, nominators)
            rows = _nomination_rows(entries, organisation, nominators, taken, seed)
            del entries
            await _insert(connection, _NOMINATIONS, rows)
            added = select(_NOMINATIONS.c.code, _NOMINATIONS.c.id).where(
                _NOMINATIONS.c.id > first_id
            )
            ids = {code: nomination_id for code, nomination_id in await connection.execute(added)}
            evidence = _evidence_rows([ids[row["code"]] for row in rows], seed)
            await _insert(connection, _EVIDENCE, evidence)
        return Stored(
            nominations=n,
            nominators=len(nominators),
            evidence=len(evidence),
            generate_s=generated - started,
            insert_s=time.perf_counter() - generated,
        )
    finally:
        await db.dispose()


async def _organisation(db: Database) -> Organisation:
    """Return the database's organisation, loading the demo plan as the bot does if none."""
    async with db.uow() as uow:
        organisation = await uow.organisation.load()
    if organisation is not None:
        return organisation
    document = read_plan_file(DEMO_PLAN)
    await load_plan(db, document)
    assert document.organisation is not None
    return document.organisation


async def _insert(
    connection: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows``, :data:`CHUNK` to an executemany.

    On PostgreSQL a RETURNING makes SQLAlchemy send the executemany as multi-row INSERTs
    ("insertmanyvalues", 1,000 rows a statement) instead of a statement per row: 1.5 times
    faster. SQLite's executemany is fast as it is; a RETURNING there goes row by row.
    """
    statement: Executable = insert(table)
    if connection.dialect.name == "postgresql":
        statement = insert(table).returning(table.primary_key.columns[0])
    for start in range(0, len(rows), CHUNK):
        await connection.execute(statement, list(rows[start : start + CHUNK]))


async def _store_nominators(
    connection: AsyncConnection, entries: Sequence[SearchEntry], nominators: range
) -> None:
    """Store the residents who nominated: generated names too, privacy notice agreed to."""
    start = datetime(2017, 12, 1, tzinfo=UTC)
    users, consents = [], []
    for k, user_id in enumerate(nominators):
        joined = start + timedelta(minutes=11 * k)
        # Another nominee's name: the same population, no second generator.
        name = entries[(k * 7919) % len(entries)].nominee_name
        users.append(
            {
                "id": user_id,
                "display_name": name,
                "language_code": "vi",
                "locale": None,
                "created_at": joined,
            }
        )
        consents.append(
            {
                "user_id": user_id,
                "purpose": ConsentPurpose.NOMINATION.value,
                "notice_version": PRIVACY_NOTICE_VERSION,
                "given_at": joined,
            }
        )
    await _insert(connection, _USERS, users)
    await _insert(connection, _CONSENTS, consents)


def _nomination_rows(
    entries: Sequence[SearchEntry],
    organisation: Organisation,
    nominators: range,
    taken: set[str],
    seed: int,
) -> list[dict[str, Any]]:
    """Return the ``nominations`` rows of generated entries, in the bot's column values."""
    # A second stream: the entries stay bench/find.py's for the same seed.
    rng = random.Random(seed + 1)
    unit_keys = {unit.name: unit.key for unit in organisation.units}
    folded: dict[str, str] = {}  # names repeat: fold each once
    rows = []
    for entry in entries:
        assert entry.created_at is not None
        created = entry.created_at
        code = entry.code
        while code in taken:  # 40 random bits: about one clash in 200 runs of 100,000
            code = new_tracking_code(rng.randbytes).value
        taken.add(code)
        status = NominationStatus(STATUSES.draw(rng))
        changed = created
        if status is not NominationStatus.SUBMITTED:
            changed += timedelta(hours=rng.randint(2, 24 * 60))
        claimed = status is NominationStatus.VERIFYING
        deed_date = created.date() - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5, 7, 14)))
        rows.append(
            {
                "code": code,
                "status": status.value,
                "nominee_kind": NomineeKind.INDIVIDUAL.value,
                "nominee_name": entry.nominee_name,
                "nominee_name_key": folded.get(entry.nominee_name)
                or folded.setdefault(entry.nominee_name, fold(entry.nominee_name)),
                "nominee_role": str(ROLES.draw(rng)),
                "unit_key": unit_keys[entry.unit_name],
                "deed": entry.deed,
                "deed_date": deed_date,
                "place": None,
                "latitude": None,
                "longitude": None,
                "nominator_user_id": rng.choice(nominators),
                "nominator_phone": f"09{rng.randrange(10**8):08d}" if rng.random() < 0.3 else None,
                "nominator_anonymous": rng.random() < 0.1,
                "campaign_key": _campaign(rng, organisation, deed_date),
                "created_at": created,
                "status_changed_at": changed,
                "handler_id": FIRST_OFFICER + rng.randrange(40) if claimed else None,
                "handled_since": changed if claimed else None,
                "merged_into_id": None,
            }
        )
    return rows


def _campaign(rng: random.Random, organisation: Organisation, day: date) -> str | None:
    """A quarter of the nominations answer a campaign running on the deed's day."""
    if rng.random() >= 0.25:
        return None
    running = [c.key for c in organisation.campaigns if c.validity.contains(day)]
    return rng.choice(running) if running else None


def _evidence_rows(nomination_ids: Sequence[int], seed: int) -> list[dict[str, Any]]:
    """Half the nominations come with 1-3 photos or documents (Telegram file ids only)."""
    rng = random.Random(seed + 2)
    rows = []
    for nomination_id in nomination_ids:
        if rng.random() < 0.5:
            continue
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            photo = rng.random() < 0.85
            rows.append(
                {
                    "nomination_id": nomination_id,
                    "position": position,
                    "kind": (EvidenceKind.PHOTO if photo else EvidenceKind.DOCUMENT).value,
                    "file_id": "AgACAgUAAxkBAA" + _file_id(rng, 45),
                    "file_unique_id": "AQAD" + _file_id(rng, 9),
                    "file_name": None if photo else f"xac-nhan-{nomination_id}.pdf",
                    "size": rng.randint(40_000, 2_000_000),
                }
            )
    return rows


def _file_id(rng: random.Random, size: int) -> str:
    """Return random URL-safe base64, the look of Telegram's file ids."""
    return base64.urlsafe_b64encode(rng.randbytes(size)).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the database, e.g. sqlite+aiosqlite:///./ntvt.db")
    parser.add_argument("--n", type=int, default=100_000, help="nominations to store")
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    stored = asyncio.run(store_nominations(args.url, args.n, seed=args.seed))
    print(
        f"stored {stored.nominations:,} nominations ({stored.nominators:,} nominators, "
        f"{stored.evidence:,} evidence files) in {stored.seconds:.1f} s "
        f"(generated {stored.generate_s:.1f} s, inserted {stored.insert_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
