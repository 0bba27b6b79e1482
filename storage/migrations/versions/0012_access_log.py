"""The access log: who opened which case's card or files, when, and why.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0011.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("viewer_id", sa.BigInteger(), nullable=False),
        sa.Column("opened", sa.String(length=16), nullable=False),
        sa.Column("contact_shown", sa.Boolean(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_nomination_id_at", "access_log", ["nomination_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_nomination_id_at", table_name="access_log")
    op.drop_table("access_log")
