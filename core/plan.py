"""The yearly plan (Kế hoạch), its tasks (Phụ lục), their due rules, and the plan-file checker.

A plan file is YAML, but this module never reads it: the caller loads it (e.g. with
`yaml.safe_load`) and passes the resulting mapping to `load_plan_document`, which keeps every
entry it can and reports every entry that cannot be right as a `PlanProblem` (data, not an
exception), so that "ntvt plan check" can print them all and "ntvt plan load" can load the rest.

Due rules are read by `core.due_rules`, which also turns them into due days.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

# Re-exported: the due rules were defined here before `core.due_rules` existed.
from core.awards import AwardForm, DossierItem, Proposer, VoteRule
from core.due_rules import (
    EVENT_AWARD_PRESENTATION as EVENT_AWARD_PRESENTATION,
    EVENT_PLAQUE_MOUNTING as EVENT_PLAQUE_MOUNTING,
    AbsoluteDue as AbsoluteDue,
    DueRule as DueRule,
    DueRuleError as DueRuleError,
    Frequency as Frequency,
    MonthDue as MonthDue,
    MonthlyDue as MonthlyDue,
    QuarterDue as QuarterDue,
    RecurringDue as RecurringDue,
    RelativeDue as RelativeDue,
    UndatedDue as UndatedDue,
    contradicting_years,
    parse_due_rule as parse_due_rule,
)
from core.org import (
    Campaign,
    Cluster,
    Council,
    CouncilLevel,
    Organisation,
    OrganisationError,
    Share,
    SuccessionBasis,
    Successor,
    Unit,
    UnitKind,
    Validity,
)

# --------------------------------------------------------------------------------------------
# Who does a task
# --------------------------------------------------------------------------------------------


class UnitGroup(StrEnum):
    """A group of units that the plan names by a phrase instead of listing them."""

    ALL_UNITS = "all_units"
    """"Các đơn vị thuộc quận": every unit under the council, wards included."""
    ALL_CLUSTERS = "all_clusters"
    """"Các cụm thi đua thuộc quận": each cluster, addressed to its chief's unit."""
    RELATED_UNITS = "related_units"
    """"Các đơn vị liên quan": decided case by case by the secretariat."""
    COUNCIL = "council"
    """"Hội đồng Thi đua, Khen thưởng quận": the council itself."""


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GROUP_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class UnitRefError(ValueError):
    """A written unit reference that is neither a unit key nor a `UnitGroup` name."""


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A lead or coordinating unit of a task: exactly one of a unit key or a `UnitGroup`.

    A dataclass rather than `str | UnitGroup`, because a `StrEnum` member is a `str` too:
    `UnitGroup.COUNCIL == "council"`, so a bare union could not tell a group from a unit
    whose key happened to be "council". In a plan file a reference is written as the
    group's NAME in upper case ("ALL_UNITS") or as a unit key slug ("phong-noi-vu").
    """

    unit_key: str | None = None
    group: UnitGroup | None = None

    def __post_init__(self) -> None:
        if (self.unit_key is None) == (self.group is None):
            raise UnitRefError("a unit reference names exactly one of a unit key or a group")

    @classmethod
    def of_unit(cls, key: str) -> UnitRef:
        """Refer to one unit by its key."""
        return cls(unit_key=key)

    @classmethod
    def of_group(cls, group: UnitGroup) -> UnitRef:
        """Refer to a group of units."""
        return cls(group=group)

    @classmethod
    def parse(cls, written: str) -> UnitRef:
        """Read a reference as written in a plan file: "ALL_UNITS" or "phong-noi-vu"."""
        text = written.strip()
        if _GROUP_NAME.fullmatch(text):
            try:
                return cls.of_group(UnitGroup[text])
            except KeyError:
                names = ", ".join(group.name for group in UnitGroup)
                raise UnitRefError(f"{text!r} is not a unit group (groups: {names})") from None
        if _SLUG.fullmatch(text):
            return cls.of_unit(text)
        raise UnitRefError(f"{written!r} is neither a unit key (lower-case slug) nor a group NAME")

    @property
    def is_group(self) -> bool:
        """Tell whether this reference names a group rather than one unit."""
        return self.group is not None

    def __str__(self) -> str:
        return self.group.name if self.group is not None else str(self.unit_key)


# --------------------------------------------------------------------------------------------
# When a task is due
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------

REGULAR = "regular"
"""The `quarter` of the appendix's section V, "Nội dung nhiệm vụ thường xuyên"."""
QUARTERS: tuple[str, ...] = ("I", "II", "III", "IV", REGULAR)


class PlanError(ValueError):
    """A plan or task built in code with values that cannot be right."""


@dataclass(frozen=True, slots=True)
class PlanTask:
    """One row of the appendix (Phụ lục: tiến độ thực hiện).

    `due_as_written` keeps the plan's own words; `due` is their reading, or None when they
    cannot be read or name an impossible day (the plan checker reports why).
    """

    number: int
    quarter: str
    content: str
    lead: tuple[UnitRef, ...]
    coordinating: tuple[UnitRef, ...]
    due_as_written: str
    due: DueRule | None

    def __post_init__(self) -> None:
        if self.quarter not in QUARTERS:
            raise PlanError(f"quarter must be one of {QUARTERS}, got {self.quarter!r}")


