"""Residents' requests to the standing office (/yeucau), with their clocks and outcome.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0014.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_at", Timestamp, nullable=False),
        sa.Column("acknowledge_due", sa.Date(), nullable=False),
        sa.Column("done_due", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", Timestamp, nullable=True),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("done_at", Timestamp, nullable=True),
        sa.Column("done_by", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_requests"),
    )
    op.create_index("ix_data_requests_user_id", "data_requests", ["user_id"])
    op.create_index("ix_data_requests_done_at", "data_requests", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_data_requests_done_at", table_name="data_requests")
    op.drop_index("ix_data_requests_user_id", table_name="data_requests")
    op.drop_table("data_requests")
