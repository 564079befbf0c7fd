"""Create the registry of at-risk minors: encrypted numbers and phones, keyed look-up hash, masked forms.

Revision ID: b4c58034383f
Revises: 74ea39a306ae
Create Date: 2026-11-23 01:09:04.148500+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b4c58034383f"
down_revision: str | None = "74ea39a306ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "minors",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_document_type", sa.String(length=40), nullable=False),
        sa.Column("id_number_ciphertext", sa.String(length=200), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=40), nullable=False),
        sa.Column("gender", sa.String(length=40), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone_ciphertext", sa.String(length=200), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column(
            "guardians",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("household_division_code", sa.String(length=12), nullable=True),
        sa.Column("household_area", sa.String(length=100), nullable=True),
        sa.Column("household_address", sa.String(length=200), nullable=True),
        sa.Column("residence_division_code", sa.String(length=12), nullable=True),
        sa.Column("residence_area", sa.String(length=100), nullable=True),
        sa.Column("residence_address", sa.String(length=200), nullable=True),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("schooling_status", sa.String(length=40), nullable=False),
        sa.Column(
            "risk_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "substances",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("risk_level", sa.String(length=40), nullable=False),
        sa.Column("managing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("is_sealed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["managing_unit_id"], ["units.id"], name=op.f("fk_minors_managing_unit_id_units")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["units.id"], name=op.f("fk_minors_school_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minors")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_minors_id_number_hash")),
    )
    with op.batch_alter_table("minors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minors_birth_date"), ["birth_date"], unique=False)
        batch_op.create_index(
            "ix_minors_managing_unit_id_updated_at", ["managing_unit_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_minors_residence_division_code"), ["residence_division_code"], unique=False
        )
        batch_op.create_index(
            "ix_minors_risk_categories", ["risk_categories"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index(batch_op.f("ix_minors_school_id"), ["school_id"], unique=False)
        batch_op.create_index("ix_minors_substances", ["substances"], unique=False, postgresql_using="gin")


def downgrade() -> None:
    with op.batch_alter_table("minors", schema=None) as batch_op:
        batch_op.drop_index("ix_minors_substances", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_minors_school_id"))
        batch_op.drop_index("ix_minors_risk_categories", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_minors_residence_division_code"))
        batch_op.drop_index("ix_minors_managing_unit_id_updated_at")
        batch_op.drop_index(batch_op.f("ix_minors_birth_date"))

    op.drop_table("minors")
