"""A resident's question to the ward, relayed to the council's standing office and answered.

``/lienhe`` in chat: the resident asks; the secretariat is told and one of them (or an
admin) answers; the answer goes back to the resident. A question is answered once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from core.inquiries import (
    MAX_ANSWER,
    MAX_QUESTION,
    AlreadyAnsweredError,
    EmptyTextError,
    Inquiry,
    TextLengthError,
    UnknownInquiryError,
)
from core.ports import UnitOfWork
from core.review import secretariat_ids
from core.roles import Actor, NotAllowedError, Role
from core.services import ConsentRequiredError, has_consent
from core.text import clean_text


def may_answer(actor: Actor) -> bool:
    """Tell whether ``actor`` answers residents' questions and requests: the secretariat, admins."""
    return actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN)


def clean_message(text: str, limit: int) -> str:
    """Return a resident's or an officer's text as kept, or raise why it cannot be taken."""
    cleaned = clean_text(text, max_len=limit, multiline=True)
    if cleaned.too_long:
        raise TextLengthError(cleaned.length)
    if not cleaned.text.strip():
        raise EmptyTextError("nothing typed")
    return cleaned.text


async def ask(
    uow: UnitOfWork, user_id: int, question: str, *, now: datetime, today: date
) -> tuple[Inquiry, list[int]]:
    """Store a resident's question; return it and who is to answer it (the secretariat).

    Only after consent: the question is personal data.
    """
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    inquiry = await uow.inquiries.add(Inquiry(user_id, clean_message(question, MAX_QUESTION), now))
    return inquiry, await secretariat_ids(uow, today)


async def to_answer(uow: UnitOfWork, actor: Actor, inquiry_id: int) -> Inquiry:
    """Return a question for ``actor`` to answer.

    Raises :class:`NotAllowedError` for whoever does not answer questions (before anything
    is read), :class:`UnknownInquiryError`, or :class:`AlreadyAnsweredError`.
    """
    if not may_answer(actor):
        raise NotAllowedError(f"user {actor.user_id} does not answer questions")
    inquiry = await uow.inquiries.get(inquiry_id)
    if inquiry is None:
        raise UnknownInquiryError(str(inquiry_id))
    if inquiry.is_answered:
        raise AlreadyAnsweredError(inquiry)
    return inquiry


async def answer(
    uow: UnitOfWork, actor: Actor, inquiry_id: int, text: str, *, now: datetime
) -> Inquiry:
    """Record ``actor``'s answer to a question; return it (the edge tells the resident)."""
    if not may_answer(actor):
        raise NotAllowedError(f"user {actor.user_id} does not answer questions")
    inquiry = await uow.inquiries.get(inquiry_id, for_update=True)
    if inquiry is None:
        raise UnknownInquiryError(str(inquiry_id))
    if inquiry.is_answered:
        raise AlreadyAnsweredError(inquiry)
    answered = replace(
        inquiry, answer=clean_message(text, MAX_ANSWER), answered_by=actor.user_id, answered_at=now
    )
    await uow.inquiries.save(answered)
    return answered
