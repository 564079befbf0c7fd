"""Venues (重点场所) with their checks and evidence, and pharmacy checks (右美沙芬处方药品使用情况): seed 000's
screening forms (二) and (三).

Revision ID: 7b1241f9c31a
Revises: 7d3e5b1c9a42
Create Date: 2026-12-02 10:43:20.733386+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b1241f9c31a"
down_revision: str | None = "7d3e5b1c9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pharmacy_checks",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("pharmacy_name", sa.String(length=200), nullable=False),
        sa.Column("licence_number", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("buyer_age_band", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("prescription_seen", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checked_by_name", sa.String(length=100), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_pharmacy_checks_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_checks")),
    )
    with op.batch_alter_table("pharmacy_checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pharmacy_checks_unit_id_checked_on", ["unit_id", "checked_on"], unique=False
        )

    op.create_table(
        "venues",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("near_school", sa.Boolean(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("last_checked_on", sa.Date(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["units.id"], name=op.f("fk_venues_school_id_units")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_venues_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_follow_up_on"), ["follow_up_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_venues_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_venues_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "venue_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("hazard_found", sa.Boolean(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("checked_by_unit_id", sa.Uuid(), nullable=False),
        sa.Column("checked_by_name", sa.String(length=100), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_unit_id"], ["units.id"], name=op.f("fk_venue_checks_checked_by_unit_id_units")
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_venue_checks_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_checks")),
    )
    with op.batch_alter_table("venue_checks", schema=None) as batch_op:
        batch_op.create_index("ix_venue_checks_venue_id_checked_on", ["venue_id", "checked_on"], unique=False)

    op.create_table(
        "venue_check_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_check_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_check_id"],
            ["venue_checks.id"],
            name=op.f("fk_venue_check_evidence_venue_check_id_venue_checks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_check_evidence")),
    )
    with op.batch_alter_table("venue_check_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_venue_check_evidence_venue_check_id"), ["venue_check_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("venue_check_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_check_evidence_venue_check_id"))

    op.drop_table("venue_check_evidence")
    with op.batch_alter_table("venue_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_venue_checks_venue_id_checked_on")

    op.drop_table("venue_checks")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_unit_id"))
        batch_op.drop_index(batch_op.f("ix_venues_kind"))
        batch_op.drop_index(batch_op.f("ix_venues_follow_up_on"))

    op.drop_table("venues")
    with op.batch_alter_table("pharmacy_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_pharmacy_checks_unit_id_checked_on")

    op.drop_table("pharmacy_checks")
