"""Every table that belongs to a unit is reached only through the one scoping function.

The list below names each unit-owned table and the endpoint that proves it. A new table with a unit column
fails here until it is added, with its own out-of-scope test.
"""

from backend.models import metadata

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
    # issuer's subtree, or published to a unit in it: tests/campaigns/test_campaigns.py
    "campaigns": "/api/v1/campaigns",
    "campaign_targets": "/api/v1/campaigns",
    "task_reports": "/api/v1/task-reports",
    "seizure_notices": "/api/v1/seizure-notices",  # reporter or receiver: tests/seizures/test_access.py
    "school_metrics": "/api/v1/school-metrics",  # tests/school_metrics, tests/stats/test_school_statistics.py
    "care_files": "/api/v1/care-files",  # tests/care_files: test_no_route_reaches_a_file_outside_the_scope
    "care_settings": "/api/v1/care-settings",  # one unit's setting, in scope: test_a_lead_sets_default_...
    "transfers": "/api/v1/transfers",  # tests/transfers: test_no_route_reaches_a_transfer_outside_the_scope
}
# Endpoints that answer one record rather than a page.
NOT_PAGED = {"/api/v1/care-settings", "/api/v1/stats/overview"}
UNIT_COLUMNS = {
    "unit_id",
    "managing_unit_id",
    "parent_id",
    "school_id",
    "issuing_unit_id",
    "receiving_unit_id",
    "from_unit_id",
    "to_unit_id",
}


def test_every_unit_owned_table_is_listed():
    owned = {table.name for table in metadata.sorted_tables if UNIT_COLUMNS & set(table.columns.keys())}
    assert owned == set(UNIT_OWNED_TABLES), "a table with a unit column needs scoping and a test"


async def test_nothing_outside_the_scope_is_listed(client, login, county):
    anyang = county["units"]["安阳街道"]
    for path in UNIT_OWNED_TABLES.values():
        principal = "county_lead" if path != "/api/v1/clients" else "admin"
        params = {} if path in NOT_PAGED else {"limit": 200}
        response = await client.get(path, params=params, headers=await login(principal))
        assert response.status_code == 200, path
    lead = await login("jinhu_lead")
    for path in ("/api/v1/units", "/api/v1/users"):
        items = (await client.get(path, params={"limit": 200}, headers=lead)).json()["items"]
        unit_ids = {item.get("unit", item).get("id") for item in items}
        assert str(anyang.id) not in unit_ids
