"""List totals and statistics come from counters kept by database triggers (per unit and status; per unit,
school, status, risk level and category); they must always be the numbers the rows give, whoever asks and
whatever wrote the minors, and the migration that creates them must count the minors already there."""

import asyncio
from collections import Counter

import pytest
import sqlalchemy as sa
from alembic import command

from backend.care_files.models import CareEntry, CareFile
from backend.migrate import alembic_config
from backend.minors.models import Minor, MinorCount, MinorTally
from tests.minors.conftest import MINORS


async def _every_total_matches_its_rows(client, headers, params_list) -> None:
    for params in params_list:
        response = await client.get(MINORS, params={**params, "limit": 200}, headers=headers)
        if response.status_code == 422:  # a unit outside this principal's scope
            assert "within" in params
            continue
        page = response.json()
        assert page["total"] == len(page["items"]), params


async def _counters_match_rows(app) -> None:
    async with app.state.engine.connect() as connection:
        counted = {
            (row.managing_unit_id, row.status): row.n
            for row in await connection.execute(sa.select(MinorCount))
            if row.n
        }
        actual = {
            (row.managing_unit_id, row.status): row.n
            for row in await connection.execute(
                sa.select(Minor.managing_unit_id, Minor.status, sa.func.count().label("n")).group_by(
                    Minor.managing_unit_id, Minor.status
                )
            )
        }
    assert counted == actual
    await _tallies_match_rows(app)


async def _tallies_match_rows(app) -> None:
    async with app.state.engine.connect() as connection:
        tallied = {
            (row.unit_id, row.unit_role, row.status, row.verification_status, row.kind, row.code): row.n
            for row in await connection.execute(sa.select(MinorTally))
            if row.n
        }
        minors = (
            await connection.execute(
                sa.select(
                    Minor.managing_unit_id,
                    Minor.school_id,
                    Minor.status,
                    Minor.verification_status,
                    Minor.risk_level,
                    Minor.risk_categories,
                )
            )
        ).all()
    expected: Counter = Counter()
    for managing, school, status, verification, level, categories in minors:
        for unit, role in ((managing, "managing"), (school, "school")):
            if unit is not None:
                expected[(unit, role, status, verification, "risk_level", level)] += 1
                for category in set(categories):
                    expected[(unit, role, status, verification, "risk_category", category)] += 1
    assert tallied == dict(expected)


async def test_totals_follow_registrations_moves_status_changes_and_deletions(
    app, client, login, register, person, county
):
    for as_ in ("jinhu_worker", "jinhu_worker", "jinhu_worker", "other_worker", "other_worker"):
        await register(person(), as_=as_)
    await _counters_match_rows(app)
    jinhu, anyang = county["units"]["锦湖街道"], county["units"]["安阳街道"]
    queries = [
        {},
        {"status": "active"},
        {"status": "closed"},
        {"within": str(jinhu.id)},
        {"within": str(anyang.id), "status": "active"},
        {"risk_level": "medium"},
    ]
    for principal in ("county_lead", "jinhu_lead", "jinhu_police", "auditor"):
        await _every_total_matches_its_rows(client, await login(principal), queries)
    lead = await login("county_lead")
    assert (await client.get(MINORS, headers=lead)).json()["total"] == 5

    # Whatever code moves a minor (a transfer), closes or deletes one, the counters follow.
    async with app.state.engine.begin() as connection:
        moved = (
            await connection.execute(sa.select(Minor.id).where(Minor.managing_unit_id == jinhu.id))
        ).scalars()
        first, second, third = list(moved)
        await connection.execute(sa.update(Minor).where(Minor.id == first).values(managing_unit_id=anyang.id))
        await connection.execute(sa.update(Minor).where(Minor.id == second).values(status="closed"))
        await connection.execute(
            sa.update(Minor)
            .where(Minor.id == third)
            .values(status="transferred_out", managing_unit_id=anyang.id)
        )
    await _counters_match_rows(app)
    for principal in ("county_lead", "jinhu_lead", "other_worker"):
        await _every_total_matches_its_rows(client, await login(principal), queries)
    jinhu_lead = await login("jinhu_lead")
    assert (await client.get(MINORS, headers=jinhu_lead)).json()["total"] == 1
    closed = await client.get(MINORS, params={"status": "closed"}, headers=lead)
    assert closed.json()["total"] == 1


async def test_tallies_follow_schools_levels_and_categories_and_the_migration_counts_what_is_there(
    app, register, person, county
):
    school = county["units"]["瑞安市锦湖中学"]
    other_school = county["units"]["瑞安市锦湖第一小学"]
    for categories in (["dropout"], ["left_behind", "nps_abuse"], []):
        await register(person(), school_id=str(school.id), risk_categories=categories)
    await register(person(), as_="other_worker")
    await _tallies_match_rows(app)

    async with app.state.engine.begin() as connection:
        first, second, third = (
            await connection.execute(
                sa.select(Minor.id).where(Minor.school_id == school.id).order_by(Minor.id)
            )
        ).scalars()
        await connection.execute(
            sa.update(Minor).where(Minor.id == first).values(risk_categories=["dropout", "idle_youth"])
        )
        await connection.execute(
            sa.update(Minor).where(Minor.id == second).values(school_id=other_school.id, risk_level="high")
        )
        await connection.execute(sa.update(Minor).where(Minor.id == third).values(school_id=None))
        # A deletion (registrations open care files: those go first).
        deleted = sa.select(Minor.id).where(Minor.managing_unit_id != school.parent_id)
        files = sa.select(CareFile.id).where(CareFile.minor_id.in_(deleted))
        await connection.execute(sa.delete(CareEntry).where(CareEntry.care_file_id.in_(files)))
        await connection.execute(sa.delete(CareFile).where(CareFile.minor_id.in_(deleted)))
        assert (await connection.execute(sa.delete(Minor).where(Minor.id.in_(deleted)))).rowcount == 1
    await _tallies_match_rows(app)

    # The migration's own count of the minors already there, on a database that had none of the counters.
    config = alembic_config(app.state.settings)
    await app.state.engine.dispose()
    await asyncio.to_thread(command.downgrade, config, "-1")
    await asyncio.to_thread(command.upgrade, config, "head")
    await _tallies_match_rows(app)


async def test_concurrent_moves_between_units_keep_the_counters(app, register, person, county):
    """Moves in opposite directions at once update the same counters (each trigger takes them in one order)."""
    async with app.state.engine.connect() as probe:
        if probe.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer at a time")
    jinhu, anyang = county["units"]["锦湖街道"], county["units"]["安阳街道"]
    school = county["units"]["瑞安市锦湖中学"]
    for as_ in ("jinhu_worker", "other_worker") * 4:
        await register(person(), as_=as_, school_id=str(school.id) if as_ == "jinhu_worker" else None)
    async with app.state.engine.connect() as connection:
        placed = (await connection.execute(sa.select(Minor.id, Minor.managing_unit_id))).all()

    async def shuttle(minor_id, start) -> None:
        other = anyang.id if start == jinhu.id else jinhu.id
        for round_ in range(6):
            async with app.state.engine.begin() as connection:
                target = other if round_ % 2 == 0 else start
                await connection.execute(
                    sa.update(Minor)
                    .where(Minor.id == minor_id)
                    .values(managing_unit_id=target, risk_level=("low", "high")[round_ % 2])
                )

    await asyncio.gather(*(shuttle(minor_id, unit_id) for minor_id, unit_id in placed))
    await _counters_match_rows(app)
