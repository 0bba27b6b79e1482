"""From the plan's tasks to the notices each unit receives before and after a deadline.

Three steps, each pure and deterministic:

1. `expand_obligations`: each task of the plan becomes obligations, one per unit that owes
   it (lead units) or helps with it (coordinating units).
2. `occurrences`: each obligation's due rule becomes the deadlines it has in a year.
3. `schedule`: each occurrence becomes the notices to send in a window of time, on working
   days at office time, minus those a completion made pointless.

How the plan's wordings become due days is decided in one place, `core.due_rules.deadlines`
(see that module): "Trước ngày X" is due the last working day strictly before X, never X or
later; a relative rule is the event day minus N days, moved back off a day off; a month, a
quarter, "Hàng tháng", "Hàng quý" the last working day of the period; continuous duties and
undated rules have no due day, so nothing to remind. Each occurrence carries the reason its
day is not simply the one written, and `due_note` gives any notice the plan's own words with
that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from core.calendar import ShiftReason, WorkingCalendar
from core.due_rules import ONCE as ONCE, deadlines, has_no_day, parse_due_rule
from core.nomination import EvidenceKind
from core.org import Organisation, UnitKind
from core.plan import Plan, PlanTask, UnitGroup, UnitRef

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
"""Vietnam's time zone (UTC+7), in which office hours are counted."""


class NoticeKind(StrEnum):
    """What a notice tells its recipient."""

    REMINDER = "reminder"
    """Before the due day, to a lead unit."""
    DUE_TODAY = "due_today"
    """On the due day, to a lead unit."""
    OVERDUE = "overdue"
    """On a working day after the due day, to a lead unit that has not reported it done."""
    FYI = "fyi"
    """To a coordinating unit: one notice, when the lead units get their first reminder."""


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """When notices go out.

    `offsets`: working days before the due day at which a lead unit is reminded.
    `due_day_notice`: also remind on the morning of the due day. `office_time`: the local
    time of day notices go out, in `timezone`. `max_overdue`: how many overdue notices at
    most, one per working day after the due day.
    """

    offsets: tuple[int, ...] = (7, 3, 1)
    due_day_notice: bool = True
    office_time: time = time(8, 0)
    timezone: ZoneInfo = HANOI
    max_overdue: int = 5

    def __post_init__(self) -> None:
        if any(offset < 1 for offset in self.offsets):
            raise ValueError(f"reminder offsets must be at least 1, got {self.offsets}")
        if len(set(self.offsets)) != len(self.offsets):
            raise ValueError(f"reminder offsets must differ, got {self.offsets}")
        if self.max_overdue < 0:
            raise ValueError(f"max_overdue must not be negative, got {self.max_overdue}")
        if self.office_time.tzinfo is not None:
            raise ValueError("office_time is a local time: give the zone as `timezone`")


# --------------------------------------------------------------------------------------------
# Obligations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class ObligationKey:
    """Which unit owes (or helps with) which task of which plan."""

    plan_key: str
    task_number: int
    unit_key: str

    def __str__(self) -> str:
        return f"{self.plan_key}:{self.task_number}:{self.unit_key}"


@dataclass(frozen=True, slots=True)
class Obligation:
    """A task as one unit's business: `lead` if the unit leads it, else it coordinates."""

    key: ObligationKey
    lead: bool
    task: PlanTask


