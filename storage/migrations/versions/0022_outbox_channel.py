"""Each outgoing message names its channel, so each channel's sender finds only its own.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-15

Written by hand to equal storage/tables.py, like 0001 to 0021. Rows queued before it were
all Telegram's but for those to a minted chat id (above 2**52, core/identity.py): a Zalo
person's chat. The rule is copied here, not imported: a migration must not change when core
does. The downgrade drops the column; a Zalo row left then is the Telegram sender's to fail.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINTED_ID_BASE = 4503599627370496  # 2**52
_OUTBOX = sa.table("outbox", sa.column("chat_id", sa.BigInteger), sa.column("channel"))


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False),
    )
    op.execute(sa.update(_OUTBOX).where(_OUTBOX.c.chat_id > MINTED_ID_BASE).values(channel="zalo"))
    op.create_index(
        "ix_outbox_channel_status_chat_id_id", "outbox", ["channel", "status", "chat_id", "id"]
    )
    op.create_index("ix_outbox_chat_id_id", "outbox", ["chat_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_id_id", table_name="outbox")
    op.drop_index("ix_outbox_channel_status_chat_id_id", table_name="outbox")
    op.drop_column("outbox", "channel")
