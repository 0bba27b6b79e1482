"""A resident's request that needs an officer, with the two clocks the law sets on it.

A *data request* (yêu cầu về dữ liệu cá nhân) is what a resident asks of the standing office
that no button can do by itself: a complaint, the correction of a case already decided, or
anything else about their data. The services are in :mod:`core.data_rights`.

The clocks (Law 91/2025/QH15 and Decree 356/2025/NĐ-CP, as ``../shared/REFERENCES.md``
summarises them: "Respond within 2 working days; withdrawal, restriction and objection
completed within 15 days"), counted by :func:`clocks`:

- **acknowledge**: within 2 *working* days. The day of filing is not counted (Civil Code
  2015, Art. 147(1): a period counted in days starts on the day after the event), then two
  working days of :class:`core.calendar.WorkingCalendar` are counted, skipping weekends,
  public holidays and configured days off. Filed on Friday 20/11/2026, with Tuesday 24/11 a
  day off: Monday 23/11 is the first, Wednesday 25/11 the second, the clock runs out at the
  end of Wednesday 25/11.
- **done**: within 15 days. The decree's wording gives the answer in working days and the
  completion in plain days, so these are calendar days, again from the day after filing;
  a last day that falls on a day off moves to the next working day (Civil Code 2015,
  Art. 148(5); :meth:`WorkingCalendar.shift_deadline`). Filed on 20/11/2026: 15 days end on
  Saturday 05/12/2026, moved to Monday 07/12/2026. The decree's one extension of up to 15
  days is not modelled: an officer who needs it says so in the outcome, and the clock shows
  overdue meanwhile.

The days are counted in Hà Nội's calendar (the filing instant's local date) and stored with
the request when it is filed: the resident is told them then, and a later change of the
configured days off does not move a promise already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.calendar import WorkingCalendar
from core.errors import DomainError

MAX_TEXT = 2000
MAX_OUTCOME = 2000
ACKNOWLEDGE_WORKING_DAYS = 2
"""Working days after the day of filing within which a request is acknowledged."""
DONE_DAYS = 15
"""Days after the day of filing within which a request is done (moved off a day off)."""


class RequestKind(StrEnum):
    """What the resident asks for."""

    COMPLAINT = "complaint"  # khiếu nại về việc xử lý dữ liệu
    CORRECTION = "correction"  # sửa thông tin của một hồ sơ đã có quyết định
    OTHER = "other"


class RequestClock(StrEnum):
    """The two clocks of a request."""

    ACKNOWLEDGE = "ack"
    DONE = "done"


class ReminderKind(StrEnum):
    """What a reminder to the secretariat says of a clock."""

    SOON = "soon"  # it runs out on the next working day
    TODAY = "today"  # it runs out at the end of today
    OVERDUE = "overdue"  # it ran out


@dataclass(frozen=True, slots=True)
class Clocks:
    """The last day of each clock: acknowledged by ``acknowledge``, done by ``done``."""

    acknowledge: date
    done: date


def clocks(filed_at: datetime, calendar: WorkingCalendar, timezone: ZoneInfo) -> Clocks:
    """Return the last days of a request filed at ``filed_at`` (see the module's notes)."""
    if filed_at.tzinfo is None:
        raise ValueError("filed_at must be timezone-aware")
    filed_on = filed_at.astimezone(timezone).date()
    acknowledge = calendar.add_working_days(filed_on, ACKNOWLEDGE_WORKING_DAYS)
    done = calendar.shift_deadline(filed_on + timedelta(days=DONE_DAYS)).day
    return Clocks(acknowledge, done)


@dataclass(frozen=True, slots=True)
class DataRequest:
    """A resident's request to the standing office, its clocks, and what was done."""

    user_id: int
    kind: RequestKind
    text: str
    filed_at: datetime
    acknowledge_due: date
    done_due: date
    id: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    done_at: datetime | None = None
    done_by: int | None = None
    outcome: str | None = None

    @property
    def is_acknowledged(self) -> bool:
        """Tell whether an officer took the request up (done implies it)."""
        return self.acknowledged_at is not None

    @property
    def is_done(self) -> bool:
        """Tell whether an officer closed the request with an outcome."""
        return self.done_at is not None

    def running(self) -> tuple[tuple[RequestClock, date], ...]:
        """Return the clocks still running, with their last days."""
        found: list[tuple[RequestClock, date]] = []
        if not self.is_acknowledged:
            found.append((RequestClock.ACKNOWLEDGE, self.acknowledge_due))
        if not self.is_done:
            found.append((RequestClock.DONE, self.done_due))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class RequestReminder:
    """One reminder to the secretariat about one clock of one request, on ``day``.

    ``key`` names it once per request, clock and day: whoever sends it claims the key per
    recipient, so a restart or a second process sends it once.
    """

    request: DataRequest
    clock: RequestClock
    kind: ReminderKind
    due: date
    day: date

    @property
    def key(self) -> str:
        """Return the reminder's stable key: ``request:<id>:<clock>:<day>``."""
        return f"request:{self.request.id}:{self.clock.value}:{self.day.isoformat()}"


def reminders_on(
    requests: list[DataRequest], calendar: WorkingCalendar, today: date
) -> list[RequestReminder]:
    """Return the reminders due ``today`` for the clocks still running.

    None on a day off: offices are closed, and a clock that runs out on a day off was moved
    off it. On a working day a clock is reminded when it runs out on the next working day
    (``SOON``: a clock running out after a weekend or a holiday is reminded on the working
    day before them), when it runs out today (``TODAY``), and every working day after it ran
    out (``OVERDUE``), until the officer acts.
    """
    if not calendar.is_working_day(today):
        return []
    next_working_day = calendar.add_working_days(today, 1)
    found: list[RequestReminder] = []
    for request in requests:
        for clock, due in request.running():
            if due < today:
                kind = ReminderKind.OVERDUE
            elif due == today:
                kind = ReminderKind.TODAY
            elif due <= next_working_day:
                kind = ReminderKind.SOON
            else:
                continue
            found.append(RequestReminder(request, clock, kind, due, today))
    return found


class UnknownRequestError(DomainError):
    """No request with this number (or none this actor may handle)."""

    code = "requests.unknown"


class RequestDoneError(DomainError):
    """The request was closed already."""

    code = "requests.done"

    def __init__(self, request: DataRequest) -> None:
        super().__init__(f"request {request.id} is done")
        self.request = request


class AlreadyAcknowledgedError(DomainError):
    """Someone acknowledged the request already."""

    code = "requests.acknowledged"

    def __init__(self, request: DataRequest) -> None:
        super().__init__(f"request {request.id} is acknowledged")
        self.request = request
