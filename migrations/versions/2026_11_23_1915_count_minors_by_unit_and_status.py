"""Count minors by managing unit and status, kept by triggers, so that list totals over a subtree are cheap.

Revision ID: 5c1e0a7d9b21
Revises: 23ef6a3d02b9
Create Date: 2026-11-23 19:15:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7d9b21"
down_revision: str | None = "23ef6a3d02b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The counters follow every write to minors, whichever code makes it: registration, edits, transfers.
POSTGRES_TRIGGERS = [
    """
    CREATE FUNCTION minor_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- A move touches two counters: take them in a fixed order so that two opposite moves cannot deadlock.
        IF TG_OP = 'UPDATE' AND (NEW.managing_unit_id::text, NEW.status) < (OLD.managing_unit_id::text, OLD.status)
        THEN
            INSERT INTO minor_counts (managing_unit_id, status, n) VALUES (NEW.managing_unit_id, NEW.status, 1)
            ON CONFLICT (managing_unit_id, status) DO UPDATE SET n = minor_counts.n + 1;
            UPDATE minor_counts SET n = n - 1
            WHERE managing_unit_id = OLD.managing_unit_id AND status = OLD.status;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE minor_counts SET n = n - 1
            WHERE managing_unit_id = OLD.managing_unit_id AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO minor_counts (managing_unit_id, status, n) VALUES (NEW.managing_unit_id, NEW.status, 1)
            ON CONFLICT (managing_unit_id, status) DO UPDATE SET n = minor_counts.n + 1;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER minor_counts_on_insert_or_delete AFTER INSERT OR DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_counts_track()",
    "CREATE TRIGGER minor_counts_on_move AFTER UPDATE OF managing_unit_id, status ON minors FOR EACH ROW "
    "WHEN (OLD.managing_unit_id IS DISTINCT FROM NEW.managing_unit_id OR OLD.status IS DISTINCT FROM NEW.status) "
    "EXECUTE FUNCTION minor_counts_track()",
]

_SQLITE_ADD = """
    INSERT OR IGNORE INTO minor_counts (managing_unit_id, status, n) VALUES (NEW.managing_unit_id, NEW.status, 0);
    UPDATE minor_counts SET n = n + 1 WHERE managing_unit_id = NEW.managing_unit_id AND status = NEW.status;
"""
_SQLITE_REMOVE = """
    UPDATE minor_counts SET n = n - 1 WHERE managing_unit_id = OLD.managing_unit_id AND status = OLD.status;
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER minor_counts_on_insert AFTER INSERT ON minors BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER minor_counts_on_delete AFTER DELETE ON minors BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER minor_counts_on_move AFTER UPDATE OF managing_unit_id, status ON minors "
    "WHEN OLD.managing_unit_id IS NOT NEW.managing_unit_id OR OLD.status IS NOT NEW.status "
    f"BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
]


def upgrade() -> None:
    op.create_table(
        "minor_counts",
        sa.Column("managing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["managing_unit_id"], ["units.id"], name=op.f("fk_minor_counts_managing_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("managing_unit_id", "status", name=op.f("pk_minor_counts")),
    )
    op.execute(
        "INSERT INTO minor_counts (managing_unit_id, status, n) "
        "SELECT managing_unit_id, status, count(*) FROM minors GROUP BY managing_unit_id, status"
    )
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minor_counts_on_move ON minors")
        op.execute("DROP TRIGGER IF EXISTS minor_counts_on_insert_or_delete ON minors")
        op.execute("DROP FUNCTION IF EXISTS minor_counts_track()")
    else:
        for name in ("minor_counts_on_move", "minor_counts_on_delete", "minor_counts_on_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("minor_counts")
