"""What units report on the plan, and who may: tasks done, event days, registration, dossiers.

A task's occurrence done, an event's expected day, the year's emulation registration, the
year-end dossier; and who may see every unit's standing.

Each service checks the actor first and writes nothing when the rule says no. The rules:

- A task's occurrence is marked done by the staff who act for the unit: its officers, the
  secretariat or an admin (who may record it for a unit that reported on paper).
- An event's expected day, the emulation registration and the year-end dossier are the
  unit's own declarations: only its officers make them, each for the units they are an
  officer of. The secretariat and admins receive them; they do not declare for a unit.
- The operator at the command line reports for no unit: the tables record who declared,
  and a declaration is a unit's word, not the operator's.
- Every unit's standing (``/compliance``) is for the secretariat and admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.calendar import WorkingCalendar
from core.deadlines import ObligationKey
from core.due_rules import deadlines
from core.errors import DomainError
from core.plan import Plan, PlanTask, RelativeDue
from core.ports import UnitOfWork
from core.roles import Actor, NotAllowedError, Role


class NotRelativeTaskError(DomainError):
    """The task has no deadline counted from an event, so it takes no event day."""

    code = "deadlines.not_relative"


class NotRegisteredError(DomainError):
    """The plan refuses a year-end dossier from units that did not register for emulation."""

    code = "deadlines.not_registered"

    def __init__(self, unit_keys: Sequence[str], year: int) -> None:
        super().__init__(f"{len(unit_keys)} unit(s) did not register for {year}")
        self.unit_keys = tuple(unit_keys)
        self.year = year


def may_mark_done(actor: Actor, unit_key: str) -> bool:
    """Tell whether ``actor`` may mark a task of ``unit_key`` done."""
    return not actor.is_operator and actor.is_staff and actor.acts_for(unit_key)


def declaring_units(actor: Actor) -> frozenset[str]:
    """Return the units ``actor`` declares for (event days, registration, dossier)."""
    return frozenset() if actor.is_operator else actor.officer_units


def may_see_every_unit(actor: Actor) -> bool:
    """Tell whether ``actor`` may see every unit's standing: the secretariat and admins."""
    return actor.has(Role.SECRETARIAT) or actor.has(Role.ADMIN)


def check_sees_every_unit(actor: Actor) -> None:
    """Raise :class:`NotAllowedError` unless ``actor`` may see every unit's standing."""
    if not may_see_every_unit(actor):
        raise NotAllowedError(f"user {actor.user_id} may not see every unit")


async def mark_done(
    uow: UnitOfWork,
    actor: Actor,
    *,
    plan_key: str,
    task_number: int,
    occurrence: str,
    unit_key: str,
    today: date,
    now: datetime,
) -> bool:
    """Mark a task's occurrence done for a unit; return False if it already was.

    The notices about it stop from then on.
    """
    if not may_mark_done(actor, unit_key):
        raise NotAllowedError(f"user {actor.user_id} may not report for {unit_key}")
    key = ObligationKey(plan_key, task_number, unit_key)
    return await uow.deadlines.complete(
        plan_key, str(key), occurrence, on=today, by=actor.user_id, at=now
    )


@dataclass(frozen=True, slots=True)
class EventDaySet:
    """An event's expected day, entered for the actor's units, and the deadline it makes."""

    units: tuple[str, ...]
    event: date
    due: date


async def set_event_day(
    uow: UnitOfWork,
    actor: Actor,
    *,
    plan: Plan,
    task: PlanTask,
    day: date,
    calendar: WorkingCalendar,
    now: datetime,
) -> EventDaySet:
    """Enter the expected day of the event a task's deadline counts back from.

    The deadline moves to the working day before when it falls on a day off, so the lead
    time the plan asks for holds.
    """
    units = _declaring(actor)
    if not isinstance(task.due, RelativeDue):
        raise NotRelativeTaskError(f"task {task.number} is not due before an event")
    for unit_key in units:
        key = ObligationKey(plan.key, task.number, unit_key)
        await uow.deadlines.set_event_day(plan.key, str(key), day, by=actor.user_id, at=now)
    [deadline] = deadlines(task.due, calendar, year=plan.year, event_day=day)
    return EventDaySet(units, day, deadline.due)


async def registered_units(uow: UnitOfWork, actor: Actor, year: int) -> frozenset[str]:
    """Return the units registered for the year's emulation, for whoever sees every unit."""
    check_sees_every_unit(actor)
    return frozenset(await uow.deadlines.registrations(year))


async def register(
    uow: UnitOfWork, actor: Actor, *, year: int, titles: Sequence[str], now: datetime
) -> tuple[str, ...]:
    """Record the actor's units' emulation registration for ``year``; return the units."""
    units = _declaring(actor)
    for unit_key in units:
        await uow.deadlines.register(unit_key, year, titles, by=actor.user_id, at=now)
    return units


async def file_dossier(
    uow: UnitOfWork,
    actor: Actor,
    *,
    year: int,
    titles: Sequence[str],
    require_registration: bool,
    now: datetime,
) -> tuple[str, ...]:
    """File the actor's units' year-end commendation dossier for ``year``; return the units.

    The plan (section III.4) refuses year-end commendation to units that did not register
    for emulation; the 2022 law dropped that as a legal ground, so ``require_registration``
    says whether the rule holds. Refused, nothing is filed for any unit.
    """
    units = _declaring(actor)
    if require_registration:
        registered = await uow.deadlines.registrations(year)
        missing = [unit_key for unit_key in units if unit_key not in registered]
        if missing:
            raise NotRegisteredError(missing, year)
    for unit_key in units:
        await uow.deadlines.file_dossier(unit_key, year, titles, by=actor.user_id, at=now)
    return units


def _declaring(actor: Actor) -> tuple[str, ...]:
    units = declaring_units(actor)
    if not units:
        raise NotAllowedError(f"user {actor.user_id} declares for no unit")
    return tuple(sorted(units))
