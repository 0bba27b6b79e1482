"""The port of erasure: a person's data removed at their request, old cases anonymised."""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from datetime import datetime

from core.erasure import ErasureCounts, ErasureReceipt, PersonErasure
from core.nomination import NominationStatus


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
    async def anonymise_cases(
        self,
        statuses: Collection[NominationStatus],
        *,
        changed_before: datetime,
        now: datetime,
        limit: int,
    ) -> int:
        """Anonymise up to ``limit`` cases in ``statuses`` last changed before the instant.

        What a case keeps and loses is :mod:`core.retention`'s; return how many were done.
        One done already is not counted again.
        """

    @abc.abstractmethod
    async def count_cases_to_anonymise(
        self, statuses: Collection[NominationStatus], *, changed_before: datetime
    ) -> int:
        """Return how many cases :meth:`anonymise_cases` would do, without a limit."""

    @abc.abstractmethod
    async def add_receipt(self, receipt: ErasureReceipt) -> ErasureReceipt:
        """Keep the receipt; return it with its number."""

    @abc.abstractmethod
    async def receipts(self, *, limit: int) -> Sequence[ErasureReceipt]:
        """Return the latest receipts, newest first."""

    @abc.abstractmethod
    async def files_in_use(self, prefix: str) -> set[str]:
        """Return the file ids beginning with ``prefix`` that kept data still names.

        A case's evidence, and what a dialog holds (a draft's photos, an answer being
        written): a file of the media store no row names any more may go.
        """
