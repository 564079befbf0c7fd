"""List totals: over a subtree they come from per-unit counters kept by database triggers; they must always be
the number of rows the filters select, whoever asks and whatever wrote the minors."""

import sqlalchemy as sa

from backend.minors.models import Minor, MinorCount
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
