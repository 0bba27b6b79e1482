"""The council's meetings and their secret ballot: ballots, counts, recusals, reasons apart.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-20

Written by hand to equal storage/tables.py, like 0001 to 0022. Only new tables. No table of
the ballot has a time column or a sequential id: ``meeting_ballots`` says whose ballot was
cast, ``meeting_votes`` holds counts only, ``meeting_reasons`` is keyed by random ids (and has
no rowid on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.BigId is underneath.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("council_key", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("present", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
    )
    op.create_index("ix_meetings_status", "meetings", ["status"])
    op.create_table(
        "meeting_cases",
        sa.Column("meeting_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(length=32), nullable=False),
        sa.Column("quorum", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_cases_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name="fk_meeting_cases_nomination_id_nominations",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "nomination_id", name="pk_meeting_cases"),
    )
    op.create_index("ix_meeting_cases_nomination_id", "meeting_cases", ["nomination_id"])
    op.create_table(
        "meeting_ballots",
        sa.Column("meeting_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cast", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_ballots_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "meeting_id", "nomination_id", "member_id", name="pk_meeting_ballots"
        ),
    )
    op.create_table(
        "meeting_votes",
        sa.Column("meeting_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_votes_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "nomination_id", "choice", name="pk_meeting_votes"),
    )
    op.create_table(
        "meeting_recusals",
        sa.Column("meeting_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_recusals_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "meeting_id", "nomination_id", "member_id", name="pk_meeting_recusals"
        ),
    )
    op.create_table(
        "meeting_reasons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_reasons_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_reasons"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_meeting_reasons_meeting_id", "meeting_reasons", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_reasons_meeting_id", table_name="meeting_reasons")
    op.drop_table("meeting_reasons")
    op.drop_table("meeting_recusals")
    op.drop_table("meeting_votes")
    op.drop_table("meeting_ballots")
    op.drop_index("ix_meeting_cases_nomination_id", table_name="meeting_cases")
    op.drop_table("meeting_cases")
    op.drop_index("ix_meetings_status", table_name="meetings")
    op.drop_table("meetings")
