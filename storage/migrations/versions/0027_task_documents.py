"""The documents units file against the plan's tasks.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-18

Written by hand to equal storage/tables.py, like 0001 to 0026. Each file a unit sends with
"✅ Đã hoàn thành" on a deadline is a row of ``task_documents``, named by the plan, the task,
the occurrence and the unit as ``deadline_completions`` names them. Staff's documents, not
residents' personal data: no erasure or retention reads this table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "task_documents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("plan_key", sa.String(length=128), nullable=False),
        sa.Column("task_number", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=32), nullable=False),
        sa.Column("unit_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_unique_id", sa.String(length=128), nullable=False),
        sa.Column("file_name", sa.String(length=512), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_documents"),
        sa.UniqueConstraint(
            "plan_key",
            "task_number",
            "occurrence",
            "unit_key",
            "file_unique_id",
            name="uq_task_documents_file",
        ),
    )


def downgrade() -> None:
    op.drop_table("task_documents")
