"""Tally provisional records (待核实, no ID number yet) apart from confirmed persons: the statistics' counters get
a ``verification_status`` in their key, so school and regional statistics and the dashboard count confirmed
persons only and can still say how many provisional records there are (issue 17, docs/statistics.md).

The counters are derived data: the table is dropped and made again with the new key, recounted from the minors
there, and the triggers on ``minors`` are made again to fill the new key (they also follow a verify and a merge,
which change ``verification_status``). The list totals' ``minor_counts`` stay as they are: lists show provisional
records.

Revision ID: 3f8b2d6e1a57
Revises: 3f6b2d8e91a4
Create Date: 2026-12-02 12:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8b2d6e1a57"
down_revision: str | None = "3f6b2d8e91a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statements below are put together from these constants only (hence the S608 exemptions). ``apart`` is the
# new shape (with ``verification_status``), the old one is made again by the downgrade.


def _key(apart: bool) -> str:
    return (
        "unit_id, unit_role, status, verification_status, kind, code"
        if apart
        else ("unit_id, unit_role, status, kind, code")
    )


def _tracked(apart: bool) -> tuple[str, ...]:
    base = ("managing_unit_id", "school_id", "status", "risk_level", "risk_categories")
    return (*base, "verification_status") if apart else base


def _postgres_triggers(apart: bool) -> list[str]:
    key = _key(apart)
    tracked = _tracked(apart)
    verification_param = ", verification text" if apart else ""
    verification_out = ", verification_status text" if apart else ""
    verification_value = ", verification" if apart else ""

    def row(version: str) -> str:
        extra = f", {version}.verification_status" if apart else ""
        return (
            f"{version}.managing_unit_id, {version}.school_id, {version}.status, {version}.risk_level, "
            f"{version}.risk_categories{extra}"
        )

    return [
        f"""
        CREATE FUNCTION minor_tally_keys(
            managing uuid, school uuid, minor_status text, level text, categories jsonb{verification_param}
        ) RETURNS TABLE (unit_id uuid, unit_role text, status text{verification_out}, kind text, code text)
        LANGUAGE sql IMMUTABLE AS $$
            SELECT units.unit_id, units.unit_role, minor_status{verification_value}, keys.kind, keys.code
            FROM (VALUES (managing, 'managing'), (school, 'school')) AS units (unit_id, unit_role)
            CROSS JOIN (
                SELECT 'risk_level', level
                UNION
                SELECT 'risk_category', category FROM jsonb_array_elements_text(categories) AS category
            ) AS keys (kind, code)
            WHERE units.unit_id IS NOT NULL
        $$
        """,  # noqa: S608
        f"""
        CREATE FUNCTION minor_tallies_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- One statement for the old and the new counters, in a fixed order, so that two writers touching
            -- the same counters cannot deadlock.
            INSERT INTO minor_tallies AS tally ({key}, n)
            SELECT {key}, sum(delta)::integer FROM (
                SELECT old_keys.*, -1 AS delta
                FROM minor_tally_keys({row("OLD")}) AS old_keys
                WHERE TG_OP <> 'INSERT'
                UNION ALL
                SELECT new_keys.*, 1
                FROM minor_tally_keys({row("NEW")}) AS new_keys
                WHERE TG_OP <> 'DELETE'
            ) AS changes
            GROUP BY {key}
            HAVING sum(delta) <> 0
            ORDER BY {key}
            ON CONFLICT ({key}) DO UPDATE SET n = tally.n + EXCLUDED.n;
            RETURN NULL;
        END
        $$
        """,  # noqa: S608
        "CREATE TRIGGER minor_tallies_on_insert_or_delete AFTER INSERT OR DELETE ON minors "
        "FOR EACH ROW EXECUTE FUNCTION minor_tallies_track()",
        f"CREATE TRIGGER minor_tallies_on_change AFTER UPDATE OF {', '.join(tracked)} ON minors FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{column} IS DISTINCT FROM NEW.{column}' for column in tracked)}) "
        "EXECUTE FUNCTION minor_tallies_track()",
    ]


def _postgres_backfill(apart: bool) -> str:
    key = _key(apart)
    keys = ", ".join(f"keys.{column.strip()}" for column in key.split(","))
    extra = ", minors.verification_status" if apart else ""
    return f"""
        INSERT INTO minor_tallies ({key}, n)
        SELECT {keys}, count(*)
        FROM minors
        CROSS JOIN LATERAL minor_tally_keys(
            minors.managing_unit_id, minors.school_id, minors.status, minors.risk_level, minors.risk_categories{extra}
        ) AS keys
        GROUP BY {keys}
    """  # noqa: S608


def _sqlite_keys(apart: bool, row: str, delta: int) -> str:
    """The counters of one version of a row (``NEW`` or ``OLD``), each with ``delta``. SQLite allows no common
    table expressions inside triggers, hence the nested selects."""
    verification = f" {row}.verification_status AS verification_status," if apart else ""
    return f"""
        SELECT units.unit_id, units.unit_role, {row}.status AS status,{verification} keys.kind, keys.code,
            {delta} AS delta
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


