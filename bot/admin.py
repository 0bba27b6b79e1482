"""What the ``ntvt invite`` and ``ntvt officers`` commands do, on the configured database.

They act as the operator (:meth:`core.roles.Actor.operator`): whoever has the shell and the
database, through the same core services that check an admin in chat.
"""

from __future__ import annotations

from datetime import date

from bot.runtime import system_clock
from bot.settings import Settings
from core.matching import Candidate, FuzzyMatcher
from core.review import all_grants, grant_role, invite, revoke_role
from core.roles import Actor, Role, read_role
from storage.uow import Database, open_database


def parse_role(text: str) -> Role:
    """Return the role named ``text`` ("cán bộ", "can bo", "officer"...) or raise ValueError."""
    read = read_role(text)
    if read is None or read[1]:
        raise ValueError(
            f"unknown role {text!r}: use cán bộ, thường trực, thành viên hội đồng or quản trị"
            " (diacritics optional), or officer, secretariat, council_member or admin"
        )
    return read[0]


async def resolve_unit(db: Database, text: str) -> tuple[str, str]:
    """Return the key and name of the unit ``text`` names (accents and typos forgiven)."""
    async with db.uow() as uow:
        organisation = await uow.organisation.load()
    if organisation is None:
        raise ValueError("no plan loaded: run 'ntvt plan load FILE' first")
    matcher = FuzzyMatcher(Candidate(u.key, u.name, u.aliases) for u in organisation.units)
    result = matcher.match(text)
    if result.best is not None:
        return result.best.key, result.best.name
    if result.candidates:
        names = "; ".join(c.candidate.name for c in result.candidates)
        raise ValueError(f"unit {text!r} is ambiguous: {names}")
    raise ValueError(f"no unit looks like {text!r}")


async def bot_username(settings: Settings) -> str:
    """Return the bot's username, from the settings or by asking Telegram."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    from telegram import Bot

    bot = Bot(settings.token(), base_url=settings.telegram_api_url)
    async with bot:
        me = await bot.get_me()
    if not me.username:
        raise ValueError("the bot has no username")
    return me.username


async def create_invitation(
    settings: Settings, role_name: str, unit: str | None, days: int
) -> tuple[str, str | None]:
    """Create an invitation; return its deep link and the unit's name."""
    role = parse_role(role_name)
    if role is Role.OFFICER and not unit:
        raise ValueError("an officer invitation needs --unit")
    db = await open_database(settings.database_url)
    try:
        unit_key, unit_name = await resolve_unit(db, unit) if unit else (None, None)
        async with db.uow() as uow:
            code, _ = await invite(
                uow, Actor.operator(), role=role, unit_key=unit_key, days=days, now=system_clock()
            )
            await uow.commit()
    finally:
        await db.dispose()
    username = await bot_username(settings)
    return f"https://t.me/{username}?start={code}", unit_name


async def grant(
    settings: Settings,
    user_id: int,
    role_name: str,
    unit: str | None,
    *,
    valid_from: date | None = None,
) -> int:
    """Grant a role directly, from today or ``valid_from``; return the grant's id."""
    role = parse_role(role_name)
    db = await open_database(settings.database_url)
    try:
        unit_key = (await resolve_unit(db, unit))[0] if unit else None
        async with db.uow() as uow:
            created = await grant_role(
                uow,
                Actor.operator(),
                user_id=user_id,
                role=role,
                unit_key=unit_key,
                now=system_clock(),
                valid_from=valid_from,
            )
            await uow.commit()
    finally:
        await db.dispose()
    assert created.id is not None
    return created.id


async def list_grants(settings: Settings) -> list[str]:
    """Return one line per grant: id, user, role, unit, dates."""
    db = await open_database(settings.database_url)
    try:
        async with db.uow() as uow:
            grants = await all_grants(uow, Actor.operator())
            organisation = await uow.organisation.load()
    finally:
        await db.dispose()
    lines = []
    for item in grants:
        unit = organisation.find_unit(item.unit_key) if organisation and item.unit_key else None
        state = f"revoked {item.revoked_at:%d/%m/%Y}" if item.revoked_at else "active"
        lines.append(
            f"{item.id}\\tuser {item.user_id}\\t{item.role.value}\\t"
            f"{unit.name if unit else item.unit_key or '-'}\\t"
            f"since {item.granted_at:%d/%m/%Y}\\t{state}"
        )
    return lines or ["no roles granted yet"]


async def revoke_grant(settings: Settings, grant_id: int) -> bool:
    """Revoke a grant; return False if there was no active grant with that id."""
    db = await open_database(settings.database_url)
    try:
        async with db.uow() as uow:
            done = await revoke_role(uow, Actor.operator(), grant_id, now=system_clock())
            await uow.commit()
    finally:
        await db.dispose()
    return done
