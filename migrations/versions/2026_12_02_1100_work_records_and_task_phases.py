"""Work records (publicity activities, inspection visits, responsibility letters, their files) and each campaign
task's phase.

Revision ID: 7d3e9a1c4b20
Revises: 7d3e5b1c9a42
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3e9a1c4b20"
down_revision: str | None = "7d3e5b1c9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _versioned() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "publicity_activities",
        *_versioned(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("materials", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("recorded_by_unit_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_publicity_activities_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_unit_id"],
            ["units.id"],
            name=op.f("fk_publicity_activities_recorded_by_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_activities")),
    )
    with op.batch_alter_table("publicity_activities", schema=None) as batch_op:
        batch_op.create_index("ix_publicity_activities_unit_id_held_on", ["unit_id", "held_on"], unique=False)

    op.create_table(
        "inspection_visits",
        *_versioned(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("inspecting_unit_id", sa.Uuid(), nullable=False),
        sa.Column("inspected_unit_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("rectify_by", sa.Date(), nullable=True),
        sa.Column("rectified", sa.Boolean(), nullable=False),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_unit_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspecting_unit_id"], ["units.id"], name=op.f("fk_inspection_visits_inspecting_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["inspected_unit_id"], ["units.id"], name=op.f("fk_inspection_visits_inspected_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_unit_id"], ["units.id"], name=op.f("fk_inspection_visits_recorded_by_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_visits")),
    )
    with op.batch_alter_table("inspection_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_visits_inspecting_unit_id"), ["inspecting_unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_inspection_visits_inspected_unit_id_visited_on",
            ["inspected_unit_id", "visited_on"],
            unique=False,
        )

    op.create_table(
        "responsibility_letters",
        *_versioned(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issuer_unit_id", sa.Uuid(), nullable=False),
        sa.Column("signer_unit_id", sa.Uuid(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by_unit_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_unit_id"], ["units.id"], name=op.f("fk_responsibility_letters_issuer_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["signer_unit_id"], ["units.id"], name=op.f("fk_responsibility_letters_signer_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_unit_id"],
            ["units.id"],
            name=op.f("fk_responsibility_letters_recorded_by_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibility_letters")),
    )
    with op.batch_alter_table("responsibility_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responsibility_letters_issuer_unit_id"), ["issuer_unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_responsibility_letters_signer_unit_id_year", ["signer_unit_id", "year"], unique=False
        )

    op.create_table(
        "work_record_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by_name", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_record_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_work_record_files_storage_key")),
    )
    with op.batch_alter_table("work_record_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_record_files_record_type_record_id", ["record_type", "record_id"], unique=False
        )

    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.drop_column("phase")
    with op.batch_alter_table("work_record_files", schema=None) as batch_op:
        batch_op.drop_index("ix_work_record_files_record_type_record_id")
    op.drop_table("work_record_files")
    with op.batch_alter_table("responsibility_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_responsibility_letters_signer_unit_id_year")
        batch_op.drop_index(batch_op.f("ix_responsibility_letters_issuer_unit_id"))
    op.drop_table("responsibility_letters")
    with op.batch_alter_table("inspection_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_visits_inspected_unit_id_visited_on")
        batch_op.drop_index(batch_op.f("ix_inspection_visits_inspecting_unit_id"))
    op.drop_table("inspection_visits")
    with op.batch_alter_table("publicity_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_publicity_activities_unit_id_held_on")
    op.drop_table("publicity_activities")
