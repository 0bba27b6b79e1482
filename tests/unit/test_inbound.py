"""What may be stored as an update, and reasons that carry nothing the user wrote."""

from __future__ import annotations

from core.inbound import MAX_DEPTH, failure_reason, shape_problem, valid_update_id


def test_an_update_id_is_a_positive_integer_of_52_bits_and_never_a_boolean() -> None:
    assert valid_update_id(1) and valid_update_id(3_000_000_001) and valid_update_id(2**53 - 1)
    assert not any(valid_update_id(v) for v in (True, False, 0, -5, 2**53, "7", 7.0, None))


def test_shapes_that_cannot_be_updates_are_named() -> None:
    deep: object = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    assert shape_problem([]) == "not a JSON object"
    assert shape_problem({"update_id": True}) is not None
    assert shape_problem({"update_id": 1, "message": deep}) == "nested deeper than 48 levels"
    assert shape_problem({"update_id": 1, "message": {"chat": {"id": -(2**53)}}}) is not None
    assert shape_problem({"update_id": 1, "message": {"chat": {"id": -(2**52)}}}) is None


def test_a_reason_keeps_the_error_class_and_drops_quoted_values() -> None:
    reason = failure_reason(
        "ValueError", "invalid literal for int() with base 10: 'Nguyễn Văn A'", where="bot.x:3"
    )
    assert reason == "ValueError: invalid literal for int() with base 10: '…' (at bot.x:3)"
    assert len(failure_reason("E", "x " * 500)) == 160
