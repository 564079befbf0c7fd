"""The unit tree: read in scope, administer, move without cycles, subtree as one indexed query."""

import sqlalchemy as sa

from backend.security.principals import in_subtree
from backend.units.models import Unit
from tests.conftest import assert_problem, assert_status

UNITS = "/api/v1/units"


async def _unit_id(client, headers, name):
    items = (await client.get(UNITS, params={"q": name, "limit": 200}, headers=headers)).json()["items"]
    return next(item["id"] for item in items if item["name"] == name)


async def test_a_township_lead_reads_only_its_subtree(client, login):
    headers = await login("jinhu_lead")
    page = (await client.get(UNITS, params={"limit": 200}, headers=headers)).json()
    names = {item["name"] for item in page["items"]}
    assert page["total"] == 7
    assert "锦湖街道" in names
    assert "锦湖派出所" in names
    assert "安阳街道" not in names
    assert "瑞安市禁毒委员会办公室" not in names


async def test_out_of_scope_unit_is_404_not_403(client, login, county):
    anyang = county["units"]["安阳街道"]
    response = await client.get(f"{UNITS}/{anyang.id}", headers=await login("jinhu_lead"))
    assert_problem(response, 404, "not-found")
    # The same for a unit that does not exist at all: the answers cannot be told apart.
    missing = await client.get(
        f"{UNITS}/00000000-0000-0000-0000-000000000000", headers=await login("jinhu_lead")
    )
    assert missing.json() == response.json()


async def test_list_filters_sorting_and_pagination(client, login, county):
    headers = await login("county_lead")
    schools = (await client.get(UNITS, params={"kind": "school", "sort": "-name"}, headers=headers)).json()
    assert schools["total"] == 5
    names = [item["name"] for item in schools["items"]]
    assert names == sorted(names, reverse=True)
    page = (await client.get(UNITS, params={"limit": 2, "offset": 2, "sort": "name"}, headers=headers)).json()
    assert page["limit"] == 2
    assert page["offset"] == 2
    assert len(page["items"]) == 2
    assert page["total"] == 24
    within = (
        await client.get(UNITS, params={"within": str(county["units"]["安阳街道"].id)}, headers=headers)
    ).json()
    assert within["total"] == 5
    children = (
        await client.get(UNITS, params={"parent_id": str(county["units"]["锦湖街道"].id)}, headers=headers)
    ).json()
    assert children["total"] == 6


async def test_bad_list_parameters_are_422(client, login):
    headers = await login("county_lead")
    for params, field in (
        ({"sort": "password"}, "sort"),
        ({"limit": 500}, "limit"),
        ({"offset": -1}, "offset"),
        ({"kind": "castle"}, "kind"),
        ({"colour": "red"}, "colour"),
    ):
        body = assert_problem(await client.get(UNITS, params=params, headers=headers), 422, "validation")
        assert body["errors"][0]["loc"][-1] == field, body


async def test_tree_starts_at_the_callers_unit(client, login):
    tree = (await client.get(f"{UNITS}/tree", headers=await login("jinhu_lead"))).json()
    assert tree["name"] == "锦湖街道"
    assert {child["name"] for child in tree["children"]} >= {"滨江社区", "锦湖派出所", "瑞安市锦湖中学"}
    county_tree = (await client.get(f"{UNITS}/tree", headers=await login("admin"))).json()
    assert county_tree["name"] == "瑞安市禁毒委员会办公室"
    assert len(county_tree["children"]) == 5


