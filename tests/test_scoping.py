"""Every table that belongs to a unit is reached only through the one scoping function.

The list below names each unit-owned table and the endpoint that proves it. A new table with a unit column
fails here until it is added, with its own out-of-scope test.
"""

import pytest

from backend.models import metadata
from backend.terms import Term
from tests.campaigns.conftest import published  # noqa: F401 - shared fixture
from tests.conftest import DEMO_PASSWORD, assert_status, password_token
from tests.minors.conftest import minor_body, person, rng  # noqa: F401 - shared fixtures
from tests.school_metrics.conftest import METRICS, figures
from tests.seizures.conftest import notice_body, police_system, push  # noqa: F401 - shared fixtures

# table → the list endpoint whose out-of-scope behaviour the domain tests cover
UNIT_OWNED_TABLES = {
    "units": "/api/v1/units",
    "users": "/api/v1/users",
    "api_clients": "/api/v1/clients",
    "audit_events": "/api/v1/audit-events",
    "minors": "/api/v1/minors",  # scoped by role: tests/minors/test_privacy_matrix.py
    # Totals only, kept by triggers and read through the minors list's scoping; never listed by itself.
    "minor_counts": "/api/v1/minors",
    # Counts only, kept by triggers and read through the statistics' scoping: tests/stats.
    "minor_tallies": "/api/v1/stats/overview",
    # The rates' counts per unit, kept by triggers and read through the rates' scoping: tests/stats/test_rates.py,
    # tests/care_files/test_rate_tallies.py.
    "rate_file_spans": "/api/v1/stats/rates",
    "rate_contact_runs": "/api/v1/stats/rates",
    "rate_urine_credits": "/api/v1/stats/rates",
    "rate_open_files": "/api/v1/stats/rates",
    # issuer's subtree, or published to a unit in it: tests/campaigns/test_campaigns.py
    "campaigns": "/api/v1/campaigns",
    "campaign_targets": "/api/v1/campaigns",
    "task_reports": "/api/v1/task-reports",
    "seizure_notices": "/api/v1/seizure-notices",  # reporter or receiver: tests/seizures/test_access.py
    "school_metrics": "/api/v1/school-metrics",  # tests/school_metrics, tests/stats/test_school_statistics.py
    "care_files": "/api/v1/care-files",  # tests/care_files: test_no_route_reaches_a_file_outside_the_scope
    "care_settings": "/api/v1/care-settings",  # one unit's setting, in scope: test_a_lead_sets_default_...
    # The unit's on-duty worker, read and set through the care settings of a unit in scope: test_assignment.py
    "care_duty": "/api/v1/care-settings",
    "transfers": "/api/v1/transfers",  # tests/transfers: test_no_route_reaches_a_transfer_outside_the_scope
    "venues": "/api/v1/venues",  # tests/venues: test_a_venue_outside_the_scope_does_not_exist
    "pharmacy_checks": "/api/v1/pharmacy-checks",  # tests/venues: test_pharmacy_checks_are_recorded_...
    # About a unit in scope (the holder, the inspected unit, the signer): tests/work_records
    "publicity_activities": "/api/v1/publicity-activities",
    "inspection_visits": "/api/v1/inspection-visits",
    "responsibility_letters": "/api/v1/responsibility-letters",
    # Issued in the subtree, or assessing a subtree that holds the reader's unit; a run's figures and veto hits
    # are read through the run, one's own unit only below the issuing subtree's leads: tests/assessments
    "assessment_schemes": "/api/v1/assessment-schemes",
    "assessment_figures": "/api/v1/assessment-schemes",
    "assessment_veto_hits": "/api/v1/assessment-schemes",
    # the uploader's own, or a lead's unit subtree: tests/imports/test_imports.py
    "import_jobs": "/api/v1/imports",
}
# Endpoints that answer one record rather than a page.
NOT_PAGED = {"/api/v1/care-settings", "/api/v1/stats/overview", "/api/v1/stats/rates"}
UNIT_COLUMNS = {
    "unit_id",
    "managing_unit_id",
    "parent_id",
    "school_id",
    "issuing_unit_id",
    "receiving_unit_id",
    "from_unit_id",
    "to_unit_id",
    "inspected_unit_id",
    "signer_unit_id",
}


def test_every_unit_owned_table_is_listed():
    owned = {table.name for table in metadata.sorted_tables if UNIT_COLUMNS & set(table.columns.keys())}
    assert owned == set(UNIT_OWNED_TABLES), "a table with a unit column needs scoping and a test"


# Principals of 锦湖街道 (a narrow scope) reading each unit-owned table. Administrators are county-wide in the
# demo, so one is made for 锦湖 to read the API clients.
NARROW_READER = dict.fromkeys(UNIT_OWNED_TABLES.values(), "jinhu_lead") | {"/api/v1/clients": "jinhu_admin"}


