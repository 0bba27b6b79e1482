"""Zalo OA foundations: people's channel identities, minted user ids, OA tokens, events.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14

Written by hand to equal storage/tables.py, like 0001 to 0020. Only new tables; no Telegram
user gets a row (their Telegram id stays their user id, see core/identity.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channel_identities",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_inbound_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_channel_identities"),
        sa.UniqueConstraint("user_id", "channel", name="uq_channel_identities_user_id_channel"),
    )
    op.create_table(
        "minted_user_ids",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("minted_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_minted_user_ids"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "zalo_tokens",
        sa.Column("oa_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", Timestamp, nullable=False),
        sa.Column("refresh_expires_at", Timestamp, nullable=True),
        sa.Column("refreshed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("oa_id", name="pk_zalo_tokens"),
    )
    op.create_table(
        "zalo_events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("processed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_zalo_events"),
    )
    op.create_index("ix_zalo_events_processed_at", "zalo_events", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_zalo_events_processed_at", table_name="zalo_events")
    op.drop_table("zalo_events")
    op.drop_table("zalo_tokens")
    op.drop_table("minted_user_ids")
    op.drop_table("channel_identities")
