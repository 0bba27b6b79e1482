"""The documents attached to cases' dossiers."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.awards import DossierDocument


class DossierRepository(abc.ABC):
    """Files attached to a case's dossier, one row per file and checklist item."""

    @abc.abstractmethod
    async def add(self, document: DossierDocument) -> DossierDocument | None:
        """Store a document; return it with its id, or None if that file is there already.

        The same file (by Telegram's unique id) sent twice for the same item is kept once.
        """

    @abc.abstractmethod
    async def of_case(self, nomination_id: int) -> Sequence[DossierDocument]:
        """Return the case's documents, in the order they were attached."""

    @abc.abstractmethod
    async def remove(self, nomination_id: int, document_id: int) -> DossierDocument | None:
        """Delete one of the case's documents; return it, or None if it has no such document."""
