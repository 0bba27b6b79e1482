"""The organisation (council, units, clusters, campaigns) and its yearly plans."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.awards import AwardForm, DossierItem, Proposer, VoteRule
from core.due_rules import (
    AbsoluteDue,
    DueRule,
    Frequency,
    MonthDue,
    MonthlyDue,
    QuarterDue,
    RecurringDue,
    RelativeDue,
    UndatedDue,
)
from core.org import (
    Campaign,
    Cluster,
    Council,
    Organisation,
    Share,
    SuccessionBasis,
    Successor,
    Unit,
)
from core.plan import Plan, PlanTask, UnitGroup, UnitRef
from core.ports import OrganisationRepository
from storage.mapping import to_entity, to_values
from storage.sql import upsert
from storage.tables import CampaignRow, ClusterRow, CouncilRow, PlanRow, PlanTaskRow, UnitRow


class SqlOrganisationRepository(OrganisationRepository):
    """The organisation and its plans.

    The organisation is kept in ``councils``, ``units``, ``clusters`` and ``campaigns``; plans
    in ``plans`` and ``plan_tasks``.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self) -> Organisation | None:
        """Return the organisation, or None before a plan file was loaded."""
        council = await self._session.scalar(select(CouncilRow).order_by(CouncilRow.key).limit(1))
        if council is None:
            return None
        units = await self._session.scalars(select(UnitRow).order_by(UnitRow.position))
        clusters = await self._session.scalars(select(ClusterRow).order_by(ClusterRow.position))
        campaigns = await self._session.scalars(select(CampaignRow).order_by(CampaignRow.position))
        return Organisation(
            council=to_entity(Council, council),
            units=tuple(
                to_entity(
                    Unit,
                    row,
                    aliases=tuple(row.aliases),
                    successors=tuple(_successor(item) for item in row.successors or ()),
                )
                for row in units
            ),
            clusters=tuple(
                to_entity(Cluster, row, member_keys=tuple(row.member_keys)) for row in clusters
            ),
            campaigns=tuple(to_entity(Campaign, row) for row in campaigns),
        )

    async def replace(self, organisation: Organisation) -> None:
        """Store ``organisation`` in place of the one before.

        Rows are updated by key; rows whose key is no longer in ``organisation`` are deleted.
        Nothing is lost by deleting: the plan file keeps every body the council ever had,
        each with its validity, so a body that ended is still in it with a ``valid_to``.
        Nominations keep their ``unit_key`` as plain text and reference no unit row.
        """
        await self._replace_all(CouncilRow, [to_values(organisation.council)])
        await self._replace_all(
            UnitRow,
            [
                to_values(
                    unit,
                    position=position,
                    aliases=list(unit.aliases),
                    successors=[_successor_json(item) for item in unit.successors],
                )
                for position, unit in enumerate(organisation.units)
            ],
        )
        await self._replace_all(
            ClusterRow,
            [
                to_values(cluster, position=position, member_keys=list(cluster.member_keys))
                for position, cluster in enumerate(organisation.clusters)
            ],
        )
        await self._replace_all(
            CampaignRow,
            [
                to_values(campaign, position=position)
                for position, campaign in enumerate(organisation.campaigns)
            ],
        )

    async def add_campaign(self, campaign: Campaign, *, launched_by: int | None) -> None:
        """Add a campaign launched in chat; reloading the plan file keeps it."""
        position = await self._session.scalar(
            select(func.coalesce(func.max(CampaignRow.position), -1))
        )
        self._session.add(
            CampaignRow(
                **to_values(campaign, position=(position or 0) + 1, launched_by=launched_by)
            )
        )
        await self._session.flush()

    async def _replace_all(
        self,
        row_class: type[CouncilRow | UnitRow | ClusterRow | CampaignRow],
        rows: list[dict[str, Any]],
    ) -> None:
        keys = [row["key"] for row in rows]
        gone = delete(row_class).where(row_class.key.not_in(keys))
        if row_class is CampaignRow:
            # Campaigns launched in chat are not in the plan file: a reload keeps them.
            gone = gone.where(CampaignRow.launched_by.is_(None))
        await self._session.execute(gone.execution_options(synchronize_session=False))
        for row in rows:
            await upsert(self._session, row_class, row, key=["key"])

    async def save_plan(self, plan: Plan) -> None:
        """Insert or replace a plan and its tasks."""
        forms = [_award_form_json(form) for form in plan.award_forms]
        values = to_values(plan, omit=("tasks",), award_forms=forms)
        await upsert(self._session, PlanRow, values, key=["key"])
        await self._session.execute(
            delete(PlanTaskRow)
            .where(PlanTaskRow.plan_key == plan.key)
            .execution_options(synchronize_session=False)
        )
        self._session.add_all(
            PlanTaskRow(
                **to_values(
                    task,
                    plan_key=plan.key,
                    position=position,
                    lead=[_unit_ref_json(ref) for ref in task.lead],
                    coordinating=[_unit_ref_json(ref) for ref in task.coordinating],
                    due=_due_json(task.due),
                )
            )
            for position, task in enumerate(plan.tasks)
        )
        await self._session.flush()

    async def current_plan(self) -> Plan | None:
        """Return the stored council's plan of the latest year (the last issued if several).

        Plans of another council (loaded from another file before) come only when the
        stored council has none; None when no plan was loaded.
        """
        key = await self._session.scalar(select(PlanRow.key).order_by(*await self._current()))
        return await self.get_plan(key) if key is not None else None

    async def award_forms(self) -> tuple[AwardForm, ...]:
        """Return the current plan's award forms, without reading its tasks."""
        forms = await self._session.scalar(
            select(PlanRow.award_forms).order_by(*await self._current()).limit(1)
        )
        return tuple(_award_form(item) for item in forms or ())

    async def award_form(self, key: str) -> AwardForm | None:
        """Return the form with this key: the current plan's, else the latest plan's with it."""
        rows = await self._session.scalars(
            select(PlanRow.award_forms).order_by(*await self._current())
        )
        for forms in rows:
            found = next((item for item in forms or () if item.get("key") == key), None)
            if found is not None:
                return _award_form(found)
        return None

    async def _current(self) -> tuple[Any, ...]:
        """Return the order that puts the current plan first (see :meth:`current_plan`)."""
        council = await self._session.scalar(select(CouncilRow.key).order_by(CouncilRow.key))
        latest = (PlanRow.year.desc(), PlanRow.issued_on.desc(), PlanRow.key)
        ours = () if council is None else ((PlanRow.council_key == council).desc(),)
        return (*ours, *latest)

    async def get_plan(self, key: str) -> Plan | None:
        """Return a plan by key."""
        row = await self._session.scalar(
            select(PlanRow)
            .where(PlanRow.key == key)
            .options(selectinload(PlanRow.tasks))
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return to_entity(
            Plan,
            row,
            tasks=tuple(_plan_task(task) for task in row.tasks),
            award_forms=tuple(_award_form(item) for item in row.award_forms or ()),
        )


def _award_form_json(form: AwardForm) -> dict[str, Any]:
    """Return an award form as a JSON object; shares as fractions written "4/5"."""
    vote = form.vote
    return {
        "key": form.key,
        "name": form.name,
        "proposers": [proposer.value for proposer in form.proposers],
        "vote": {
            "required": vote.required,
            "threshold": None if vote.threshold is None else str(vote.threshold),
            "quorum": None if vote.quorum is None else str(vote.quorum),
        },
        "comment_days": form.comment_days,
        "simplified": form.simplified,
        "dossier": [
            {"key": item.key, "name": item.name, "generated": item.generated}
            for item in form.dossier
        ],
    }


def _award_form(data: dict[str, Any]) -> AwardForm:
    vote = data.get("vote") or {}
    return AwardForm(
        key=str(data["key"]),
        name=str(data["name"]),
        proposers=tuple(Proposer(value) for value in data.get("proposers", ())),
        vote=VoteRule(
            bool(vote.get("required", False)),
            _share(vote.get("threshold")),
            _share(vote.get("quorum")),
        ),
        dossier=tuple(
            DossierItem(str(item["key"]), str(item["name"]), bool(item.get("generated", False)))
            for item in data.get("dossier", ())
        ),
        comment_days=int(data.get("comment_days", 0)),
        simplified=bool(data.get("simplified", False)),
    )


def _share(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _successor_json(successor: Successor) -> dict[str, str | None]:
    return {
        "unit_key": successor.unit_key,
        "name": successor.name,
        "share": successor.share.value,
        "basis": successor.basis.value,
    }


def _successor(data: dict[str, Any]) -> Successor:
    return Successor(
        data.get("unit_key"),
        data.get("name"),
        Share(data.get("share", Share.WHOLE.value)),
        SuccessionBasis(data.get("basis", SuccessionBasis.UNIT.value)),
    )


def _plan_task(row: PlanTaskRow) -> PlanTask:
    return to_entity(
        PlanTask,
        row,
        lead=tuple(_unit_ref(item) for item in row.lead),
        coordinating=tuple(_unit_ref(item) for item in row.coordinating),
        due=_due(row.due),
    )


def _unit_ref_json(ref: UnitRef) -> dict[str, str]:
    if ref.group is not None:
        return {"group": ref.group.value}
    assert ref.unit_key is not None
    return {"unit_key": ref.unit_key}


def _unit_ref(data: dict[str, str]) -> UnitRef:
    if "group" in data:
        return UnitRef.of_group(UnitGroup(data["group"]))
    return UnitRef.of_unit(data["unit_key"])


def _due_json(due: DueRule | None) -> dict[str, Any] | None:
    match due:
        case None:
            return None
        case AbsoluteDue(day=day, dossier=dossier, inclusive=inclusive):
            return {
                "kind": "absolute",
                "day": day.isoformat(),
                "dossier": dossier,
                "inclusive": inclusive,
            }
        case RelativeDue(days_before=days_before, event=event, dossier=dossier):
            return {
                "kind": "relative",
                "days_before": days_before,
                "event": event,
                "dossier": dossier,
            }
        case RecurringDue(frequency=frequency):
            return {"kind": "recurring", "frequency": frequency.value}
        case MonthDue(month=month, year=year):
            return {"kind": "month", "month": month, "year": year}
        case QuarterDue(quarter=quarter, year=year):
            return {"kind": "quarter", "quarter": quarter, "year": year}
        case MonthlyDue(day=day, inclusive=inclusive):
            return {"kind": "monthly", "day": day, "inclusive": inclusive}
        case UndatedDue():
            return {"kind": "undated"}
    raise TypeError(f"unknown due rule {due!r}")


def _due(data: dict[str, Any] | None) -> DueRule | None:
    if data is None:
        return None
    kind = data["kind"]
    if kind == "absolute":
        # Rules stored before "Chậm nhất ngày X" was read have no "inclusive": "before X".
        return AbsoluteDue(
            day=date.fromisoformat(data["day"]),
            dossier=bool(data["dossier"]),
            inclusive=bool(data.get("inclusive", False)),
        )
    if kind == "relative":
        return RelativeDue(
            days_before=int(data["days_before"]),
            event=str(data["event"]),
            dossier=bool(data["dossier"]),
        )
    if kind == "recurring":
        return RecurringDue(frequency=Frequency(data["frequency"]))
    if kind == "month":
        return MonthDue(int(data["month"]), _year(data))
    if kind == "quarter":
        return QuarterDue(int(data["quarter"]), _year(data))
    if kind == "monthly":
        return MonthlyDue(int(data["day"]), inclusive=bool(data["inclusive"]))
    if kind == "undated":
        return UndatedDue()
    raise ValueError(f"unknown due rule kind {kind!r}")


def _year(data: dict[str, Any]) -> int | None:
    return None if data.get("year") is None else int(data["year"])
