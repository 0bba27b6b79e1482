"""Erasure in SQL: one person's rows removed from every table, in the caller's transaction.

Set-based statements, a few per table, whatever the person's history: a resident has a few
cases, questions and subscriptions, and the statements find them by indexed columns. What
is removed is zeroed in the SQLite file by ``secure_delete`` (:mod:`storage.database`), and
:meth:`storage.uow.Database.scrub` lets it leave the write-ahead log once committed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    cast as sql_cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from core.erasure import ErasureCounts, ErasureReceipt, PersonErasure
from core.nomination import ANONYMISED, NominationStatus
from core.outbox import OutboxStatus
from core.people import ERASED_PERSON
from core.ports import ErasureRepository
from storage.channels import SqlChannelIdentityRepository
from storage.read_ahead import ReadAhead
from storage.sql import dialect_insert, rowcount
from storage.tables import (
    AccessRow,
    AuditEntryRow,
    BlockedChatRow,
    ChannelIdentityRow,
    ConsentRow,
    DataRequestRow,
    DialogRow,
    DossierDocumentRow,
    ErasureReceiptRow,
    EvidenceRow,
    FailedLookupRow,
    InboundUpdateRow,
    InquiryRow,
    NominationRow,
    OutboxRow,
    PublicCommentRow,
    SubscriptionRow,
    SupporterRow,
    UserRow,
    ZaloEventRow,
)

_OUTBOX = cast(Table, OutboxRow.__table__)
_FINISHED = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value, OutboxStatus.EXPIRED.value)


class SqlErasureRepository(ErasureRepository):
    """Erasure over the SQLAlchemy tables."""

    def __init__(self, session: AsyncSession, ahead: ReadAhead | None = None) -> None:
        self._session = session
        self._ahead = ahead or ReadAhead()

    async def erase(self, erasure: PersonErasure) -> ErasureCounts:
        """Remove the person's rows, delete the erased cases, strip the kept ones of them."""
        self._ahead.forget()  # what was read ahead of the person's rows goes with them
        user, chat = erasure.user_id, erasure.chat_id
        await self._strip_kept_cases(erasure)
        await self._delete_cases(erasure.erased_case_ids)
        messages = await self._forget_messages(erasure)
        counts = ErasureCounts(
            supports=await self._delete(SupporterRow, SupporterRow.user_id == user),
            subscriptions=await self._delete(SubscriptionRow, SubscriptionRow.user_id == user),
            inquiries=await self._delete(InquiryRow, InquiryRow.user_id == user),
            requests=await self._delete(DataRequestRow, DataRequestRow.user_id == user),
            failed_lookups=await self._delete(FailedLookupRow, FailedLookupRow.user_id == user),
            consents=await self._delete(ConsentRow, ConsentRow.user_id == user),
            dialogs=await self._delete(
                DialogRow, or_(DialogRow.chat_id == chat, DialogRow.user_id == user)
            ),
            # Updates still waiting were sent after this one: they are the person's next
            # words, answered in turn (and, since nothing is agreed any more, not kept).
            updates=await self._delete(
                InboundUpdateRow,
                InboundUpdateRow.chat_id == chat,
                or_(
                    InboundUpdateRow.processed_at.is_not(None),
                    InboundUpdateRow.set_aside_at.is_not(None),
                ),
            ),
            messages=messages,
        )
        await self._delete(BlockedChatRow, BlockedChatRow.user_id == user)
        await self._delete(PublicCommentRow, PublicCommentRow.user_id == user)
        await self._forget_channels(user)
        await self._delete(UserRow, UserRow.id == user)
        return counts

    async def _forget_channels(self, user_id: int) -> None:
        """Forget the person's accounts on other channels and the events they sent there.

        Their minted id stays taken (never given again) but names nobody any more.
        """
        accounts = (
            await self._session.execute(
                select(ChannelIdentityRow.external_id).where(ChannelIdentityRow.user_id == user_id)
            )
        ).scalars()
        external = list(accounts)
        if external:
            await self._delete(ZaloEventRow, ZaloEventRow.sender_id.in_(external))
        await SqlChannelIdentityRepository(self._session).forget_user(user_id)

    async def anonymise_cases(
        self,
        statuses: Collection[NominationStatus],
        *,
        changed_before: datetime,
        now: datetime,
        limit: int,
    ) -> int:
        """Anonymise up to ``limit`` cases in ``statuses`` last changed before the instant.

        The oldest first. A case keeps its code, unit, kind, dates, status and campaign; the
        nominee's name, the deed (emptied: what marks a case done), the place, the files,
        the dossier's documents, the supporters' accounts, the nominator and every note of
        its trail go.
        """
        found = await self._session.execute(
            select(NominationRow.id)
            .where(*_expired(statuses, changed_before))
            .order_by(NominationRow.status_changed_at, NominationRow.id)
            .limit(limit)
        )
        ids = list(found.scalars())
        if not ids:
            return 0
        await self._ensure_placeholder(now)
        await self._delete(EvidenceRow, EvidenceRow.nomination_id.in_(ids))
        await self._delete(DossierDocumentRow, DossierDocumentRow.nomination_id.in_(ids))
        await self._delete(SupporterRow, SupporterRow.nomination_id.in_(ids))
        nominator = (
            select(NominationRow.nominator_user_id)
            .where(NominationRow.id == AuditEntryRow.nomination_id)
            .scalar_subquery()
        )
        await self._session.execute(
            update(AuditEntryRow)
            .where(AuditEntryRow.nomination_id.in_(ids), AuditEntryRow.actor_id == nominator)
            .values(actor_id=ERASED_PERSON)
        )
        await self._session.execute(
            update(AuditEntryRow)
            .where(AuditEntryRow.nomination_id.in_(ids))
            .values(public_note=None, private_note=None, data={})
        )
        await self._session.execute(
            update(NominationRow)
            .where(NominationRow.id.in_(ids))
            .values(
                nominee_name=ANONYMISED,
                nominee_name_key=ANONYMISED,
                deed=ANONYMISED,
                place=None,
                latitude=None,
                longitude=None,
                nominator_user_id=ERASED_PERSON,
                nominator_phone=None,
                contact_stopped_at=func.coalesce(NominationRow.contact_stopped_at, now),
            )
        )
        return len(ids)

    async def count_cases_to_anonymise(
        self, statuses: Collection[NominationStatus], *, changed_before: datetime
    ) -> int:
        """Return how many cases :meth:`anonymise_cases` would do, without a limit."""
        counted = await self._session.execute(
            select(func.count())
            .select_from(NominationRow)
            .where(*_expired(statuses, changed_before))
        )
        return int(counted.scalar_one())

    async def receipts(self, *, limit: int) -> Sequence[ErasureReceipt]:
        """Return the latest receipts, newest first."""
        rows = await self._session.execute(
            select(ErasureReceiptRow).order_by(ErasureReceiptRow.id.desc()).limit(limit)
        )
        return [
            ErasureReceipt.from_summary(row.id, row.erased_at, dict(row.summary))
            for row in rows.scalars()
        ]

    async def files_in_use(self, prefix: str) -> set[str]:
        """Return the file ids beginning with ``prefix`` named by evidence or by a dialog."""
        pattern = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
        evidence = await self._session.execute(
            select(EvidenceRow.file_id).where(EvidenceRow.file_id.like(pattern, escape="\\"))
        )
        found = {file_id for (file_id,) in evidence}
        dialogs = await self._session.execute(
            select(DialogRow.data).where(
                sql_cast(DialogRow.data, Text).like("%" + pattern, escape="\\")
            )
        )
        for (data,) in dialogs:
            found.update(_strings_starting(data, prefix))
        return found

    async def _ensure_placeholder(self, now: datetime) -> None:
        """Make the users row kept cases point to (migration 0014 made it) if it went."""
        placeholder = {"id": ERASED_PERSON, "display_name": "", "created_at": now}
        self._ahead.users.pop(ERASED_PERSON, None)
        await self._session.execute(
            dialect_insert(self._session, UserRow).values(placeholder).on_conflict_do_nothing()
        )

    async def add_receipt(self, receipt: ErasureReceipt) -> ErasureReceipt:
        """Keep the receipt; return it with its number."""
        result = await self._session.execute(
            insert(ErasureReceiptRow)
            .values(erased_at=receipt.erased_at, summary=receipt.summary())
            .returning(ErasureReceiptRow.id)
        )
        receipt_id = result.scalar_one()
        return replace(receipt, id=receipt_id)

    async def _strip_kept_cases(self, erasure: PersonErasure) -> None:
        """Keep the cases the council's record needs, without their nominator.

        Nobody may contact the nominator about them any more (there is nobody to contact);
        what the nominator wrote into the trail (answers to the officers) goes, and their
        entries name the erased person.
        """
        kept = erasure.kept_case_ids
        if not kept:
            return
        await self._ensure_placeholder(erasure.now)
        await self._session.execute(
            update(NominationRow)
            .where(NominationRow.id.in_(kept))
            .values(
                nominator_user_id=ERASED_PERSON,
                nominator_phone=None,
                contact_stopped_at=func.coalesce(NominationRow.contact_stopped_at, erasure.now),
            )
        )
        await self._session.execute(
            update(AuditEntryRow)
            .where(
                AuditEntryRow.nomination_id.in_(kept),
                AuditEntryRow.actor_id == erasure.user_id,
            )
            .values(actor_id=ERASED_PERSON, public_note=None, private_note=None, data={})
        )

    async def _delete_cases(self, case_ids: tuple[int, ...]) -> None:
        """Delete the cases with their evidence, trail, supporters and access log."""
        if not case_ids:
            return
        await self._delete(AccessRow, AccessRow.nomination_id.in_(case_ids))
        await self._delete(AuditEntryRow, AuditEntryRow.nomination_id.in_(case_ids))
        await self._delete(SupporterRow, SupporterRow.nomination_id.in_(case_ids))
        # A case merged into an erased one stays merged, pointing nowhere.
        await self._session.execute(
            update(NominationRow)
            .where(NominationRow.merged_into_id.in_(case_ids))
            .values(merged_into_id=None)
        )
        # The evidence and the dossier's documents go with their case (ON DELETE CASCADE).
        await self._delete(NominationRow, NominationRow.id.in_(case_ids))

    async def _forget_messages(self, erasure: PersonErasure) -> int:
        """Delete the person's chat's messages; empty what others were sent about them.

        A message to someone else (an officer's card, a notice) that quotes the person's
        phone, one of the erased cases' codes or a piece of what they wrote (a question, a
        request) is emptied once it went, and deleted if it is about an erased case and has
        not gone yet (there is no case to tell of).
        """
        own = await self._delete(OutboxRow, OutboxRow.chat_id == erasure.chat_id)
        text = sql_cast(_OUTBOX.c.params, Text)
        # As the JSON column stores them (non-ASCII letters escaped).
        quotes = (json.dumps(piece)[1:-1] for piece in erasure.quotes)
        tokens = (*erasure.phones, *erasure.codes, *quotes)
        quoting = [text.contains(token, autoescape=True) for token in tokens]
        if not quoting:
            return own
        others = (_OUTBOX.c.chat_id != erasure.chat_id, or_(*quoting))
        await self._session.execute(
            update(_OUTBOX).where(*others, _OUTBOX.c.status.in_(_FINISHED)).values(params={})
        )
        if erasure.codes:
            about_erased = or_(*(text.contains(code, autoescape=True) for code in erasure.codes))
            await self._session.execute(
                delete(_OUTBOX).where(
                    _OUTBOX.c.chat_id != erasure.chat_id,
                    _OUTBOX.c.status.not_in(_FINISHED),
                    _OUTBOX.c.broadcast_id.is_(None),
                    about_erased,
                )
            )
        return own

    async def _delete(self, row: type[Any], *where: ColumnElement[bool]) -> int:
        return await rowcount(self._session, delete(row).where(*where))


def _expired(
    statuses: Collection[NominationStatus], changed_before: datetime
) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of a case in ``statuses`` last changed before, not anonymised."""
    return (
        NominationRow.status.in_([status.value for status in statuses]),
        NominationRow.status_changed_at < changed_before,
        NominationRow.deed != ANONYMISED,
    )


def _strings_starting(value: object, prefix: str) -> set[str]:
    """Return every string within a JSON value that begins with ``prefix``."""
    if isinstance(value, str):
        return {value} if value.startswith(prefix) else set()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings_starting(item, prefix) for item in value))
    return set()
