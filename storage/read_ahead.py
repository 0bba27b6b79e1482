"""A turn's first reads in one statement: person, consent, dialog, the chat's unsent messages.

Every turn reads the same rows: the person (:func:`core.services.meet_user`), their consent
(the renewal of the privacy notice), the open dialog (the router), and, once its replies are
queued, whether the chat has messages still to go before them (:meth:`bot.runtime.Turn.
queue_replies`). One statement reads them together at the turn's start
(:meth:`storage.uow.SqlUnitOfWork.read_ahead`) and hands each to its repository, which
answers its next read of it with that instead of a statement of its own.

A value read ahead is what a read at that moment would have returned; it is kept only until
it could differ from what a read would return now: it answers one read, and is dropped as
soon as this transaction writes where it came from (its repository's writes, an erasure, a
message queued), or the transaction ends (the repositories are built anew with each session).
Another transaction's writes meanwhile: on SQLite there are none (a turn's transaction holds
the write lock from its ``BEGIN IMMEDIATE``); on PostgreSQL the rows of the person and the
chat are written by the chat's turns only, which its advisory lock keeps apart, and a message
another process queues to the chat could as well have been queued a moment after a later
read: the look at the unsent messages never excluded that (see :meth:`bot.sender.
OutboxSender.flush_chat`, which waits for messages held elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    Text,
    bindparam,
    cast as sql_cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import Channel
from core.dialog import Dialog
from core.outbox import OutboxStatus
from core.people import Consent, ConsentPurpose, User
from storage.mapping import to_entity
from storage.tables import ConsentRow, DialogRow, OutboxRow, UserRow

_USERS = cast(Table, UserRow.__table__)
_CONSENTS = cast(Table, ConsentRow.__table__)
_DIALOGS = cast(Table, DialogRow.__table__)
_OUTBOX = cast(Table, OutboxRow.__table__)
# A chat's messages still to go that a turn looks at (as SqlOutboxRepository.unsent does).
UNSENT_LOOKED_AT = 20
_USER_COLUMNS = ("id", "display_name", "language_code", "locale", "created_at", "name_chosen_at")
_PARTS: tuple[tuple[str, Table, tuple[str, ...]], ...] = (
    ("u_", _USERS, _USER_COLUMNS),
    ("c_", _CONSENTS, tuple(column.name for column in _CONSENTS.c)),
    ("d_", _DIALOGS, tuple(column.name for column in _DIALOGS.c)),
)
_USER_ID = bindparam("user_id", type_=BigInteger)
_LATEST_CONSENT_ID = (
    select(_CONSENTS.c.id)
    .where(_CONSENTS.c.user_id == _USER_ID, _CONSENTS.c.purpose == bindparam("purpose"))
    .order_by(_CONSENTS.c.given_at.desc(), _CONSENTS.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_CHAT_ID = bindparam("chat_id", type_=BigInteger)
_UNSENT_IDS = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)),
        _OUTBOX.c.chat_id == _CHAT_ID,
        _OUTBOX.c.broadcast_id.is_(None),
        _OUTBOX.c.channel == Channel.TELEGRAM.value,
    )
    .order_by(_OUTBOX.c.id)
    .limit(UNSENT_LOOKED_AT)
    .subquery("unsent")
)
_ONE = select(literal_column("1").label("one")).subquery("one")


def _statement(dialect: str) -> Select[Any]:
    """Return the read-ahead for ``dialect``: one row, whatever exists.

    Each part's columns are null when it has no row; the unsent messages' ids come as one
    text, comma-separated (each dialect has its own aggregate for it).
    """
    ids = sql_cast(_UNSENT_IDS.c.id, Text)
    joined = (
        func.string_agg(ids, literal_column("','"))
        if dialect == "postgresql"
        else func.group_concat(ids)
    )
    unsent = select(joined).select_from(_UNSENT_IDS).scalar_subquery()
    return select(
        *(table.c[name].label(prefix + name) for prefix, table, names in _PARTS for name in names),
        unsent.label("unsent"),
    ).select_from(
        _ONE.outerjoin(_USERS, _USERS.c.id == _USER_ID)
        .outerjoin(_CONSENTS, _CONSENTS.c.id == _LATEST_CONSENT_ID)
        .outerjoin(_DIALOGS, _DIALOGS.c.chat_id == _CHAT_ID)
    )


_STATEMENTS = {dialect: _statement(dialect) for dialect in ("sqlite", "postgresql")}


@dataclass
class ReadAhead:
    """The rows read ahead and not yet asked for, shared by the repositories of one session.

    Keyed as their repositories ask: a user by id, a consent by (user id, purpose), a
    dialog by chat id; a value of None stands for "no such row".
    """

    users: dict[int, User | None] = field(default_factory=dict)
    consents: dict[tuple[int, str], Consent | None] = field(default_factory=dict)
    dialogs: dict[int, Dialog | None] = field(default_factory=dict)
    # A chat's Telegram messages (not broadcasts') pending or being sent: the first ids.
    unsent: dict[int, list[int]] = field(default_factory=dict)

    def forget(self) -> None:
        """Drop everything read ahead: the transaction wrote where it came from."""
        self.users.clear()
        self.consents.clear()
        self.dialogs.clear()
        self.unsent.clear()

    async def read(self, session: AsyncSession, *, user_id: int, chat_id: int) -> None:
        """Read the user, their consent, the chat's dialog and unsent messages at once."""
        purpose = ConsentPurpose.NOMINATION.value
        statement = _STATEMENTS[session.get_bind().dialect.name]
        row = (
            await session.execute(
                statement, {"user_id": user_id, "chat_id": chat_id, "purpose": purpose}
            )
        ).one()
        values = row._mapping
        user, consent, dialog = (
            {name: values[prefix + name] for name in names} for prefix, _, names in _PARTS
        )
        self.users[user_id] = to_entity(User, user) if user["id"] is not None else None
        self.consents[(user_id, purpose)] = (
            to_entity(Consent, consent) if consent["id"] is not None else None
        )
        self.dialogs[chat_id] = (
            to_entity(Dialog, dialog, data=dict(dialog["data"]))
            if dialog["chat_id"] is not None
            else None
        )
        unsent = values["unsent"]
        self.unsent[chat_id] = sorted(int(part) for part in unsent.split(",")) if unsent else []


def taken(found: dict[Any, Any], key: Any) -> tuple[bool, Any]:
    """Take the value read ahead for ``key``: (True, it) once, then (False, None)."""
    if key in found:
        return True, found.pop(key)
    return False, None