@dataclass(frozen=True, slots=True)
class Plan:
    """A council's yearly emulation and commendation plan, e.g. Kế hoạch số 54/KH-HĐTĐKT."""

    key: str
    number: str
    title: str
    year: int
    issued_on: date
    council_key: str
    tasks: tuple[PlanTask, ...] = ()
    # The forms of commendation its council gives or proposes, each with its dossier.
    award_forms: tuple[AwardForm, ...] = ()

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for task in self.tasks:
            if task.number in seen:
                raise PlanError(f"two tasks share the number {task.number}")
            seen.add(task.number)
        keys = [form.key for form in self.award_forms]
        if len(keys) != len(set(keys)):
            raise PlanError("two award forms share a key")

    def find_task(self, number: int) -> PlanTask | None:
        """Return the task with this number, or None."""
        return next((task for task in self.tasks if task.number == number), None)

    def find_award_form(self, key: str) -> AwardForm | None:
        """Return the award form with this key, or None."""
        return next((form for form in self.award_forms if form.key == key), None)


# --------------------------------------------------------------------------------------------
# Checking a plan file
# --------------------------------------------------------------------------------------------


class ProblemCode(StrEnum):
    """The stable codes of `PlanProblem`; translations and tests key on these."""

    FIELD_MISSING = "field.missing"
    FIELD_INVALID = "field.invalid"
    FIELD_UNKNOWN = "field.unknown"
    DATE_INVALID = "date.invalid"
    VALIDITY_REVERSED = "validity.reversed"
    KEY_DUPLICATE = "key.duplicate"
    NAME_AMBIGUOUS = "unit.ambiguous_name"
    UNIT_UNKNOWN = "unit.unknown"
    UNIT_INACTIVE = "unit.inactive"
    GROUP_UNKNOWN = "group.unknown"
    CLUSTER_CHIEF_NOT_MEMBER = "cluster.chief_not_member"
    COUNCIL_UNKNOWN = "council.unknown"
    COUNCIL_INACTIVE = "council.inactive"
    PLAN_ISSUED_AFTER_YEAR = "plan.issued_after_year"
    TASK_DUPLICATE_NUMBER = "task.duplicate_number"
    DUE_UNPARSEABLE = "due.unparseable"
    DUE_BEFORE_ISSUE_DATE = "due.before_issue_date"
    DUE_AFTER_PLAN_YEAR = "due.after_plan_year"
    DUE_UNDATED = "due.undated"
    TASK_YEAR_CONTRADICTS_PLAN = "task.year_contradicts_plan"
    SUCCESSOR_WITHOUT_END = "successor.without_end"
    SUCCESSOR_NOT_AFTER = "successor.not_after"
    AWARD_SHARE_OUT_OF_RANGE = "award.share_out_of_range"
    AWARD_VOTE_WITHOUT_THRESHOLD = "award.vote_without_threshold"
    AWARD_DOSSIER_EMPTY = "award.dossier_empty"


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Something in a plan file that cannot be right.

    `location` is a path into the document, list indices counted from 0
    ("plan.tasks[1].due" is the second task's due text); `code` a `ProblemCode` value;
    `params` the values a translated message needs; `message` English, for logs.
    """

    location: str
    code: str
    params: Mapping[str, str]
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.location, self.code, tuple(sorted(self.params.items())), self.message))


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """What a plan file yields: what could be built, and every problem found."""

    organisation: Organisation | None
    plan: Plan | None
    problems: tuple[PlanProblem, ...]

    @property
    def ok(self) -> bool:
        """Tell whether the file had no problem at all."""
        return not self.problems


LATE_TOLERANCE = timedelta(days=31)
"""How long after the plan year a deadline may still fall.

A plan is issued before its year starts (the 2018 plan on 15/12/2017, with tasks due from
31/12/2017), so no deadline can precede the issue date. At the other end, the year-end
review and next year's launch belong to this plan and may slip into the next January; later
than that, a date is a typo. Task 16 of the 2018 plan ("Trước ngày 30/12/2018") is inside.
"""

_ENTRY_NOTES = frozenset({"source", "note"})
_COUNCIL_FIELDS = frozenset({"key", "name", "secretariat_key", "level", "valid_from", "valid_to"})
_UNIT_FIELDS = frozenset(
    {"key", "name", "kind", "aliases", "parent_key", "valid_from", "valid_to", "successors"}
)
_SUCCESSOR_FIELDS = frozenset({"key", "name", "share", "basis"})
_CLUSTER_FIELDS = frozenset(
    {"key", "name", "member_keys", "chief_key", "deputy_key", "valid_from", "valid_to"}
)
_CAMPAIGN_FIELDS = frozenset({"key", "title", "theme", "description", "valid_from", "valid_to"})
_PLAN_FIELDS = frozenset(
    {"key", "number", "title", "year", "issued_on", "council_key", "tasks", "award_forms"}
)
_AWARD_FORM_FIELDS = frozenset(
    {"key", "name", "proposers", "vote", "comment_days", "simplified", "dossier"}
)
_VOTE_FIELDS = frozenset({"required", "threshold", "quorum"})
_DOSSIER_ITEM_FIELDS = frozenset({"key", "name", "generated"})
_SHARE = re.compile(r"(\d+)\s*/\s*(\d+)")
_TASK_FIELDS = frozenset({"number", "quarter", "content", "lead", "coordinating", "due"})
_DOCUMENT_FIELDS = frozenset({"council", "units", "clusters", "campaigns", "plan"})
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


_Choice = TypeVar("_Choice", bound=StrEnum)


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


@dataclass
class _Loader:
    """Reads one plan document, collecting problems as it goes."""

    late_tolerance: timedelta
    problems: list[PlanProblem] = field(default_factory=list)

    # -- reporting -----------------------------------------------------------------------

    def report(self, location: str, code: ProblemCode, message: str, **params: str) -> None:
        self.problems.append(PlanProblem(location, code.value, params, message))

    # -- reading fields ------------------------------------------------------------------

    def mapping(self, value: object, location: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.report(location, ProblemCode.FIELD_INVALID, f"{location}: expected a mapping")
        return None

    def entries(
        self, data: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> list[tuple[str, Mapping[str, Any]]]:
        value = data.get(name)
        if value is None:
            if required:
                self.report(
                    location, ProblemCode.FIELD_MISSING, f"{location} is missing", field=name
                )
            return []
        if not _is_list(value):
            self.report(location, ProblemCode.FIELD_INVALID, f"{location}: expected a list")
            return []
        found: list[tuple[str, Mapping[str, Any]]] = []
        for index, item in enumerate(value):
            item_location = f"{location}[{index}]"
            entry = self.mapping(item, item_location)
            if entry is not None:
                found.append((item_location, entry))
        return found

    def known_fields(self, entry: Mapping[str, Any], location: str, known: frozenset[str]) -> None:
        for name in entry:
            if name not in known and name not in _ENTRY_NOTES:
                self.report(
                    f"{location}.{name}" if location else str(name),
                    ProblemCode.FIELD_UNKNOWN,
                    f"{location or 'document'}: unknown field {name!r} (ignored)",
                    field=str(name),
                )

    def text(
        self, entry: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> str | None:
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field=name)
            return None
        if not isinstance(value, str):
            self.report(where, ProblemCode.FIELD_INVALID, f"{where}: expected text", field=name)
            return None
        return unicodedata.normalize("NFC", value.strip())

    def slug(
        self, entry: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> str | None:
        value = self.text(entry, name, location, required=required)
        if value is not None and not _SLUG.fullmatch(value):
            where = f"{location}.{name}"
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: {value!r} is not a key (lower-case ASCII words joined by '-')",
                field=name,
                value=value,
            )
            return None
        return value

    def integer(
        self, entry: Mapping[str, Any], name: str, location: str, *, minimum: int
    ) -> int | None:
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None:
            self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field=name)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: expected a whole number from {minimum}, got {value!r}",
                field=name,
                value=str(value),
            )
            return None
        return value

    def day(
        self, entry: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> date | None:
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None:
            if required:
                self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field=name)
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                self.report(
                    where,
                    ProblemCode.DATE_INVALID,
                    f"{where}: {value!r} is not a day of the calendar",
                    value=value,
                )
                return None
        self.report(
            where,
            ProblemCode.DATE_INVALID,
            f"{where}: expected a day written YYYY-MM-DD, got {value!r}",
            value=str(value),
        )
        return None

    def texts(
        self, entry: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> tuple[tuple[str, str], ...] | None:
        """Read a list of texts as (location, NFC text) pairs, leaving out unusable items.

        Return None when the list is absent (or empty, if required) or not a list.
        """
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None or (required and _is_list(value) and not value):
            if required:
                self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field=name)
            return None
        if not _is_list(value):
            self.report(where, ProblemCode.FIELD_INVALID, f"{where}: expected a list", field=name)
            return None
        found: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            item_where = f"{where}[{index}]"
            if not isinstance(item, str) or not item.strip():
                self.report(
                    item_where,
                    ProblemCode.FIELD_INVALID,
                    f"{item_where}: expected non-empty text",
                    field=name,
                )
                continue
            found.append((item_where, unicodedata.normalize("NFC", item.strip())))
        return tuple(found)

    def validity(self, entry: Mapping[str, Any], location: str) -> Validity | None:
        """Read valid_from / valid_to; None if either is unreadable or they are reversed.

        An unreadable end is not taken as open: that would stretch the entry over all time.
        """
        mark = len(self.problems)
        valid_from = self.day(entry, "valid_from", location, required=False)
        valid_to = self.day(entry, "valid_to", location, required=False)
        if len(self.problems) > mark:
            return None
        if valid_from is not None and valid_to is not None and valid_from > valid_to:
            where = f"{location}.valid_to"
            self.report(
                where,
                ProblemCode.VALIDITY_REVERSED,
                f"{where}: {valid_to.isoformat()} is before valid_from {valid_from.isoformat()}",
                valid_from=valid_from.isoformat(),
                valid_to=valid_to.isoformat(),
            )
            return None
        return Validity(valid_from, valid_to)

    def unique(self, key: str, seen: set[str], kind: str, location: str) -> bool:
        if key in seen:
            self.report(
                f"{location}.key",
                ProblemCode.KEY_DUPLICATE,
                f"{location}: another {kind} already has the key {key!r} (entry ignored)",
                kind=kind,
                key=key,
            )
            return False
        seen.add(key)
        return True

    # -- the organisation ----------------------------------------------------------------

    def council(self, data: Mapping[str, Any]) -> Council | None:
        if data.get("council") is None:
            self.report("council", ProblemCode.FIELD_MISSING, "council is missing", field="council")
            return None
        entry = self.mapping(data["council"], "council")
        if entry is None:
            return None
        self.known_fields(entry, "council", _COUNCIL_FIELDS)
        key = self.slug(entry, "key", "council", required=True)
        name = self.text(entry, "name", "council", required=True)
        secretariat_key = self.slug(entry, "secretariat_key", "council", required=True)
        level = self.choice(entry, "level", "council", CouncilLevel)
        validity = self.validity(entry, "council")
        if key is None or name is None or secretariat_key is None or validity is None:
            return None
        return Council(key, name, secretariat_key, validity, level)

    def choice(
        self, entry: Mapping[str, Any], name: str, location: str, enum: type[_Choice]
    ) -> _Choice | None:
        """Read an optional field that takes one of an enumeration's values."""
        value = self.text(entry, name, location, required=False)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            where = f"{location}.{name}"
            allowed = ", ".join(member.value for member in enum)
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: {value!r} is not one of {allowed}",
                field=name,
                value=value,
            )
            return None

    def units(self, data: Mapping[str, Any]) -> list[tuple[str, Unit]]:
        found: list[tuple[str, Unit]] = []
        seen: set[str] = set()
        for location, entry in self.entries(data, "units", "units", required=True):
            self.known_fields(entry, location, _UNIT_FIELDS)
            key = self.slug(entry, "key", location, required=True)
            name = self.text(entry, "name", location, required=True)
            kind = self.unit_kind(entry, location)
            aliases = self.texts(entry, "aliases", location, required=False)
            parent_key = self.slug(entry, "parent_key", location, required=False)
            validity = self.validity(entry, location)
            successors = self.successors(entry, location)
            if key is None or name is None or kind is None or validity is None:
                continue
            if self.unique(key, seen, "unit", location):
                alias_texts = tuple(alias for _, alias in aliases or ())
                unit = Unit(key, name, kind, alias_texts, parent_key, validity, successors)
                found.append((location, unit))
        found = self.without_ambiguous_names(found)
        return self.with_known_successors(self.with_known_parents(found))

    def successors(self, entry: Mapping[str, Any], location: str) -> tuple[Successor, ...]:
        """Read a unit's successors: a unit key, or a mapping with key or name, share, basis."""
        found: list[Successor] = []
        for where, item in self.entries(
            entry, "successors", f"{location}.successors", required=False
        ):
            self.known_fields(item, where, _SUCCESSOR_FIELDS)
            key = self.slug(item, "key", where, required=False)
            name = self.text(item, "name", where, required=False)
            share = self.choice(item, "share", where, Share) or Share.WHOLE
            basis = self.choice(item, "basis", where, SuccessionBasis) or SuccessionBasis.UNIT
            if key is None and name is None:
                self.report(
                    f"{where}.key",
                    ProblemCode.FIELD_MISSING,
                    f"{where}: a successor needs a unit key, or a name when it is outside",
                    field="key",
                )
                continue
            found.append(Successor(key, name, share, basis))
        return tuple(found)

    def with_known_successors(self, units: list[tuple[str, Unit]]) -> list[tuple[str, Unit]]:
        """Keep the successors that can be right.

        A unit with successors must have ended; each successor is a unit of the file that
        exists the day after, or a body outside it, named.
        """
        known = {unit.key: unit for _, unit in units}
        checked: list[tuple[str, Unit]] = []
        for location, unit in units:
            if not unit.successors:
                checked.append((location, unit))
                continue
            end = unit.validity.valid_to
            if end is None:
                where = f"{location}.successors"
                self.report(
                    where,
                    ProblemCode.SUCCESSOR_WITHOUT_END,
                    f"{where}: unit {unit.key!r} has successors but no valid_to (ignored)",
                    unit=unit.key,
                )
                checked.append((location, replace(unit, successors=())))
                continue
            day_after = end + timedelta(days=1)
            kept: list[Successor] = []
            for index, successor in enumerate(unit.successors):
                where = f"{location}.successors[{index}]"
                if successor.unit_key is None:
                    kept.append(successor)
                    continue
                target = known.get(successor.unit_key)
                if target is None:
                    self.unknown_unit(f"{where}.key", successor.unit_key)
                    continue
                if not target.active_on(day_after):
                    self.report(
                        f"{where}.key",
                        ProblemCode.SUCCESSOR_NOT_AFTER,
                        f"{where}: successor {target.key!r} does not exist on "
                        f"{day_after.isoformat()}, the day after {unit.key!r} ended",
                        key=target.key,
                        day=day_after.isoformat(),
                    )
                    continue
                kept.append(successor)
            checked.append((location, replace(unit, successors=tuple(kept))))
        return checked

    def unit_kind(self, entry: Mapping[str, Any], location: str) -> UnitKind | None:
        value = self.text(entry, "kind", location, required=True)
        if value is None:
            return None
        try:
            return UnitKind(value)
        except ValueError:
            where = f"{location}.kind"
            kinds = ", ".join(kind.value for kind in UnitKind)
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: {value!r} is not a unit kind ({kinds})",
                field="kind",
                value=value,
            )
            return None

    def without_ambiguous_names(self, units: list[tuple[str, Unit]]) -> list[tuple[str, Unit]]:
        """Drop an alias that another unit living at the same time already answers to.

        Names and aliases are compared exactly (NFC, ignoring letter case), without removing
        diacritics: "Hàng Bạc" and "Hàng Bác" are different streets.
        """
        claimed: dict[str, list[Unit]] = {}
        cleaned: list[tuple[str, Unit]] = []
        for location, unit in units:
            labels = [(f"{location}.name", unit.name, False)] + [
                (f"{location}.aliases[{index}]", alias, True)
                for index, alias in enumerate(unit.aliases)
            ]
            kept_aliases: list[str] = []
            for where, label, is_alias in labels:
                label_key = label.casefold()
                rival = next(
                    (
                        other
                        for other in claimed.get(label_key, [])
                        if other.key != unit.key and other.validity.overlaps(unit.validity)
                    ),
                    None,
                )
                if rival is not None:
                    self.report(
                        where,
                        ProblemCode.NAME_AMBIGUOUS,
                        f"{where}: {label!r} also names unit {rival.key!r} at the same time"
                        + (" (alias ignored)" if is_alias else ""),
                        label=label,
                        unit=unit.key,
                        other_unit=rival.key,
                    )
                    if is_alias:
                        continue
                if is_alias:
                    kept_aliases.append(label)
                claimed.setdefault(label_key, []).append(unit)
            if len(kept_aliases) != len(unit.aliases):
                unit = replace(unit, aliases=tuple(kept_aliases))
            cleaned.append((location, unit))
        return cleaned

    def with_known_parents(self, units: list[tuple[str, Unit]]) -> list[tuple[str, Unit]]:
        keys = {unit.key for _, unit in units}
        checked: list[tuple[str, Unit]] = []
        for location, unit in units:
            if unit.parent_key is not None and unit.parent_key not in keys:
                self.unknown_unit(f"{location}.parent_key", unit.parent_key)
                unit = replace(unit, parent_key=None)
            checked.append((location, unit))
        return checked

    def unknown_unit(self, where: str, key: str) -> None:
        self.report(
            where, ProblemCode.UNIT_UNKNOWN, f"{where}: no unit has the key {key!r}", key=key
        )

    def live_unit(
        self, where: str, key: str, units: Mapping[str, Unit], period: Validity, period_text: str
    ) -> bool:
        """Tell whether `key` names a unit that exists during `period`; report if not."""
        unit = units.get(key)
        if unit is None:
            self.unknown_unit(where, key)
            return False
        if not unit.validity.overlaps(period):
            self.report(
                where,
                ProblemCode.UNIT_INACTIVE,
                f"{where}: unit {key!r} does not exist {period_text}",
                key=key,
                period=period_text,
            )
            return False
        return True

    def clusters(self, data: Mapping[str, Any], units: Mapping[str, Unit]) -> list[Cluster]:
        found: list[Cluster] = []
        seen: set[str] = set()
        for location, entry in self.entries(data, "clusters", "clusters", required=False):
            self.known_fields(entry, location, _CLUSTER_FIELDS)
            key = self.slug(entry, "key", location, required=True)
            name = self.text(entry, "name", location, required=True)
            members = self.texts(entry, "member_keys", location, required=True)
            chief_key = self.slug(entry, "chief_key", location, required=False)
            deputy_key = self.slug(entry, "deputy_key", location, required=False)
            validity = self.validity(entry, location)
            if key is None or name is None or members is None or validity is None:
                continue
            if not self.unique(key, seen, "cluster", location):
                continue
            period = _period_text(validity)
            member_keys = tuple(
                member
                for where, member in members
                if self.live_unit(where, member, units, validity, period)
            )
            leaders: list[str | None] = []
            for role, leader in (("chief_key", chief_key), ("deputy_key", deputy_key)):
                where = f"{location}.{role}"
                if leader is not None and not self.live_unit(
                    where, leader, units, validity, period
                ):
                    leader = None
                if leader is not None and leader not in member_keys:
                    self.report(
                        where,
                        ProblemCode.CLUSTER_CHIEF_NOT_MEMBER,
                        f"{where}: {leader!r} leads the cluster but is not a member",
                        key=leader,
                        cluster=key,
                    )
                leaders.append(leader)
            found.append(Cluster(key, name, member_keys, leaders[0], leaders[1], validity))
        return found

    def campaigns(self, data: Mapping[str, Any]) -> list[Campaign]:
        found: list[Campaign] = []
        seen: set[str] = set()
        for location, entry in self.entries(data, "campaigns", "campaigns", required=False):
            self.known_fields(entry, location, _CAMPAIGN_FIELDS)
            key = self.slug(entry, "key", location, required=True)
            title = self.text(entry, "title", location, required=True)
            theme = self.slug(entry, "theme", location, required=True)
            description = self.text(entry, "description", location, required=True)
            validity = self.validity(entry, location)
            if (
                key is None
                or title is None
                or theme is None
                or description is None
                or validity is None
            ):
                continue
            if self.unique(key, seen, "campaign", location):
                found.append(Campaign(key, title, theme, description, validity))
        return found

    # -- the plan ------------------------------------------------------------------------

    def plan(
        self, data: Mapping[str, Any], council: Council | None, units: Mapping[str, Unit]
    ) -> Plan | None:
        if data.get("plan") is None:
            self.report("plan", ProblemCode.FIELD_MISSING, "plan is missing", field="plan")
            return None
        entry = self.mapping(data["plan"], "plan")
        if entry is None:
            return None
        self.known_fields(entry, "plan", _PLAN_FIELDS)
        key = self.slug(entry, "key", "plan", required=True)
        number = self.text(entry, "number", "plan", required=True)
        title = self.text(entry, "title", "plan", required=True)
        year = self.integer(entry, "year", "plan", minimum=1945)
        issued_on = self.day(entry, "issued_on", "plan", required=True)
        council_key = self.slug(entry, "council_key", "plan", required=True)

        if year is not None and issued_on is not None and issued_on.year > year:
            self.report(
                "plan.issued_on",
                ProblemCode.PLAN_ISSUED_AFTER_YEAR,
                f"plan.issued_on: {issued_on.isoformat()} is after the plan year {year}",
                issued_on=issued_on.isoformat(),
                year=str(year),
            )
        period = _plan_period(year, issued_on)
        if council is not None and council_key is not None:
            self.plan_council(council, council_key, period)

        tasks = self.tasks(entry, units, year, issued_on, period)
        award_forms = self.award_forms(entry)
        if (
            key is None
            or number is None
            or title is None
            or year is None
            or issued_on is None
            or council_key is None
        ):
            return None
        return Plan(
            key, number, title, year, issued_on, council_key, tuple(tasks), tuple(award_forms)
        )

    def plan_council(self, council: Council, council_key: str, period: Validity) -> None:
        where = "plan.council_key"
        if council_key != council.key:
            self.report(
                where,
                ProblemCode.COUNCIL_UNKNOWN,
                f"{where}: {council_key!r} is not the council {council.key!r}",
                key=council_key,
                council=council.key,
            )
        elif not council.validity.overlaps(period):
            text = _period_text(period)
            self.report(
                where,
                ProblemCode.COUNCIL_INACTIVE,
                f"{where}: the council does not exist {text}",
                key=council_key,
                period=text,
            )

    def tasks(
        self,
        plan: Mapping[str, Any],
        units: Mapping[str, Unit],
        year: int | None,
        issued_on: date | None,
        period: Validity,
    ) -> list[PlanTask]:
        found: list[PlanTask] = []
        seen: set[int] = set()
        for location, entry in self.entries(plan, "tasks", "plan.tasks", required=True):
            self.known_fields(entry, location, _TASK_FIELDS)
            number = self.integer(entry, "number", location, minimum=1)
            quarter = self.quarter(entry, location)
            content = self.text(entry, "content", location, required=True)
            lead = self.texts(entry, "lead", location, required=True)
            coordinating = self.texts(entry, "coordinating", location, required=False)
            due_as_written = self.text(entry, "due", location, required=True)
            if (
                number is None
                or quarter is None
                or content is None
                or lead is None
                or due_as_written is None
            ):
                continue
            if number in seen:
                self.report(
                    f"{location}.number",
                    ProblemCode.TASK_DUPLICATE_NUMBER,
                    f"{location}: another task already has the number {number} (task ignored)",
                    task=str(number),
                )
                continue
            seen.add(number)
            if year is not None:
                self.task_years(content, f"{location}.content", number, year)
            due = self.due(due_as_written, f"{location}.due", number, year, issued_on)
            when = Validity(due.day, due.day) if isinstance(due, AbsoluteDue) else period
            found.append(
                PlanTask(
                    number=number,
                    quarter=quarter,
                    content=content,
                    lead=self.refs(lead, units, when),
                    coordinating=self.refs(coordinating or (), units, when),
                    due_as_written=due_as_written,
                    due=due,
                )
            )
        return found

    # -- award forms ---------------------------------------------------------------------

    def award_forms(self, plan: Mapping[str, Any]) -> list[AwardForm]:
        """Read the plan's award forms (optional: a plan without them proposes without)."""
        found: list[AwardForm] = []
        seen: set[str] = set()
        for location, entry in self.entries(
            plan, "award_forms", "plan.award_forms", required=False
        ):
            self.known_fields(entry, location, _AWARD_FORM_FIELDS)
            key = self.slug(entry, "key", location, required=True)
            name = self.text(entry, "name", location, required=True)
            proposers = self.proposers(entry, location)
            vote = self.vote(entry, location)
            comment_days = (
                self.integer(entry, "comment_days", location, minimum=0)
                if entry.get("comment_days") is not None
                else 0
            )
            simplified = self.flag(entry, "simplified", location, required=False)
            dossier = self.dossier(entry, location)
            if (
                key is None
                or name is None
                or proposers is None
                or vote is None
                or comment_days is None
                or dossier is None
            ):
                continue
            if self.unique(key, seen, "award form", location):
                found.append(
                    AwardForm(key, name, proposers, vote, dossier, comment_days, bool(simplified))
                )
        return found

    def proposers(self, entry: Mapping[str, Any], location: str) -> tuple[Proposer, ...] | None:
        written = self.texts(entry, "proposers", location, required=True)
        if written is None:
            return None
        found: list[Proposer] = []
        for where, text in written:
            try:
                proposer = Proposer(text)
            except ValueError:
                allowed = ", ".join(member.value for member in Proposer)
                self.report(
                    where,
                    ProblemCode.FIELD_INVALID,
                    f"{where}: {text!r} is not one of {allowed}",
                    field="proposers",
                    value=text,
                )
                continue
            if proposer not in found:
                found.append(proposer)
        return tuple(found) if found else None

    def vote(self, entry: Mapping[str, Any], location: str) -> VoteRule | None:
        """Read a form's vote: ``required``, and with a vote its threshold and quorum."""
        where = f"{location}.vote"
        if entry.get("vote") is None:
            self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field="vote")
            return None
        vote = self.mapping(entry["vote"], where)
        if vote is None:
            return None
        self.known_fields(vote, where, _VOTE_FIELDS)
        mark = len(self.problems)
        required = self.flag(vote, "required", where, required=True)
        threshold = self.share(vote, "threshold", where)
        quorum = self.share(vote, "quorum", where)
        if len(self.problems) > mark or required is None:
            return None
        if required and threshold is None:
            self.report(
                f"{where}.threshold",
                ProblemCode.AWARD_VOTE_WITHOUT_THRESHOLD,
                f"{where}: the council votes but no threshold says what share of its "
                "members must agree",
                form=str(entry.get("key", "")),
            )
            return None
        return VoteRule(required, threshold, quorum)

    def share(self, entry: Mapping[str, Any], name: str, location: str) -> Fraction | None:
        """Read an optional share of the council's members: 0.8, 1, or "2/3"."""
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None:
            return None
        share: Fraction | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            share = Fraction(str(value))
        elif (
            isinstance(value, str)
            and (written := _SHARE.fullmatch(value.strip()))
            and int(written.group(2)) > 0
        ):
            share = Fraction(int(written.group(1)), int(written.group(2)))
        if share is None:
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f'{where}: expected a share such as 0.8 or "2/3", got {value!r}',
                field=name,
                value=str(value),
            )
            return None
        if not 0 < share <= 1:
            self.report(
                where,
                ProblemCode.AWARD_SHARE_OUT_OF_RANGE,
                f"{where}: {value!r} is not a share of the members (more than 0, at most 1)",
                field=name,
                value=str(value),
            )
            return None
        return share

    def flag(
        self, entry: Mapping[str, Any], name: str, location: str, *, required: bool
    ) -> bool | None:
        """Read a yes/no field (YAML true or false); None when absent or not a yes/no."""
        where = f"{location}.{name}"
        value = entry.get(name)
        if value is None:
            if required:
                self.report(where, ProblemCode.FIELD_MISSING, f"{where} is missing", field=name)
            return None
        if not isinstance(value, bool):
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: expected true or false, got {value!r}",
                field=name,
                value=str(value),
            )
            return None
        return value

    def dossier(self, entry: Mapping[str, Any], location: str) -> tuple[DossierItem, ...] | None:
        """Read a form's checklist; None when it is missing, unusable or empty."""
        where = f"{location}.dossier"
        if _is_list(entry.get("dossier")) and not entry["dossier"]:
            self.report(
                where,
                ProblemCode.AWARD_DOSSIER_EMPTY,
                f"{where}: a form needs at least one document in its dossier",
                form=str(entry.get("key", "")),
            )
            return None
        found: list[DossierItem] = []
        seen: set[str] = set()
        for item_location, item in self.entries(entry, "dossier", where, required=True):
            self.known_fields(item, item_location, _DOSSIER_ITEM_FIELDS)
            key = self.slug(item, "key", item_location, required=True)
            name = self.text(item, "name", item_location, required=True)
            generated = self.flag(item, "generated", item_location, required=False)
            if key is None or name is None:
                continue
            if self.unique(key, seen, "dossier item", item_location):
                found.append(DossierItem(key, name, bool(generated)))
        return tuple(found) if found else None

    def quarter(self, entry: Mapping[str, Any], location: str) -> str | None:
        value = self.text(entry, "quarter", location, required=True)
        if value is not None and value not in QUARTERS:
            where = f"{location}.quarter"
            self.report(
                where,
                ProblemCode.FIELD_INVALID,
                f"{where}: {value!r} is not one of {', '.join(QUARTERS)}",
                field="quarter",
                value=value,
            )
            return None
        return value

    def refs(
        self, written: tuple[tuple[str, str], ...], units: Mapping[str, Unit], when: Validity
    ) -> tuple[UnitRef, ...]:
        found: list[UnitRef] = []
        for where, text in written:
            try:
                ref = UnitRef.parse(text)
            except UnitRefError as error:
                code = (
                    ProblemCode.GROUP_UNKNOWN
                    if _GROUP_NAME.fullmatch(text)
                    else ProblemCode.UNIT_UNKNOWN
                )
                self.report(where, code, f"{where}: {error}", key=text)
                continue
            if ref.unit_key is not None and not self.live_unit(
                where, ref.unit_key, units, when, _period_text(when)
            ):
                continue
            found.append(ref)
        return tuple(found)

    def task_years(self, content: str, where: str, number: int, year: int) -> None:
        """Report each year in a task's text that contradicts the plan's year."""
        for wrong in contradicting_years(content, year):
            self.report(
                where,
                ProblemCode.TASK_YEAR_CONTRADICTS_PLAN,
                f"{where} (task {number}): the text names the year {wrong}, "
                f"which does not fit the plan year {year}",
                task=str(number),
                year=str(wrong),
                plan_year=str(year),
            )

    def due(
        self, text: str, where: str, number: int, year: int | None, issued_on: date | None
    ) -> DueRule | None:
        try:
            rule = parse_due_rule(text, year=year)
        except DueRuleError as error:
            self.report(
                where,
                ProblemCode.DUE_UNPARSEABLE,
                f"{where} (task {number}): {error}",
                task=str(number),
                text=text,
                reason=error.reason,
            )
            return None
        if isinstance(rule, UndatedDue):
            self.report(
                where,
                ProblemCode.DUE_UNDATED,
                f"{where} (task {number}): {text!r} names no day: "
                "nobody is reminded of this task until a day is written in the plan",
                task=str(number),
                text=text,
            )
        if not isinstance(rule, AbsoluteDue):
            return rule
        day = rule.day.isoformat()
        if issued_on is not None and rule.day < issued_on:
            self.report(
                where,
                ProblemCode.DUE_BEFORE_ISSUE_DATE,
                f"{where} (task {number}): {text!r} is before the plan was issued on "
                f"{issued_on.isoformat()}",
                task=str(number),
                text=text,
                day=day,
                issued_on=issued_on.isoformat(),
            )
            return None
        if year is not None:
            latest = date(year, 12, 31) + self.late_tolerance
            if rule.day > latest:
                self.report(
                    where,
                    ProblemCode.DUE_AFTER_PLAN_YEAR,
                    f"{where} (task {number}): {text!r} is after the plan year {year} "
                    f"(latest accepted: {latest.isoformat()})",
                    task=str(number),
                    text=text,
                    day=day,
                    year=str(year),
                    latest=latest.isoformat(),
                )
                return None
        return rule


