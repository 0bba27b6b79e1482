"""Supporters: residents who back an existing nomination instead of filing it again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Written by hand to equal storage/tables.py (tests/integration/test_migrations.py compares
the two on SQLite and PostgreSQL), in plain SQLAlchemy types like 0001 and 0002.

Only a new table: nothing existing is altered, so no table is rebuilt on SQLite (see 0002's
header for why that would lose nominations).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The unique pair leads with nomination_id and is that column's index.
    op.create_table(
        "supporters",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["nominations.id"], name="fk_supporters_nomination_id_nominations"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_supporters_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_supporters"),
        sa.UniqueConstraint(
            "nomination_id", "user_id", name="uq_supporters_nomination_id_user_id"
        ),
    )
    op.create_index("ix_supporters_user_id", "supporters", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_supporters_user_id", table_name="supporters")
    op.drop_table("supporters")
