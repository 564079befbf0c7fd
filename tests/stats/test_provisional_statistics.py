"""Provisional records (待核实, no ID number yet) are not confirmed persons (issue 17): school and regional
statistics and the dashboard count confirmed persons only, the dashboard says apart how many provisional records
there are, and the counters behind them follow a provisional registration, a verify and a merge."""

from backend.identity import make_mainland_id
from tests.minors.conftest import MINORS
from tests.minors.test_list_totals import _counters_match_rows
from tests.minors.test_provisional import born_years_ago, provisional_body
from tests.stats.conftest import JINHU_MIDDLE

SCHOOLS = "/api/v1/stats/schools"
REGIONS = "/api/v1/stats/regions"
OVERVIEW = "/api/v1/stats/overview"


async def _figures(client, login) -> dict:
    """The middle school's at-risk pupils (as its teacher reads them), the county's and the township's (as the
    education bureau does), and the county lead's dashboard."""
    edu = await login("edu_officer")
    schools = (await client.get(SCHOOLS, headers=edu)).json()
    # The bureau's table hides the middle school's cells (the primary school's 2 would follow from them): its own
    # teacher reads the school alone.
    own = (await client.get(SCHOOLS, headers=await login("school_teacher"))).json()
    middle = next(item for item in own["items"] if item["school"]["name"] == JINHU_MIDDLE)
    regions = (await client.get(REGIONS, headers=edu)).json()
    jinhu = next(item for item in regions["items"] if item["unit"]["name"] == "锦湖街道")
    overview = (await client.get(OVERVIEW, headers=await login("county_lead"))).json()["minors"]
    return {
        "middle_total": middle["at_risk"]["total"],
        "middle_left_behind": middle["at_risk"]["by_category"]["left_behind"],
        "county_left_behind": schools["totals"]["at_risk"]["by_category"]["left_behind"],
        "jinhu_left_behind": jinhu["at_risk"]["by_category"]["left_behind"],
        "overview_total": overview["total"],
        "overview_active": next(row["count"] for row in overview["by_status"] if row["code"] == "active"),
        "overview_left_behind": next(
            row["count"] for row in overview["by_category"] if row["code"] == "left_behind"
        ),
        "overview_provisional": overview["provisional"],
    }


async def test_statistics_count_confirmed_persons_and_the_provisional_apart(
    app, client, login, county, pupils
):
    # The fixture: 7 left-behind pupils at the middle school, 2 at the primary school (all confirmed).
    assert await _figures(client, login) == {
        "middle_total": {"value": 7},
        "middle_left_behind": {"value": 7},
        "county_left_behind": {"value": 9},
        "jinhu_left_behind": {"value": 9},
        "overview_total": {"value": 9},
        "overview_active": {"value": 9},
        "overview_left_behind": {"value": 9},
        "overview_provisional": {"value": 0},
    }

    # Three left-behind pupils of the middle school registered before their ID numbers are known.
    worker = await login("jinhu_worker")
    birth = born_years_ago(15, 3, 1)
    school = str(county["units"][JINHU_MIDDLE].id)
    provisional = []
    for name in ("赵小明", "钱小明", "孙小明"):
        body = provisional_body(
            name,
            "male",
            birth,
            schooling_status="in_school",
            school_id=school,
            risk_categories=["left_behind"],
        )
        response = await client.post(MINORS, json=body, headers=worker)
        assert response.status_code == 201, response.text
        provisional.append(response.json()["id"])
    await _counters_match_rows(app)
    assert await _figures(client, login) == {
        "middle_total": {"value": 7},
        "middle_left_behind": {"value": 7},
        "county_left_behind": {"value": 9},
        "jinhu_left_behind": {"value": 9},
        "overview_total": {"value": 9},
        "overview_active": {"value": 9},
        "overview_left_behind": {"value": 9},
        "overview_provisional": {"value": 3},
    }
    # The list still shows them (they are work to do).
    listed = await client.get(MINORS, params={"verification_status": "provisional"}, headers=worker)
    assert listed.json()["total"] == 3

    # One gets its ID number: a confirmed person now.
    verified = await client.post(
        f"{MINORS}/{provisional[0]}/verify",
        json={"id_number": make_mainland_id("330381", birth, 17)},
        headers=worker,
    )
    assert verified.status_code == 200, verified.text
    await _counters_match_rows(app)
    assert await _figures(client, login) == {
        "middle_total": {"value": 8},
        "middle_left_behind": {"value": 8},
        "county_left_behind": {"value": 10},
        "jinhu_left_behind": {"value": 10},
        "overview_total": {"value": 10},
        "overview_active": {"value": 10},
        "overview_left_behind": {"value": 10},
        "overview_provisional": {"value": 2},
    }

    # Another turns out to be the same person: merged, it is no one's and no longer provisional.
    merged = await client.post(
        f"{MINORS}/{provisional[1]}/merge", json={"into_id": provisional[0]}, headers=worker
    )
    assert merged.status_code == 200, merged.text
    await _counters_match_rows(app)
    assert await _figures(client, login) == {
        "middle_total": {"value": 8},
        "middle_left_behind": {"value": 8},
        "county_left_behind": {"value": 10},
        "jinhu_left_behind": {"value": 10},
        "overview_total": {"value": 10},
        "overview_active": {"value": 10},
        "overview_left_behind": {"value": 10},
        "overview_provisional": {"value": 1},
    }
