"""Where residents' photos and files from Zalo are kept: downloaded on arrival, by content.

Zalo hands out a URL for each photo or file a person sends, and the URL expires (hours or
days; not documented): a nomination's evidence must be copied at once. The media store is a
directory (``NTVT_ZALO_MEDIA_DIR``); each file is named by the SHA-256 of its content, so
the same photo sent twice is kept once, and a name never comes from what a resident typed.
Files are written to a temporary name and renamed, so a crash never leaves half a file.

Retention: a file stays while a kept row names it (a case's evidence, a draft). The daily
purge and an erasure sweep the store (:meth:`MediaStore.sweep`, :func:`bot.retention.sweep_media`):
a file no row names any more is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InputFile

from bot.sender import FileGoneError
from core.outbox import OutgoingMessage

_KEY = re.compile(r"[0-9a-f]{64}(\.[a-z0-9]{1,8})?")
# How a file of the media store is named where a Telegram file id would be (an Evidence's
# file_id, a sendPhoto's photo): senders upload it from the store instead.
FILE_ID_PREFIX = "zalo:"


def media_file_id(key: str) -> str:
    """Return the file id that names the media store's file ``key``."""
    return FILE_ID_PREFIX + key


def media_key(file_id: object) -> str | None:
    """Return the media store's key a file id names, or None for any other (Telegram's)."""
    if not isinstance(file_id, str) or not file_id.startswith(FILE_ID_PREFIX):
        return None
    key = file_id[len(FILE_ID_PREFIX) :]
    return key if _KEY.fullmatch(key) else None


_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """A file in the media store: ``key`` names it there; ``name`` is what the sender gave."""

    key: str
    size: int
    content_type: str
    name: str


class MediaStore:
    """A directory of files named by their content's SHA-256 (two levels, 256 folders)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    async def save(self, data: bytes, *, name: str, content_type: str) -> StoredMedia:
        """Keep ``data``; return its record (the same key for the same bytes)."""
        digest = hashlib.sha256(data).hexdigest()
        match = _EXTENSION.search(name)
        key = digest + ("." + match.group(1).lower() if match else "")
        await asyncio.to_thread(self._write, key, data)
        return StoredMedia(key=key, size=len(data), content_type=content_type, name=name[:256])

    def path_of(self, key: str) -> Path:
        """Return where the file of ``key`` is; refuse a key this store cannot have made."""
        if not _KEY.fullmatch(key):
            raise ValueError("not a media key")
        return self.directory / key[:2] / key

    async def read(self, key: str) -> bytes:
        """Return the bytes of the file of ``key``."""
        return await asyncio.to_thread(self.path_of(key).read_bytes)

    async def sweep(self, keep: Collection[str], *, older_than: datetime) -> int:
        """Delete the files whose key is not in ``keep`` and were written before the instant.

        What no kept row names any more (a case erased, purged or anonymised; a draft
        dropped) leaves the disk. ``older_than`` spares files just downloaded, whose turn has
        not stored their file id yet. Return how many files were deleted.
        """
        return await asyncio.to_thread(self._sweep, frozenset(keep), older_than.timestamp())

    def _sweep(self, keep: frozenset[str], before: float) -> int:
        deleted = 0
        if not self.directory.is_dir():
            return 0
        for folder in self.directory.iterdir():
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for path in folder.iterdir():
                if not _KEY.fullmatch(path.name) or path.name in keep:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < before:
                        path.unlink()
                        deleted += 1
        return deleted

    def _write(self, key: str, data: bytes) -> None:
        path = self.path_of(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{secrets.token_hex(4)}.part")
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)


# The parameters of the Bot API's sending methods that carry a file, by method.
_FILE_PARAMS = {"sendPhoto": "photo", "sendDocument": "document"}


class MediaFiles:
    """Uploads to Telegram a file of the media store a message names (a Zalo resident's photo).

    A file a resident sent on Zalo is kept here, not on Telegram; an officer reading the
    case on Telegram gets it uploaded (see :class:`bot.sender.FileMaker`). A file no longer
    in the store (the case was erased or purged meanwhile) fails the message.
    """

    def __init__(self, store: MediaStore) -> None:
        self._store = store

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the message's parameters with the file's bytes, or None if it names none."""
        name = _FILE_PARAMS.get(message.method)
        key = media_key(message.params.get(name)) if name is not None else None
        if name is None or key is None:
            return None
        try:
            data = await self._store.read(key)
        except FileNotFoundError:
            raise FileGoneError(f"the media file {key[:12]}… is no longer kept") from None
        return {**message.params, name: InputFile(data, filename=key)}
