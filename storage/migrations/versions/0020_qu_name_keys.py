"""The nominee's folded name writes "quy" for "quí" too: rewrite the keys stored before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-14

core.text.fold now makes "quý" and "quí" (and "quýt"/"quít") one key, "quy". Keys stored
before it that spell "qui" are rewritten, so that a nomination of "Nguyễn Thị Quí" filed
earlier is still found as a likely duplicate of a new "Nguyễn Thị Quý". No schema change;
the downgrade leaves the keys as they are ("quy" is what the old fold gave "quý" anyway).
The rule is copied here, not imported: a migration must not change when core does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QU_I = re.compile(r"\bqui")
_NOMINATIONS = sa.table("nominations", sa.column("id", sa.Integer), sa.column("nominee_name_key"))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_NOMINATIONS.c.id, _NOMINATIONS.c.nominee_name_key).where(
            _NOMINATIONS.c.nominee_name_key.like("%qui%")
        )
    ).all()
    for row_id, key in rows:
        rewritten = _QU_I.sub("quy", key)
        if rewritten != key:
            connection.execute(
                sa.update(_NOMINATIONS)
                .where(_NOMINATIONS.c.id == row_id)
                .values(nominee_name_key=rewritten)
            )


def downgrade() -> None:
    """Leave the keys: "quy" is also what the fold before 0020 gave for "quý"."""
