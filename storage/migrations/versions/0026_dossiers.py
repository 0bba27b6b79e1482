"""Award forms in the plan, a case's form, and the documents of its dossier.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-16

Written by hand to equal storage/tables.py, like 0001 to 0022. A plan keeps its forms of
commendation (``plans.award_forms``, a JSON list, empty for the plans stored before: reload
the file to give them theirs); a case keeps the key of the form it is proposed for
(``nominations.award_form_key``, null for the cases before, which went without); each file
attached to a dossier is a row of ``dossier_documents``, deleted with its case.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.tables.UtcDateTime and BigId are underneath.
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "plans",
        sa.Column("award_forms", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column("nominations", sa.Column("award_form_key", sa.String(length=128), nullable=True))
    op.create_table(
        "dossier_documents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nomination_id", BigId, nullable=False),
        sa.Column("item_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_unique_id", sa.String(length=128), nullable=False),
        sa.Column("file_name", sa.String(length=512), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name="fk_dossier_documents_nomination_id_nominations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_documents"),
        sa.UniqueConstraint(
            "nomination_id",
            "item_key",
            "file_unique_id",
            name="uq_dossier_documents_nomination_id_item_key_file_unique_id",
        ),
    )


def downgrade() -> None:
    op.drop_table("dossier_documents")
    op.drop_column("nominations", "award_form_key")
    op.drop_column("plans", "award_forms")
