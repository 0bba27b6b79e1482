"""Several processes: each stored update's chat (turns keep Telegram's order), and who holds
an outgoing message (a dead process's messages go back at once).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Written by hand to equal storage/tables.py, like 0001 to 0007; a new nullable column and an
index only (updates stored before it have no chat: they are older than any waiting now).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("claimed_by", sa.String(128), nullable=True))
    op.add_column("inbound_updates", sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_inbound_updates_chat_id_processed_at",
        "inbound_updates",
        ["chat_id", "processed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_updates_chat_id_processed_at", table_name="inbound_updates")
    op.drop_column("inbound_updates", "chat_id")
    op.drop_column("outbox", "claimed_by")
