"""The dashboard overview: counts over the principal's scope, suppressed only for those who cannot see the
records behind them."""

from tests.conftest import assert_problem

OVERVIEW = "/api/v1/stats/overview"


def _codes(entries):
    return {entry["code"]: entry["count"] for entry in entries}


async def test_a_lead_sees_small_counts_of_their_own_records(client, login, pupils):
    response = await client.get(OVERVIEW, headers=await login("jinhu_lead"))
    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["suppressed"] is False
    assert overview["suppression_threshold"] == 4
    assert overview["unit"]["name"] == "锦湖街道"
    assert overview["minors"]["total"] == {"value": 9}
    assert _codes(overview["minors"]["by_status"])["active"] == {"value": 9}
    categories = _codes(overview["minors"]["by_category"])
    assert categories["nps_abuse"] == {"value": 1}
    assert categories["dropout"] == {"value": 1}
    assert categories["left_behind"] == {"value": 9}
    assert _codes(overview["minors"]["by_risk_level"]) == {
        "low": {"value": 0},
        "medium": {"value": 9},
        "high": {"value": 0},
    }
    # Every section is filled for a lead (their figures: tests/stats/test_overview_sections.py).
    for section in ("care_files", "seizures", "transfers", "campaigns"):
        assert overview[section] is not None


async def test_an_auditor_gets_small_counts_suppressed_and_no_drug_use_categories(client, login, pupils):
    overview = (await client.get(OVERVIEW, headers=await login("auditor"))).json()
    assert overview["suppressed"] is True
    categories = _codes(overview["minors"]["by_category"])
    assert "nps_abuse" not in categories
    assert "seized_drug_use" not in categories
    assert categories["dropout"] == {"value": None, "suppressed": True}
    assert categories["left_behind"] == {"value": 9}
    assert overview["minors"]["total"] == {"value": 9}


async def test_a_caseworker_sees_their_township_only(client, login, county, pupils):
    worker = (await client.get(OVERVIEW, headers=await login("jinhu_worker"))).json()
    assert worker["minors"]["total"] == {"value": 9}
    other = (await client.get(OVERVIEW, headers=await login("other_worker"))).json()
    assert other["minors"]["total"] == {"value": 0}
    jinhu = county["units"]["锦湖街道"]
    assert_problem(
        await client.get(OVERVIEW, params={"unit_id": str(jinhu.id)}, headers=await login("other_worker")),
        404,
    )
    narrowed = await client.get(
        OVERVIEW, params={"unit_id": str(jinhu.id)}, headers=await login("county_lead")
    )
    assert narrowed.json()["minors"]["total"] == {"value": 9}


async def test_who_reads_the_overview(client, login, county):
    for username in ("edu_officer", "school_teacher", "jinhu_police", "admin"):
        assert_problem(await client.get(OVERVIEW, headers=await login(username)), 403)