@pytest.fixture
async def both_sides(client, login, county, push, published, person):  # noqa: F811
    """One of each unit-owned thing in 锦湖 and in 安阳: (what 锦湖 made, what 安阳 made) as ids."""
    units = county["units"]
    jinhu_side: set[str] = {str(units["锦湖街道"].id)}
    anyang_side: set[str] = {str(units["安阳街道"].id), str(units["瑞安市安阳实验中学"].id)}
    admin = await login("admin")
    made = await client.post(
        "/api/v1/users",
        json={
            "username": "jinhu_admin",
            "display_name": "锦湖管理员",
            "role": "admin",
            "unit_id": str(units["锦湖街道"].id),
            "password": "Temporary-Pass-2026-x",
        },
        headers=admin,
    )
    assert_status(made, 201)
    first = await password_token(client, "jinhu_admin", "Temporary-Pass-2026-x")
    assert_status(
        await client.post(
            "/api/v1/me/password",
            json={"current_password": "Temporary-Pass-2026-x", "new_password": DEMO_PASSWORD},
            headers={"Authorization": f"Bearer {first['access_token']}"},
        ),
        204,
    )
    for username, side in (("jinhu_worker", jinhu_side), ("other_worker", anyang_side)):
        minor = assert_status(
            await client.post("/api/v1/minors", json=minor_body(person()), headers=await login(username)), 201
        ).json()
        side.add(minor["id"])
        files = await client.get(
            "/api/v1/care-files", params={"minor_id": minor["id"]}, headers=await login(username)
        )
        (care_file,) = assert_status(files, 200).json()["items"]  # nps_abuse: a file opened
        side.add(care_file["id"])
        transfer = await client.post(
            "/api/v1/transfers",
            json={
                "minor_id": minor["id"],
                "to_unit_id": str(units["马屿镇"].id),
                "reason": "已搬至马屿镇居住",
            },
            headers=await login(username),
        )
        side.add(assert_status(transfer, 201).json()["id"])
        venue = await client.post(
            "/api/v1/venues", json={"name": f"{username}的KTV", "kind": "ktv"}, headers=await login(username)
        )
        side.add(assert_status(venue, 201).json()["id"])
        pharmacy = await client.post(
            "/api/v1/pharmacy-checks",
            json={"pharmacy_name": f"{username}药房", "checked_on": "2026-11-20", "prescription_seen": True},
            headers=await login(username),
        )
        side.add(assert_status(pharmacy, 201).json()["id"])
        screening = await client.post(
            "/api/v1/imports",
            data={"kind": "screening_minors"},
            files={"file": ("排查.csv", "姓名,身份证号,就学情况,人员类别\r\n".encode(), "text/csv")},
            headers=await login(username),
        )
        side.add(assert_status(screening, 202).json()["id"])
    for code, side in (("330381005002", jinhu_side), ("330381001001", anyang_side)):
        notice = await push(notice_body(person(), person={"residence_division_code": code}))
        side.add(assert_status(notice, 201).json()["id"])
    edu = await login("edu_officer")
    for school, side in (("瑞安市锦湖中学", jinhu_side), ("瑞安市安阳实验中学", anyang_side)):
        rows = [{**figures(), "school_id": str(units[school].id)}]
        assert_status(
            await client.post(METRICS, json={"term": Term.current().code, "rows": rows}, headers=edu), 201
        )
        side.add(str(units[school].id))
    await published()  # to every school: task reports in both townships
    county_lead = await login("county_lead")
    for township, username, side in (
        ("锦湖街道", "jinhu_worker", jinhu_side),
        ("安阳街道", "other_worker", anyang_side),
    ):
        activity = await client.post(
            "/api/v1/publicity-activities",
            json={"kind": "lecture", "held_on": "2026-06-26", "place": "街道会议室", "participants": 40},
            headers=await login(username),
        )
        side.add(assert_status(activity, 201).json()["id"])
        visit = await client.post(
            "/api/v1/inspection-visits",
            json={
                "inspected_unit_id": str(units[township].id),
                "visited_on": "2026-06-01",
                "findings": "台账齐全",
            },
            headers=county_lead,
        )
        side.add(assert_status(visit, 201).json()["id"])
        letter = await client.post(
            "/api/v1/responsibility-letters",
            json={"year": 2026, "signer_unit_id": str(units[township].id)},
            headers=county_lead,
        )
        side.add(assert_status(letter, 201).json()["id"])
    manual = [{"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {}}]
    for root, headers, side in (
        (units["锦湖街道"].id, await login("jinhu_lead"), jinhu_side),
        (units["安阳街道"].id, county_lead, anyang_side),
    ):
        scheme = await client.post(
            "/api/v1/assessment-schemes",
            json={
                "name": "社区禁毒工作考核",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "unit_root_id": str(root),
                "unit_kinds": ["community"],
                "indicators": manual,
            },
            headers=headers,
        )
        side.add(assert_status(scheme, 201).json()["id"])
    return jinhu_side, anyang_side


async def test_a_narrow_principal_lists_nothing_outside_its_scope(client, login, both_sides):
    jinhu_side, anyang_side = both_sides
    for path, username in NARROW_READER.items():
        headers = await login(username)
        params = {} if path in NOT_PAGED else {"limit": 200}
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        for marker in anyang_side:
            assert marker not in response.text, (path, marker)
        assert "安阳" not in response.text, path
        if path not in NOT_PAGED:
            assert response.json()["items"], f"{path}: nothing listed, so nothing proven"
    # Each of 锦湖's own things is listed to it somewhere: the check above is not passed by empty answers.
    seen = ""
    for path, username in NARROW_READER.items():
        params = {} if path in NOT_PAGED else {"limit": 200}
        seen += (await client.get(path, params=params, headers=await login(username))).text
    assert {marker for marker in jinhu_side if marker not in seen} == set()
    overview = (await client.get("/api/v1/stats/overview", headers=await login("jinhu_lead"))).json()
    # 锦湖's two: the one registered and the one its notice brought in; 安阳's two are not counted.
    assert overview["minors"]["total"] == {"value": 2}
