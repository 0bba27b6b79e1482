"""A resident may correct the name the bot keeps for them: when they did, on their users row.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0015.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("name_chosen_at", Timestamp, nullable=True))


def downgrade() -> None:
    op.drop_column("users", "name_chosen_at")
