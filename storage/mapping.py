"""Core's dataclasses to rows and back, by field name: the row mapping, written once.

A column bears the name of the field it stores. Two things are converted on the way:

- an enumeration is stored as its value (``None`` stays ``None``);
- a field that is itself a dataclass (a :class:`~core.org.Validity`) is stored in the same
  row, in columns named as its own fields.

Whatever is stored otherwise (under another name, as JSON, as a copy) the caller gives, by
keyword; a given field is not read. Each class's plan is worked out once, from its type
hints, so a row costs one C-level getter call, the enum conversions and the constructor.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from enum import Enum
from operator import attrgetter, itemgetter
from typing import (
    TYPE_CHECKING,
    Any,
    NamedTuple,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")


def to_entity(cls: type[_T], row: Any, /, **given: Any) -> _T:
    """Build ``cls`` from the columns of ``row`` that bear its fields' names.

    ``row`` is a row object, a result row or a mapping; ``given`` fields are taken as they
    are, and not read.
    """
    shape = (cls, type(row), tuple(given))
    reader = _READERS.get(shape) or _reader(*shape)
    # By position, in field order: keywords would cost a dict per row, half the mapper's time.
    values = list(reader.get(row))
    for index, enum in reader.enums:
        value = values[index]
        if value is not None:
            values[index] = enum(value)
    for index, name, part in reader.others:
        values.insert(index, given[name] if part is None else to_entity(part, row))
    return cls(*values)


def to_values(
    entity: DataclassInstance, /, *, omit: tuple[str, ...] = (), **given: Any
) -> dict[str, Any]:
    """Return the columns of ``entity``: its fields but ``omit``, and the ``given`` columns."""
    shape = (type(entity), omit, tuple(given))
    writer = _WRITERS.get(shape) or _writer(*shape)
    values = dict(zip(writer.columns, writer.get(entity), strict=True))
    for column in writer.enums:
        value = values[column]
        if value is not None:
            values[column] = value.value
    values.update(given)
    return values


class _Reader(NamedTuple):
    get: Callable[[Any], tuple[Any, ...]]  # the values of the fields read, from a row
    enums: tuple[tuple[int, type[Enum]], ...]  # where among them an enumeration's value is
    # The given fields and the dataclass ones (read from the same row), with their positions
    # among all fields, in field order.
    others: tuple[tuple[int, str, type[Any] | None], ...]


class _Writer(NamedTuple):
    columns: tuple[str, ...]
    get: Callable[[Any], tuple[Any, ...]]  # their values, from an entity
    enums: tuple[str, ...]  # the columns whose value is an enumeration's


# The plans by class and shape of call, each worked out on its first call.
_READERS: dict[tuple[type[Any], type[Any], tuple[str, ...]], _Reader] = {}
_WRITERS: dict[tuple[type[Any], tuple[str, ...], tuple[str, ...]], _Writer] = {}


def _reader(cls: type[Any], row_type: type[Any], given: tuple[str, ...]) -> _Reader:
    names: list[str] = []
    enums: list[tuple[int, type[Enum]]] = []
    others: list[tuple[int, str, type[Any] | None]] = []
    for index, (name, kind) in enumerate(_fields(cls)):
        if name in given or _is_dataclass(kind):
            others.append((index, name, None if name in given else kind))
            continue
        enum = _enum(kind)
        if enum is not None:
            enums.append((len(names), enum))
        names.append(name)
    get = _getter(itemgetter if issubclass(row_type, Mapping) else attrgetter, names)
    reader = _READERS[cls, row_type, given] = _Reader(get, tuple(enums), tuple(others))
    return reader


def _writer(cls: type[Any], omit: tuple[str, ...], given: tuple[str, ...]) -> _Writer:
    columns: list[str] = []
    paths: list[str] = []
    enums: list[str] = []

    def add(owner: type[Any], prefix: str) -> None:
        for name, kind in _fields(owner):
            if name in omit or name in given:
                continue
            if _is_dataclass(kind):
                add(kind, f"{prefix}{name}.")
                continue
            columns.append(name)
            paths.append(prefix + name)
            if _enum(kind) is not None:
                enums.append(name)

    unknown = set(omit).difference(field.name for field in dataclasses.fields(cls))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))} to omit")
    add(cls, "")
    writer = _Writer(tuple(columns), _getter(attrgetter, paths), tuple(enums))
    _WRITERS[cls, omit, given] = writer
    return writer


def _fields(cls: type[Any]) -> list[tuple[str, Any]]:
    """Return the dataclass's fields with their types, string annotations resolved."""
    hints = get_type_hints(cls)
    fields = dataclasses.fields(cls)
    for field in fields:
        if not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{field.name} cannot be passed by position")
    return [(field.name, hints[field.name]) for field in fields]


def _is_dataclass(kind: Any) -> bool:
    return isinstance(kind, type) and dataclasses.is_dataclass(kind)


def _enum(kind: Any) -> type[Enum] | None:
    """Return the enumeration ``kind`` is (``E`` or ``E | None``), or None."""
    if get_origin(kind) in (Union, types.UnionType):
        others = [arg for arg in get_args(kind) if arg is not type(None)]
        kind = others[0] if len(others) == 1 else None
    return kind if isinstance(kind, type) and issubclass(kind, Enum) else None


def _getter(
    make: Callable[..., Callable[[Any], Any]], keys: list[str]
) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function giving the values at ``keys`` as a tuple, even for one key or none."""
    if len(keys) > 1:
        return make(*keys)
    if keys:
        one = make(keys[0])
        return lambda source: (one(source),)
    return lambda source: ()
