"""Per-unit tallies behind the rates (issue 18, performance): the county's ``GET /stats/rates`` adds up a few rows
per unit instead of reading a million care files. Four tables, each kept by database triggers on ``care_files``
and ``care_file_years`` whichever code writes them, and filled here from the rows already there:

- ``rate_file_spans``: care files per managing unit, by the whole Beijing calendar months they span (first whole
  month from the day opened, last whole month up to the day closed, ``OPEN_END`` while not closed) and the
  plan's urine-test interval. Gives 帮教率's denominator and the urine tests required, for any period.
- ``rate_contact_runs``: per unit and month, the files with a contact that month, by where their run of months
  with a contact began (``run_from``; a run reaching back to the file's first whole month, or further than 11
  months, is written ``month - 11``) and whether the month is the file's last whole one (``closes``). A file
  had a contact in every whole month of a period ``P1``–``P2`` (at most 12 months) exactly when it has a row at
  its last month in the period (``P2``, or its closing month) with ``run_from <= P1``: 帮教率's numerator.
- ``rate_urine_credits``: per unit and period of whole months (``period_first``–``period_last``, at most 12),
  the urine tests done by the files, each file counted up to what its plan requires in its part of the period
  — the capped sum 尿检率 needs, which no per-month total can give. Only files with tests have rows.
- ``rate_open_files``: the open files per unit (``open``), with a lead worker (``lead``), by next due day
  (``due``) and by the day they count as lost (``lost``; ``LOST_ALWAYS`` after two failed attempts), each of
  the two also by that day's month (``due_month``, ``lost_month``: day = the month's first day): the overdue,
  lost and lead-worker figures as of today, from the months before this one and the days of this one.

Each trigger takes back what the file's rows gave before the change and adds what they give after it, in one
upsert ordered by key (two writers touching the same tallies cannot deadlock). docs/statistics.md explains
the formulas; backend/stats/rates.py reads the tables.

Revision ID: 6c2e9a4f7d18
Revises: 5c1e9a7d3b20
Create Date: 2026-12-02 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c2e9a4f7d18"
down_revision: str | None = "5c1e9a7d3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported, so that the migration keeps meaning what it meant when the code changes (the
# statements below are put together from these constants only, hence the S608 exemptions).
OPEN_END = 99999  # last_month of a file that is not closed: later than any month asked for
LONGEST_RUN = 11  # a period of at most 366 days has at most 12 whole months: P1 >= P2 - 11
LOST_ALWAYS = "1970-01-01"  # rate_open_files.day of a file lost by failed attempts, whatever the day
NO_DAY = "1970-01-01"  # rate_open_files.day of the open and lead tallies
OPEN_STATUSES = "('open', 'closure_requested')"
LOST_AFTER_FAILED_ATTEMPTS = 2
MONTHS = range(1, 13)
CONTACTS = [f"contacts_{m:02d}" for m in MONTHS]
URINE_TESTS = [f"urine_tests_{m:02d}" for m in MONTHS]
YEAR_COLUMNS = ["care_file_id", "year", *CONTACTS, *URINE_TESTS]

TABLES = {
    "rate_file_spans": ("last_month", "first_month", "unit_id", "urine_interval"),
    "rate_contact_runs": ("month", "closes", "run_from", "unit_id"),
    "rate_urine_credits": ("period_first", "period_last", "unit_id"),
    "rate_open_files": ("kind", "day", "unit_id"),
}
COUNTER = {
    "rate_file_spans": "files",
    "rate_contact_runs": "files",
    "rate_urine_credits": "tests",
    "rate_open_files": "files",
}


def _local(dialect: str, column: str, part: str, shift: str = "") -> str:
    """A part (Y, m, d) of a timestamp's Beijing calendar day, as an integer; ``shift`` a day later ('+1 day')."""
    if dialect == "postgresql":
        name = {"Y": "YEAR", "m": "MONTH", "d": "DAY"}[part]
        extra = " + INTERVAL '1 day'" if shift else ""
        return f"CAST(EXTRACT({name} FROM ({column} AT TIME ZONE 'Asia/Shanghai'){extra}) AS INTEGER)"
    extra = f", '{shift}'" if shift else ""
    return f"CAST(strftime('%{part}', {column}, '+8 hours'{extra}) AS INTEGER)"


