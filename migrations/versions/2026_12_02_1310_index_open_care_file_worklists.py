"""Index the open care files for the to-do centre's worklists: a unit's open files in due order, with every column
the worklists' conditions read, so that a township lead's counts and first ids come from the index alone on
PostgreSQL instead of reading every file of the township (docs/benchmarks.md, the to-do centre).

Revision ID: 8d4e7a1c2b36
Revises: 3f8b2d6c1e47
Create Date: 2026-12-02 12:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d4e7a1c2b36"
down_revision: str | None = "3f8b2d6c1e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_FILES = "status IN ('open', 'closure_requested')"


def upgrade() -> None:
    op.create_index(
        "ix_care_files_open_worklists",
        "care_files",
        ["managing_unit_id", "next_due_on", "id"],
        postgresql_include=[
            "status",
            "lost_contact_on",
            "failed_attempts",
            "lead_worker_id",
            "alert",
            "kept_by_school_id",
        ],
        postgresql_where=sa.text(OPEN_FILES),
        sqlite_where=sa.text(OPEN_FILES),
    )


def downgrade() -> None:
    op.drop_index("ix_care_files_open_worklists", table_name="care_files")
