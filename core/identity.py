"""Who a person is across channels: ``(channel, external id)`` mapped to our own user id.

Consents, dialogs, nominations and subscriptions refer to our user id (``users.id``,
BIGINT). A Telegram user's id is their Telegram id, as it has always been: no mapping row is
kept for them, and every record made before channels existed stays right. A person on Zalo
is known to us by the OA-scoped ``user_id`` Zalo gives (a string, different for each OA), so
the first time one writes we **mint** an id for them and keep the mapping
(``channel_identities``).

Minted ids are :data:`MINTED_ID_BASE` (2**52) plus a number from a sequence of our own
(``minted_user_ids``), so they cannot collide with a Telegram id:

* Telegram states that its user and chat ids "have at most 52 significant bits" (Bot API,
  ``User.id`` and ``Chat.id``), so every Telegram id, user or group, lies strictly between
  -2**52 and 2**52; a minted id is above both.
* Positive, not negative: negative ids are Telegram's group chats, and the bot reads a
  negative chat id as a group (the send budget, bulk sending); 0 is
  :data:`core.people.ERASED_PERSON`.
* Below 2**53 for the first 2**52 people, so a double (JavaScript, JSON readers) still holds
  each exactly, like Telegram's own ids; far inside BIGINT (2**63).
* A sequence row is never deleted, and SQLite's ``AUTOINCREMENT`` (PostgreSQL's identity)
  never reuses a number, so an erased person's id is never given to someone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.channels import Channel

if TYPE_CHECKING:
    from core.ports.channels import ChannelIdentityRepository

MINTED_ID_BASE = 2**52


def minted_user_id(number: int) -> int:
    """Return the user id minted from the sequence's ``number`` (1, 2, ...)."""
    if number < 1:
        raise ValueError("sequence numbers start at 1")
    return MINTED_ID_BASE + number


def is_minted(user_id: int) -> bool:
    """Tell whether ``user_id`` was minted for a person of a channel other than Telegram."""
    return user_id > MINTED_ID_BASE


def channel_of_chat(chat_id: int) -> Channel:
    """Return the channel a chat is on: Zalo for a minted id, Telegram for any other.

    A person of a channel other than Telegram talks to the bot in a private chat whose id is
    their user id; Zalo is the only such channel so far (a third would need the identities'
    table to tell them apart).
    """
    return Channel.ZALO if is_minted(chat_id) else Channel.TELEGRAM


async def user_id_for(
    identities: ChannelIdentityRepository, channel: Channel, external_id: str, *, at: datetime
) -> int:
    """Return our user id for the person ``external_id`` of ``channel``, minting it if new.

    Telegram's id is ours. For another channel a person met for the first time gets a minted
    id; two deliveries racing for the same new person get the same one (the repository's
    insert is conditional on the pair).
    """
    if channel is Channel.TELEGRAM:
        return int(external_id)
    if not external_id:
        raise ValueError("an external id is never empty")
    found = await identities.get(channel, external_id)
    if found is not None:
        return found.user_id
    return (await identities.mint(channel, external_id, at=at)).user_id