def _month_of(dialect: str, column: str) -> str:
    """A timestamp's Beijing calendar month as a number: year × 12 + month − 1."""
    return f"({_local(dialect, column, 'Y')} * 12 + {_local(dialect, column, 'm')} - 1)"


def _first_day(dialect: str, month: str) -> str:
    """The day number of a month number's first day (a constant offset from days since 1970-01-01)."""
    if dialect == "postgresql":
        return f"(make_date(({month}) / 12, ({month}) % 12 + 1, 1) - DATE '1970-01-01')"
    return f"CAST(julianday(printf('%04d-%02d-01', ({month}) / 12, ({month}) % 12 + 1)) AS INTEGER)"


def _spans(dialect: str, row: str, source: str = "") -> str:
    """One row per care file (``row`` a version of it: OLD, NEW, or an alias read from ``source``): its managing
    unit, its first and last whole months, the plan's urine-test interval (0 for none)."""
    first = f"{_month_of(dialect, f'{row}.opened_at')} + CASE WHEN {_local(dialect, f'{row}.opened_at', 'd')} = 1 THEN 0 ELSE 1 END"
    last_day = f"{_local(dialect, f'{row}.closed_at', 'd', '+1 day')} = 1"
    last = (
        f"CASE WHEN {row}.status = 'closed' AND {row}.closed_at IS NOT NULL "
        f"THEN {_month_of(dialect, f'{row}.closed_at')} - CASE WHEN {last_day} THEN 0 ELSE 1 END ELSE {OPEN_END} END"
    )
    return (
        f"SELECT {row}.id AS file_id, {row}.managing_unit_id AS unit_id, {first} AS first_month, {last} AS last_month, "
        f"CASE WHEN {row}.urine_test_interval_days > 0 THEN {row}.urine_test_interval_days ELSE 0 END "
        f"AS urine_interval {source}"
    )


def _numbers(first: int, last: int) -> str:
    return " UNION ALL ".join(f"SELECT {n} AS k" for n in range(first, last + 1))


def _months(years: str) -> str:
    """The rows of ``years`` (care_file_years' columns) a month each: contacts and urine tests done."""
    contacts = " ".join(f"WHEN {m} THEN y.{name}" for m, name in zip(MONTHS, CONTACTS, strict=True))
    tests = " ".join(f"WHEN {m} THEN y.{name}" for m, name in zip(MONTHS, URINE_TESTS, strict=True))
    return (
        f"SELECT y.care_file_id AS file_id, y.year * 12 + n.k - 1 AS month, "  # noqa: S608
        f"CASE n.k {contacts} END AS contacts, CASE n.k {tests} END AS tests "
        f"FROM ({years}) AS y CROSS JOIN ({_numbers(1, 12)}) AS n"
    )


def _file_spans(spans: str) -> str:
    return (
        f"SELECT s.unit_id, s.last_month, s.first_month, s.urine_interval, 1 AS files "  # noqa: S608
        f"FROM ({spans}) AS s WHERE s.first_month <= s.last_month"
    )


