"""Failover: which process stored (and acknowledged) each inbound update.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05

Written by hand to equal storage/tables.py, like 0001 to 0027; one nullable column. A
process whose alive lease lapses leaves the updates it stored and did not finish: another
takes over exactly those (bot.failover), instead of waiting for the minute's sweep. Updates
stored before it name nobody: the sweep and the next start take them up, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbound_updates", sa.Column("received_by", sa.String(128), nullable=True))


def downgrade() -> None:
    op.drop_column("inbound_updates", "received_by")
