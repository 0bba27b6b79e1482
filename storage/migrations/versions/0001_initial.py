"""Initial schema: people, nominations, dialogs, inbound updates, outbox, organisation, plans.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written by hand to equal storage/tables.py (tests/integration/test_migrations.py compares
the two on SQLite and PostgreSQL). Types are spelled with plain SQLAlchemy types, not the
row module's decorators, so this file keeps meaning the same when storage/tables.py moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # -- people ------------------------------------------------------------------------------
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("language_code", sa.String(16), nullable=True),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "consents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column("given_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_consents_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_user_id_purpose", "consents", ["user_id", "purpose"])

    # -- nominations -------------------------------------------------------------------------
    op.create_table(
        "nominations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("nominee_kind", sa.String(32), nullable=False),
        sa.Column("nominee_name", sa.String(256), nullable=False),
        sa.Column("nominee_name_key", sa.String(256), nullable=False),
        sa.Column("nominee_role", sa.String(32), nullable=True),
        sa.Column("unit_key", sa.String(128), nullable=False),
        sa.Column("deed", sa.Text(), nullable=False),
        sa.Column("deed_date", sa.Date(), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("nominator_user_id", sa.BigInteger(), nullable=False),
        sa.Column("nominator_phone", sa.String(32), nullable=True),
        sa.Column("nominator_anonymous", sa.Boolean(), nullable=False),
        sa.Column("campaign_key", sa.String(128), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("status_changed_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["nominator_user_id"], ["users.id"], name="fk_nominations_nominator_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nominations"),
        sa.UniqueConstraint("code", name="uq_nominations_code"),
    )
    op.create_index("ix_nominations_nominee_name_key", "nominations", ["nominee_name_key"])
    op.create_index("ix_nominations_unit_key", "nominations", ["unit_key"])
    op.create_index("ix_nominations_nominator_user_id", "nominations", ["nominator_user_id"])
    op.create_table(
        "nomination_evidence",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_unique_id", sa.String(128), nullable=False),
        sa.Column("file_name", sa.String(512), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name="fk_nomination_evidence_nomination_id_nominations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nomination_evidence"),
        sa.UniqueConstraint(
            "nomination_id", "position", name="uq_nomination_evidence_nomination_id_position"
        ),
    )

    # -- conversations and Telegram traffic --------------------------------------------------
    op.create_table(
        "dialogs",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name="pk_dialogs"),
    )
    op.create_table(
        "inbound_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("processed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("update_id", name="pk_inbound_updates"),
    )
    op.create_index("ix_inbound_updates_processed_at", "inbound_updates", ["processed_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", Timestamp, nullable=True),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_chat_id_id", "outbox", ["status", "chat_id", "id"])

    # -- the organisation --------------------------------------------------------------------
    op.create_table(
        "councils",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("secretariat_key", sa.String(128), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_councils"),
    )
    op.create_table(
        "units",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("parent_key", sa.String(128), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_units"),
    )
    op.create_table(
        "clusters",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("member_keys", sa.JSON(), nullable=False),
        sa.Column("chief_key", sa.String(128), nullable=True),
        sa.Column("deputy_key", sa.String(128), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_clusters"),
    )
    op.create_table(
        "campaigns",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("theme", sa.String(512), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_campaigns"),
    )

    # -- plans -------------------------------------------------------------------------------
    op.create_table(
        "plans",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("council_key", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_plans"),
    )
    op.create_table(
        "plan_tasks",
        sa.Column("plan_key", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("lead", sa.JSON(), nullable=False),
        sa.Column("coordinating", sa.JSON(), nullable=False),
        sa.Column("due_as_written", sa.Text(), nullable=False),
        sa.Column("due", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_key"], ["plans.key"], name="fk_plan_tasks_plan_key_plans", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_key", "number", name="pk_plan_tasks"),
    )


def downgrade() -> None:
    op.drop_table("plan_tasks")
    op.drop_table("plans")
    op.drop_table("campaigns")
    op.drop_table("clusters")
    op.drop_table("units")
    op.drop_table("councils")
    op.drop_index("ix_outbox_status_chat_id_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_inbound_updates_processed_at", table_name="inbound_updates")
    op.drop_table("inbound_updates")
    op.drop_table("dialogs")
    op.drop_table("nomination_evidence")
    op.drop_index("ix_nominations_nominator_user_id", table_name="nominations")
    op.drop_index("ix_nominations_unit_key", table_name="nominations")
    op.drop_index("ix_nominations_nominee_name_key", table_name="nominations")
    op.drop_table("nominations")
    op.drop_index("ix_consents_user_id_purpose", table_name="consents")
    op.drop_table("consents")
    op.drop_table("users")
