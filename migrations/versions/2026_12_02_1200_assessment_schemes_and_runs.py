"""Assessment schemes, their runs, each run's figures (with the inputs behind them) and veto hits.

Revision ID: 7d79e74b426a
Revises: 7d3e9a1c4b20, 7e3a91c4d2f6, 7b1241f9c31a
Create Date: 2026-12-02 10:44:16.449335+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d79e74b426a"
# Also joins the heads of the work records (7d3e9a1c4b20), the rates (7e3a91c4d2f6) and the venues (7b1241f9c31a,
# after the school-kept files).
down_revision: str | tuple[str, ...] | None = ("7d3e9a1c4b20", "7e3a91c4d2f6", "7b1241f9c31a")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("unit_root_id", sa.Uuid(), nullable=False),
        sa.Column("unit_kinds", sa.JSON(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("pass_rate_target", sa.Float(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("vetoes", sa.JSON(), nullable=False),
        sa.Column("call_in", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuing_unit_id"], ["units.id"], name=op.f("fk_assessment_schemes_issuing_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["unit_root_id"], ["units.id"], name=op.f("fk_assessment_schemes_unit_root_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
    )
    with op.batch_alter_table("assessment_schemes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_schemes_issuing_unit_id"), ["issuing_unit_id"], unique=False
        )

    op.create_table(
        "assessment_runs",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("cut_off", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by_id", sa.Uuid(), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_assessment_runs_scheme_id_assessment_schemes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_runs")),
    )
    with op.batch_alter_table("assessment_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_runs_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "assessment_figures",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("ids_kind", sa.String(length=40), nullable=True),
        sa.Column("ids", sa.JSON(), nullable=False),
        sa.Column("computed_score", sa.Float(), nullable=True),
        sa.Column("adjusted_score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("adjusted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("adjusted_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["assessment_runs.id"], name=op.f("fk_assessment_figures_run_id_assessment_runs")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_assessment_figures_unit_id_units")),
        sa.PrimaryKeyConstraint("run_id", "unit_id", "indicator", name=op.f("pk_assessment_figures")),
    )
    with op.batch_alter_table("assessment_figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_figures_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "assessment_veto_hits",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("veto", sa.String(length=40), nullable=False),
        sa.Column("ids_kind", sa.String(length=40), nullable=True),
        sa.Column("ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["assessment_runs.id"], name=op.f("fk_assessment_veto_hits_run_id_assessment_runs")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_assessment_veto_hits_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("run_id", "unit_id", "veto", name=op.f("pk_assessment_veto_hits")),
    )
    with op.batch_alter_table("assessment_veto_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_veto_hits_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_veto_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_veto_hits_unit_id"))

    op.drop_table("assessment_veto_hits")
    with op.batch_alter_table("assessment_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_figures_unit_id"))

    op.drop_table("assessment_figures")
    with op.batch_alter_table("assessment_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_runs_scheme_id"))

    op.drop_table("assessment_runs")
    with op.batch_alter_table("assessment_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_schemes_issuing_unit_id"))

    op.drop_table("assessment_schemes")
