"""The full copy of a person's data, made as it is sent: the outbox holds only a reference.

``/dulieu``'s “📦 Nhận bản sao đầy đủ” queues ``sendDocument`` messages whose parameters
name the person, the format and the language (:class:`CopyReference`), not the file. At
each attempt the sender asks :class:`PersonalCopies` (a :class:`bot.sender.FileMaker`) to
make the file from the database as it is then, through the same core service as the chat
(:func:`core.personal_data.personal_data`). So a crash loses no copy (the message stays
queued and the file is made again at the next attempt), and no copy of anyone's data sits
in the outbox, where it would outlive an erasure.

The readable document is an HTML page: the renderer already escapes every text a resident
typed for HTML, any phone or computer opens it in a browser and prints it with its headings
and tables, and ``<meta charset="utf-8">`` keeps the Vietnamese letters whatever the viewer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import InputFile

from bot.runtime import Runtime
from bot.sender import FileGoneError
from core.outbox import OutgoingMessage
from core.personal_data import CopyFormat, PersonalData, personal_data
from core.roles import NotAllowedError

# The parameter of a queued message that names the copy to make; never sent to Telegram.
COPY = "ntvt_copy"
DOCUMENT_TEMPLATE = "mydata/document"


@dataclass(frozen=True, slots=True)
class CopyReference:
    """Which copy a queued message stands for: whose, in which format, in which language."""

    user_id: int
    format: CopyFormat
    locale: str

    def params(self, *, caption: str) -> dict[str, Any]:
        """Return the ``sendDocument`` parameters that name the copy instead of holding it."""
        return {
            "chat_id": self.user_id,
            "document": f"{COPY}.{self.format.value}",
            "caption": caption,
            "parse_mode": "HTML",
            COPY: {"user": self.user_id, "format": self.format.value, "locale": self.locale},
        }

    @classmethod
    def named_by(cls, params: Mapping[str, Any]) -> CopyReference | None:
        """Return the copy a message's parameters name, or None if they name none."""
        named = params.get(COPY)
        if not isinstance(named, dict):
            return None
        try:
            return cls(int(named["user"]), CopyFormat(named["format"]), str(named["locale"]))
        except (KeyError, TypeError, ValueError):
            return None


class PersonalCopies:
    """Makes the copies queued messages name, from the database, in the reader's language."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the message's parameters with its copy made, or None if it names none.

        The copy goes only to the person's own chat; if the bot holds nothing about them
        any more (their data was erased meanwhile), raise :class:`FileGoneError`.
        """
        reference = CopyReference.named_by(message.params)
        if reference is None:
            return None
        async with self._rt.uow() as uow:
            try:
                data = await personal_data(uow, reference.user_id, chat_id=message.chat_id)
            except NotAllowedError:
                data = None
        if data is None:
            raise FileGoneError(f"no personal data to copy for chat {message.chat_id}")
        params = {key: value for key, value in message.params.items() if key != COPY}
        params["document"] = InputFile(
            self.content(data, reference), filename=self.file_name(reference.format)
        )
        return params

    def content(self, data: PersonalData, reference: CopyReference) -> bytes:
        """Return the copy's bytes: JSON, or the readable page in the reader's language."""
        now = self._rt.clock()
        if reference.format is CopyFormat.JSON:
            return json.dumps(data.as_json(now=now), ensure_ascii=False, indent=2).encode()
        page = self._rt.renderer.render_document(
            reference.locale,
            DOCUMENT_TEMPLATE,
            lang=reference.locale,
            data=data,
            now=now,
            directory=self._rt.directory,
        )
        return page.encode()

    def file_name(self, copy_format: CopyFormat) -> str:
        """Return the copy's file name, dated in the council's time zone."""
        return f"du-lieu-ca-nhan-{self._rt.today():%Y-%m-%d}.{copy_format.value}"
