"""The dialog each chat is in (see :mod:`core.dialog`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dialog import Dialog
from core.ports import DialogRepository
from storage.mapping import to_entity, to_values
from storage.read_ahead import ReadAhead, taken
from storage.sql import rowcount, upsert
from storage.tables import DialogRow

# Statements of every update's path, built once (Core, bound parameters).
_DIALOGS = cast(Table, DialogRow.__table__)
_DIALOG = select(_DIALOGS).where(_DIALOGS.c.chat_id == bindparam("chat_id"))


class SqlDialogRepository(DialogRepository):
    """Dialogs in the ``dialogs`` table, one per chat; one read ahead answers once.

    See :mod:`storage.read_ahead`.
    """

    def __init__(self, session: AsyncSession, ahead: ReadAhead | None = None) -> None:
        self._session = session
        self._ahead = ahead or ReadAhead()

    async def get(self, chat_id: int) -> Dialog | None:
        """Return the chat's dialog, if one is open."""
        found, dialog = taken(self._ahead.dialogs, chat_id)
        if found:
            return dialog  # type: ignore[no-any-return]
        row = (await self._session.execute(_DIALOG, {"chat_id": chat_id})).first()
        return to_entity(Dialog, row, data=dict(row.data)) if row is not None else None

    async def save(self, dialog: Dialog) -> None:
        """Insert or update the chat's dialog."""
        self._ahead.dialogs.pop(dialog.chat_id, None)
        await upsert(self._session, DialogRow, to_values(dialog), key=["chat_id"])

    async def delete(self, chat_id: int) -> None:
        """Close the chat's dialog; closing a chat without one does nothing."""
        self._ahead.dialogs.pop(chat_id, None)
        await self._session.execute(
            delete(DialogRow)
            .where(DialogRow.chat_id == chat_id)
            .execution_options(synchronize_session=False)
        )

    async def idle(self, before: datetime, *, after: int | None, limit: int) -> Sequence[Dialog]:
        """Return up to ``limit`` dialogs last touched before ``before``, by chat id.

        Walked on the primary key: one row per chat, and a page starts where the last ended.
        """
        query = select(_DIALOGS).where(_DIALOGS.c.updated_at < before)
        if after is not None:
            query = query.where(_DIALOGS.c.chat_id > after)
        rows = await self._session.execute(query.order_by(_DIALOGS.c.chat_id).limit(limit))
        return [to_entity(Dialog, row, data=dict(row.data)) for row in rows]

    async def delete_idle(self, chat_id: int, *, idle_since: datetime) -> bool:
        """Delete the chat's dialog if untouched since ``idle_since``; False if it moved on.

        One conditional statement: on PostgreSQL a turn saving the dialog meanwhile holds
        its row, and the condition is checked again once that turn has committed.
        """
        self._ahead.dialogs.pop(chat_id, None)
        deleted = await rowcount(
            self._session,
            delete(_DIALOGS).where(
                _DIALOGS.c.chat_id == chat_id, _DIALOGS.c.updated_at <= idle_since
            ),
        )
        return deleted == 1