async def test_admin_creates_a_unit_and_others_may_not(client, login, county):
    jinhu = county["units"]["锦湖街道"]
    body = {
        "name": "新华社区",
        "kind": "community",
        "parent_id": str(jinhu.id),
        "division_code": "330381005004",
    }
    assert_problem(await client.post(UNITS, json=body, headers=await login("jinhu_lead")), 403, "forbidden")
    response = await client.post(UNITS, json=body, headers=await login("admin"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["depth"] == 2
    assert created["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/units/{created['id']}"
    # The lead now sees it in the subtree.
    seen = await client.get(f"{UNITS}/{created['id']}", headers=await login("jinhu_lead"))
    assert seen.status_code == 200


async def test_create_refuses_bad_input_and_writes_nothing(client, login, county):
    headers = await login("admin")
    jinhu = county["units"]["锦湖街道"]
    school = county["units"]["瑞安市锦湖中学"]
    cases = [
        ({"name": "", "kind": "community", "parent_id": str(jinhu.id)}, "name"),
        ({"name": "甲社区", "kind": "fortress", "parent_id": str(jinhu.id)}, "kind"),
        (
            {"name": "甲社区", "kind": "community", "parent_id": str(jinhu.id), "division_code": "33038"},
            "division_code",
        ),
        ({"name": "甲社区", "kind": "community", "parent_id": str(school.id)}, "parent_id"),
        (
            {"name": "甲社区", "kind": "community", "parent_id": "00000000-0000-0000-0000-000000000000"},
            "parent_id",
        ),
        ({"name": "甲社区", "kind": "community", "parent_id": str(jinhu.id), "extra": 1}, "extra"),
    ]
    before = (await client.get(UNITS, headers=headers)).json()["total"]
    for body, field in cases:
        problem = assert_problem(await client.post(UNITS, json=body, headers=headers), 422, "validation")
        assert problem["errors"][0]["loc"][-1] == field, problem
    assert (await client.get(UNITS, headers=headers)).json()["total"] == before


async def test_sibling_names_are_unique(client, login, county):
    body = {"name": "滨江社区", "kind": "community", "parent_id": str(county["units"]["锦湖街道"].id)}
    assert_problem(await client.post(UNITS, json=body, headers=await login("admin")), 409, "conflict")


async def test_division_codes_are_padded_to_twelve_digits(client, login, county):
    body = {
        "name": "丙社区",
        "kind": "community",
        "parent_id": str(county["units"]["锦湖街道"].id),
        "division_code": "330381005",
    }
    created = (await client.post(UNITS, json=body, headers=await login("admin"))).json()
    assert created["division_code"] == "330381005000"


async def test_rename_with_if_match_and_stale_version_is_412(client, login, county):
    headers = await login("admin")
    unit_id = county["units"]["滨江社区"].id
    renamed = await client.patch(
        f"{UNITS}/{unit_id}", json={"name": "滨江新社区"}, headers={**headers, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == 2
    assert renamed.headers["ETag"] == '"2"'
    stale = await client.patch(
        f"{UNITS}/{unit_id}", json={"name": "别的名字"}, headers={**headers, "If-Match": '"1"'}
    )
    body = assert_problem(stale, 412, "precondition-failed")
    assert body["current_version"] == 2
    assert (await client.get(f"{UNITS}/{unit_id}", headers=headers)).json()["name"] == "滨江新社区"
    malformed = await client.patch(
        f"{UNITS}/{unit_id}", json={"name": "x"}, headers={**headers, "If-Match": "2"}
    )
    assert_problem(malformed, 422)


async def test_move_rewrites_the_subtree_paths(app, client, login, county):
    headers = await login("admin")
    units = county["units"]
    # A township with a community below it, moved under... a township may only sit under the county office,
    # so move a community between townships and check its scope follows.
    community = units["滨江社区"]
    response = await client.patch(
        f"{UNITS}/{community.id}", json={"parent_id": str(units["安阳街道"].id)}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == str(units["安阳街道"].id)
    assert_problem(await client.get(f"{UNITS}/{community.id}", headers=await login("jinhu_lead")), 404)
    assert (
        await client.get(f"{UNITS}/{community.id}", headers=await login("other_worker"))
    ).status_code == 200
    async with app.state.sessionmaker() as session:
        moved = await session.get(Unit, community.id)
        assert moved.path == units["安阳街道"].path + community.id.hex + "/"


async def test_moving_a_department_with_children_moves_them_too(app, client, login, county):
    headers = await login("admin")
    bureau = county["units"]["瑞安市教育局"]
    created = await client.post(
        UNITS, json={"name": "基础教育科", "kind": "department", "parent_id": str(bureau.id)}, headers=headers
    )
    office = created.json()
    sub = await client.post(
        UNITS, json={"name": "德育组", "kind": "department", "parent_id": office["id"]}, headers=headers
    )
    sub_id = sub.json()["id"]
    # Move the office to the county office directly; its child follows, depth and path included.
    root = county["units"]["瑞安市禁毒委员会办公室"]
    response = await client.patch(
        f"{UNITS}/{office['id']}", json={"parent_id": str(root.id)}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["depth"] == 1
    child = (await client.get(f"{UNITS}/{sub_id}", headers=headers)).json()
    assert child["depth"] == 2
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                sa.select(Unit.name).where(
                    in_subtree(Unit.path, root.path + office["id"].replace("-", "") + "/")
                )
            )
        ).all()
        assert set(rows) == {"基础教育科", "德育组"}


async def test_moving_a_unit_under_its_own_child_is_refused_and_nothing_changes(app, client, login, county):
    headers = await login("admin")
    bureau = county["units"]["瑞安市教育局"]
    child = (
        await client.post(
            UNITS, json={"name": "督导室", "kind": "department", "parent_id": str(bureau.id)}, headers=headers
        )
    ).json()
    response = await client.patch(f"{UNITS}/{bureau.id}", json={"parent_id": child["id"]}, headers=headers)
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["type"] == "unit.cycle"
    itself = await client.patch(f"{UNITS}/{bureau.id}", json={"parent_id": str(bureau.id)}, headers=headers)
    assert_problem(itself, 422)
    async with app.state.sessionmaker() as session:
        unchanged = await session.get(Unit, bureau.id)
        assert unchanged.path == bureau.path
        assert unchanged.version == 1


async def test_deactivation_needs_the_children_deactivated_first(client, login, county):
    headers = await login("admin")
    anyang = county["units"]["安阳街道"]
    assert_problem(
        await client.patch(f"{UNITS}/{anyang.id}", json={"is_active": False}, headers=headers), 409
    )
    leaf = county["units"]["隆山社区"]
    response = await client.patch(f"{UNITS}/{leaf.id}", json={"is_active": False}, headers=headers)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    inactive = (await client.get(UNITS, params={"is_active": "false"}, headers=headers)).json()
    assert [item["name"] for item in inactive["items"]] == ["隆山社区"]
    # Nothing new may be placed under a deactivated unit.
    body = {"name": "x", "kind": "school", "parent_id": str(leaf.id)}
    assert_problem(await client.post(UNITS, json=body, headers=headers), 422)


async def test_admin_cannot_deactivate_or_move_their_own_unit(client, login, county):
    root = county["units"]["瑞安市禁毒委员会办公室"]
    headers = await login("admin")
    assert_problem(await client.patch(f"{UNITS}/{root.id}", json={"is_active": False}, headers=headers), 403)


async def test_people_of_a_deactivated_unit_lose_access(client, login, county):
    police = await login("jinhu_police")
    station = county["units"]["锦湖派出所"]
    response = await client.patch(
        f"{UNITS}/{station.id}", json={"is_active": False}, headers=await login("admin")
    )
    assert response.status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=police), 401)


async def test_subtree_query_is_one_indexed_range_scan(app, county):
    """At any depth a subtree is a range on the unique path index, never a recursive walk or a table scan."""
    statement = sa.select(Unit.id).where(in_subtree(Unit.path, county["units"]["锦湖街道"].path))
    async with app.state.engine.connect() as connection:
        dialect = connection.dialect.name
        sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        if dialect == "sqlite":
            plan = (await connection.execute(sa.text("EXPLAIN QUERY PLAN " + sql))).all()
            text = " ".join(str(row[-1]) for row in plan)
            assert "USING INDEX" in text, text
            assert "path>? AND path<?" in text, text
        else:
            # A table of two dozen rows is cheaper to scan; forbid that to see that the index serves the range.
            await connection.execute(sa.text("ANALYZE units"))  # the suite empties tables by DELETE
            await connection.execute(sa.text("SET enable_seqscan = off"))
            plan = (await connection.execute(sa.text("EXPLAIN " + sql))).all()
            text = " ".join(row[0] for row in plan)
            assert "uq_units_path" in text, text


async def test_no_unit_is_moved_to_the_top_and_the_admin_never_moves_their_own(client, login, county):
    headers = await login("admin")
    community = county["units"]["滨江社区"]
    to_top = await client.patch(f"{UNITS}/{community.id}", json={"parent_id": None}, headers=headers)
    problem = assert_problem(to_top, 422, "validation")
    assert problem["errors"][0]["loc"] == ["body", "parent_id"]
    assert problem["errors"][0]["type"] == "unit.root"
    assert problem["errors"][0]["msg"] == "a unit cannot be moved to the top"
    # The admin's own unit is the county office: moving it is refused before any other check of the parent.
    root = county["units"]["瑞安市禁毒委员会办公室"]
    own = await client.patch(
        f"{UNITS}/{root.id}", json={"parent_id": str(county["units"]["瑞安市教育局"].id)}, headers=headers
    )
    assert assert_problem(own, 403, "forbidden")["detail"] == "You cannot move your own unit."
    for unit in (community, root):
        unchanged = (await client.get(f"{UNITS}/{unit.id}", headers=headers)).json()
        assert unchanged["version"] == 1
        assert unchanged["parent_id"] == (str(unit.parent_id) if unit.parent_id else None)


async def test_a_unit_is_neither_moved_nor_reactivated_under_a_deactivated_parent(client, login, county):
    headers = await login("admin")
    anyang, longshan = county["units"]["安阳街道"], county["units"]["隆山社区"]
    # A township emptied and deactivated: its last active community goes first, then the township itself.
    for name in ("万松社区", "隆山社区", "安阳派出所", "瑞安市安阳实验中学"):
        unit_id = county["units"][name].id
        assert_status(
            await client.patch(f"{UNITS}/{unit_id}", json={"is_active": False}, headers=headers), 200
        )
    assert_status(await client.patch(f"{UNITS}/{anyang.id}", json={"is_active": False}, headers=headers), 200)

    moved = await client.patch(
        f"{UNITS}/{county['units']['滨江社区'].id}", json={"parent_id": str(anyang.id)}, headers=headers
    )
    problem = assert_problem(moved, 422, "validation")
    assert problem["errors"][0]["type"] == "unit.inactive"
    assert problem["errors"][0]["msg"] == "the parent unit is deactivated"

    reactivated = await client.patch(f"{UNITS}/{longshan.id}", json={"is_active": True}, headers=headers)
    assert assert_problem(reactivated, 409, "conflict")["detail"] == (
        "Its parent unit is deactivated; reactivate that first."
    )
    assert (await client.get(f"{UNITS}/{longshan.id}", headers=headers)).json()["is_active"] is False
    # Parent first, then the community: both active again.
    assert_status(await client.patch(f"{UNITS}/{anyang.id}", json={"is_active": True}, headers=headers), 200)
    again = await client.patch(f"{UNITS}/{longshan.id}", json={"is_active": True}, headers=headers)
    assert assert_status(again, 200).json()["is_active"] is True


async def test_a_new_division_code_is_a_new_version_and_an_unchanged_patch_is_not(client, login, county):
    headers = await login("admin")
    community = county["units"]["虹桥社区"]
    recoded = await client.patch(
        f"{UNITS}/{community.id}", json={"division_code": "330381005013"}, headers=headers
    )
    assert assert_status(recoded, 200).json()["division_code"] == "330381005013"
    assert recoded.json()["version"] == 2
    # The same values again: nothing changes, so neither the version nor the audit trail moves.
    auditor = await login("auditor")
    events = {"object_type": "unit", "object_id": str(community.id)}
    events_before = (await client.get("/api/v1/audit-events", params=events, headers=auditor)).json()["total"]
    assert events_before == 2  # created (the seed) and recoded
    same = await client.patch(
        f"{UNITS}/{community.id}",
        json={"name": "虹桥社区", "division_code": "330381005013", "is_active": True},
        headers=headers,
    )
    assert assert_status(same, 200).json()["version"] == 2
    assert same.headers["ETag"] == '"2"'
    events_after = (await client.get("/api/v1/audit-events", params=events, headers=auditor)).json()["total"]
    assert events_after == 2
