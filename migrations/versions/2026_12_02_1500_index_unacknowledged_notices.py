"""Index the seizure notices still to acknowledge by receiving station and deadline: the to-do centre's notice
items (a station's notices to acknowledge and those past the same day) read a township's few from it instead of
every unacknowledged notice of the county (docs/benchmarks.md, the to-do centre).

Created if missing: the shared bench data is migrated by several branches' benchmarks (bench/todo.py), which may
create it before this revision is stamped.

Revision ID: 5c1e9a7d3b20
Revises: 5d2c9e7f1b80
Create Date: 2026-12-02 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e9a7d3b20"
down_revision: str | None = "5d2c9e7f1b80"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNACKNOWLEDGED = "acknowledged_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_seizure_notices_unacknowledged",
        "seizure_notices",
        ["receiving_unit_id", "ack_deadline_at", "id"],
        postgresql_where=sa.text(UNACKNOWLEDGED),
        sqlite_where=sa.text(UNACKNOWLEDGED),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_seizure_notices_unacknowledged", table_name="seizure_notices", if_exists=True)
