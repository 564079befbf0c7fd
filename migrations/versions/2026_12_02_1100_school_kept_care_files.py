"""School-kept care files (学校一人一档 for 双差生/重点生): the keeping school on a file, and one open school file per
pupil beside the station's one open file.

Revision ID: 7d3e5b1c9a42
Revises: 5c1d8e2a7b90
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3e5b1c9a42"
down_revision: str | None = "5c1d8e2a7b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATION_FILE = "status <> 'closed' AND kept_by_school_id IS NULL"
SCHOOL_FILE = "status <> 'closed' AND kept_by_school_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kept_by_school_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_care_files_kept_by_school_id_units"), "units", ["kept_by_school_id"], ["id"]
        )
    op.drop_index("ix_care_files_one_open_per_minor", table_name="care_files")
    op.create_index(
        "ix_care_files_one_open_per_minor",
        "care_files",
        ["minor_id"],
        unique=True,
        postgresql_where=sa.text(STATION_FILE),
        sqlite_where=sa.text(STATION_FILE),
    )
    op.create_index(
        "ix_care_files_one_open_school_file_per_minor",
        "care_files",
        ["minor_id"],
        unique=True,
        postgresql_where=sa.text(SCHOOL_FILE),
        sqlite_where=sa.text(SCHOOL_FILE),
    )


def downgrade() -> None:
    # Before this revision a pupil had one file at most: the school-kept ones go (they cannot be kept there).
    op.execute(
        "DELETE FROM care_entries WHERE care_file_id IN "
        "(SELECT id FROM care_files WHERE kept_by_school_id IS NOT NULL)"
    )
    op.execute("DELETE FROM care_files WHERE kept_by_school_id IS NOT NULL")
    op.drop_index("ix_care_files_one_open_school_file_per_minor", table_name="care_files")
    op.drop_index("ix_care_files_one_open_per_minor", table_name="care_files")
    op.create_index(
        "ix_care_files_one_open_per_minor",
        "care_files",
        ["minor_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'closed'"),
        sqlite_where=sa.text("status <> 'closed'"),
    )
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_care_files_kept_by_school_id_units"), type_="foreignkey")
        batch_op.drop_column("kept_by_school_id")
