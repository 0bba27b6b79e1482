from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import SimpleNamespace

import pytest

from core.org import ALWAYS, Validity
from core.roles import Role, RoleGrant
from storage.mapping import to_entity, to_values

AT = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True)
class Paint:
    name: str
    colour: Colour
    second: Colour | None = None
    validity: Validity = ALWAYS
    id: int | None = None


def test_entity_is_read_from_the_columns_named_as_its_fields() -> None:
    row = SimpleNamespace(
        name="sky", colour="blue", second=None, valid_from=None, valid_to=None, id=7
    )
    assert to_entity(Paint, row) == Paint("sky", Colour.BLUE, None, Validity(), 7)


def test_entity_is_read_from_a_mapping_as_well() -> None:
    row = {"name": "sky", "colour": "red", "second": "blue", "valid_from": None}
    row |= {"valid_to": date(2025, 12, 31), "id": None}
    assert to_entity(Paint, row) == Paint(
        "sky", Colour.RED, Colour.BLUE, Validity(valid_to=date(2025, 12, 31))
    )


def test_a_given_field_is_taken_as_it_is_and_not_read() -> None:
    row = SimpleNamespace(name="sky", colour="blue", second="red", valid_from=None, valid_to=None)
    paint = to_entity(Paint, row, id=3, validity=Validity(date(2025, 1, 1)))
    assert paint == Paint("sky", Colour.BLUE, Colour.RED, Validity(date(2025, 1, 1)), 3)


def test_an_unknown_stored_value_of_an_enumeration_fails() -> None:
    row = SimpleNamespace(name="sky", colour="green", second=None, valid_from=None, valid_to=None)
    with pytest.raises(ValueError, match="green"):
        to_entity(Paint, row, id=None)


def test_values_store_enumerations_by_value_and_a_dataclass_field_as_its_columns() -> None:
    paint = Paint("sky", Colour.BLUE, None, Validity(date(2025, 1, 1)), 7)
    assert to_values(paint) == {
        "name": "sky",
        "colour": "blue",
        "second": None,
        "valid_from": date(2025, 1, 1),
        "valid_to": None,
        "id": 7,
    }


def test_values_leave_out_omitted_fields_and_take_given_columns() -> None:
    paint = Paint("sky", Colour.BLUE, Colour.RED)
    values = to_values(paint, omit=("id", "validity"), name="SKY", position=2)
    assert values == {"colour": "blue", "second": "red", "name": "SKY", "position": 2}


def test_a_core_entity_comes_back_as_it_was_stored() -> None:
    grant = RoleGrant(7, Role.OFFICER, "phuong-hang-bac", Validity(date(2025, 1, 1)), AT, id=4)
    assert to_entity(RoleGrant, to_values(grant)) == grant


def test_a_class_with_a_keyword_only_field_is_refused() -> None:
    @dataclass
    class Late:
        name: str
        when: datetime = field(kw_only=True)

    with pytest.raises(TypeError, match=r"Late\.when"):
        to_entity(Late, {"name": "x", "when": AT})


def test_omitting_a_field_the_class_does_not_have_fails() -> None:
    with pytest.raises(TypeError, match="colour_key"):
        to_values(Paint("sky", Colour.RED), omit=("colour_key",))
