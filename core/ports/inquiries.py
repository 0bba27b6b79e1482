"""Residents' questions to the ward and their answers."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from core.inquiries import Inquiry


class InquiryRepository(abc.ABC):
    """Residents' questions to the ward (``/lienhe``) and their answers."""

    @abc.abstractmethod
    async def add(self, inquiry: Inquiry) -> Inquiry:
        """Store a new question; return it with its number."""

    @abc.abstractmethod
    async def get(self, inquiry_id: int, *, for_update: bool = False) -> Inquiry | None:
        """Return a question by number (locked until the transaction ends if ``for_update``)."""

    @abc.abstractmethod
    async def save(self, inquiry: Inquiry) -> None:
        """Store the answer given to a question."""

    @abc.abstractmethod
    async def asked_by(self, user_id: int) -> Sequence[Inquiry]:
        """Return every question the user asked, with its answer if given, newest first."""
