"""Officers choose the time of their daily digest of deadlines.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12

Written by hand to equal storage/tables.py, like 0001 to 0018. Only a new table; an officer
without a row gets the digest at the office time (NTVT_OFFICE_TIME). No foreign key: a role
can be granted before the officer writes to the bot, like the other user ids of deadlines.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_times",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("digest_at", sa.Time(), nullable=False),
        sa.Column("changed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_digest_times"),
    )


def downgrade() -> None:
    op.drop_table("digest_times")
