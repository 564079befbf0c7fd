"""The to-do centre is one statement (``pagination.run_summaries`` over every domain's lists), whose care-file part
PostgreSQL answers from the open files' covering index (ix_care_files_open_worklists) instead of reading each file
of a township: on the bench data the heap reads of six count-and-page pairs were 1.5–4 s of a township lead's
to-do centre, and each further statement a round trip on a busy machine (docs/benchmarks.md). What the items count
is tested with the to-do centre itself (tests/care_files, tests/transfers, tests/workflows/test_todo_counts.py)."""

import pytest
import sqlalchemy as sa

from backend.security.principals import Principal
from backend.units.models import Unit
from backend.users.models import User
from backend.workflows import todo


async def test_a_township_leads_to_do_centre_is_one_statement_over_the_worklist_index(app, county, database):
    if database != "postgresql":
        pytest.skip("a PostgreSQL query plan")
    # The table as autovacuum keeps it (statistics, visibility map): the suite empties it by DELETE between tests.
    async with app.state.engine.connect() as maintenance:
        await maintenance.execution_options(isolation_level="AUTOCOMMIT")
        await maintenance.exec_driver_sql("VACUUM ANALYZE care_files")
    async with app.state.sessionmaker() as session:
        user, path, kind = (
            await session.execute(
                sa.select(User, Unit.path, Unit.kind)
                .join(Unit, Unit.id == User.unit_id)
                .where(User.username == "jinhu_lead")
            )
        ).one()
        lead = Principal.of_user(user, unit_path=path, unit_kind=kind)
        connection = await session.connection()
        seen: list[tuple[str, tuple]] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            seen.append((statement, tuple(parameters or ())))

        sa.event.listen(connection.sync_connection, "before_cursor_execute", record)
        try:
            await todo.todo(session, principal=lead)
        finally:
            sa.event.remove(connection.sync_connection, "before_cursor_execute", record)
        # One statement for all the items (care files, notices, transfers, reports, the registry), not a count
        # and a page for each.
        assert len(seen) == 1, seen
        statement, parameters = seen[0]
        for table in ("care_files", "seizure_notices", "transfers", "task_reports", "minors"):
            assert f"FROM {table}" in statement, table
        # The demo county is small enough for a scan to be cheapest: forbid scans of the table, and see whether
        # the plan reads the covering index.
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(
            row[0] for row in await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
    assert "ix_care_files_open_worklists" in plan, plan
