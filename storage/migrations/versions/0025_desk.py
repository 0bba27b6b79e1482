"""The web desk: one-time sign-in links and the sessions they open.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-20

Written by hand to equal storage/tables.py, like the others. Only new tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "desk_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_desk_links"),
        sa.UniqueConstraint("secret_hash", name="uq_desk_links_secret_hash"),
    )
    op.create_index("ix_desk_links_user_id", "desk_links", ["user_id"])
    op.create_table(
        "desk_sessions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("ended_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_desk_sessions"),
        sa.UniqueConstraint("secret_hash", name="uq_desk_sessions_secret_hash"),
    )
    op.create_index("ix_desk_sessions_user_id", "desk_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_desk_sessions_user_id", table_name="desk_sessions")
    op.drop_table("desk_sessions")
    op.drop_index("ix_desk_links_user_id", table_name="desk_links")
    op.drop_table("desk_links")
