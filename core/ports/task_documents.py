"""The documents units file against the plan's tasks."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.deadlines import TaskDocument


class TaskDocumentRepository(abc.ABC):
    """Files units filed against a task's occurrence, one row per file and occurrence."""

    @abc.abstractmethod
    async def add(self, document: TaskDocument) -> TaskDocument | None:
        """Store a document; return it with its id, or None if that file is there already.

        The same file (by Telegram's unique id) sent twice for the same unit's occurrence of
        the same task is kept once.
        """

    @abc.abstractmethod
    async def of_plan(self, plan_key: str) -> Sequence[TaskDocument]:
        """Return the documents filed under the plan, in the order they were filed."""
