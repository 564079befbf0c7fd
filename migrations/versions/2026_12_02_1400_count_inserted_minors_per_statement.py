"""On PostgreSQL, count inserted minors once per statement: the list totals' ``minor_counts`` and the statistics'
``minor_tallies`` follow an INSERT into ``minors`` by statement-level triggers over the statement's new rows (a
transition table, ``REFERENCING NEW TABLE``), instead of one row-level trigger call per inserted row (issue 19:
an import's multi-row inserts).

Why: a row-level trigger updates the same few counter rows once per inserted minor. In one transaction each such
update leaves a row version that cannot be cleaned up before the commit, and the next update walks past all of
them: 50,000 registrations in one import made that quadratic (most of a 338 s commit). Per statement, a counter
row is updated once per statement of up to 1,000 rows. A single registration is a statement of one row and is
counted as before. Updates (edits, moves, verification) and deletions keep their row-level triggers: PostgreSQL
allows no transition table on a trigger limited to some columns (``UPDATE OF``), and those come one at a time.

SQLite has only row-level triggers; there an update of a counter row is done in place and costs the same each
time, so its triggers stay as they are.

Revision ID: 5d2c9e7f1b80
Revises: 8d4e7a1c2b36
Create Date: 2026-12-02 14:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d2c9e7f1b80"
down_revision: str | None = "8d4e7a1c2b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tallies' key (as migration 3f8b2d6e1a57 left it). The statements below are put together from these
# constants only (hence the S608 exemption).
TALLY_KEY = "unit_id, unit_role, status, verification_status, kind, code"

UPGRADE = [
    # Counts: one upsert per (unit, status) the statement's rows fall in, in a fixed order so that two writers
    # cannot deadlock (the order of ``minor_counts_track``'s moves: the unit, then the status).
    """
    CREATE FUNCTION minor_counts_track_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO minor_counts AS counts (managing_unit_id, status, n)
        SELECT managing_unit_id, status, count(*)::integer FROM inserted_minors
        GROUP BY managing_unit_id, status
        ORDER BY managing_unit_id::text, status
        ON CONFLICT (managing_unit_id, status) DO UPDATE SET n = counts.n + EXCLUDED.n;
        RETURN NULL;
    END
    $$
    """,
    # Tallies: ``minor_tallies_track``'s keys of each new row (``minor_tally_keys``), counted over the statement.
    f"""
    CREATE FUNCTION minor_tallies_track_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO minor_tallies AS tally ({TALLY_KEY}, n)
        SELECT {TALLY_KEY}, count(*)::integer FROM (
            SELECT keys.*
            FROM inserted_minors AS minor
            CROSS JOIN LATERAL minor_tally_keys(
                minor.managing_unit_id, minor.school_id, minor.status, minor.risk_level, minor.risk_categories,
                minor.verification_status
            ) AS keys
        ) AS new_keys
        GROUP BY {TALLY_KEY}
        ORDER BY {TALLY_KEY}
        ON CONFLICT ({TALLY_KEY}) DO UPDATE SET n = tally.n + EXCLUDED.n;
        RETURN NULL;
    END
    $$
    """,  # noqa: S608
    "DROP TRIGGER minor_counts_on_insert_or_delete ON minors",
    "DROP TRIGGER minor_tallies_on_insert_or_delete ON minors",
    "CREATE TRIGGER minor_counts_on_delete AFTER DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_counts_track()",
    "CREATE TRIGGER minor_tallies_on_delete AFTER DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_tallies_track()",
    "CREATE TRIGGER minor_counts_on_insert AFTER INSERT ON minors REFERENCING NEW TABLE AS inserted_minors "
    "FOR EACH STATEMENT EXECUTE FUNCTION minor_counts_track_inserted()",
    "CREATE TRIGGER minor_tallies_on_insert AFTER INSERT ON minors REFERENCING NEW TABLE AS inserted_minors "
    "FOR EACH STATEMENT EXECUTE FUNCTION minor_tallies_track_inserted()",
]

DOWNGRADE = [
    "DROP TRIGGER minor_counts_on_insert ON minors",
    "DROP TRIGGER minor_tallies_on_insert ON minors",
    "DROP TRIGGER minor_counts_on_delete ON minors",
    "DROP TRIGGER minor_tallies_on_delete ON minors",
    "DROP FUNCTION minor_counts_track_inserted()",
    "DROP FUNCTION minor_tallies_track_inserted()",
    "CREATE TRIGGER minor_counts_on_insert_or_delete AFTER INSERT OR DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_counts_track()",
    "CREATE TRIGGER minor_tallies_on_insert_or_delete AFTER INSERT OR DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_tallies_track()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
