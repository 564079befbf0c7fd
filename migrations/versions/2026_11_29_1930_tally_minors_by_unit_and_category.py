"""Tally minors by unit (managing unit, and school), status, risk level and risk category, kept by triggers, so
that statistics over a county add up a few tens of thousands of counters instead of reading every minor.

Each minor counts once under its managing unit and once under its school (if any), for its status: in its risk
level's counter and in each of its categories' counters.

Revision ID: 07116dc6252e
Revises: 2b3187ddcb7a
Create Date: 2026-11-29 19:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "07116dc6252e"
down_revision: str | None = "2b3187ddcb7a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statements below are put together from these constants only (hence the S608 exemptions).
KEY = "unit_id, unit_role, status, kind, code"
TRACKED = ("managing_unit_id", "school_id", "status", "risk_level", "risk_categories")

POSTGRES_TRIGGERS = [
    # The counters one version of a minor row stands in.
    """
    CREATE FUNCTION minor_tally_keys(
        managing uuid, school uuid, minor_status text, level text, categories jsonb
    ) RETURNS TABLE (unit_id uuid, unit_role text, status text, kind text, code text)
    LANGUAGE sql IMMUTABLE AS $$
        SELECT units.unit_id, units.unit_role, minor_status, keys.kind, keys.code
        FROM (VALUES (managing, 'managing'), (school, 'school')) AS units (unit_id, unit_role)
        CROSS JOIN (
            SELECT 'risk_level', level
            UNION
            SELECT 'risk_category', category FROM jsonb_array_elements_text(categories) AS category
        ) AS keys (kind, code)
        WHERE units.unit_id IS NOT NULL
    $$
    """,
    f"""
    CREATE FUNCTION minor_tallies_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- One statement for the old and the new counters, in a fixed order, so that two writers touching the
        -- same counters cannot deadlock.
        INSERT INTO minor_tallies AS tally ({KEY}, n)
        SELECT {KEY}, sum(delta)::integer FROM (
            SELECT old_keys.*, -1 AS delta
            FROM minor_tally_keys(
                OLD.managing_unit_id, OLD.school_id, OLD.status, OLD.risk_level, OLD.risk_categories
            ) AS old_keys
            WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT new_keys.*, 1
            FROM minor_tally_keys(
                NEW.managing_unit_id, NEW.school_id, NEW.status, NEW.risk_level, NEW.risk_categories
            ) AS new_keys
            WHERE TG_OP <> 'DELETE'
        ) AS changes
        GROUP BY {KEY}
        HAVING sum(delta) <> 0
        ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = tally.n + EXCLUDED.n;
        RETURN NULL;
    END
    $$
    """,  # noqa: S608
    "CREATE TRIGGER minor_tallies_on_insert_or_delete AFTER INSERT OR DELETE ON minors "
    "FOR EACH ROW EXECUTE FUNCTION minor_tallies_track()",
    f"CREATE TRIGGER minor_tallies_on_change AFTER UPDATE OF {', '.join(TRACKED)} ON minors FOR EACH ROW "
    f"WHEN ({' OR '.join(f'OLD.{column} IS DISTINCT FROM NEW.{column}' for column in TRACKED)}) "
    "EXECUTE FUNCTION minor_tallies_track()",
]
POSTGRES_BACKFILL = f"""
    INSERT INTO minor_tallies ({KEY}, n)
    SELECT keys.unit_id, keys.unit_role, keys.status, keys.kind, keys.code, count(*)
    FROM minors
    CROSS JOIN LATERAL minor_tally_keys(
        minors.managing_unit_id, minors.school_id, minors.status, minors.risk_level, minors.risk_categories
    ) AS keys
    GROUP BY keys.unit_id, keys.unit_role, keys.status, keys.kind, keys.code
"""  # noqa: S608


def _sqlite_keys(row: str, delta: int) -> str:
    """The counters of one version of a row (``NEW``, ``OLD`` or a table alias), each with ``delta``.
    SQLite allows no common table expressions inside triggers, hence the nested selects."""
    return f"""
        SELECT units.unit_id, units.unit_role, {row}.status AS status, keys.kind, keys.code, {delta} AS delta
        FROM (
            SELECT {row}.managing_unit_id AS unit_id, 'managing' AS unit_role
            UNION ALL SELECT {row}.school_id, 'school'
        ) AS units
        CROSS JOIN (
            SELECT 'risk_level' AS kind, {row}.risk_level AS code
            UNION SELECT 'risk_category', value FROM json_each({row}.risk_categories)
        ) AS keys
        WHERE units.unit_id IS NOT NULL
    """  # noqa: S608


def _sqlite_apply(*changes: str) -> str:
    return f"""
        INSERT INTO minor_tallies ({KEY}, n)
        SELECT {KEY}, sum(delta) FROM ({" UNION ALL ".join(changes)}) WHERE true
        GROUP BY {KEY} HAVING sum(delta) <> 0
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n;
    """  # noqa: S608


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER minor_tallies_on_insert AFTER INSERT ON minors BEGIN {_sqlite_apply(_sqlite_keys('NEW', 1))} END",
    f"CREATE TRIGGER minor_tallies_on_delete AFTER DELETE ON minors BEGIN {_sqlite_apply(_sqlite_keys('OLD', -1))} END",
    f"CREATE TRIGGER minor_tallies_on_change AFTER UPDATE OF {', '.join(TRACKED)} ON minors "
    f"WHEN {' OR '.join(f'OLD.{column} IS NOT NEW.{column}' for column in TRACKED)} "
    f"BEGIN {_sqlite_apply(_sqlite_keys('OLD', -1), _sqlite_keys('NEW', 1))} END",
]
SQLITE_BACKFILL = f"""
    INSERT INTO minor_tallies ({KEY}, n)
    SELECT {KEY}, count(*) FROM (
        SELECT DISTINCT minor_id, {KEY} FROM (
            SELECT m.id AS minor_id, m.managing_unit_id AS unit_id, 'managing' AS unit_role, m.status,
                'risk_level' AS kind, m.risk_level AS code FROM minors AS m
            UNION ALL SELECT m.id, m.school_id, 'school', m.status, 'risk_level', m.risk_level FROM minors AS m
            UNION ALL SELECT m.id, m.managing_unit_id, 'managing', m.status, 'risk_category', category.value
                FROM minors AS m, json_each(m.risk_categories) AS category
            UNION ALL SELECT m.id, m.school_id, 'school', m.status, 'risk_category', category.value
                FROM minors AS m, json_each(m.risk_categories) AS category
        ) WHERE unit_id IS NOT NULL
    ) GROUP BY {KEY}
"""  # noqa: S608


def upgrade() -> None:
    op.create_table(
        "minor_tallies",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("unit_role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_minor_tallies_unit_id_units")),
        sa.PrimaryKeyConstraint(
            "unit_id", "unit_role", "status", "kind", "code", name=op.f("pk_minor_tallies")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
        op.execute(POSTGRES_BACKFILL)
    else:
        op.execute(SQLITE_BACKFILL)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minor_tallies_on_change ON minors")
        op.execute("DROP TRIGGER IF EXISTS minor_tallies_on_insert_or_delete ON minors")
        op.execute("DROP FUNCTION IF EXISTS minor_tallies_track()")
        op.execute("DROP FUNCTION IF EXISTS minor_tally_keys(uuid, uuid, text, text, jsonb)")
    else:
        for name in ("minor_tallies_on_change", "minor_tallies_on_delete", "minor_tallies_on_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("minor_tallies")
