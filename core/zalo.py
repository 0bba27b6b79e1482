"""What the bot keeps of a Zalo Official Account: its tokens and the events Zalo POSTed.

Both are stored by ``storage`` and used by the Zalo edge (``bot/zalo``); they live here, pure,
so that the storage ports can name them.

Facts relied on (public sources, see ``bot/zalo/__init__.py``; marked where assumed):

* An OA access token lives about 25 hours (``expires_in`` 90000 seconds in the answer of
  ``POST oauth.zaloapp.com/v4/oa/access_token``); the refresh token lives about 3 months and
  is **single-use**: each refresh answers a new pair, and the old refresh token is void.
* Every webhook event carries ``event_name`` and ``timestamp`` (milliseconds since the epoch,
  a string). Message events carry ``message.msg_id``, which identifies the message; other
  events (follow, unfollow, user_submit_info) carry no id of their own, so the key is made
  from the event's name, its person and its timestamp (an assumption: a redelivery is
  assumed to repeat the same body).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Events the adapter stores; others (stickers, GIFs, link clicks...) are stored too, and the
# next step decides what each means.
USER_SEND_TEXT = "user_send_text"
USER_SEND_IMAGE = "user_send_image"
USER_SEND_FILE = "user_send_file"
USER_SEND_LOCATION = "user_send_location"
USER_SUBMIT_INFO = "user_submit_info"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
# What the person did themselves: each opens the free-messaging window again (assumed for
# user_submit_info, which answers the OA's request_user_info).
FROM_THE_PERSON = frozenset(
    {
        USER_SEND_TEXT,
        USER_SEND_IMAGE,
        USER_SEND_FILE,
        USER_SEND_LOCATION,
        USER_SUBMIT_INFO,
        "user_send_sticker",
        "user_send_gif",
        "user_send_audio",
        "user_send_video",
        "user_send_link",
        "user_send_business_card",
    }
)
MAX_EVENT_ID = 128


@dataclass(frozen=True, slots=True)
class ZaloTokens:
    """An OA's access token and the single-use refresh token that replaces it.

    The tokens are left out of ``repr``: they end up in logs otherwise.
    """

    oa_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refreshed_at: datetime
    refresh_expires_at: datetime | None = None

    def fresh(self, now: datetime, *, margin: timedelta = timedelta(0)) -> bool:
        """Tell whether the access token still serves at ``now`` plus ``margin``."""
        return now + margin < self.access_expires_at


@dataclass(frozen=True, slots=True)
class ZaloEvent:
    """One event Zalo POSTed to the webhook, kept before it was acknowledged.

    ``sender_id``: the person's OA-scoped Zalo id (the sender of a message, the follower of
    a follow); None for an event about no one. ``occurred_at``: Zalo's timestamp.
    """

    event_id: str
    event_name: str
    sender_id: str | None
    payload: dict[str, Any] = field(repr=False)
    occurred_at: datetime
    received_at: datetime
    processed_at: datetime | None = None


class UnreadableEvent(ValueError):
    """A signed body that is not a Zalo event (no name, no timestamp): refused, not stored."""


def occurred_at(payload: dict[str, Any]) -> datetime:
    """Return the event's time from its ``timestamp`` (milliseconds, a string or a number)."""
    raw = payload.get("timestamp")
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not text.isdigit() or len(text) > 16:
        raise UnreadableEvent("no timestamp of milliseconds")
    return datetime.fromtimestamp(int(text) / 1000, tz=UTC)


def sender_of(payload: dict[str, Any]) -> str | None:
    """Return the OA-scoped id of the person the event is about, if any.

    The sender of what a person sent, the follower of a follow; for the echo of what the OA
    sent (``oa_send_*``) the recipient.
    """
    name = payload.get("event_name")
    holders = (
        ("recipient",)
        if isinstance(name, str) and name.startswith("oa_")
        else (
            "sender",
            "follower",
            "user",
        )
    )
    for holder in holders:
        part = payload.get(holder)
        if isinstance(part, dict) and isinstance(part.get("id"), str | int) and part["id"]:
            return str(part["id"])
    return None


def event_id_of(payload: dict[str, Any]) -> str:
    """Return the key that makes a redelivered event a duplicate.

    The message's ``msg_id`` when there is one; otherwise a digest of the event's name, its
    person and its timestamp (follow, unfollow, user_submit_info have no id of their own).
    """
    name = payload.get("event_name")
    if not isinstance(name, str) or not name:
        raise UnreadableEvent("no event_name")
    message = payload.get("message")
    if isinstance(message, dict):
        msg_id = message.get("msg_id")
        if isinstance(msg_id, str | int) and not isinstance(msg_id, bool) and str(msg_id):
            key = f"msg:{msg_id}"
            if len(key) <= MAX_EVENT_ID:
                return key
    occurred = occurred_at(payload)
    basis = f"{name}\x1f{sender_of(payload) or ''}\x1f{int(occurred.timestamp() * 1000)}"
    return "evt:" + hashlib.sha256(basis.encode()).hexdigest()


def read_event(payload: Any, *, received_at: datetime) -> ZaloEvent:
    """Return the event a signed body holds, or raise :class:`UnreadableEvent`."""
    if not isinstance(payload, dict):
        raise UnreadableEvent("not a JSON object")
    name = payload.get("event_name")
    if not isinstance(name, str) or not name or len(name) > 64:
        raise UnreadableEvent("no event_name")
    return ZaloEvent(
        event_id=event_id_of(payload),
        event_name=name,
        sender_id=sender_of(payload),
        payload=payload,
        occurred_at=occurred_at(payload),
        received_at=received_at,
    )
