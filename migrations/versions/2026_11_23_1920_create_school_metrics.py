"""Create school metrics (per school and term, every revision kept) and their idempotent submissions.

Revision ID: 506a47ba3eaf
Revises: 7b5793dc5faf
Create Date: 2026-11-23 19:06:00.758664+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "506a47ba3eaf"
down_revision: str | None = "7b5793dc5faf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("students_enrolled", sa.Integer(), nullable=False),
        sa.Column("students_registered", sa.Integer(), nullable=False),
        sa.Column("students_completed", sa.Integer(), nullable=False),
        sa.Column("lesson_hours", sa.Integer(), nullable=False),
        sa.Column("five_one_activities", sa.Integer(), nullable=False),
        sa.Column("exams_with_content", sa.Integer(), nullable=False),
        sa.Column("teachers_trained", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_kind", sa.String(length=10), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_by_name", sa.String(length=64), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["units.id"], name=op.f("fk_school_metrics_school_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_metrics")),
        sa.UniqueConstraint(
            "school_id", "term", "revision", name=op.f("uq_school_metrics_school_id_term_revision")
        ),
    )
    with op.batch_alter_table("school_metrics", schema=None) as batch_op:
        batch_op.create_index("ix_school_metrics_term_school_id", ["term", "school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("school_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_school_metrics_term_school_id")

    op.drop_table("school_metrics")
