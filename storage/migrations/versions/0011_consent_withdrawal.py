"""A consent can be withdrawn (/rutdongy): when, kept on the consent's own row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0010.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("consents", sa.Column("withdrawn_at", Timestamp, nullable=True))


def downgrade() -> None:
    op.drop_column("consents", "withdrawn_at")
