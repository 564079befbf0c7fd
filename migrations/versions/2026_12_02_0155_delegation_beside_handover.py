"""Delegation (委托管理) beside hand-over (移交): a transfer's kind and period; a care file's accountable unit.

Existing transfers are hand-overs (the server default fills them in).

Revision ID: 41ba27feb403
Revises: 82588463557d
Create Date: 2026-12-02 01:55:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "41ba27feb403"
down_revision: str | None = "82588463557d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accountable_unit_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_care_files_accountable_unit_id_units"), "units", ["accountable_unit_id"], ["id"]
        )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=40), nullable=False, server_default=sa.text("'handover'"))
        )
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
        batch_op.drop_column("kind")
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_care_files_accountable_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("accountable_unit_id")