def _plan_period(year: int | None, issued_on: date | None) -> Validity:
    """Return the days a plan is worked on: from its issue to the end of its year."""
    start = issued_on if issued_on is not None else (date(year, 1, 1) if year else None)
    end = date(year, 12, 31) if year is not None else None
    if start is not None and end is not None and start > end:
        start = None  # reported as plan.issued_after_year; do not fail twice
    return Validity(start, end)


def _period_text(validity: Validity) -> str:
    start, end = validity.valid_from, validity.valid_to
    if start is not None and start == end:
        return f"on {start.isoformat()}"
    return (
        f"from {start.isoformat() if start else 'the beginning'} "
        f"to {end.isoformat() if end else 'now'}"
    )


def load_plan_document(
    data: Mapping[str, Any], *, late_tolerance: timedelta = LATE_TOLERANCE
) -> PlanDocument:
    """Validate a plan document and build what is right in it.

    `data` is the document as loaded from YAML (top-level keys `council`, `units`,
    `clusters`, `campaigns`, `plan`, the plan with its `tasks` and optional `award_forms`,
    read into :mod:`core.awards`). Every entry that can be built is kept; an entry with
    a missing or malformed required field, or a duplicate key or task number, is left out;
    a reference to an unknown or inactive unit is dropped from its entry; a due text that
    cannot be read, or names a day impossible for the plan (before its issue date, or after
    its year plus `late_tolerance`), leaves the task with `due=None`. Each of these is
    reported as a `PlanProblem`.
    """
    loader = _Loader(late_tolerance=late_tolerance)
    if not isinstance(data, Mapping):
        loader.report("document", ProblemCode.FIELD_INVALID, "the document is not a mapping")
        return PlanDocument(None, None, tuple(loader.problems))
    loader.known_fields(data, "", _DOCUMENT_FIELDS)

    council = loader.council(data)
    located_units = loader.units(data)
    units = {unit.key: unit for _, unit in located_units}
    if council is not None:
        loader.live_unit(
            "council.secretariat_key",
            council.secretariat_key,
            units,
            council.validity,
            _period_text(council.validity),
        )
    clusters = loader.clusters(data, units)
    campaigns = loader.campaigns(data)
    plan = loader.plan(data, council, units)

    organisation: Organisation | None = None
    if council is not None:
        try:
            organisation = Organisation(
                council, tuple(units.values()), tuple(clusters), tuple(campaigns)
            )
        except OrganisationError as error:  # pragma: no cover - duplicates are filtered above
            loader.report("document", ProblemCode.KEY_DUPLICATE, str(error))
    return PlanDocument(organisation, plan, tuple(loader.problems))
