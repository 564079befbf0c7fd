"""Minors registered before their ID number is known (issue 17): a verification status (provisional, verified,
merged; existing records are verified), the birth date's precision, how the minor was found, the record a
provisional one was merged into; the ID number's four columns may be empty until it is added.

SQLite: the table is not rebuilt (batch mode would drop and re-create ``minors``, which the care files, notices
and transfers reference, and which carries the counters' triggers). Columns are added in place, and the NOT
NULL of the four ID columns is taken off in the stored schema, the way SQLite documents for changes that leave
the stored rows as they are (https://www.sqlite.org/lang_altertable.html, "otheralter").

Revision ID: 9a4c7e1f2b36
Revises: 7d79e74b426a
Create Date: 2026-12-02 11:00:00+00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c7e1f2b36"
down_revision: str | None = "7d79e74b426a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID_COLUMNS = (
    ("id_document_type", sa.String(length=40)),
    ("id_number_ciphertext", sa.String(length=200)),
    ("id_number_hash", sa.String(length=64)),
    ("id_number_masked", sa.String(length=40)),
)
_UNVERIFIED = "verification_status <> 'verified'"
_MERGED_FK = "fk_minors_merged_into_id_minors"


def _sqlite_set_not_null(required: bool) -> None:
    """Add or take off NOT NULL on the ID columns in SQLite's stored CREATE TABLE: no row changes."""
    bind = op.get_bind()
    create = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'minors'")
    ).scalar_one()
    for name, _type in _ID_COLUMNS:
        pattern = re.compile(rf"(\b{name} VARCHAR\(\d+\))( NOT NULL)?")
        create, found = pattern.subn(
            lambda match: match.group(1) + (" NOT NULL" if required else ""), create, count=1
        )
        assert found == 1, name
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'minors'"),
        {"sql": create},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "minors",
        sa.Column(
            "birth_date_precision", sa.String(length=40), nullable=False, server_default=sa.text("'day'")
        ),
    )
    op.add_column(
        "minors",
        sa.Column(
            "verification_status", sa.String(length=40), nullable=False, server_default=sa.text("'verified'")
        ),
    )
    op.add_column("minors", sa.Column("found_by", sa.String(length=40), nullable=True))
    if sqlite:
        op.execute(
            f"ALTER TABLE minors ADD COLUMN merged_into_id CHAR(32) CONSTRAINT {_MERGED_FK} REFERENCES minors (id)"
        )
        _sqlite_set_not_null(False)
    else:
        op.add_column(
            "minors",
            sa.Column(
                "merged_into_id", sa.Uuid(), sa.ForeignKey("minors.id", name=_MERGED_FK), nullable=True
            ),
        )
        for name, type_ in _ID_COLUMNS:
            op.alter_column("minors", name, existing_type=type_, nullable=True)
    op.create_index(
        "ix_minors_unverified",
        "minors",
        ["verification_status"],
        postgresql_where=sa.text(_UNVERIFIED),
        sqlite_where=sa.text(_UNVERIFIED),
    )


def downgrade() -> None:
    # Records without an ID number cannot live in the old schema: PostgreSQL refuses while any exist.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_minors_unverified", table_name="minors")
    if sqlite:
        if (
            op.get_bind()
            .execute(sa.text("SELECT count(*) FROM minors WHERE id_number_hash IS NULL"))
            .scalar_one()
        ):
            raise RuntimeError("minors without an ID number exist; verify or remove them before downgrading")
        _sqlite_set_not_null(True)
    else:
        for name, type_ in _ID_COLUMNS:
            op.alter_column("minors", name, existing_type=type_, nullable=False)
        op.drop_constraint(op.f("fk_minors_merged_into_id_minors"), "minors", type_="foreignkey")
    for column in ("merged_into_id", "found_by", "verification_status", "birth_date_precision"):
        if sqlite:
            op.execute(f"ALTER TABLE minors DROP COLUMN {column}")
        else:
            op.drop_column("minors", column)
