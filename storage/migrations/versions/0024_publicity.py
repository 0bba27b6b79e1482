"""Publicity: the lists put out for public comment, their comments, the exemplars published.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

Written by hand to equal storage/tables.py, like the others. Only new tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _nomination(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["nomination_id"],
        ["nominations.id"],
        name=f"fk_{table}_nomination_id_nominations",
        ondelete="CASCADE",
    )


def _window(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["window_id"],
        ["comment_windows.id"],
        name=f"fk_{table}_window_id_comment_windows",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "comment_windows",
        sa.Column("id", BigId, nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_comment_windows"),
    )
    op.create_index("ix_comment_windows_closes_on", "comment_windows", ["closes_on"])
    op.create_table(
        "comment_window_cases",
        sa.Column("window_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        _window("comment_window_cases"),
        _nomination("comment_window_cases"),
        sa.PrimaryKeyConstraint("window_id", "nomination_id", name="pk_comment_window_cases"),
    )
    op.create_index(
        "ix_comment_window_cases_nomination_id", "comment_window_cases", ["nomination_id"]
    )
    op.create_table(
        "public_comments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("window_id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        _window("public_comments"),
        _nomination("public_comments"),
        sa.PrimaryKeyConstraint("id", name="pk_public_comments"),
    )
    op.create_index("ix_public_comments_nomination_id", "public_comments", ["nomination_id"])
    op.create_index("ix_public_comments_user_id", "public_comments", ["user_id"])
    op.create_table(
        "exemplars",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("published_at", Timestamp, nullable=False),
        sa.Column("with_photo", sa.Boolean(), nullable=False),
        _nomination("exemplars"),
        sa.PrimaryKeyConstraint("id", name="pk_exemplars"),
        sa.UniqueConstraint("nomination_id", name="uq_exemplars_nomination_id"),
    )
    op.create_index("ix_exemplars_published_at", "exemplars", ["published_at"])


def downgrade() -> None:
    op.drop_table("exemplars")
    op.drop_table("public_comments")
    op.drop_table("comment_window_cases")
    op.drop_table("comment_windows")
