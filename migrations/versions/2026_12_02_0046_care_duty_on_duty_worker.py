"""The on-duty social worker of a unit: lead worker of the care files the unit is given automatically.

Revision ID: 9023f1f3581b
Revises: e5871a08290f
Create Date: 2026-12-02 00:46:10.348167+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9023f1f3581b"
down_revision: str | None = "e5871a08290f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_duty",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_care_duty_unit_id_units")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_care_duty_user_id_users")),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_care_duty")),
    )


def downgrade() -> None:
    op.drop_table("care_duty")
