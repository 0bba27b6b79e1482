"""The documents units file against the plan's tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.deadlines import TaskDocument
from core.ports import TaskDocumentRepository
from storage.mapping import to_entity, to_values
from storage.sql import dialect_insert
from storage.tables import TaskDocumentRow


class SqlTaskDocumentRepository(TaskDocumentRepository):
    """Task documents in ``task_documents``, each file once per unit's occurrence of a task."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: TaskDocument) -> TaskDocument | None:
        """Store a document; None if the same file is already filed for the same occurrence.

        ``ON CONFLICT DO NOTHING`` on the occurrence and the file: the same file sent twice
        at once keeps one row, and neither transaction fails.
        """
        statement = (
            dialect_insert(self._session, TaskDocumentRow)
            .values(**to_values(document, omit=("id",)))
            .on_conflict_do_nothing(
                index_elements=[
                    "plan_key",
                    "task_number",
                    "occurrence",
                    "unit_key",
                    "file_unique_id",
                ]
            )
            .returning(TaskDocumentRow.id)
        )
        new_id = await self._session.scalar(statement)
        return replace(document, id=new_id) if new_id is not None else None

    async def of_plan(self, plan_key: str) -> Sequence[TaskDocument]:
        """Return the documents filed under the plan, in the order they were filed."""
        rows = await self._session.scalars(
            select(TaskDocumentRow)
            .where(TaskDocumentRow.plan_key == plan_key)
            .order_by(TaskDocumentRow.added_at, TaskDocumentRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_entity(TaskDocument, row) for row in rows]
