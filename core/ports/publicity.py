"""The port of publicity: comment windows and their comments, and the exemplars published."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import date

from core.publication import CommentWindow, Exemplar, PublicComment


class PublicityRepository(abc.ABC):
    """Comment windows, the comments they took, and the exemplars made known."""

    @abc.abstractmethod
    async def add_window(self, window: CommentWindow) -> CommentWindow:
        """Store a window with its cases; return it with its number."""

    @abc.abstractmethod
    async def window_of(self, nomination_id: int, day: date) -> CommentWindow | None:
        """Return the window that lists the case and takes comments on ``day``, if any."""

    @abc.abstractmethod
    async def add_comment(self, comment: PublicComment) -> PublicComment:
        """Store a comment; return it with its number."""

    @abc.abstractmethod
    async def comments_on(self, nomination_id: int) -> Sequence[PublicComment]:
        """Return the comments on a case, oldest first."""

    @abc.abstractmethod
    async def add_exemplar(self, exemplar: Exemplar) -> Exemplar:
        """Store a publication; return it with its number."""

    @abc.abstractmethod
    async def exemplar_of(self, nomination_id: int) -> Exemplar | None:
        """Return the publication of a case, if it was published."""

    @abc.abstractmethod
    async def exemplars(self, *, offset: int, limit: int) -> tuple[Sequence[Exemplar], int]:
        """Return published exemplars newest first from ``offset``, and how many there are."""
