"""The organisation behind a plan: its council, units, clusters and campaigns, as dated data.

Nothing here is hard-wired to Quận Hoàn Kiếm: every body has a `Validity`, so the same code
serves the district's council of 2018 and a ward's council after the district level was
abolished on 1/7/2025. The data comes from a plan file (see `core.plan.load_plan_document`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class OrganisationError(ValueError):
    """An organisation that cannot be built as given (reversed validity, duplicate keys)."""


class CouncilLevel(StrEnum):
    """The level of government whose council it is: the words a message uses for its area."""

    DISTRICT = "district"
    """A quận/huyện: the level abolished on 1/7/2025."""
    WARD = "ward"
    """A phường (or xã, đặc khu): the level that awards since 1/7/2025."""


class UnitKind(StrEnum):
    """What kind of body a `Unit` is."""

    COUNCIL = "council"
    DEPARTMENT = "department"
    """A phòng/ban of the district, e.g. Phòng Nội vụ quận."""
    WARD = "ward"
    SCHOOL = "school"
    ENTERPRISE = "enterprise"
    ORGANISATION = "organisation"
    """A mass organisation or association."""
    OTHER = "other"
    RESIDENTIAL_GROUP = "residential_group"
    """A tổ dân phố: the residents' group of a ward."""
    POLICE = "police"
    """The ward's police (Công an phường)."""


@dataclass(frozen=True, slots=True)
class Validity:
    """The days on which something exists, both ends inclusive; `None` leaves that end open."""

    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_from > self.valid_to
        ):
            raise OrganisationError(
                f"validity starts on {self.valid_from.isoformat()} "
                f"after it ends on {self.valid_to.isoformat()}"
            )

    def contains(self, day: date) -> bool:
        """Tell whether `day` lies within the validity (inclusive at both ends)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

    def overlaps(self, other: Validity) -> bool:
        """Tell whether at least one day lies within both validities."""
        if (
            self.valid_to is not None
            and other.valid_from is not None
            and self.valid_to < other.valid_from
        ):
            return False
        return not (
            other.valid_to is not None
            and self.valid_from is not None
            and other.valid_to < self.valid_from
        )


ALWAYS = Validity()
"""A validity open at both ends."""


class Share(StrEnum):
    """How much of an ended unit's area a successor took over."""

    WHOLE = "whole"
    """All of it."""
    PART = "part"
    """A part; which streets the sources do not say."""


class SuccessionBasis(StrEnum):
    """What a successor took over from the unit that ended."""

    UNIT = "unit"
    """The unit's area with its role there (a ward merged into a new ward)."""
    AREA = "area"
    """Only the area: a district body's duties went elsewhere (the city, the new wards' own
    offices); the successor is where its area now lies, not a legal successor of the body."""


@dataclass(frozen=True, slots=True)
class Successor:
    """A body that took over (some of) the area of a unit that ended.

    `unit_key` names a unit of the same organisation, which a resident can then pick; a
    successor outside it (another ward's council) has no key and is named by `name`.
    """

    unit_key: str | None
    name: str | None = None
    share: Share = Share.WHOLE
    basis: SuccessionBasis = SuccessionBasis.UNIT

    def __post_init__(self) -> None:
        if self.unit_key is None and not self.name:
            raise OrganisationError("a successor names a unit key or, outside, a name")


@dataclass(frozen=True, slots=True)
class Unit:
    """A đơn vị under the council: a department, ward, school, enterprise, association...

    `key` is a stable ASCII slug ("phuong-hang-bac"); `name` the official name in NFC
    ("Phường Hàng Bạc"); `aliases` the short forms people type ("Hàng Bạc", "Phòng GD&ĐT").
    `successors`: the bodies that took over its area when it ended (none while it lives).
    """

    key: str
    name: str
    kind: UnitKind
    aliases: tuple[str, ...] = ()
    parent_key: str | None = None
    validity: Validity = ALWAYS
    successors: tuple[Successor, ...] = ()

    def active_on(self, day: date) -> bool:
        """Tell whether the unit exists on `day`."""
        return self.validity.contains(day)

    def ended_before(self, day: date) -> bool:
        """Tell whether the unit had ended before `day`."""
        return self.validity.valid_to is not None and self.validity.valid_to < day


