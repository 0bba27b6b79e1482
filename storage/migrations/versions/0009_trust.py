"""Trust: stored updates that cannot be processed are set aside; failed code lookups counted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0008. ``attempts`` is NOT NULL with
a server default, which SQLite can add to a table with rows; the rest are new nullable
columns, a new table and new indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "inbound_updates",
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("inbound_updates", sa.Column("set_aside_at", Timestamp, nullable=True))
    op.add_column("inbound_updates", sa.Column("failure", sa.Text(), nullable=True))
    op.create_index(
        "ix_inbound_updates_set_aside_at", "inbound_updates", ["set_aside_at"]
    )
    op.create_table(
        "failed_lookups",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_failed_lookups"),
    )
    op.create_index("ix_failed_lookups_user_id_at", "failed_lookups", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_failed_lookups_user_id_at", table_name="failed_lookups")
    op.drop_table("failed_lookups")
    op.drop_index("ix_inbound_updates_set_aside_at", table_name="inbound_updates")
    op.drop_column("inbound_updates", "failure")
    op.drop_column("inbound_updates", "set_aside_at")
    op.drop_column("inbound_updates", "attempts")
