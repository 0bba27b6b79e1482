"""The organisation: its council, units, clusters and campaigns, and its plans."""

from __future__ import annotations

import abc

from core.awards import AwardForm
from core.org import Campaign, Organisation
from core.plan import Plan


class OrganisationRepository(abc.ABC):
    """The council, its units, clusters and campaigns, and its plans."""

    @abc.abstractmethod
    async def load(self) -> Organisation | None:
        """Return the organisation, or None before a plan file was loaded."""

    @abc.abstractmethod
    async def replace(self, organisation: Organisation) -> None:
        """Store ``organisation`` in place of the one before (units are updated by key)."""

    @abc.abstractmethod
    async def save_plan(self, plan: Plan) -> None:
        """Insert or replace a plan and its tasks."""

    @abc.abstractmethod
    async def get_plan(self, key: str) -> Plan | None:
        """Return a plan by key."""

    @abc.abstractmethod
    async def current_plan(self) -> Plan | None:
        """Return the plan of the latest year (the last issued if several), or None."""

    @abc.abstractmethod
    async def award_forms(self) -> tuple[AwardForm, ...]:
        """Return the current plan's award forms (none before a plan, or in a plan without)."""

    @abc.abstractmethod
    async def award_form(self, key: str) -> AwardForm | None:
        """Return the form with this key: the current plan's, else the latest plan's that has it.

        A case proposed under last year's plan keeps the form it was proposed under.
        """

    @abc.abstractmethod
    async def add_campaign(self, campaign: Campaign, *, launched_by: int | None) -> None:
        """Add a campaign launched in chat; reloading the plan file keeps it."""
