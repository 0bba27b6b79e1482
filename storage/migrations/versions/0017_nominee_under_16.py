"""A student nominee's age is asked: under 16, their name is kept from every public use.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like 0001 to 0016. Nominations filed before it
keep NULL (not asked): core treats a student's unknown age as a child's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("nominations", sa.Column("nominee_under_16", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("nominations", "nominee_under_16")
