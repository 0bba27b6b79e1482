"""One digest per officer per working day, instead of one message per task per reminder.

What the officer of a unit is told, and when, decided here and rendered by the bot:

- The digest lists, for each of the officer's units, what is **due today**, what is
  **overdue** (up to `ReminderSettings.max_overdue` working days late; older ones are only
  counted, `/deadlines` lists them), what is **coming** within the lead window (the largest
  reminder offset, in working days), and what the unit **coordinates** on the day the lead
  units get their first reminder. Each task the unit leads gets its "done" button in the bot.
- It goes out on a working day when something in it is news: a task the unit leads reaches
  one of the reminder offsets, falls due, or becomes overdue (its first working day late), a
  coordinated task is announced, or it is the monthly quota day and the unit is short of
  its quota. Other days bring nothing: an unchanged list is not worth a message, and the
  next digest shows it again.
- Urgent items (due today, first day overdue) lead the digest. An officer whose digest
  comes later than office time gets them as single notices at office time as well
  (`wants_urgent_notices`): urgency does not wait for a late digest, and an officer whose
  digest comes at office time is not told the same thing twice in one minute.
- The monthly quota (the plan's "đề xuất giới thiệu Quận khen thưởng ít nhất 01") is not a
  notice of its own: the unit's standing is shown with the plan's monthly task of
  introducing exemplars (`quota_task`), and on the quota day a unit still short of it has
  that task listed even outside the lead window (unless it reported the month's task done).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from core.calendar import ShiftReason, WorkingCalendar, month_of
from core.deadlines import Obligation, ObligationKey, Occurrence, ReminderSettings
from core.errors import DomainError
from core.plan import Frequency, Plan, PlanTask, RecurringDue, UnitGroup
from core.ports import UnitOfWork
from core.roles import Actor, NotAllowedError, Role
from core.text import fold

MAX_ITEMS = 10
"""Tasks listed in one digest (each with its button); the rest are counted, see /deadlines."""


class Section(StrEnum):
    """Where a task stands in a digest, in the order the digest lists them."""

    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    COMING = "coming"
    FYI = "fyi"


_ORDER = {section: index for index, section in enumerate(Section)}


@dataclass(frozen=True, slots=True)
class QuotaStanding:
    """How many cases a unit proposed to the council in a month, against the quota."""

    month: date
    proposed: int
    quota: int

    @property
    def short(self) -> bool:
        """Tell whether the unit proposed fewer cases than the quota."""
        return self.proposed < self.quota


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One task of one unit in a digest.

    `working_days_left` is positive before the due day, 0 on it and negative after it.
    `quota` is the unit's standing this month, on the plan's quota task only.
    """

    obligation: ObligationKey
    occurrence: str
    task: PlanTask
    due: date
    working_days_left: int
    section: Section
    quota: QuotaStanding | None = None
    # Why `due` is not the day the plan wrote, in one clause (core.deadlines.due_note).
    shift_reason: ShiftReason | None = None

    @property
    def unit_key(self) -> str:
        """Return the unit that owes (or coordinates) the task."""
        return self.obligation.unit_key

    @property
    def urgent(self) -> bool:
        """Tell whether the task is due today or on its first working day overdue."""
        return self.section is Section.DUE_TODAY or (
            self.section is Section.OVERDUE and self.working_days_left == -1
        )

    @property
    def lead(self) -> bool:
        """Tell whether the unit leads the task (and may mark it done)."""
        return self.section is not Section.FYI


@dataclass(frozen=True, slots=True)
class UnitDigest:
    """What one unit has to know on a day.

    `older_overdue` counts tasks overdue longer than the overdue window; `quota` is the
    unit's standing on the quota day when the plan has no quota task to show it with;
    `news` tells whether anything here is worth a message today.
    """

    unit_key: str
    items: tuple[DigestItem, ...]
    older_overdue: int = 0
    quota: QuotaStanding | None = None
    news: bool = False


