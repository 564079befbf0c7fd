"""Create seizure notices (routed, acknowledged) and the idempotency keys of machine clients' pushes.

Revision ID: 7b5793dc5faf
Revises: 1661c43c5500
Create Date: 2026-11-23 19:07:49.731512+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7b5793dc5faf"
down_revision: str | None = "1661c43c5500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_kind", sa.String(length=10), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "principal_id", "route", "key", name=op.f("uq_idempotency_keys_principal_id_route_key")
        ),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)

    op.create_table(
        "seizure_notices",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notice_no", sa.String(length=64), nullable=False),
        sa.Column("reporting_unit_id", sa.Uuid(), nullable=False),
        sa.Column("reported_by_kind", sa.String(length=10), nullable=False),
        sa.Column("reported_by_id", sa.Uuid(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seized_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column(
            "substances",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("test_result", sa.String(length=40), nullable=False),
        sa.Column(
            "measures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=2000), nullable=True),
        sa.Column("minor_id", sa.Uuid(), nullable=False),
        sa.Column("minor_created", sa.Boolean(), nullable=False),
        sa.Column("routing_status", sa.String(length=40), nullable=False),
        sa.Column("routing_reason", sa.String(length=40), nullable=False),
        sa.Column("receiving_unit_id", sa.Uuid(), nullable=False),
        sa.Column("outside_division_code", sa.String(length=12), nullable=True),
        sa.Column("outside_place_name", sa.String(length=200), nullable=True),
        sa.Column("ack_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("followup_status", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_seizure_notices_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(["minor_id"], ["minors.id"], name=op.f("fk_seizure_notices_minor_id_minors")),
        sa.ForeignKeyConstraint(
            ["receiving_unit_id"], ["units.id"], name=op.f("fk_seizure_notices_receiving_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["reporting_unit_id"], ["units.id"], name=op.f("fk_seizure_notices_reporting_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seizure_notices")),
        sa.UniqueConstraint(
            "reporting_unit_id", "notice_no", name=op.f("uq_seizure_notices_reporting_unit_id_notice_no")
        ),
    )
    with op.batch_alter_table("seizure_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seizure_notices_minor_id"), ["minor_id"], unique=False)
        batch_op.create_index(
            "ix_seizure_notices_receiving_unit_id_received_at",
            ["receiving_unit_id", "received_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_seizure_notices_reporting_unit_id_received_at",
            ["reporting_unit_id", "received_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("seizure_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_seizure_notices_reporting_unit_id_received_at")
        batch_op.drop_index("ix_seizure_notices_receiving_unit_id_received_at")
        batch_op.drop_index(batch_op.f("ix_seizure_notices_minor_id"))

    op.drop_table("seizure_notices")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
