"""The organisation of today: a unit names its successors, a council its level.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10

Written by hand to equal storage/tables.py, like 0001 to 0017. A unit that ended on
30/6/2025 (a district's ward, a district's department) names the units that took over its
area (``units.successors``, a JSON list, empty for the units stored before); a council says
whether it is a district's or a ward's (``councils.level``, null until a plan file says).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("councils", sa.Column("level", sa.String(length=16), nullable=True))
    op.add_column(
        "units",
        sa.Column("successors", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("units", "successors")
    op.drop_column("councils", "level")
