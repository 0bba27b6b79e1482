"""The documents attached to cases' dossiers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.awards import DossierDocument
from core.ports import DossierRepository
from storage.mapping import to_entity, to_values
from storage.sql import dialect_insert
from storage.tables import DossierDocumentRow


class SqlDossierRepository(DossierRepository):
    """Dossier documents in ``dossier_documents``, each file once per case and item."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: DossierDocument) -> DossierDocument | None:
        """Store a document; None if the same file is already under the same item.

        ``ON CONFLICT DO NOTHING`` on (case, item, file): two officers sending the same file
        at once keep one row, and neither transaction fails.
        """
        statement = (
            dialect_insert(self._session, DossierDocumentRow)
            .values(**to_values(document, omit=("id",)))
            .on_conflict_do_nothing(index_elements=["nomination_id", "item_key", "file_unique_id"])
            .returning(DossierDocumentRow.id)
        )
        new_id = await self._session.scalar(statement)
        return replace(document, id=new_id) if new_id is not None else None

    async def of_case(self, nomination_id: int) -> Sequence[DossierDocument]:
        """Return the case's documents, in the order they were attached."""
        rows = await self._session.scalars(
            select(DossierDocumentRow)
            .where(DossierDocumentRow.nomination_id == nomination_id)
            .order_by(DossierDocumentRow.added_at, DossierDocumentRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(DossierDocument, row) for row in rows]

    async def remove(self, nomination_id: int, document_id: int) -> DossierDocument | None:
        """Delete one of the case's documents; return it, or None if it has no such document."""
        deleted = await self._session.execute(
            delete(DossierDocumentRow)
            .where(
                DossierDocumentRow.id == document_id,
                DossierDocumentRow.nomination_id == nomination_id,
            )
            .returning(*DossierDocumentRow.__table__.columns)
            .execution_options(synchronize_session=False)
        )
        row = deleted.first()
        return to_entity(DossierDocument, row._mapping) if row is not None else None
