"""Broadcasts: announcements expanded into the outbox, and leases for the bulk sender.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Written by hand to equal storage/tables.py, like 0001 to 0006; new tables, new nullable
columns and new indexes only (SQLite can add nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("launched_by", sa.BigInteger(), nullable=True))
    op.add_column("outbox", sa.Column("broadcast_id", sa.BigInteger(), nullable=True))
    op.add_column("outbox", sa.Column("failure", sa.String(32), nullable=True))
    op.add_column("outbox", sa.Column("retry_at", Timestamp, nullable=True))
    op.create_index(
        "ux_outbox_broadcast_id_chat_id", "outbox", ["broadcast_id", "chat_id"], unique=True
    )
    op.create_index("ix_outbox_broadcast_id_status", "outbox", ["broadcast_id", "status"])
    op.create_table(
        "broadcasts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("send_at", Timestamp, nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("campaign_key", sa.String(128), nullable=True),
        sa.Column("photo_file_id", sa.String(256), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("cancelled_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
    )
    op.create_index("ix_broadcasts_status", "broadcasts", ["status"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_broadcasts_status", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_outbox_broadcast_id_status", table_name="outbox")
    op.drop_index("ux_outbox_broadcast_id_chat_id", table_name="outbox")
    op.drop_column("outbox", "retry_at")
    op.drop_column("outbox", "failure")
    op.drop_column("outbox", "broadcast_id")
    op.drop_column("campaigns", "launched_by")