@dataclass(frozen=True, slots=True)
class Council:
    """The Hội đồng Thi đua - Khen thưởng; its secretariat (cơ quan thường trực) is a unit.

    `level` says whose council it is (a district's, a ward's): messages name the area and
    its units with it ("phường hoặc đơn vị" for a district, "tổ dân phố hoặc đơn vị" for a
    ward); None when the plan file does not say.
    """

    key: str
    name: str
    secretariat_key: str
    validity: Validity = ALWAYS
    level: CouncilLevel | None = None

    def active_on(self, day: date) -> bool:
        """Tell whether the council exists on `day`."""
        return self.validity.contains(day)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A cụm thi đua: units that compete with and review each other, led by a chief unit."""

    key: str
    name: str
    member_keys: tuple[str, ...]
    chief_key: str | None = None
    deputy_key: str | None = None
    validity: Validity = ALWAYS

    def active_on(self, day: date) -> bool:
        """Tell whether the cluster exists on `day`."""
        return self.validity.contains(day)


@dataclass(frozen=True, slots=True)
class Campaign:
    """A phong trào thi đua: a themed emulation movement, e.g. "Thi đua “An toàn thực phẩm”"."""

    key: str
    title: str
    theme: str
    description: str
    validity: Validity = ALWAYS

    def active_on(self, day: date) -> bool:
        """Tell whether the campaign runs on `day`."""
        return self.validity.contains(day)


@dataclass(frozen=True, slots=True)
class TakenOver:
    """Where an ended unit's area lies on a given day: a successor, as a resident is told.

    `unit` is the successor unit living that day, which can be picked; None for a body
    outside the organisation, named by `name`.
    """

    name: str
    unit: Unit | None
    share: Share
    basis: SuccessionBasis


def _first_duplicate(keys: tuple[str, ...]) -> str | None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


@dataclass(frozen=True, slots=True)
class Organisation:
    """The council with every unit, cluster and campaign it has had, each with its validity.

    Keys are unique within units, clusters and campaigns; references between them (cluster
    members, parents, the secretariat) are checked by the plan loader, not here.
    """

    council: Council
    units: tuple[Unit, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    campaigns: tuple[Campaign, ...] = ()

    def __post_init__(self) -> None:
        for what, keys in (
            ("unit", tuple(unit.key for unit in self.units)),
            ("cluster", tuple(cluster.key for cluster in self.clusters)),
            ("campaign", tuple(campaign.key for campaign in self.campaigns)),
        ):
            duplicate = _first_duplicate(keys)
            if duplicate is not None:
                raise OrganisationError(f"two {what}s share the key {duplicate!r}")

    def find_unit(self, key: str) -> Unit | None:
        """Return the unit with this key, whatever its validity, or None."""
        # A district has a few dozen units: a scan keeps the dataclass's fields exactly the
        # documented ones (no cached index to copy, compare or serialise).
        return next((unit for unit in self.units if unit.key == key), None)

    def find_cluster(self, key: str) -> Cluster | None:
        """Return the cluster with this key, whatever its validity, or None."""
        return next((cluster for cluster in self.clusters if cluster.key == key), None)

    def find_campaign(self, key: str) -> Campaign | None:
        """Return the campaign with this key, whatever its validity, or None."""
        return next((campaign for campaign in self.campaigns if campaign.key == key), None)

    def active_units(self, on: date) -> tuple[Unit, ...]:
        """Return the units under the council on the day `on`, in file order.

        None once the council has ended: the units a file lists for after that day (the
        wards that took over an abolished district's area) are not under it, and owe its
        plan nothing; :meth:`units_on` lists them.
        """
        if not self.council.active_on(on):
            return ()
        return self.units_on(on)

    def units_on(self, day: date) -> tuple[Unit, ...]:
        """Return every unit of the file that exists on `day`, under the council or not."""
        return tuple(unit for unit in self.units if unit.active_on(day))

    def taken_over(self, unit: Unit, day: date) -> tuple[TakenOver, ...]:
        """Return where `unit`'s area lies on `day`: its successors, in file order.

        A successor that had ended by then too is followed to its own (a part of a part is a
        part); each body is named once.
        """
        found: dict[str, TakenOver] = {}
        self._follow(unit, day, Share.WHOLE, SuccessionBasis.UNIT, found, {unit.key})
        return tuple(found.values())

    def _follow(
        self,
        unit: Unit,
        day: date,
        share: Share,
        basis: SuccessionBasis,
        found: dict[str, TakenOver],
        seen: set[str],
    ) -> None:
        for successor in unit.successors:
            part = Share.PART if Share.PART in (share, successor.share) else Share.WHOLE
            area = (
                SuccessionBasis.AREA
                if SuccessionBasis.AREA in (basis, successor.basis)
                else SuccessionBasis.UNIT
            )
            target = self.find_unit(successor.unit_key) if successor.unit_key else None
            if target is not None and target.ended_before(day) and target.key not in seen:
                seen.add(target.key)
                self._follow(target, day, part, area, found, seen)
                continue
            living = target if target is not None and target.active_on(day) else None
            name = target.name if target is not None else (successor.name or "")
            if name not in found:
                found[name] = TakenOver(name, living, part, area)

    def council_on(self, day: date) -> Council | None:
        """Return the council if it exists on `day` (an abolished one speaks for nobody)."""
        return self.council if self.council.active_on(day) else None

    def secretariat_on(self, day: date) -> Unit | None:
        """Return the council's standing office on `day`, if both exist then."""
        council = self.council_on(day)
        unit = self.find_unit(council.secretariat_key) if council is not None else None
        return unit if unit is not None and unit.active_on(day) else None

    def wards(self, on: date) -> tuple[Unit, ...]:
        """Return the wards (phường) that exist on the day `on`, in file order."""
        return tuple(unit for unit in self.units_on(on) if unit.kind is UnitKind.WARD)

    def active_campaigns(self, on: date) -> tuple[Campaign, ...]:
        """Return the campaigns that run on the day `on`, in file order."""
        return tuple(campaign for campaign in self.campaigns if campaign.active_on(on))

    def clusters_of(self, unit_key: str, on: date | None = None) -> tuple[Cluster, ...]:
        """Return the clusters the unit belongs to (those active on `on`, if given)."""
        return tuple(
            cluster
            for cluster in self.clusters
            if unit_key in cluster.member_keys and (on is None or cluster.active_on(on))
        )
