"""The seam to the flows: a stored Zalo event becomes one normalised input of our user.

This step stores events (:mod:`bot.zalo.webhook`); the next one processes them. Its processor
is expected to do, per event, in one transaction (like Telegram's turns)::

    async with uow:
        if not await uow.zalo_events.claim(event.event_id, at=now):
            return                               # processed already (another process)
        given = await take_event(uow, event)     # who, and what they sent
        ...download given.media with ZaloClient.download (Zalo's URLs expire)...
        ...hand `given` to the flow registry; queue the replies in the outbox...
        await uow.commit()

:func:`take_event` maps the person to our user id (minting one the first time,
:mod:`core.identity`) and records when they last wrote, which opens Zalo's free-messaging
window (:func:`core.channels.earliest_send`); it neither claims the event nor commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.channels import Channel
from core.identity import user_id_for
from core.ports import UnitOfWork
from core.zalo import (
    FOLLOW,
    FROM_THE_PERSON,
    UNFOLLOW,
    USER_SEND_FILE,
    USER_SEND_IMAGE,
    USER_SEND_LOCATION,
    USER_SEND_TEXT,
    USER_SUBMIT_INFO,
    ZaloEvent,
)


class InputKind(StrEnum):
    """What a person did, in the flows' terms."""

    TEXT = "text"  # typed, or a tapped oa.query.hide button (its payload arrives as text)
    PHOTO = "photo"
    FILE = "file"
    LOCATION = "location"
    CONTACT = "contact"  # shared their name and phone (user_submit_info)
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    OTHER = "other"  # a sticker, a GIF, a link...: the flows say they cannot read it


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A photo or file the person sent: where to fetch it (soon: the URL expires)."""

    url: str
    name: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ZaloInput:
    """One stored event as the flows will read it: who, and what they sent."""

    event_id: str
    user_id: int
    external_id: str
    kind: InputKind
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    name: str | None = None


async def take_event(uow: UnitOfWork, event: ZaloEvent) -> ZaloInput | None:
    """Return the event as our user's input (None: it is about no one, e.g. an OA event).

    Maps the person to our user id and, for what they did themselves, records when (Zalo's
    timestamp). Does not claim the event or commit: the caller's transaction does both.
    """
    if event.sender_id is None:
        return None
    user_id = await user_id_for(uow.identities, Channel.ZALO, event.sender_id, at=event.received_at)
    if event.event_name in FROM_THE_PERSON:
        await uow.identities.heard_from(Channel.ZALO, event.sender_id, at=event.occurred_at)
    return read_input(event, user_id)


def read_input(event: ZaloEvent, user_id: int) -> ZaloInput:
    """Return what the event says the person did (pure: no storage)."""
    assert event.sender_id is not None
    base: dict[str, Any] = {
        "event_id": event.event_id,
        "user_id": user_id,
        "external_id": event.sender_id,
    }
    message = event.payload.get("message")
    message = message if isinstance(message, dict) else {}
    raw_text = message.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    name = event.event_name
    if name == USER_SEND_TEXT:
        return ZaloInput(**base, kind=InputKind.TEXT, text=text)
    if name in (USER_SEND_IMAGE, USER_SEND_FILE):
        media = tuple(ref for ref in map(_media, attachments) if ref is not None)
        kind = InputKind.PHOTO if name == USER_SEND_IMAGE else InputKind.FILE
        return ZaloInput(**base, kind=kind, text=text, media=media)
    if name == USER_SEND_LOCATION:
        for attachment in attachments:
            coordinates = (attachment.get("payload") or {}).get("coordinates") or {}
            latitude = _number(coordinates.get("latitude"))
            longitude = _number(coordinates.get("longitude"))
            if latitude is not None and longitude is not None:
                return ZaloInput(
                    **base, kind=InputKind.LOCATION, latitude=latitude, longitude=longitude
                )
        return ZaloInput(**base, kind=InputKind.OTHER)
    if name == USER_SUBMIT_INFO:
        info = event.payload.get("info")
        info = info if isinstance(info, dict) else {}
        phone = info.get("phone") if isinstance(info.get("phone"), str) else None
        given = info.get("name") if isinstance(info.get("name"), str) else None
        return ZaloInput(**base, kind=InputKind.CONTACT, phone=phone or None, name=given or None)
    if name == FOLLOW:
        return ZaloInput(**base, kind=InputKind.FOLLOW)
    if name == UNFOLLOW:
        return ZaloInput(**base, kind=InputKind.UNFOLLOW)
    return ZaloInput(**base, kind=InputKind.OTHER, text=text)


def _media(attachment: dict[str, Any]) -> MediaRef | None:
    payload = attachment.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
        return None
    name = payload.get("name") if isinstance(payload.get("name"), str) else ""
    size = payload.get("size")
    return MediaRef(
        url=payload["url"],
        name=name or ("photo.jpg" if attachment.get("type") == "image" else "file"),
        size=int(size) if isinstance(size, str | int) and str(size).isdigit() else None,
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
