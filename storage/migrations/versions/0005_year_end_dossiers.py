"""Year-end commendation dossiers of units (refused without an emulation registration).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Written by hand to equal storage/tables.py, like 0001 to 0004; only a new table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "year_end_dossiers",
        sa.Column("unit_key", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("filed_by", sa.BigInteger(), nullable=False),
        sa.Column("filed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("unit_key", "year", name="pk_year_end_dossiers"),
    )


def downgrade() -> None:
    op.drop_table("year_end_dossiers")
