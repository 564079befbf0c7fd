"""Minors registered before their ID number is known (issue 17): a verification status (provisional, verified,
merged; existing records are verified), the birth date's precision, how the minor was found, the record a
provisional one was merged into; the ID number's four columns may be empty until it is added.

Revision ID: 9a4c7e1f2b36
Revises: 5c1d8e2a7b90
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c7e1f2b36"
down_revision: str | None = "5c1d8e2a7b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID_COLUMNS = (
    ("id_document_type", sa.String(length=40)),
    ("id_number_ciphertext", sa.String(length=200)),
    ("id_number_hash", sa.String(length=64)),
    ("id_number_masked", sa.String(length=40)),
)


def _sqlite_triggers() -> list[str]:
    """SQLite's batch mode rebuilds the table, which drops its triggers (the counters and tallies): they are
    read before and created again after."""
    if op.get_bind().dialect.name != "sqlite":
        return []
    return list(
        op.get_bind()
        .execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'minors'"))
        .scalars()
    )


def _restore(triggers: list[str]) -> None:
    for statement in triggers:
        op.execute(statement)


def upgrade() -> None:
    triggers = _sqlite_triggers()
    with op.batch_alter_table("minors") as batch_op:
        batch_op.add_column(
            sa.Column(
                "birth_date_precision", sa.String(length=40), nullable=False, server_default=sa.text("'day'")
            )
        )
        batch_op.add_column(
            sa.Column(
                "verification_status",
                sa.String(length=40),
                nullable=False,
                server_default=sa.text("'verified'"),
            )
        )
        batch_op.add_column(sa.Column("found_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_minors_merged_into_id_minors"), "minors", ["merged_into_id"], ["id"]
        )
        for name, type_ in _ID_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
    _restore(triggers)
    op.create_index(
        "ix_minors_unverified",
        "minors",
        ["verification_status"],
        postgresql_where=sa.text("verification_status <> 'verified'"),
        sqlite_where=sa.text("verification_status <> 'verified'"),
    )


def downgrade() -> None:
    # Records without an ID number cannot survive the old schema: a downgrade refuses while any exist.
    op.drop_index("ix_minors_unverified", table_name="minors")
    triggers = _sqlite_triggers()
    with op.batch_alter_table("minors") as batch_op:
        for name, type_ in _ID_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_minors_merged_into_id_minors"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("found_by")
        batch_op.drop_column("verification_status")
        batch_op.drop_column("birth_date_precision")
    _restore(triggers)
