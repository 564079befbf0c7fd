"""Confirm responsibility and count disclosures.

``care_files.confirmed_responsible_ids``: the responsible people whose assignment a lead made or confirmed —
only they see a minor's identity because of a care file. Files already open start with none confirmed: who
made their assignments is not known, so their leads confirm them (docs/privacy.md).

``disclosure_counts``: per person, day and kind (reveal, a registration that matched a minor managed
elsewhere), counted by an upsert that refuses to pass the daily limit.

Revision ID: 33fc92e55e0d
Revises: 07116dc6252e
Create Date: 2026-12-01 05:49:10.057570+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "33fc92e55e0d"
down_revision: str | None = "07116dc6252e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_ARRAY = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "disclosure_counts",
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "day", "kind", name=op.f("pk_disclosure_counts")),
    )
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirmed_responsible_ids", JSON_ARRAY, nullable=False, server_default="[]")
        )
    # The default only fills the rows already there; the application always writes the column.
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.alter_column("confirmed_responsible_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.drop_column("confirmed_responsible_ids")
    op.drop_table("disclosure_counts")