def _contact_runs(spans: str, years: str, months: tuple[str, str] | None = None) -> str:
    """A row per file and month with a contact inside the file's whole months; islands of consecutive months
    found by month − row number."""
    within = f" AND c.month BETWEEN {months[0]} AND {months[1]}" if months else ""
    return f"""
        SELECT s.unit_id, c.month,
            CASE WHEN c.month = s.last_month THEN 1 ELSE 0 END AS closes,
            CASE WHEN c.island > s.first_month AND c.island > c.month - {LONGEST_RUN} THEN c.island
                 ELSE c.month - {LONGEST_RUN} END AS run_from,
            1 AS files
        FROM ({spans}) AS s
        JOIN (
            SELECT numbered.file_id, numbered.month,
                min(numbered.month) OVER (PARTITION BY numbered.file_id, numbered.island_key) AS island
            FROM (
                SELECT m.file_id, m.month,
                    m.month - row_number() OVER (PARTITION BY m.file_id ORDER BY m.month) AS island_key
                FROM ({_months(years)}) AS m
                WHERE m.contacts > 0
            ) AS numbered
        ) AS c ON c.file_id = s.file_id
        WHERE c.month BETWEEN s.first_month AND s.last_month{within}
    """  # noqa: S608


def _urine_credits(dialect: str, spans: str, years: str, months: tuple[str, str] | None = None) -> str:
    """Per file and period of whole months holding one of its urine tests (P1 = test month − i, P2 = P1 + j,
    0 <= i <= j <= 11): the tests done in the file's part of the period, up to what its plan requires there."""
    within = f" AND t.month - i.k <= {months[1]} AND t.month - i.k + j.k >= {months[0]}" if months else ""
    start = "CASE WHEN w.period_first > w.first_month THEN w.period_first ELSE w.first_month END"
    end = "CASE WHEN w.period_last < w.last_month THEN w.period_last ELSE w.last_month END"
    required = f"(({_first_day(dialect, f'{end} + 1')} - {_first_day(dialect, start)}) / w.urine_interval)"
    return f"""
        SELECT w.unit_id, w.period_first, w.period_last,
            CASE WHEN w.done < {required} THEN w.done ELSE {required} END AS tests
        FROM (
            SELECT s.unit_id, s.first_month, s.last_month, s.urine_interval,
                t.month - i.k AS period_first, t.month - i.k + j.k AS period_last, sum(t.tests) AS done
            FROM ({spans}) AS s
            JOIN ({_months(years)}) AS t ON t.file_id = s.file_id
            CROSS JOIN ({_numbers(0, LONGEST_RUN)}) AS i
            CROSS JOIN ({_numbers(0, LONGEST_RUN)}) AS j
            WHERE s.urine_interval > 0 AND t.tests <> 0 AND j.k >= i.k
                AND t.month BETWEEN s.first_month AND s.last_month{within}
            GROUP BY s.file_id, s.unit_id, s.first_month, s.last_month, s.urine_interval,
                t.month - i.k, t.month - i.k + j.k
        ) AS w
        WHERE w.done <> 0
    """  # noqa: S608


def _open_files(dialect: str, row: str, source: str = "") -> str:
    """An open file's six tallies: open, with a lead worker, by next due day and by its month, by the day it
    counts as lost and by that day's month."""
    day = (lambda value: f"DATE '{value}'") if dialect == "postgresql" else (lambda value: f"'{value}'")

    def month_of(value: str) -> str:
        if dialect == "postgresql":
            return f"CAST(date_trunc('month', {value}) AS DATE)"
        return f"date({value}, 'start of month')"

    where = f"{source} {'AND' if 'WHERE' in source else 'WHERE'} {row}.status IN {OPEN_STATUSES}"
    lost = (
        f"CASE WHEN {row}.failed_attempts >= {LOST_AFTER_FAILED_ATTEMPTS} THEN {day(LOST_ALWAYS)} "
        f"ELSE {row}.lost_contact_on END"
    )
    unit = f"{row}.managing_unit_id"
    parts = [
        f"SELECT {unit} AS unit_id, 'open' AS kind, {day(NO_DAY)} AS day, 1 AS files {where}",
        f"SELECT {unit}, 'lead', {day(NO_DAY)}, 1 {where} AND {row}.lead_worker_id IS NOT NULL",
        f"SELECT {unit}, 'due', {row}.next_due_on, 1 {where}",
        f"SELECT {unit}, 'due_month', {month_of(f'{row}.next_due_on')}, 1 {where}",
        f"SELECT {unit}, 'lost', {lost}, 1 {where}",
        f"SELECT {unit}, 'lost_month', {month_of(lost)}, 1 {where}",
    ]
    return " UNION ALL ".join(parts)


