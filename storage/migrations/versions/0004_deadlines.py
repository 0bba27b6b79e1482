"""Deadlines: event dates, completions, notices sent, and units' emulation registrations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10

Written by hand to equal storage/tables.py (tests/integration/test_migrations.py compares
the two on SQLite and PostgreSQL), in plain SQLAlchemy types like 0001 to 0003.

Only new tables: nothing existing is altered, so no table is rebuilt on SQLite (see 0002's
header for why that would lose nominations). No foreign keys: obligations reference no plan
task (a plan file reloaded keeps what was entered) and user ids no users row (an officer can
be granted a role before writing to the bot).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime is underneath.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deadline_events",
        sa.Column("obligation", sa.String(300), nullable=False),
        sa.Column("plan_key", sa.String(128), nullable=False),
        sa.Column("event_day", sa.Date(), nullable=False),
        sa.Column("entered_by", sa.BigInteger(), nullable=False),
        sa.Column("entered_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("obligation", name="pk_deadline_events"),
    )
    op.create_table(
        "deadline_completions",
        sa.Column("obligation", sa.String(300), nullable=False),
        sa.Column("occurrence", sa.String(32), nullable=False),
        sa.Column("plan_key", sa.String(128), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("done_by", sa.BigInteger(), nullable=False),
        sa.Column("done_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("obligation", "occurrence", name="pk_deadline_completions"),
    )
    op.create_index("ix_deadline_completions_plan_key", "deadline_completions", ["plan_key"])
    op.create_table(
        "notices_sent",
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("key", "recipient_id", name="pk_notices_sent"),
    )
    op.create_table(
        "emulation_registrations",
        sa.Column("unit_key", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("registered_by", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("unit_key", "year", name="pk_emulation_registrations"),
    )


def downgrade() -> None:
    op.drop_table("emulation_registrations")
    op.drop_table("notices_sent")
    op.drop_index("ix_deadline_completions_plan_key", table_name="deadline_completions")
    op.drop_table("deadline_completions")
    op.drop_table("deadline_events")
