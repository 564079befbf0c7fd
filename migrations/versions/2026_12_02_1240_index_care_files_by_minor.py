"""Index care files by minor: the follow-up facts of a page of seizure notices read every file of 50 minors, closed
ones too, which the partial one-open-file indexes cannot answer (a scan of every file: 200 ms of a township lead's
to-do centre on the bench data, docs/benchmarks.md).

Revision ID: 3f6b2d8e91a4
Revises: 6b48c3624a0b
Create Date: 2026-12-02 12:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f6b2d8e91a4"
down_revision: str | None = "6b48c3624a0b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_care_files_minor_id", "care_files", ["minor_id"])


def downgrade() -> None:
    op.drop_index("ix_care_files_minor_id", table_name="care_files")