@dataclass(frozen=True, slots=True)
class Digest:
    """One officer's digest of one day, over the units they are an officer of."""

    day: date
    units: tuple[UnitDigest, ...]
    limit: int = MAX_ITEMS

    @property
    def news(self) -> bool:
        """Tell whether the digest goes out: something in it is news today."""
        return any(unit.news for unit in self.units)

    @property
    def items(self) -> list[DigestItem]:
        """Return every task, urgent first, then by section, due day, task and unit order."""
        order = {unit.unit_key: index for index, unit in enumerate(self.units)}
        every = [item for unit in self.units for item in unit.items]
        return sorted(
            every,
            key=lambda item: (
                not item.urgent,
                _ORDER[item.section],
                item.due,
                item.task.number,
                order[item.unit_key],
            ),
        )

    @property
    def shown(self) -> list[DigestItem]:
        """Return the tasks listed, at most `limit` (urgent ones come first, so never cut)."""
        return self.items[: self.limit]

    @property
    def groups(self) -> list[tuple[str, list[DigestItem]]]:
        """Return the listed tasks under their headings: urgent, overdue, coming, fyi."""
        groups: dict[str, list[DigestItem]] = {}
        for item in self.shown:
            heading = "urgent" if item.urgent else item.section.value
            groups.setdefault(heading, []).append(item)
        return list(groups.items())

    @property
    def more(self) -> int:
        """Return how many tasks were left out of the list (besides `older_overdue`)."""
        return max(0, len(self.items) - self.limit)

    @property
    def older_overdue(self) -> int:
        """Return how many tasks are overdue longer than the overdue window, all units."""
        return sum(unit.older_overdue for unit in self.units)

    @property
    def quotas(self) -> list[tuple[str, QuotaStanding]]:
        """Return the quota standings shown on their own (no quota task in the plan)."""
        return [(unit.unit_key, unit.quota) for unit in self.units if unit.quota is not None]

    @property
    def urgent(self) -> list[DigestItem]:
        """Return the urgent tasks (due today, first day overdue)."""
        return [item for item in self.items if item.urgent]


def digest_key(plan_key: str, day: date, user_id: int) -> str:
    """Return the key under which an officer's digest of a day is claimed once."""
    return f"digest:{plan_key}:{day.isoformat()}:{user_id}"


def quota_task(plan: Plan) -> PlanTask | None:
    """Return the plan's monthly task of introducing exemplars, which the quota is about.

    The task every unit leads, due "Hàng tháng" (monthly, not the quarterly sessions), whose
    content speaks of "điển hình" (exemplars): task 19 of the 2018 plan. None if the plan
    has no such task; the quota is then shown on its own.
    """
    for task in sorted(plan.tasks, key=lambda task: task.number):
        due = task.due
        monthly = isinstance(due, RecurringDue) and due.frequency is Frequency.MONTHLY
        every_unit = any(ref.group is UnitGroup.ALL_UNITS for ref in task.lead)
        if monthly and every_unit and "dien hinh" in fold(task.content):
            return task
    return None


def quota_reminder_day(calendar: WorkingCalendar, day: date, quota_day: int) -> date:
    """Return the day of ``day``'s month on which units short of the quota are reminded.

    The quota day of the month, or the first working day after it.
    """
    first, _ = month_of(day)
    return calendar.next_working_day(first.replace(day=quota_day))


class DigestPlanner:
    """Decides each unit's digest on one day; the calendar work is shared between units.

    `quota_day`: whether today is the quota reminder day. `standings`: each unit's quota
    standing this month (units not in it proposed nothing). `quota_task_number`: the plan's
    quota task (see `quota_task`), or None.
    """

    def __init__(
        self,
        calendar: WorkingCalendar,
        settings: ReminderSettings,
        today: date,
        *,
        quota: int = 0,
        quota_day: bool = False,
        proposed: Mapping[str, int] | None = None,
        quota_task_number: int | None = None,
    ) -> None:
        self._calendar = calendar
        self._settings = settings
        self.today = today
        self._working = calendar.is_working_day(today)
        self._window = max(settings.offsets, default=0)
        self._fyi_at = self._window if settings.offsets else 1
        self._quota = quota
        self._quota_day = quota_day and quota > 0
        self._proposed = proposed or {}
        self._quota_task = quota_task_number
        self._left: dict[date, int] = {}
        self._month, _ = month_of(today)

    def _days_left(self, due: date) -> int:
        left = self._left.get(due)
        if left is None:
            left = self._calendar.working_days_between(self.today, due)
            self._left[due] = left
        return left

    def standing(self, unit_key: str) -> QuotaStanding:
        """Return the unit's quota standing this month."""
        return QuotaStanding(self._month, self._proposed.get(unit_key, 0), self._quota)

    def unit_digest(
        self,
        unit_key: str,
        obligations: Sequence[Obligation],
        occurrences: Mapping[ObligationKey, Sequence[Occurrence]],
        completed: Mapping[tuple[ObligationKey, str], date],
    ) -> UnitDigest:
        """Return what ``unit_key`` is told today of ``obligations`` (its own, lead or not)."""
        if not self._working:
            return UnitDigest(unit_key, ())
        items: list[DigestItem] = []
        older = 0
        news = False
        standing = self.standing(unit_key) if self._quota > 0 else None
        short_today = self._quota_day and standing is not None and standing.short
        for obligation in obligations:
            if obligation.key.unit_key != unit_key:
                continue
            is_quota_task = obligation.lead and obligation.key.task_number == self._quota_task
            for occurrence in occurrences.get(obligation.key, ()):
                done_on = completed.get((obligation.key, occurrence.occurrence))
                if done_on is not None and done_on <= self.today:
                    continue
                this_month = (occurrence.due.year, occurrence.due.month) == (
                    self.today.year,
                    self.today.month,
                )
                forced = is_quota_task and short_today and this_month
                # Far from today in calendar days is far in working days too: no counting.
                distance = (occurrence.due - self.today).days
                if distance > self._window * 3 + 31 and not forced:
                    continue
                left = self._days_left(occurrence.due)
                section: Section | None
                if not obligation.lead:
                    section = Section.FYI if left == self._fyi_at else None
                    news = news or section is not None
                elif left == 0:
                    section, news = Section.DUE_TODAY, True
                elif left < 0:
                    if -left > self._settings.max_overdue:
                        older += 1
                        section = None
                    else:
                        section = Section.OVERDUE
                        news = news or left == -1
                elif left <= self._window or forced:
                    # On the quota day a unit short of it is told, with the quota task.
                    section = Section.COMING
                    news = news or left in self._settings.offsets or forced
                else:
                    section = None
                if section is None:
                    continue
                quota = standing if is_quota_task and this_month else None
                items.append(
                    DigestItem(
                        obligation.key,
                        occurrence.occurrence,
                        obligation.task,
                        occurrence.due,
                        left,
                        section,
                        quota,
                        occurrence.shift_reason,
                    )
                )
        alone = standing if short_today and self._quota_task is None else None
        news = news or alone is not None
        return UnitDigest(unit_key, tuple(items), older, alone, news)