def _units_of(ref: UnitRef, organisation: Organisation, on: date) -> Iterator[str]:
    """Name the keys of the units a reference stands for on the day `on`, in file order.

    ALL_UNITS is every active unit under the council, departments and wards alike, the
    secretariat included (it is a department too, with its own share of "các đơn vị
    thuộc quận"); only a unit of kind `council` is left out, the council not being under
    itself. ALL_CLUSTERS is the chief unit of each active cluster; a cluster without an
    active chief yields nobody (the plan checker is where such a cluster is reported).
    COUNCIL is the secretariat, through which the council acts. RELATED_UNITS yields
    nobody: the secretariat decides case by case who is concerned, so no unit is reminded
    automatically.
    """
    if ref.unit_key is not None:
        unit = organisation.find_unit(ref.unit_key)
        if unit is not None and unit.active_on(on):
            yield unit.key
        return
    if ref.group is UnitGroup.ALL_UNITS:
        for unit in organisation.active_units(on):
            if unit.kind is not UnitKind.COUNCIL:
                yield unit.key
    elif ref.group is UnitGroup.ALL_CLUSTERS:
        for cluster in organisation.clusters:
            if cluster.active_on(on) and cluster.chief_key is not None:
                chief = organisation.find_unit(cluster.chief_key)
                if chief is not None and chief.active_on(on):
                    yield chief.key
    elif ref.group is UnitGroup.COUNCIL:
        council = organisation.council
        secretariat = organisation.find_unit(council.secretariat_key)
        if council.active_on(on) and secretariat is not None and secretariat.active_on(on):
            yield secretariat.key
    # UnitGroup.RELATED_UNITS: nobody, see above.


def expand_obligations(plan: Plan, organisation: Organisation, on: date) -> list[Obligation]:
    """Turn each task of `plan` into the obligations of the units active on the day `on`.

    Ordered by task number, then lead units before coordinating ones, each in the order of
    the task's references and the organisation's file. A unit named both as lead and as
    coordinating (e.g. the secretariat within ALL_UNITS) is a lead unit only; a unit named
    twice is counted once.
    """
    obligations: list[Obligation] = []
    for task in sorted(plan.tasks, key=lambda task: task.number):
        seen: set[str] = set()
        for lead, refs in ((True, task.lead), (False, task.coordinating)):
            for ref in refs:
                for unit_key in _units_of(ref, organisation, on):
                    if unit_key in seen:
                        continue
                    seen.add(unit_key)
                    key = ObligationKey(plan.key, task.number, unit_key)
                    obligations.append(Obligation(key, lead, task))
    return obligations


# --------------------------------------------------------------------------------------------
# Occurrences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One deadline of an obligation.

    `occurrence` names it within the obligation ("once", "2018-03", "2018-Q1",
    "award_presentation@2018-09-20"); `nominal_due` is the last day the plan's words allow,
    `due` the working day it is due, and `shift_reason` says why `due` is that day when the
    words do not name it (30/12/2017 is a Saturday), or is None.
    """

    key: ObligationKey
    occurrence: str
    nominal_due: date
    due: date
    shift_reason: ShiftReason | None


def occurrences(
    obligation: Obligation,
    calendar: WorkingCalendar,
    *,
    year: int,
    event_days: Mapping[ObligationKey, date],
    not_before: date | None = None,
) -> list[Occurrence]:
    """List the deadlines of `obligation`, in order (`core.due_rules.deadlines` reads them).

    `year` is the year whose months a recurring task covers; a fixed day outside it still
    counts (the plan checker reports impossible ones). `event_days` holds the event day an
    officer entered for a relative deadline; without one there is no deadline yet.
    Occurrences due before `not_before` (e.g. the plan's issue date) are left out. A task
    whose due text could not be read (`due` is None), names no day, or is a continuous
    duty has none.
    """
    key = obligation.key
    found = [
        Occurrence(key, deadline.name, deadline.nominal, deadline.due, deadline.reason)
        for deadline in deadlines(
            obligation.task.due, calendar, year=year, event_day=event_days.get(key)
        )
    ]
    if not_before is not None:
        found = [occurrence for occurrence in found if occurrence.due >= not_before]
    return found


@dataclass(frozen=True, slots=True)
class DueNote:
    """What a notice says of a due day besides the day: the plan's words, and why.

    `as_written` is the task's "Thời gian thực hiện" as the plan prints it ("Hồ sơ gửi
    trước ngày 01/7/2018"); `reason` why the day is not simply the one written (30/06/2018
    is a Saturday), or None when it is; the templates word it (`_due.j2`).
    """

    as_written: str
    reason: ShiftReason | None


class Shifted(Protocol):
    """Anything that says why its due day is not the day written (an occurrence, a notice)."""

    @property
    def shift_reason(self) -> ShiftReason | None:
        """Why the day moved; None when it did not."""


def due_note(task: PlanTask, occurrence: Shifted) -> DueNote:
    """Return the plan's words for `task`'s due day and the reason of `occurrence`'s day.

    Any template that shows a due day calls it (the renderer offers it as `due_note`), so
    every notice quotes the plan instead of a day the officer cannot find in it.
    """
    return DueNote(" ".join(task.due_as_written.split()), occurrence.shift_reason)


class NoReminderReason(StrEnum):
    """Why a task of a loaded plan gets no reminder until its words are fixed."""

    UNREADABLE = "unreadable"
    """The words are not a wording of a deadline the reader knows."""
    OUT_OF_PLAN = "out_of_plan"
    """The words name a day outside the plan's time (before its issue, long after its year)."""
    UNDATED = "undated"
    """The words name no day ("Theo kế hoạch của Thành phố")."""


