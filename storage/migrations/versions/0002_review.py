"""The review: who handles a nomination, merges, roles, invitations and the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Written by hand to equal storage/tables.py (tests/integration/test_migrations.py compares
the two on SQLite and PostgreSQL), in plain SQLAlchemy types like 0001.

Every change to ``nominations`` is an ALTER TABLE ADD/DROP COLUMN, never a batch rebuild
of the table on SQLite: a rebuild drops the old table, and with foreign keys enforced (they
are, and the pragma cannot be turned off inside the migration's transaction) that DROP
first deletes every row, cascading to ``nomination_evidence``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_MERGED_INTO_FK = "fk_nominations_merged_into_id_nominations"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    # -- nominations: the claim, merges, and the officers' queue -----------------------------
    op.add_column("nominations", sa.Column("handler_id", sa.BigInteger(), nullable=True))
    op.add_column("nominations", sa.Column("handled_since", Timestamp, nullable=True))
    if sqlite:
        # SQLite adds a foreign key only inline with its column (and keeps no name for it).
        op.add_column(
            "nominations",
            sa.Column("merged_into_id", BigId, sa.ForeignKey("nominations.id"), nullable=True),
            inline_references=True,
        )
    else:
        op.add_column("nominations", sa.Column("merged_into_id", BigId, nullable=True))
        op.create_foreign_key(
            _MERGED_INTO_FK, "nominations", "nominations", ["merged_into_id"], ["id"]
        )
    op.create_index(
        "ix_nominations_unit_key_status_created_at",
        "nominations",
        ["unit_key", "status", "created_at"],
    )
    # The index above leads with unit_key and serves its lookups.
    op.drop_index("ix_nominations_unit_key", table_name="nominations")

    # -- roles and invitations ---------------------------------------------------------------
    # No foreign key to users: a role may be granted before its holder writes to the bot.
    op.create_table(
        "role_grants",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("unit_key", sa.String(128), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("granted_at", Timestamp, nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_role_grants"),
    )
    op.create_index("ix_role_grants_user_id", "role_grants", ["user_id"])
    op.create_index("ix_role_grants_unit_key", "role_grants", ["unit_key"])
    op.create_table(
        "invitations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("unit_key", sa.String(128), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("code_hash", name="uq_invitations_code_hash"),
    )

    # -- the audit trail ---------------------------------------------------------------------
    op.create_table(
        "audit_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=False),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("private_note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["nominations.id"], name="fk_audit_entries_nomination_id_nominations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_nomination_id", "audit_entries", ["nomination_id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    op.drop_index("ix_audit_entries_nomination_id", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("invitations")
    op.drop_index("ix_role_grants_unit_key", table_name="role_grants")
    op.drop_index("ix_role_grants_user_id", table_name="role_grants")
    op.drop_table("role_grants")

    op.create_index("ix_nominations_unit_key", "nominations", ["unit_key"])
    op.drop_index("ix_nominations_unit_key_status_created_at", table_name="nominations")
    if not sqlite:
        op.drop_constraint(_MERGED_INTO_FK, "nominations", type_="foreignkey")
    # SQLite (3.35 and later) drops a column together with its inline REFERENCES clause.
    op.drop_column("nominations", "merged_into_id")
    op.drop_column("nominations", "handled_since")
    op.drop_column("nominations", "handler_id")
