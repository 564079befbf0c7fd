"""A lead's care files are found through the indexes on PostgreSQL (docs/benchmarks.md, the to-do centre): the
scope "managed in my subtree or delegated by it" asks both by unit id, so the planner reads the managing unit's
index and the delegated files' index and joins them in a bitmap OR. Written as ``managing path in subtree OR
accountable unit IN (…)`` it tested every care file of the county instead (a scan of a million files for each of
a township lead's to-do counts). What the scope reaches is tested with the delegations (tests/transfers)."""

import pytest
import sqlalchemy as sa

from backend.care_files.models import CareFile
from backend.care_files.service import records
from backend.db import local_today
from backend.security.principals import Principal
from backend.units.models import Unit
from backend.users.models import User


async def test_a_township_leads_overdue_files_are_read_from_the_indexes_not_by_a_scan(app, county, database):
    if database != "postgresql":
        pytest.skip("a PostgreSQL query plan")
    async with app.state.sessionmaker() as session:
        user, path, kind = (
            await session.execute(
                sa.select(User, Unit.path, Unit.kind)
                .join(Unit, Unit.id == User.unit_id)
                .where(User.username == "jinhu_lead")
            )
        ).one()
        lead = Principal.of_user(user, unit_path=path, unit_kind=kind)
        counted = sa.select(sa.func.count()).select_from(
            records.scoped_files()
            .where(records.file_scope(lead), CareFile.next_due_on < local_today())
            .subquery()
        )
        connection = await session.connection()
        compiled = counted.compile(connection.sync_connection)
        parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
        # The demo county is small enough for a scan to be cheapest: forbid it, and see whether a plan without
        # one exists.
        # Statistics as autovacuum keeps them: the suite empties the table by DELETE between tests.
        await connection.exec_driver_sql("ANALYZE care_files")
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0] for row in await connection.exec_driver_sql("EXPLAIN " + compiled.string, parameters)
        )
    assert "Seq Scan on care_files" not in plan, plan
    # Conditions an index can answer (on a county's data: a bitmap OR of the two indexes), not a subplan
    # tested against each file.
    assert "managing_unit_id = ANY" in plan, plan
    assert "accountable_unit_id = ANY" in plan, plan
    assert "SubPlan" not in plan, plan
