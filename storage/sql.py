"""What every repository module uses: the dialect's INSERT, upserts, row counts, new rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.mapping import to_values
from storage.tables import Base

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Entity = TypeVar("_Entity", bound="DataclassInstance")


class _NumberedRow(Protocol):
    @property
    def id(self) -> int: ...


def dialect_insert(
    session: AsyncSession, row_class: type[Base]
) -> sqlite.Insert | postgresql.Insert:
    """Return the dialect's INSERT, which knows ON CONFLICT, for the session's backend.

    Into the table, not the mapped class: a Core statement, without the ORM's bulk insert
    machinery (which cost more than the statement itself on every update).
    """
    dialect = session.get_bind().dialect.name
    table = cast(Table, row_class.__table__)
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


async def rowcount(session: AsyncSession, statement: Any) -> int:
    """Run ``statement`` and return how many rows it matched."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount


async def upsert(
    session: AsyncSession,
    row_class: type[Base],
    values: dict[str, Any],
    *,
    key: Sequence[str],
    keep: Sequence[str] = (),
) -> None:
    """Insert ``values``, or update the row with the same ``key`` (except ``keep`` columns).

    One statement, so two transactions saving the same key at once cannot both insert.
    """
    dialect = session.get_bind().dialect.name
    shape = (dialect, row_class, tuple(values), tuple(key), tuple(keep))
    statement = _UPSERTS.get(shape)
    if statement is None:
        base = dialect_insert(session, row_class)
        changed = {
            name: base.excluded[name] for name in values if name not in key and name not in keep
        }
        statement = _UPSERTS[shape] = base.on_conflict_do_update(index_elements=key, set_=changed)
    await session.execute(statement, values)


# Upserts by shape (dialect, table, columns, key, kept columns), built once: building one
# (and its cache key) cost more than running it.
_UPSERTS: dict[tuple[Any, ...], sqlite.Insert | postgresql.Insert] = {}


async def add_new(
    session: AsyncSession,
    row_class: type[_NumberedRow],
    entity: _Entity,
    *,
    omit: tuple[str, ...] = (),
    **given: Any,
) -> _Entity:
    """Store a new entity's row (its fields but its id and ``omit``, and ``given`` columns).

    Return the entity with the id the database gave the row.
    """
    row = row_class(**to_values(entity, omit=("id", *omit), **given))
    session.add(row)
    await session.flush()
    return replace(entity, id=row.id)
