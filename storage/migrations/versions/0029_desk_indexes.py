"""The desk at 100,000 cases: the queue in filing order, and the month's proposals.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05

Written by hand to equal storage/tables.py, like 0001 to 0028. Measured with
bench/desk.py over 100,000 nominations and 254,000 audit entries on SQLite:
``ix_nominations_created_at`` lets the office's queue (every unit, open states, oldest
first) read its page in filing order and stop after 25 rows instead of sorting every
match (35 ms to 2 ms); ``ix_audit_entries_action_at`` finds a month's ``propose`` entries,
which the overview, compliance and the on-time chart count against the quota, without
reading the whole trail (26 ms to 3 ms).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_nominations_created_at", "nominations", ["created_at"])
    op.create_index("ix_audit_entries_action_at", "audit_entries", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_action_at", table_name="audit_entries")
    op.drop_index("ix_nominations_created_at", table_name="nominations")
