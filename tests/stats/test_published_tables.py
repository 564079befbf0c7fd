"""Every statistics table Qinghu publishes passes the attacker's check (tests/stats/recoverability.py): no
small count shown, none recoverable by subtraction, by small sums or by several relations at once."""

import pytest

from tests.minors.conftest import person, rng  # noqa: F401 - shared fixtures
from tests.stats.recoverability import leaks

SCHOOLS = "/api/v1/stats/schools"
REGIONS = "/api/v1/stats/regions"
OVERVIEW = "/api/v1/stats/overview"
THRESHOLD = 4


@pytest.fixture
async def spread(client, login, county, person):  # noqa: F811
    """Left-behind pupils: 2 at 安阳实验中学, 2 at 马屿中学, 5 at 锦湖中学 and none elsewhere. The county's 9
    less 锦湖's 5 leaves 4 for 安阳 and 马屿 together: exactly the threshold, a small count again."""
    lead = await login("county_lead")
    for school, count in (("瑞安市安阳实验中学", 2), ("瑞安市马屿中学", 2), ("瑞安市锦湖中学", 5)):
        for _ in range(count):
            someone = person(age=15)
            body = {
                "name": someone.name,
                "id_number": someone.id_number,
                "schooling_status": "in_school",
                "school_id": str(county["units"][school].id),
                "risk_categories": ["left_behind"],
                "substances": [],
                "risk_level": "medium",
            }
            response = await client.post("/api/v1/minors", json=body, headers=lead)
            assert response.status_code == 201, response.text


def _count(cell: dict) -> int | None:
    if cell.get("suppressed"):
        assert cell["value"] is None
        return None
    return cell["value"]


def _tree_tables(schools: dict, regions: dict) -> tuple[dict, list]:
    """The cells of the schools' and regions' reports together, and how they add up: every unit's count is
    the sum of its children's, column by column (the total and each category)."""
    columns = ["total", *schools["categories"]]
    published: dict = {}
    children: dict[str, list[str]] = {}

    def add(unit_id: str, parent_id: str | None, at_risk: dict) -> None:
        for column in columns:
            value = at_risk["total"] if column == "total" else at_risk["by_category"][column]
            cell = (unit_id, column)
            assert published.get(cell, _count(value)) == _count(value), "one cell, two answers"
            published[cell] = _count(value)
        if parent_id is not None:
            children.setdefault(parent_id, [])
            if unit_id not in children[parent_id]:
                children[parent_id].append(unit_id)

    for item in regions["items"]:
        add(item["unit"]["id"], item["parent_id"], item["at_risk"])
    for item in schools["items"]:
        add(item["school"]["id"], item["parent"] and item["parent"]["id"], item["at_risk"])
    add(schools["totals"]["unit"]["id"], None, schools["totals"]["at_risk"])
    relations = [
        ((parent, column), [(child, column) for child in kids])
        for parent, kids in children.items()
        if (parent, "total") in published  # a unit above the reader's is not in its report
        for column in columns
    ]
    return published, relations


async def test_the_bureaus_school_and_region_tables_leak_no_small_count(client, login, spread):
    edu = await login("edu_officer")
    schools = (await client.get(SCHOOLS, headers=edu)).json()
    regions = (await client.get(REGIONS, headers=edu)).json()
    assert schools["suppression_threshold"] == THRESHOLD
    published, relations = _tree_tables(schools, regions)
    assert leaks(published, relations, THRESHOLD) == []
    # What was hidden, written out: the small schools and townships, and — because 9 - 5 leaves 4 for the two
    # of them together — 锦湖 as well, and then 锦湖中学, or 锦湖街道 less 锦湖第一小学's 0 would give it.
    by_name = {item["unit"]["name"]: item["at_risk"] for item in regions["items"]}
    by_name |= {item["school"]["name"]: item["at_risk"] for item in schools["items"]}
    hidden = {
        name for name, at_risk in by_name.items() if at_risk["by_category"]["left_behind"].get("suppressed")
    }
    assert hidden == {
        "安阳街道",
        "瑞安市安阳实验中学",
        "马屿镇",
        "瑞安市马屿中学",
        "锦湖街道",
        "瑞安市锦湖中学",
    }
    assert by_name["瑞安市禁毒委员会办公室"]["by_category"]["left_behind"] == {"value": 9}
    assert by_name["玉海街道"]["by_category"]["left_behind"] == {"value": 0}


@pytest.mark.parametrize("username", ["edu_officer", "school_teacher", "jinhu_lead", "county_lead"])
async def test_every_readers_school_tables_pass_the_check(client, login, spread, username):
    headers = await login(username)
    schools = await client.get(SCHOOLS, headers=headers)
    regions = await client.get(REGIONS, headers=headers)
    assert schools.status_code == 200, schools.text
    assert regions.status_code == 200, regions.text
    published, relations = _tree_tables(schools.json(), regions.json())
    assert leaks(published, relations, THRESHOLD) == []


async def test_a_suppressed_overview_passes_the_check(client, login, spread):
    overview = (await client.get(OVERVIEW, headers=await login("auditor"))).json()
    assert overview["suppressed"] is True
    minors = overview["minors"]
    published = {("total",): _count(minors["total"])}
    published |= {("status", entry["code"]): _count(entry["count"]) for entry in minors["by_status"]}
    published |= {("level", entry["code"]): _count(entry["count"]) for entry in minors["by_risk_level"]}
    relations = [
        (("total",), [("status", entry["code"]) for entry in minors["by_status"]]),
        (("status", "active"), [("level", entry["code"]) for entry in minors["by_risk_level"]]),
    ]
    assert leaks(published, relations, THRESHOLD) == []
    # Counts that stand alone (no relation ties them) are checked for small values only.
    singles = [entry["count"] for entry in minors["by_category"]]
    singles += list(overview["care_files"].values()) + list(overview["transfers"].values())
    assert leaks({i: _count(cell) for i, cell in enumerate(singles)}, [], THRESHOLD) == []
