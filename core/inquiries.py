"""A resident's question to the ward and its answer (the services are in :mod:`core.contact`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import DomainError

MAX_QUESTION = 1000
MAX_ANSWER = 2000


@dataclass(frozen=True, slots=True)
class Inquiry:
    """A question a resident asked, and its answer once given."""

    user_id: int
    question: str
    asked_at: datetime
    id: int | None = None
    answer: str | None = None
    answered_by: int | None = None
    answered_at: datetime | None = None

    @property
    def is_answered(self) -> bool:
        """Tell whether someone answered the question."""
        return self.answered_at is not None


class TextLengthError(DomainError):
    """A question or an answer longer than allowed."""

    code = "input.too_long"

    def __init__(self, length: int) -> None:
        super().__init__(f"{length} characters")
        self.length = length


class EmptyTextError(DomainError):
    """A question or an answer with nothing in it."""

    code = "input.text_expected"


class UnknownInquiryError(DomainError):
    """No question with this number (or none this actor may answer)."""

    code = "contact.unknown"


class AlreadyAnsweredError(DomainError):
    """Someone answered the question already."""

    code = "contact.answered"

    def __init__(self, inquiry: Inquiry) -> None:
        super().__init__(f"inquiry {inquiry.id} is answered")
        self.inquiry = inquiry
