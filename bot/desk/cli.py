"""What ``ntvt desk sessions`` and ``ntvt desk revoke`` do, as the operator."""

from __future__ import annotations

from datetime import datetime

from bot.settings import Settings
from core.desk import UnknownSessionError
from core.desk_services import active_sessions, revoke_session, revoke_sessions_of
from core.review import display_name
from core.roles import Actor
from storage.uow import open_database


class DeskCommandError(Exception):
    """A desk command could not do what was asked; the message is one line."""


async def session_lines(settings: Settings, *, now: datetime) -> list[str]:
    """Return one line per open session: id, officer, since, last seen, until (local time)."""
    db = await open_database(settings.database_url, migrate=False)
    try:
        async with db.uow() as uow:
            sessions = await active_sessions(uow, Actor.operator(), now=now)
            names = {s.user_id: await display_name(uow, s.user_id) for s in sessions}
    finally:
        await db.dispose()
    if not sessions:
        return ["ntvt: no desk session is open"]

    def local(at: datetime) -> str:
        return f"{at.astimezone(settings.tz):%Y-%m-%d %H:%M}"

    lines = ["id\tuser\tname\tsince\tlast seen\tuntil"]
    for session in sessions:
        lines.append(
            f"{session.id}\t{session.user_id}\t{names[session.user_id]}\t"
            f"{local(session.created_at)}\t{local(session.last_seen_at)}\t"
            f"{local(session.expires_at)}"
        )
    return lines


async def revoke_lines(
    settings: Settings, *, session_id: int | None, user_id: int | None, now: datetime
) -> list[str]:
    """End one session, or every session of one officer (and void their unused links)."""
    if (session_id is None) == (user_id is None):
        raise DeskCommandError("give a session id, or --user with a Telegram user id")
    db = await open_database(settings.database_url, migrate=False)
    try:
        async with db.uow() as uow:
            if session_id is not None:
                try:
                    await revoke_session(uow, Actor.operator(), session_id, now=now)
                except UnknownSessionError:
                    raise DeskCommandError(f"no open desk session {session_id}") from None
                line = f"ntvt: desk session {session_id} ended"
            else:
                assert user_id is not None
                ended = await revoke_sessions_of(uow, Actor.operator(), user_id, now=now)
                line = f"ntvt: {ended} desk session(s) of user {user_id} ended"
            await uow.commit()
    finally:
        await db.dispose()
    return [line]
