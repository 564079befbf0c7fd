"""Create campaigns, their task checklists and targets, task reports with their history and evidence files.

Revision ID: 1661c43c5500
Revises: 5c1e0a7d9b21
Create Date: 2026-11-23 19:07:45.932677+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1661c43c5500"
down_revision: str | None = "5c1e0a7d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("report_deadline", sa.Date(), nullable=True),
        sa.Column("target_kinds", sa.JSON(), nullable=False),
        sa.Column("target_root_id", sa.Uuid(), nullable=True),
        sa.Column("target_unit_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("copied_from_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["copied_from_id"], ["campaigns.id"], name=op.f("fk_campaigns_copied_from_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["issuing_unit_id"], ["units.id"], name=op.f("fk_campaigns_issuing_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["target_root_id"], ["units.id"], name=op.f("fk_campaigns_target_root_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_issuing_unit_id"), ["issuing_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_status"), ["status"], unique=False)

    op.create_table(
        "campaign_targets",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_targets_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_campaign_targets_unit_id_units")),
        sa.PrimaryKeyConstraint("campaign_id", "unit_id", name=op.f("pk_campaign_targets")),
    )
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_targets_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "campaign_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("evidence_required", sa.String(length=500), nullable=True),
        sa.Column("responsible_department", sa.String(length=200), nullable=True),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("comparator", sa.String(length=40), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_tasks_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_tasks")),
        sa.UniqueConstraint("campaign_id", "position", name=op.f("uq_campaign_tasks_campaign_id_position")),
    )
    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_tasks_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "task_reports",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("review_comment", sa.String(length=1000), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_task_reports_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["campaign_tasks.id"], name=op.f("fk_task_reports_task_id_campaign_tasks")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_task_reports_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reports")),
        sa.UniqueConstraint("task_id", "unit_id", name=op.f("uq_task_reports_task_id_unit_id")),
    )
    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_reports_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_reports_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_report_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by_name", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_report_id"],
            ["task_reports.id"],
            name=op.f("fk_evidence_files_task_report_id_task_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_files_storage_key")),
    )
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_files_task_report_id"), ["task_report_id"], unique=False
        )

    op.create_table(
        "task_report_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_report_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_report_id"],
            ["task_reports.id"],
            name=op.f("fk_task_report_events_task_report_id_task_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_report_events")),
    )
    with op.batch_alter_table("task_report_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_report_events_task_report_id"), ["task_report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_report_events_task_report_id"))

    op.drop_table("task_report_events")
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_files_task_report_id"))

    op.drop_table("evidence_files")
    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_reports_unit_id"))
        batch_op.drop_index(batch_op.f("ix_task_reports_campaign_id"))

    op.drop_table("task_reports")
    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_tasks_campaign_id"))

    op.drop_table("campaign_tasks")
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_targets_unit_id"))

    op.drop_table("campaign_targets")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_status"))
        batch_op.drop_index(batch_op.f("ix_campaigns_issuing_unit_id"))

    op.drop_table("campaigns")
