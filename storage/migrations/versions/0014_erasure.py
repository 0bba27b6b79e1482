"""Erasure: the placeholder for erased people, erasure receipts, replies forgotten once sent.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0013.

A kept case (the council decided it) loses its nominator at erasure, but
``nominations.nominator_user_id`` references ``users`` and may not be null: making it
nullable would rebuild the table on SQLite, whose implicit ``DELETE`` would cascade to the
evidence. The case points to the users row ``0`` instead, which stands for "a person whose
data was erased" (Telegram ids are positive); storage reads it back as no nominator at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

ERASED = 0


def upgrade() -> None:
    users = sa.table(
        "users",
        sa.column("id", sa.BigInteger()),
        sa.column("display_name", sa.String()),
        sa.column("created_at", Timestamp),
    )
    created = datetime(2026, 1, 1, tzinfo=UTC)
    if op.get_bind().dialect.name == "sqlite":  # UtcDateTime keeps naive UTC there
        created = created.replace(tzinfo=None)
    op.bulk_insert(users, [{"id": ERASED, "display_name": "", "created_at": created}])
    op.create_table(
        "erasure_receipts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("erased_at", Timestamp, nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_receipts"),
    )
    op.add_column(
        "outbox",
        sa.Column("forget_when_sent", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("outbox", "forget_when_sent")
    op.drop_table("erasure_receipts")
    op.execute(sa.text("DELETE FROM users WHERE id = :erased").bindparams(erased=ERASED))
