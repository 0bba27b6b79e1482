"""What ``ntvt updates`` does: list the updates set aside, and put one back to be processed.

An update is set aside when it cannot be read or its turn kept failing (see
:mod:`core.inbound`). The listing shows its id, its chat, when and why, never its content;
``retry`` clears the mark, and the running bot's sweep (or the next start) processes it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.settings import Settings
from core.inbound import DeadLetter
from core.stored_updates import dead_letters, retry_dead_letter
from storage.uow import open_database

LIST_LIMIT = 100


class UpdatesCommandError(Exception):
    """A refusal, as one line for the operator (exit code 1)."""


async def dead_lines(settings: Settings) -> list[str]:
    """Return one line per update set aside (oldest first), after a heading with the count."""
    db = await open_database(settings.database_url, migrate=False)
    try:
        letters, count = await dead_letters(db.uow(), limit=LIST_LIMIT)
    finally:
        await db.dispose()
    if not letters:
        return ["Không có cập nhật nào bị để riêng."]
    shown = f" (hiện {len(letters)} cái cũ nhất)" if count > len(letters) else ""
    heading = f"{count} cập nhật bị để riêng{shown}: mã, cuộc trò chuyện, lúc, lý do"
    return [heading, *(_line(letter, settings.tz) for letter in letters)]


async def retry(settings: Settings, update_id: int) -> list[str]:
    """Put a set-aside update back to be processed; refuse an id that is not set aside."""
    db = await open_database(settings.database_url, migrate=False)
    try:
        cleared = await retry_dead_letter(db.uow(), update_id)
    finally:
        await db.dispose()
    if not cleared:
        raise UpdatesCommandError(
            f"không có cập nhật {update_id} nào đang bị để riêng (xem danh sách: ntvt updates dead)"
        )
    return [
        f"ntvt: cập nhật {update_id} sẽ được xử lý lại "
        "(bot đang chạy tự nhận trong vòng NTVT_UPDATE_SWEEP giây, hoặc ở lần khởi động sau)"
    ]


def _line(letter: DeadLetter, tz: ZoneInfo) -> str:
    chat = "-" if letter.chat_id is None else str(letter.chat_id)
    when = letter.set_aside_at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")
    return f"{letter.update_id}\t{chat}\t{when}\t{letter.failure}"