def _apply(table: str, old: str | None, new: str | None) -> str:
    """One upsert: the tallies ``old`` gave taken back, those ``new`` gives added, net per key, in key order."""
    key = ", ".join(TABLES[table])
    counter = COUNTER[table]
    changes = []
    if old:
        changes.append(f"SELECT {key}, -{counter} AS delta FROM ({old}) AS old_rows")  # noqa: S608
    if new:
        changes.append(f"SELECT {key}, {counter} AS delta FROM ({new}) AS new_rows")  # noqa: S608
    return f"""
        INSERT INTO {table} ({key}, {counter})
        SELECT {key}, sum(delta) FROM ({" UNION ALL ".join(changes)}) AS changes WHERE true
        GROUP BY {key} HAVING sum(delta) <> 0 ORDER BY {key}
        ON CONFLICT ({key}) DO UPDATE SET {counter} = {table}.{counter} + excluded.{counter};
    """  # noqa: S608


def _tallies(dialect: str, table: str, spans: str, years: str, months: tuple[str, str] | None = None) -> str:
    if table == "rate_file_spans":
        return _file_spans(spans)
    if table == "rate_contact_runs":
        return _contact_runs(spans, years, months)
    return _urine_credits(dialect, spans, years, months)


# What each table's tallies are worked out from, and the columns whose change changes them.
FILE_COLUMNS = {
    "rate_file_spans": ("managing_unit_id", "status", "opened_at", "closed_at", "urine_test_interval_days"),
    "rate_contact_runs": ("managing_unit_id", "status", "opened_at", "closed_at"),
    "rate_urine_credits": (
        "managing_unit_id",
        "status",
        "opened_at",
        "closed_at",
        "urine_test_interval_days",
    ),
    "rate_open_files": (
        "managing_unit_id",
        "status",
        "lead_worker_id",
        "next_due_on",
        "lost_contact_on",
        "failed_attempts",
    ),
}
YEAR_TRACKED = {"rate_contact_runs": CONTACTS, "rate_urine_credits": URINE_TESTS}


def _on_file(dialect: str, table: str, event: str) -> str:
    """The statement run when a care file is inserted, updated or deleted."""

    def version(row: str) -> str:
        if table == "rate_open_files":
            return _open_files(dialect, row)
        years = f"SELECT {', '.join(YEAR_COLUMNS)} FROM care_file_years WHERE care_file_id = {row}.id"  # noqa: S608
        return _tallies(dialect, table, _spans(dialect, row), years)

    old = version("OLD") if event in ("UPDATE", "DELETE") else None
    new = version("NEW") if event in ("INSERT", "UPDATE") else None
    return _apply(table, old, new)


def _on_year(dialect: str, table: str, event: str) -> str:
    """SQLite: the statement run when a file's yearly summary row is inserted, updated or deleted (SQLite runs
    a row trigger as each row is written): the tallies of the months and periods that row's year can change
    (its year and the next 11 months), from the rows of the year before to the year after, as they were and as
    they are."""
    row = "OLD" if event == "DELETE" else "NEW"
    spans = _spans(dialect, "f", f"FROM care_files AS f WHERE f.id = {row}.care_file_id")
    nearby = (
        f"SELECT {', '.join(YEAR_COLUMNS)} FROM care_file_years WHERE care_file_id = {row}.care_file_id "  # noqa: S608
        f"AND year BETWEEN {row}.year - 1 AND {row}.year + 1"
    )
    old_row = "SELECT " + ", ".join(f"OLD.{column} AS {column}" for column in YEAR_COLUMNS)
    months = (f"{row}.year * 12", f"{row}.year * 12 + 11 + {LONGEST_RUN}")
    # After the change the table holds the new version of the row: the old one is the others and OLD.
    others = f"{nearby} AND year <> {row}.year"
    old_years = {
        "INSERT": others,
        "UPDATE": f"{others} UNION ALL {old_row}",
        "DELETE": f"{nearby} UNION ALL {old_row}",
    }
    return _apply(
        table,
        _tallies(dialect, table, spans, old_years[event], months),
        _tallies(dialect, table, spans, nearby, months),
    )


