"""What a resident sent, read off a Telegram update into one small value the flows understand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telegram import Update

from bot.keyboards import ButtonSigner
from core.nomination import Evidence, EvidenceKind, GeoPoint
from core.text import clean_text

InputKind = Literal["text", "button", "photo", "document", "location", "contact", "other"]

# Longer than any answer the bot asks for: refused before it is normalised or matched.
MAX_INPUT_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Incoming:
    """One input of the resident: a text, a button press, a file, a place or a contact.

    A press whose data the bot did not sign for this chat (forged, from another chat, or
    from before buttons were signed) is a button with no ``flow``: nothing of it is read.
    """

    kind: InputKind
    text: str | None = None
    flow: str | None = None
    token: int | None = None
    action: str | None = None
    arg: str | None = None
    evidence: Evidence | None = None
    location: GeoPoint | None = None
    phone: str | None = None
    contact_is_own: bool = False


def button_data(flow: str, token: int, action: str, arg: str | None = None) -> str:
    """Return callback data ``flow:token:action[:arg]``."""
    return f"{flow}:{token}:{action}" + (f":{arg}" if arg is not None else "")


def read_update(update: Update, buttons: ButtonSigner) -> Incoming:
    """Turn an update into an :class:`Incoming`; a button's data only if signed for its chat."""
    query = update.callback_query
    if query is not None:
        chat = update.effective_chat
        data = buttons.verify(chat.id, query.data or "") if chat is not None else None
        return read_button(data) if data is not None else Incoming("button")
    message = update.effective_message
    if message is None:
        return Incoming("other")
    if message.text is not None:
        return typed(message.text)
    if message.photo:
        largest = message.photo[-1]
        return Incoming(
            "photo",
            evidence=Evidence(
                EvidenceKind.PHOTO, largest.file_id, largest.file_unique_id, None, largest.file_size
            ),
        )
    if message.document is not None:
        doc = message.document
        return Incoming(
            "document",
            evidence=Evidence(
                EvidenceKind.DOCUMENT, doc.file_id, doc.file_unique_id, doc.file_name, doc.file_size
            ),
        )
    if message.location is not None:
        point = GeoPoint(message.location.latitude, message.location.longitude)
        return Incoming("location", location=point)
    if message.contact is not None:
        contact = message.contact
        own = (
            contact.user_id is not None
            and message.from_user is not None
            and (contact.user_id == message.from_user.id)
        )
        return Incoming("contact", phone=contact.phone_number, contact_is_own=own)
    return Incoming("other")


def typed(text: str) -> Incoming:
    """Return a typed text as an input, cleaned.

    Line breaks are kept: a deed's paragraphs stay paragraphs. Longer than any answer is
    cut just past the limit, so the step can still say it was too long.
    """
    cleaned = clean_text(text[: MAX_INPUT_CHARS + 1], max_len=MAX_INPUT_CHARS, multiline=True)
    return Incoming("text", text=cleaned.text)


def read_button(data: str) -> Incoming:
    """Return the press of a button whose data (``flow:token:action[:arg]``) was verified."""
    parts = data.split(":", 3)
    if len(parts) < 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return Incoming("button")
    return Incoming(
        "button",
        flow=parts[0],
        token=int(parts[1]),
        action=parts[2],
        arg=parts[3] if len(parts) > 3 else None,
    )
