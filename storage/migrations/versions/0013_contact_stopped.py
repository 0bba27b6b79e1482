"""A nominator may ask not to be contacted about one case any more: when, on the case's row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0012.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("nominations", sa.Column("contact_stopped_at", Timestamp, nullable=True))


def downgrade() -> None:
    op.drop_column("nominations", "contact_stopped_at")
