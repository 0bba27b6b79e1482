"""The evidence's photos for the case page, fetched where they are kept and held in memory.

A photo sent on Telegram is kept by Telegram only (its file id): the running bot asks for it
(``getFile``) and downloads it into memory. A photo sent on Zalo is in the media store
(:mod:`bot.zalo.media`). Nothing is written to disk here and nothing may be cached: what is
served is a resident's photo, for the officer who may see the case, and for nobody after.

Only images of the kinds a browser shows are served, by what their first bytes say (never by
a name a resident gave); anything else is not found.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.zalo.media import MediaStore, media_key

log = logging.getLogger(__name__)

# The image's own headers: nothing runs in it, nothing keeps it.
PHOTO_HEADERS = {
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Content-Disposition": "inline",
    "X-Content-Type-Options": "nosniff",
}


def image_type(data: bytes) -> str | None:
    """Return the media type of an image a browser shows (JPEG, PNG, GIF, WebP), by its bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def fetch_photo(
    file_id: str, *, bot: Bot | None, store: MediaStore
) -> tuple[bytes, str] | None:
    """Return a photo's bytes and media type; None if it cannot be had or is no image."""
    key = media_key(file_id)
    try:
        if key is not None:
            data = await store.read(key)
        elif bot is not None:
            file = await bot.get_file(file_id)
            data = bytes(await file.download_as_bytearray())
        else:
            return None
    except (OSError, ValueError, TelegramError) as error:
        # Gone from the store (erased, purged), or Telegram refused or could not be reached.
        log.info("an evidence photo could not be fetched: %s", type(error).__name__)
        return None
    media_type = image_type(data)
    return (data, media_type) if media_type is not None else None
