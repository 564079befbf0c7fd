"""Sum each care file's timeline per Beijing calendar month (contacts made, urine tests done), a row per file and
year, kept by a trigger, so that the rates read a row or two per file rather than every entry (issue 18,
performance).

Revision ID: 3f8b2d6c1e47
Revises: 3f8b2d6e1a57
Create Date: 2026-12-02 13:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8b2d6c1e47"
down_revision: str | None = "3f8b2d6e1a57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS = range(1, 13)
COUNTERS = [f"contacts_{m:02d}" for m in MONTHS] + [f"urine_tests_{m:02d}" for m in MONTHS]

# What an entry adds to its month. A contact: any kind but a note, made (contact_succeeded). A urine test done:
# negative or positive (a refusal is recorded, but no test was made). Written out here, not imported, so that
# the migration keeps meaning what it meant when the codes change.
CONTACT = "CASE WHEN {e}.kind <> 'note' AND {e}.contact_succeeded THEN 1 ELSE 0 END"
URINE = "CASE WHEN {e}.kind = 'urine_test' AND {e}.urine_result IN ('negative', 'positive') THEN 1 ELSE 0 END"

# An entry's Beijing year and month (UTC+8 all year, as backend.db says).
YEAR = {
    "postgresql": "CAST(EXTRACT(YEAR FROM {e}.occurred_at AT TIME ZONE 'Asia/Shanghai') AS INTEGER)",
    "sqlite": "CAST(strftime('%Y', {e}.occurred_at, '+8 hours') AS INTEGER)",
}
MONTH = {
    "postgresql": "CAST(EXTRACT(MONTH FROM {e}.occurred_at AT TIME ZONE 'Asia/Shanghai') AS INTEGER)",
    "sqlite": "CAST(strftime('%m', {e}.occurred_at, '+8 hours') AS INTEGER)",
}


def _effect(dialect: str, entry: str, sign: str) -> str:
    return (
        f"SELECT {entry}.care_file_id AS care_file_id, {YEAR[dialect].format(e=entry)} AS year, "
        f"{MONTH[dialect].format(e=entry)} AS month, "
        f"{sign} * {CONTACT.format(e=entry)} AS contacts, {sign} * {URINE.format(e=entry)} AS urine_tests"
    )


def _spread() -> str:
    """Each effect summed into its month's two counters, grouped per file and year."""
    return ", ".join(
        [f"sum(CASE WHEN month = {m} THEN contacts ELSE 0 END)" for m in MONTHS]
        + [f"sum(CASE WHEN month = {m} THEN urine_tests ELSE 0 END)" for m in MONTHS]
    )


def _track(dialect: str) -> str:
    """The upsert run for each new entry: its own effect, and the corrected entry's taken back (one row per
    year, grouped, as an upsert may touch a row once)."""
    added = ", ".join(f"{name} = care_file_years.{name} + excluded.{name}" for name in COUNTERS)
    return f"""
        INSERT INTO care_file_years (care_file_id, year, {", ".join(COUNTERS)})
        SELECT care_file_id, year, {_spread()} FROM (
            {_effect(dialect, "NEW", "1")}
            UNION ALL
            {_effect(dialect, "corrected", "-1")} FROM care_entries AS corrected WHERE corrected.id = NEW.corrects_id
        ) AS effect
        WHERE contacts <> 0 OR urine_tests <> 0
        GROUP BY care_file_id, year
        ON CONFLICT (care_file_id, year) DO UPDATE SET {added};
    """  # noqa: S608


def _backfill(dialect: str) -> str:
    """Every file's years from the entries already written: an entry counts unless it has been corrected."""
    return f"""
        INSERT INTO care_file_years (care_file_id, year, {", ".join(COUNTERS)})
        SELECT care_file_id, year, {_spread()} FROM (
            {_effect(dialect, "entry", "1")} FROM care_entries AS entry
            WHERE NOT EXISTS (SELECT 1 FROM care_entries AS correction WHERE correction.corrects_id = entry.id)
        ) AS effect
        WHERE contacts <> 0 OR urine_tests <> 0
        GROUP BY care_file_id, year
    """  # noqa: S608


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "care_file_years",
        sa.Column("care_file_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS),
        sa.ForeignKeyConstraint(
            ["care_file_id"], ["care_files.id"], name=op.f("fk_care_file_years_care_file_id_care_files")
        ),
        sa.PrimaryKeyConstraint("care_file_id", "year", name=op.f("pk_care_file_years")),
    )
    op.execute(_backfill(dialect))
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION care_file_years_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_track(dialect)} RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER care_file_years_on_entry AFTER INSERT ON care_entries "
            "FOR EACH ROW EXECUTE FUNCTION care_file_years_track()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER care_file_years_on_entry AFTER INSERT ON care_entries BEGIN {_track(dialect)} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS care_file_years_on_entry ON care_entries")
        op.execute("DROP FUNCTION IF EXISTS care_file_years_track()")
    else:
        op.execute("DROP TRIGGER IF EXISTS care_file_years_on_entry")
    op.drop_table("care_file_years")
