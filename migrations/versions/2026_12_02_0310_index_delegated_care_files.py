"""Index the care files a unit has delegated (委托管理): every read of files asks for them beside those it manages.

Revision ID: 5c1d8e2a7b90
Revises: 41ba27feb403
Create Date: 2026-12-02 03:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d8e2a7b90"
down_revision: str | None = "41ba27feb403"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_care_files_accountable_unit_id",
        "care_files",
        ["accountable_unit_id"],
        postgresql_where=sa.text("accountable_unit_id IS NOT NULL"),
        sqlite_where=sa.text("accountable_unit_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_care_files_accountable_unit_id", table_name="care_files")