def _on_years(dialect: str, table: str, event: str) -> str:
    """PostgreSQL: the statement run once per statement writing yearly summary rows, from the rows it wrote
    (transition tables ``old_rows``, ``new_rows``). PostgreSQL fires row triggers after the whole statement
    has run, so a row trigger would see the statement's other rows already written (an entry and its
    correction in two years, a file's rows deleted together): per statement, every file it touched is
    counted again from all its rows, as they were (the rows it did not write, and those it wrote as they were
    before) and as they are. A change that leaves each month's contacts on the same side of none (or each
    month's tests as they were) touches no tally and is skipped."""
    counters = YEAR_TRACKED[table]
    if event == "UPDATE":
        if table == "rate_contact_runs":
            differs = " OR ".join(f"(o.{column} > 0) <> (n.{column} > 0)" for column in counters)
        else:
            differs = " OR ".join(f"o.{column} <> n.{column}" for column in counters)
        written = (
            "SELECT n.care_file_id, n.year FROM new_rows AS n JOIN old_rows AS o "  # noqa: S608
            f"ON o.care_file_id = n.care_file_id AND o.year = n.year WHERE {differs}"
        )
    else:
        written = f"SELECT care_file_id, year FROM {'new_rows' if event == 'INSERT' else 'old_rows'}"  # noqa: S608
    # Per file, the years written (lo to hi): its tallies of those years' months and the 11 after them, and of
    # the periods holding one of those months, worked out from its rows of the years lo - 1 to hi + 1 — file
    # by file (``written_file``, a PL/pgSQL record), so each read is a look-up by key.
    ranges = (
        f"SELECT care_file_id, min(year) AS lo, max(year) AS hi FROM ({written}) AS w GROUP BY care_file_id"  # noqa: S608
    )
    columns = ", ".join(f"y.{column}" for column in YEAR_COLUMNS)
    nearby = (
        "WHERE y.care_file_id = written_file.care_file_id "
        "AND y.year BETWEEN written_file.lo - 1 AND written_file.hi + 1"
    )
    now = f"SELECT {columns} FROM care_file_years AS y {nearby}"  # noqa: S608
    written_before = f"SELECT {columns} FROM old_rows AS y {nearby}"  # noqa: S608
    untouched = f"{now} AND NOT EXISTS (SELECT 1 FROM new_rows AS n WHERE n.care_file_id = y.care_file_id AND n.year = y.year)"  # noqa: S608
    before = {
        "INSERT": untouched,
        "UPDATE": f"{untouched} UNION ALL {written_before}",
        "DELETE": f"{now} UNION ALL {written_before}",
    }
    spans = _spans(dialect, "f", "FROM care_files AS f WHERE f.id = written_file.care_file_id")
    months = ("written_file.lo * 12", f"written_file.hi * 12 + 11 + {LONGEST_RUN}")
    statement = _apply(
        table,
        _tallies(dialect, table, spans, before[event], months),
        _tallies(dialect, table, spans, now, months),
    )
    return f"FOR written_file IN {ranges} LOOP {statement} END LOOP;"


def _changed(dialect: str, columns: Sequence[str]) -> str:
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in columns)


def _begun_or_ended(columns: Sequence[str]) -> str:
    """A month's contacts went from none to some or back (a second contact changes no run)."""
    return " OR ".join(f"(OLD.{column} > 0) <> (NEW.{column} > 0)" for column in columns)


