"""A care plan says whether urine tests are required and how often (尿检率 counts against it): every N days, or
none (null).

Revision ID: 7e3a91c4d2f6
Revises: 5c1d8e2a7b90
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e3a91c4d2f6"
down_revision: str | None = "5c1d8e2a7b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_files") as batch:
        batch.add_column(sa.Column("urine_test_interval_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("care_files") as batch:
        batch.drop_column("urine_test_interval_days")
