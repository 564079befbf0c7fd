"""On SQLite too, audit events refuse UPDATE and DELETE, as PostgreSQL's trigger has made them since the trail was
created: the embedded database keeps the evidence the same way.

SQLite has no trigger functions: one trigger per statement kind, each aborting with PostgreSQL's message. A later
migration that rebuilds ``audit_events`` in batch mode on SQLite (copy, drop, rename) drops these triggers with
the old table and must create them again; tests/audit checks they are there at head.

Revision ID: 9d3a51c7e2f4
Revises: 33fc92e55e0d
Create Date: 2026-12-01 06:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9d3a51c7e2f4"
down_revision: str | None = "33fc92e55e0d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = {
    "audit_events_refuse_update": (
        "CREATE TRIGGER audit_events_refuse_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END"
    ),
    "audit_events_refuse_delete": (
        "CREATE TRIGGER audit_events_refuse_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END"
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