def _triggers(dialect: str) -> list[tuple[str, str, str, str, str | None]]:
    """(name, table, event, statement, WHEN condition for updates)."""
    triggers = []
    for table, columns in FILE_COLUMNS.items():
        for event in ("INSERT", "UPDATE", "DELETE"):
            when = _changed(dialect, columns) if event == "UPDATE" else None
            name = f"{table}_on_care_file_{event.lower()}"
            triggers.append((name, "care_files", event, _on_file(dialect, table, event), when))
    for table, counters in YEAR_TRACKED.items():
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"{table}_on_care_file_year_{event.lower()}"
            if dialect == "postgresql":  # once per statement, from its transition tables
                triggers.append((name, "care_file_years", event, _on_years(dialect, table, event), None))
                continue
            changed = (
                _begun_or_ended(counters) if table == "rate_contact_runs" else _changed(dialect, counters)
            )
            when = changed if event == "UPDATE" else None
            triggers.append((name, "care_file_years", event, _on_year(dialect, table, event), when))
    return triggers


def _transition_tables(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }[event]


def _backfill(dialect: str) -> list[str]:
    """Every table filled from the files and their yearly summaries already there (the benchmarks run this after
    a bulk load with triggers set aside, as the upgrade does)."""
    spans = _spans(dialect, "f", "FROM care_files AS f")
    years = f"SELECT {', '.join(YEAR_COLUMNS)} FROM care_file_years"  # noqa: S608
    statements = []
    for table in ("rate_file_spans", "rate_contact_runs", "rate_urine_credits"):
        statements.append(_apply(table, None, _tallies(dialect, table, spans, years)))
    statements.append(_apply("rate_open_files", None, _open_files(dialect, "f", "FROM care_files AS f")))
    return statements


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rate_file_spans",
        sa.Column("last_month", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("urine_interval", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_rate_file_spans_unit_id_units")),
        sa.PrimaryKeyConstraint(
            "last_month", "first_month", "unit_id", "urine_interval", name=op.f("pk_rate_file_spans")
        ),
    )
    op.create_table(
        "rate_contact_runs",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("closes", sa.Integer(), nullable=False),
        sa.Column("run_from", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_rate_contact_runs_unit_id_units")),
        sa.PrimaryKeyConstraint("month", "closes", "run_from", "unit_id", name=op.f("pk_rate_contact_runs")),
    )
    op.create_table(
        "rate_urine_credits",
        sa.Column("period_first", sa.Integer(), nullable=False),
        sa.Column("period_last", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_rate_urine_credits_unit_id_units")),
        sa.PrimaryKeyConstraint("period_first", "period_last", "unit_id", name=op.f("pk_rate_urine_credits")),
    )
    op.create_table(
        "rate_open_files",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_rate_open_files_unit_id_units")),
        sa.PrimaryKeyConstraint("kind", "day", "unit_id", name=op.f("pk_rate_open_files")),
    )
    # The few files the tallies cannot judge by today (opened, or closed, after the end of today) are looked up.
    op.create_index("ix_care_files_opened_at", "care_files", ["opened_at"])
    op.create_index("ix_care_files_closed_at", "care_files", ["closed_at"])
    if dialect == "postgresql":
        op.execute("SET LOCAL work_mem = '256MB'")
    for statement in _backfill(dialect):
        op.execute(statement)
    for name, table, event, statement, when in _triggers(dialect):
        condition = f" WHEN ({when})" if when else ""
        if dialect == "postgresql":
            declare = "DECLARE written_file record; " if table == "care_file_years" else ""
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {declare}BEGIN {statement} "
                "RETURN NULL; END $$"
            )
            each = (
                f"{_transition_tables(event)} FOR EACH STATEMENT"
                if table == "care_file_years"
                else "FOR EACH ROW"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} {each}{condition} EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} BEGIN {statement} END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, *_ in _triggers(dialect):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_care_files_closed_at", table_name="care_files")
    op.drop_index("ix_care_files_opened_at", table_name="care_files")
    for table in reversed(TABLES):
        op.drop_table(table)
