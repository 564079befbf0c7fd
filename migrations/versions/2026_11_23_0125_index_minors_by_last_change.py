"""Index minors by their last change, the default order of lists.

Revision ID: 23ef6a3d02b9
Revises: b4c58034383f
Create Date: 2026-11-23 01:25:58.315474+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "23ef6a3d02b9"
down_revision: str | None = "b4c58034383f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("minors", schema=None) as batch_op:
        batch_op.create_index("ix_minors_updated_at_id", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("minors", schema=None) as batch_op:
        batch_op.drop_index("ix_minors_updated_at_id")