@dataclass(frozen=True, slots=True)
class UndatedTask:
    """A task nobody is reminded of until the plan's words for it are fixed."""

    task: PlanTask
    reason: NoReminderReason


def undated_tasks(plan: Plan) -> list[UndatedTask]:
    """List the tasks of `plan` that can get no reminder, by number, with the reason.

    The loader keeps such tasks with their words (`due` None, or an `UndatedDue`): the
    secretariat must see them, since no notice will ever remind anyone of them. A relative
    rule is not listed (it is dated once an officer enters the event's day), nor is a
    continuous duty (it has no deadline by design).
    """
    found: list[UndatedTask] = []
    for task in sorted(plan.tasks, key=lambda task: task.number):
        if not has_no_day(task.due):
            continue
        if task.due is not None:
            reason = NoReminderReason.UNDATED
        else:
            try:
                parse_due_rule(task.due_as_written, year=plan.year)
            except ValueError:
                reason = NoReminderReason.UNREADABLE
            else:
                reason = NoReminderReason.OUT_OF_PLAN
        found.append(UndatedTask(task, reason))
    return found


# --------------------------------------------------------------------------------------------
# Notices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduledNotice:
    """One notice to one unit: a row of the schedule, identified by its stable `key`.

    `number` counts notices of the same kind for the same occurrence, from 1 (reminders in
    the order of `ReminderSettings.offsets`, overdue notices by working day).
    `working_days_left` is positive before the due day, 0 on it, negative after it.
    """

    key: str
    obligation: ObligationKey
    occurrence: str
    kind: NoticeKind
    number: int
    send_at: datetime
    due: date
    working_days_left: int
    shift_reason: ShiftReason | None


def notice_key(obligation: ObligationKey, occurrence: str, kind: NoticeKind, number: int) -> str:
    """Return the unique, stable key of a notice: "plan:task:unit:occurrence:kind:number"."""
    return f"{obligation}:{occurrence}:{kind.value}:{number}"


@dataclass(frozen=True, slots=True)
class _Planned:
    kind: NoticeKind
    number: int
    day: date
    working_days_left: int


def _lead_notices(
    due: date, calendar: WorkingCalendar, settings: ReminderSettings
) -> tuple[_Planned, ...]:
    planned: list[_Planned] = []
    for number, offset in enumerate(settings.offsets, start=1):
        day = calendar.add_working_days(due, -offset)
        left = calendar.working_days_between(day, due)
        planned.append(_Planned(NoticeKind.REMINDER, number, day, left))
    if settings.due_day_notice and calendar.is_working_day(due):
        planned.append(_Planned(NoticeKind.DUE_TODAY, 1, due, 0))
    for number in range(1, settings.max_overdue + 1):
        day = calendar.add_working_days(due, number)
        left = calendar.working_days_between(day, due)
        planned.append(_Planned(NoticeKind.OVERDUE, number, day, left))
    return tuple(planned)