def digest_of(day: date, units: Sequence[UnitDigest], limit: int = MAX_ITEMS) -> Digest:
    """Return an officer's digest from the digests of their units."""
    return Digest(day, tuple(units), limit)


def wants_urgent_notices(digest_time: time | None, settings: ReminderSettings) -> bool:
    """Tell whether an officer gets urgent single notices at office time.

    Only one whose digest comes later than office time: an earlier or punctual digest
    already leads with the urgent tasks.
    """
    return digest_time is not None and digest_time > settings.office_time


async def officers_of_units(
    uow: UnitOfWork, unit_keys: Collection[str], on: date
) -> dict[int, tuple[str, ...]]:
    """Return each officer in force on ``on`` with the units of ``unit_keys`` they serve.

    In the order of ``unit_keys``; one read of the role grants for every unit.
    """
    wanted = {key: index for index, key in enumerate(dict.fromkeys(unit_keys))}
    found: dict[int, set[str]] = {}
    for grant in await uow.roles.all():
        if grant.role is Role.OFFICER and grant.unit_key in wanted and grant.in_force(on):
            found.setdefault(grant.user_id, set()).add(grant.unit_key)
    return {
        user_id: tuple(sorted(units, key=wanted.__getitem__))
        for user_id, units in sorted(found.items())
    }


# --------------------------------------------------------------------------------------------
# The officer's digest time
# --------------------------------------------------------------------------------------------


class DigestTimeError(DomainError):
    """The digest time is outside the hours the digest may come."""

    code = "digest.time"

    def __init__(self, earliest: time, latest: time) -> None:
        super().__init__(f"the digest time must be from {earliest:%H:%M} to before {latest:%H:%M}")
        self.earliest = earliest
        self.latest = latest


_TIME_OF_DAY = re.compile(r"(\d{1,2})(?:\s*[:hg.]\s*(\d{2})?)?", re.IGNORECASE)


def parse_digest_time(text: str) -> time | None:
    """Read "7:30", "07:30", "7h30", "7h", "8g15", "8.15" or "16" as a time of day, else None."""
    found = _TIME_OF_DAY.fullmatch(text.strip())
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


async def digest_time(uow: UnitOfWork, user_id: int, default: time) -> time:
    """Return the local time an officer's digest comes (their choice, else ``default``)."""
    return (await uow.deadlines.digest_times()).get(user_id, default)


async def set_digest_time(
    uow: UnitOfWork,
    actor: Actor,
    at: time,
    *,
    earliest: time,
    latest: time,
    now: datetime,
) -> time:
    """Set the local time of ``actor``'s daily digest; only an officer of a unit has one.

    Raises :class:`DigestTimeError` unless ``earliest`` <= ``at`` < ``latest``.
    """
    if actor.is_operator or not actor.officer_units or actor.recorded_id is None:
        raise NotAllowedError("only a unit's officer gets a digest")
    if not earliest <= at < latest:
        raise DigestTimeError(earliest, latest)
    await uow.deadlines.set_digest_time(actor.recorded_id, at, changed_at=now)
    return at
