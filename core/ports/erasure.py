"""The port of erasure: one person's data removed across every store, in one transaction."""

from __future__ import annotations

import abc

from core.erasure import ErasureCounts, ErasureReceipt, PersonErasure


class ErasureRepository(abc.ABC):
    """Carries out an erasure core decided, and keeps its receipt."""

    @abc.abstractmethod
    async def erase(self, erasure: PersonErasure) -> ErasureCounts:
        """Remove the person's rows, delete the erased cases, strip the kept ones of them.

        Messages the bot sent to others (officers) that quote the person's phone or an
        erased case's code are emptied; the person's own chat's messages and stored updates
        are deleted, but for updates still waiting to be processed.
        """

    @abc.abstractmethod
    async def add_receipt(self, receipt: ErasureReceipt) -> ErasureReceipt:
        """Keep the receipt; return it with its number."""
