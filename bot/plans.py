"""Reading plan files and loading them into the database (light: no Telegram import)."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.deadlines import NoReminderReason, undated_tasks
from core.plan import Plan, PlanDocument, load_plan_document
from storage.uow import Database

PLANS = Path(__file__).resolve().parent.parent / "storage" / "plans"
DEMO_PLAN = PLANS / "hoan-kiem-2018.yaml"
"""The district's 2018 plan: what an empty database is given at start (and what the tests'
bot works with); its wards end on 30/6/2025 and name the wards that took over their area."""
TODAY_PLAN = PLANS / "phuong-hoan-kiem-2027.yaml"
"""The organisation of today: a ward's council since 1/7/2025, with an illustrative 2027 plan;
what ``ntvt chat`` loads unless ``--plan`` names another."""


def read_plan_file(path: Path) -> PlanDocument:
    """Read and check a plan file; problems are reported, valid entries kept."""
    # libyaml's loader when present: ten times faster than the pure Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as plan_file:
        data = yaml.load(plan_file, Loader=loader)
    if not isinstance(data, dict):
        data = {}
    return load_plan_document(data)


async def load_plan(db: Database, document: PlanDocument) -> None:
    """Store a checked plan document's organisation and plan in one transaction."""
    async with db.uow() as uow:
        if document.organisation is not None:
            await uow.organisation.replace(document.organisation)
        if document.plan is not None:
            await uow.organisation.save_plan(document.plan)
        await uow.commit()


_NO_REMINDER_WHY = {
    NoReminderReason.UNREADABLE: "its due text is not a wording the reader knows",
    NoReminderReason.OUT_OF_PLAN: "its due day lies outside the plan's time",
    NoReminderReason.UNDATED: "its due text names no day",
}


def no_reminder_lines(plan: Plan | None) -> list[str]:
    """Say, one line per task, which tasks of a loaded plan nobody will be reminded of."""
    if plan is None:
        return []
    return [
        f"ntvt: WARNING task {item.task.number} gets NO REMINDER until its due text is fixed: "
        f"“{item.task.due_as_written}” ({_NO_REMINDER_WHY[item.reason]})"
        for item in undated_tasks(plan)
    ]
