"""Residents' requests to the standing office, tracked against the law's clocks.

``/yeucau`` in chat: the resident files a request (:func:`file_request`) and is told its
number and its two last days; the secretariat is told, lists what is open
(:func:`open_requests`), acknowledges (:func:`acknowledge`) and closes it with an outcome
(:func:`complete`); the resident is told each step. Every working day the secretariat is
reminded of the clocks about to run out or run out (:func:`reminders_due`). What the clocks
are and how they are counted is :mod:`core.requests`'s to say.

The secretariat and admins handle requests, as they answer questions (:mod:`core.contact`);
anybody else is refused before anything is read, with the same error whether the request
exists or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.calendar import WorkingCalendar
from core.contact import clean_message, may_answer
from core.ports import UnitOfWork
from core.requests import (
    MAX_OUTCOME,
    MAX_TEXT,
    AlreadyAcknowledgedError,
    DataRequest,
    RequestDoneError,
    RequestKind,
    RequestReminder,
    UnknownRequestError,
    clocks,
    reminders_on,
)
from core.review import secretariat_ids
from core.roles import Actor, NotAllowedError
from core.services import ConsentRequiredError, has_consent


def _check_handles(actor: Actor) -> None:
    if not may_answer(actor):  # who answers residents' questions handles their requests
        raise NotAllowedError(f"user {actor.user_id} does not handle requests")


async def file_request(
    uow: UnitOfWork,
    user_id: int,
    kind: RequestKind,
    text: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    timezone: ZoneInfo,
) -> tuple[DataRequest, list[int]]:
    """Store a resident's request with its clocks; return it and who handles it.

    Only after consent, like a question: the text is personal data.
    """
    if not await has_consent(uow, user_id):
        raise ConsentRequiredError(f"user {user_id} has not consented")
    due = clocks(now, calendar, timezone)
    request = await uow.data_requests.add(
        DataRequest(user_id, kind, clean_message(text, MAX_TEXT), now, due.acknowledge, due.done)
    )
    return request, await secretariat_ids(uow, now.astimezone(timezone).date())


async def open_requests(uow: UnitOfWork, actor: Actor) -> Sequence[DataRequest]:
    """Return the requests not done yet, oldest first, for whoever handles them."""
    _check_handles(actor)
    return await uow.data_requests.open()


async def _handled(uow: UnitOfWork, actor: Actor, request_id: int) -> DataRequest:
    _check_handles(actor)
    request = await uow.data_requests.get(request_id, for_update=True)
    if request is None:
        raise UnknownRequestError(str(request_id))
    if request.is_done:
        raise RequestDoneError(request)
    return request


async def acknowledge(
    uow: UnitOfWork, actor: Actor, request_id: int, *, now: datetime
) -> DataRequest:
    """Record that ``actor`` took the request up; return it (the edge tells the resident).

    Raises :class:`NotAllowedError` (before anything is read), :class:`UnknownRequestError`,
    :class:`RequestDoneError` or :class:`AlreadyAcknowledgedError`.
    """
    request = await _handled(uow, actor, request_id)
    if request.is_acknowledged:
        raise AlreadyAcknowledgedError(request)
    taken = replace(request, acknowledged_at=now, acknowledged_by=actor.user_id)
    await uow.data_requests.save(taken)
    return taken


async def to_complete(uow: UnitOfWork, actor: Actor, request_id: int) -> DataRequest:
    """Return a request for ``actor`` to close (the same refusals as :func:`complete`)."""
    return await _handled(uow, actor, request_id)


async def complete(
    uow: UnitOfWork, actor: Actor, request_id: int, outcome: str, *, now: datetime
) -> DataRequest:
    """Close the request with what was done; return it (the edge tells the resident).

    A request closed before anyone acknowledged it is acknowledged by the same act: the
    resident hears once, with the outcome.
    """
    request = await _handled(uow, actor, request_id)
    done = replace(
        request,
        acknowledged_at=request.acknowledged_at or now,
        acknowledged_by=request.acknowledged_by or actor.user_id,
        done_at=now,
        done_by=actor.user_id,
        outcome=clean_message(outcome, MAX_OUTCOME),
    )
    await uow.data_requests.save(done)
    return done


async def reminders_due(
    uow: UnitOfWork, calendar: WorkingCalendar, today: date
) -> tuple[list[RequestReminder], list[int]]:
    """Return the reminders due ``today`` (none on a day off) and the secretariat to tell.

    Run by the process itself, not on anyone's behalf: it reads what is open to remind
    those who handle it.
    """
    if not calendar.is_working_day(today):
        return [], []
    due = reminders_on(list(await uow.data_requests.open()), calendar, today)
    if not due:
        return [], []
    return due, await secretariat_ids(uow, today)
