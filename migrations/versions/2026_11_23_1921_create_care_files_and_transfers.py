"""Create care files (plan, team, timeline, derived due dates), their settings, and transfers.

One open file and one pending transfer per minor are partial unique indexes on both databases.

Revision ID: 2b3187ddcb7a
Revises: 506a47ba3eaf
Create Date: 2026-11-23 19:08:42.652659+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2b3187ddcb7a"
down_revision: str | None = "506a47ba3eaf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_settings",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("interval_low", sa.Integer(), nullable=False),
        sa.Column("interval_medium", sa.Integer(), nullable=False),
        sa.Column("interval_high", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_care_settings_unit_id_units")),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_care_settings")),
    )
    op.create_table(
        "care_files",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("minor_id", sa.Uuid(), nullable=False),
        sa.Column("managing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("lead_worker_id", sa.Uuid(), nullable=True),
        sa.Column(
            "team",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "responsible_user_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=False),
        sa.Column("lost_contact_on", sa.Date(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("alert", sa.String(length=40), nullable=True),
        sa.Column("alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_reason", sa.String(length=40), nullable=True),
        sa.Column("closure_note", sa.String(length=500), nullable=True),
        sa.Column("closure_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_requested_by", sa.Uuid(), nullable=True),
        sa.Column("closure_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_decided_by", sa.Uuid(), nullable=True),
        sa.Column("closure_comment", sa.String(length=500), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_worker_id"], ["users.id"], name=op.f("fk_care_files_lead_worker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["managing_unit_id"], ["units.id"], name=op.f("fk_care_files_managing_unit_id_units")
        ),
        sa.ForeignKeyConstraint(["minor_id"], ["minors.id"], name=op.f("fk_care_files_minor_id_minors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_files")),
    )
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_files_managing_unit_id_next_due_on", ["managing_unit_id", "next_due_on"], unique=False
        )
        batch_op.create_index(
            "ix_care_files_one_open_per_minor",
            ["minor_id"],
            unique=True,
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.create_index(
            "ix_care_files_responsible_user_ids",
            ["responsible_user_ids"],
            unique=False,
            postgresql_using="gin",
        )

    op.create_table(
        "care_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("care_file_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("contact_succeeded", sa.Boolean(), nullable=False),
        sa.Column("urine_result", sa.String(length=40), nullable=True),
        sa.Column("referral_kind", sa.String(length=40), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["care_file_id"], ["care_files.id"], name=op.f("fk_care_entries_care_file_id_care_files")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["care_entries.id"], name=op.f("fk_care_entries_corrects_id_care_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_entries")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_care_entries_corrects_id")),
    )
    with op.batch_alter_table("care_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_entries_care_file_id_occurred_at", ["care_file_id", "occurred_at"], unique=False
        )

    op.create_table(
        "transfers",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("minor_id", sa.Uuid(), nullable=False),
        sa.Column("care_file_id", sa.Uuid(), nullable=True),
        sa.Column("from_unit_id", sa.Uuid(), nullable=False),
        sa.Column("to_unit_id", sa.Uuid(), nullable=True),
        sa.Column("outside_division_code", sa.String(length=12), nullable=True),
        sa.Column("outside_place_name", sa.String(length=100), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["care_file_id"], ["care_files.id"], name=op.f("fk_transfers_care_file_id_care_files")
        ),
        sa.ForeignKeyConstraint(["from_unit_id"], ["units.id"], name=op.f("fk_transfers_from_unit_id_units")),
        sa.ForeignKeyConstraint(["minor_id"], ["minors.id"], name=op.f("fk_transfers_minor_id_minors")),
        sa.ForeignKeyConstraint(["to_unit_id"], ["units.id"], name=op.f("fk_transfers_to_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_from_unit_id"), ["from_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_minor_id"), ["minor_id"], unique=False)
        batch_op.create_index(
            "ix_transfers_one_pending_per_minor",
            ["minor_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
            sqlite_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
        )
        batch_op.create_index(batch_op.f("ix_transfers_to_unit_id"), ["to_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_to_unit_id"))
        batch_op.drop_index(
            "ix_transfers_one_pending_per_minor",
            postgresql_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
            sqlite_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
        )
        batch_op.drop_index(batch_op.f("ix_transfers_minor_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_from_unit_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("care_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_care_entries_care_file_id_occurred_at")

    op.drop_table("care_entries")
    with op.batch_alter_table("care_files", schema=None) as batch_op:
        batch_op.drop_index("ix_care_files_responsible_user_ids", postgresql_using="gin")
        batch_op.drop_index(
            "ix_care_files_one_open_per_minor",
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.drop_index("ix_care_files_managing_unit_id_next_due_on")

    op.drop_table("care_files")
    op.drop_table("care_settings")
