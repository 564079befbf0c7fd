"""The to-do centre's care-file items come from one statement (``worklist_summary``) which PostgreSQL answers from
the open files' covering index (ix_care_files_open_worklists) instead of reading each file of a township: on the
bench data the heap reads of six count-and-page pairs were 1.5–4 s of a township lead's to-do centre
(docs/benchmarks.md). What the items count is tested with the to-do centre itself (tests/care_files,
tests/transfers)."""

import pytest
import sqlalchemy as sa

from backend.security.principals import Principal
from backend.units.models import Unit
from backend.users.models import User
from backend.workflows import todo


async def test_a_township_leads_care_file_items_are_one_statement_over_the_worklist_index(
    app, county, database
):
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
            if "FROM care_files" in statement:
                seen.append((statement, tuple(parameters or ())))

        sa.event.listen(connection.sync_connection, "before_cursor_execute", record)
        try:
            await todo.todo(session, principal=lead)
        finally:
            sa.event.remove(connection.sync_connection, "before_cursor_execute", record)
        # One statement reads the care files for all the care-file items, not a count and a page for each.
        summaries = [(statement, parameters) for statement, parameters in seen if "in_scope" in statement]
        assert len(summaries) == 1, seen
        assert not [
            statement for statement, _ in seen if "count(*)" in statement and "in_scope" not in statement
        ]
        statement, parameters = summaries[0]
        # The demo county is small enough for a scan to be cheapest: forbid scans of the table, and see whether
        # the plan reads the covering index.
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(
            row[0] for row in await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
    assert "ix_care_files_open_worklists" in plan, plan