def _fyi_notices(
    due: date, calendar: WorkingCalendar, settings: ReminderSettings
) -> tuple[_Planned, ...]:
    if settings.offsets:
        day = calendar.add_working_days(due, -max(settings.offsets))
    else:
        day = calendar.previous_working_day(due)
    return (_Planned(NoticeKind.FYI, 1, day, calendar.working_days_between(day, due)),)


def _local_day(moment: datetime, settings: ReminderSettings, name: str) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(settings.timezone).date()


def schedule(
    obligations: Iterable[Obligation],
    occurrences_by_obligation: Mapping[ObligationKey, Sequence[Occurrence]],
    calendar: WorkingCalendar,
    settings: ReminderSettings,
    *,
    start: datetime,
    end: datetime,
    completed: Mapping[tuple[ObligationKey, str], date],
) -> list[ScheduledNotice]:
    """List the notices whose `send_at` lies in [`start`, `end`), by `send_at` then `key`.

    Lead units get a reminder at each offset (that many working days before the due day),
    one on the due day, and up to `max_overdue` overdue notices on the working days after
    it; coordinating units get one FYI, with the lead's first reminder. Every notice goes
    out at `office_time` on a working day. `completed` maps (obligation, occurrence) to the
    day the unit reported it done: no notice of that occurrence goes out on or after it.

    Only occurrences whose due day is near the window are expanded, and the notice days of
    a due day are computed once for all units sharing it, so a one-day window over a
    thousand units costs little more than reading their occurrences.
    """
    first_day = _local_day(start, settings, "start")
    last_day = _local_day(end, settings, "end")
    if end <= start:
        return []
    # A notice's day is between `max(offsets)` working days before its due day and
    # `max_overdue` after it; the due days whose notices can fall in the window are
    # therefore within these bounds (one day of slack each way for non-working due days).
    before = max(settings.offsets, default=0)
    earliest_due = calendar.add_working_days(first_day, -settings.max_overdue) - timedelta(days=1)
    latest_due = calendar.add_working_days(last_day, before) + timedelta(days=1)

    lead_cache: dict[date, tuple[_Planned, ...]] = {}
    fyi_cache: dict[date, tuple[_Planned, ...]] = {}
    notices: list[ScheduledNotice] = []
    for obligation in obligations:
        cache, expand = (
            (lead_cache, _lead_notices) if obligation.lead else (fyi_cache, _fyi_notices)
        )
        for occurrence in occurrences_by_obligation.get(obligation.key, ()):
            due = occurrence.due
            if not earliest_due <= due <= latest_due:
                continue
            planned = cache.get(due)
            if planned is None:
                planned = expand(due, calendar, settings)
                cache[due] = planned
            done_on = completed.get((obligation.key, occurrence.occurrence))
            for item in planned:
                if done_on is not None and done_on <= item.day:
                    continue
                send_at = datetime.combine(item.day, settings.office_time, settings.timezone)
                if not start <= send_at < end:
                    continue
                notices.append(
                    ScheduledNotice(
                        key=notice_key(
                            obligation.key, occurrence.occurrence, item.kind, item.number
                        ),
                        obligation=obligation.key,
                        occurrence=occurrence.occurrence,
                        kind=item.kind,
                        number=item.number,
                        send_at=send_at,
                        due=due,
                        working_days_left=item.working_days_left,
                        shift_reason=occurrence.shift_reason,
                    )
                )
    notices.sort(key=lambda notice: (notice.send_at, notice.key))
    return notices


# --------------------------------------------------------------------------------------------
# Documents filed
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskDocument:
    """A file a unit filed against one occurrence of one of the plan's tasks.

    Kept as Telegram's file ids (:mod:`core.task_documents` says who files and reads them).
    """

    plan_key: str
    task_number: int
    occurrence: str
    unit_key: str
    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    file_name: str | None
    size: int | None
    added_by: int
    added_at: datetime
    id: int | None = None