def _sqlite_apply(apart: bool, *changes: str) -> str:
    key = _key(apart)
    return f"""
        INSERT INTO minor_tallies ({key}, n)
        SELECT {key}, sum(delta) FROM ({" UNION ALL ".join(changes)}) WHERE true
        GROUP BY {key} HAVING sum(delta) <> 0
        ON CONFLICT ({key}) DO UPDATE SET n = n + excluded.n;
    """  # noqa: S608


def _sqlite_triggers(apart: bool) -> list[str]:
    tracked = _tracked(apart)
    return [
        "CREATE TRIGGER minor_tallies_on_insert AFTER INSERT ON minors "
        f"BEGIN {_sqlite_apply(apart, _sqlite_keys(apart, 'NEW', 1))} END",
        "CREATE TRIGGER minor_tallies_on_delete AFTER DELETE ON minors "
        f"BEGIN {_sqlite_apply(apart, _sqlite_keys(apart, 'OLD', -1))} END",
        f"CREATE TRIGGER minor_tallies_on_change AFTER UPDATE OF {', '.join(tracked)} ON minors "
        f"WHEN {' OR '.join(f'OLD.{column} IS NOT NEW.{column}' for column in tracked)} "
        f"BEGIN {_sqlite_apply(apart, _sqlite_keys(apart, 'OLD', -1), _sqlite_keys(apart, 'NEW', 1))} END",
    ]


def _sqlite_backfill(apart: bool) -> str:
    key = _key(apart)
    verification = " m.verification_status," if apart else ""
    return f"""
        INSERT INTO minor_tallies ({key}, n)
        SELECT {key}, count(*) FROM (
            SELECT DISTINCT minor_id, {key} FROM (
                SELECT m.id AS minor_id, m.managing_unit_id AS unit_id, 'managing' AS unit_role, m.status,
                    {verification} 'risk_level' AS kind, m.risk_level AS code FROM minors AS m
                UNION ALL SELECT m.id, m.school_id, 'school', m.status,{verification} 'risk_level', m.risk_level
                    FROM minors AS m
                UNION ALL SELECT m.id, m.managing_unit_id, 'managing', m.status,{verification} 'risk_category',
                    category.value FROM minors AS m, json_each(m.risk_categories) AS category
                UNION ALL SELECT m.id, m.school_id, 'school', m.status,{verification} 'risk_category',
                    category.value FROM minors AS m, json_each(m.risk_categories) AS category
            ) WHERE unit_id IS NOT NULL
        ) GROUP BY {key}
    """  # noqa: S608


def _drop_counters() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minor_tallies_on_change ON minors")
        op.execute("DROP TRIGGER IF EXISTS minor_tallies_on_insert_or_delete ON minors")
        op.execute("DROP FUNCTION IF EXISTS minor_tallies_track()")
        op.execute("DROP FUNCTION IF EXISTS minor_tally_keys(uuid, uuid, text, text, jsonb)")
        op.execute("DROP FUNCTION IF EXISTS minor_tally_keys(uuid, uuid, text, text, jsonb, text)")
    else:
        for name in ("minor_tallies_on_change", "minor_tallies_on_delete", "minor_tallies_on_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("minor_tallies")


def _make_counters(apart: bool) -> None:
    columns = [
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("unit_role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
    ]
    if apart:
        columns.append(sa.Column("verification_status", sa.String(length=20), nullable=False))
    columns += [
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    ]
    op.create_table(
        "minor_tallies",
        *columns,
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_minor_tallies_unit_id_units")),
        sa.PrimaryKeyConstraint(
            *(column.strip() for column in _key(apart).split(",")), name=op.f("pk_minor_tallies")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgres_triggers(apart):
            op.execute(statement)
        op.execute(_postgres_backfill(apart))
    else:
        op.execute(_sqlite_backfill(apart))
        for statement in _sqlite_triggers(apart):
            op.execute(statement)


def upgrade() -> None:
    _drop_counters()
    _make_counters(apart=True)


def downgrade() -> None:
    _drop_counters()
    _make_counters(apart=False)
