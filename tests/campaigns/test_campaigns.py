"""Campaigns over HTTP: drafting, targets, publishing, the state machine and who may do what."""

from tests.campaigns.conftest import school_campaign
from tests.conftest import assert_problem, assert_status

SCHOOLS = {"瑞安市锦湖中学", "瑞安市锦湖第一小学", "瑞安市安阳实验中学", "瑞安市第四中学", "瑞安市马屿中学"}


async def test_education_bureau_drafts_previews_and_publishes_to_every_school(client, login):
    edu = await login("edu_officer")
    created = await client.post("/api/v1/campaigns", json=school_campaign(), headers=edu)
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["status"] == "draft"
    assert [task["position"] for task in campaign["tasks"]] == [1, 2, 3]
    assert campaign["tasks"][1]["comparator"] == "gte"
    assert campaign["can_edit"] is True

    preview = await client.get(f"/api/v1/campaigns/{campaign['id']}/recipients", headers=edu)
    assert preview.json()["resolved_at_publish"] is False
    assert {unit["name"] for unit in preview.json()["units"]} == SCHOOLS

    published = await client.post(
        f"/api/v1/campaigns/{campaign['id']}/publish", headers={**edu, "If-Match": created.headers["ETag"]}
    )
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published"
    assert body["target_count"] == 5
    assert body["counts"]["reports"] == 15
    assert body["counts"]["by_status"] == {"not_started": 15}

    again = await client.post(f"/api/v1/campaigns/{campaign['id']}/publish", headers=edu)
    assert_problem(again, 409, "conflict")
    tasks = await client.put(f"/api/v1/campaigns/{campaign['id']}/tasks", json={"tasks": []}, headers=edu)
    assert_problem(tasks, 409)


async def test_a_target_unit_sees_the_published_campaign_but_not_the_draft(client, login, published):
    edu = await login("edu_officer")
    draft = (await client.post("/api/v1/campaigns", json=school_campaign(title="草稿"), headers=edu)).json()
    campaign = await published()
    teacher = await login("school_teacher")
    listed = await client.get("/api/v1/campaigns", headers=teacher)
    ids = {item["id"] for item in listed.json()["items"]}
    assert campaign["id"] in ids
    assert draft["id"] not in ids
    assert_problem(await client.get(f"/api/v1/campaigns/{draft['id']}", headers=teacher), 404)
    read = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=teacher)
    assert read.json()["can_edit"] is False
    assert read.json()["counts"] is None
    # The progress table is the issuer's.
    assert_problem(await client.get(f"/api/v1/campaigns/{campaign['id']}/progress", headers=teacher), 403)


async def test_out_of_scope_campaign_is_404(client, login):
    jinhu = await login("jinhu_lead")
    created = await client.post(
        "/api/v1/campaigns",
        json=school_campaign(title="锦湖街道排查", targets={"kinds": ["community"]}),
        headers=jinhu,
    )
    assert created.status_code == 201, created.text
    other = await login("other_worker")
    assert_problem(await client.get(f"/api/v1/campaigns/{created.json()['id']}", headers=other), 404)
    items = (await client.get("/api/v1/campaigns", headers=other)).json()["items"]
    assert items == []


async def test_who_may_issue(client, login):
    admin = await login("admin")
    assert_problem(await client.post("/api/v1/campaigns", json=school_campaign(), headers=admin), 403)
    assert_problem(await client.get("/api/v1/campaigns", headers=admin), 403)
    teacher = await login("school_teacher")
    assert_problem(await client.post("/api/v1/campaigns", json=school_campaign(), headers=teacher), 403)
    # A lead of another unit reads the county's campaign but cannot change it.
    county = await login("county_lead")
    created = await client.post("/api/v1/campaigns", json=school_campaign(), headers=county)
    jinhu = await login("jinhu_lead")
    campaign_id = created.json()["id"]
    assert_problem(await client.get(f"/api/v1/campaigns/{campaign_id}", headers=jinhu), 404)
    edu = await login("edu_officer")
    assert_problem(
        await client.patch(f"/api/v1/campaigns/{campaign_id}", json={"title": "x"}, headers=edu), 404
    )


async def test_education_bureau_targets_schools_only(client, login):
    edu = await login("edu_officer")
    response = await client.post(
        "/api/v1/campaigns", json=school_campaign(targets={"kinds": ["community"]}), headers=edu
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "targets", "kinds"]


async def test_bad_input_names_the_field_and_writes_nothing(client, login):
    edu = await login("edu_officer")
    cases = [
        ({"tasks": [{"title": "x", "measure": "count"}]}, ["body", "tasks", 0]),
        ({"tasks": [{"title": "x", "measure": "rate", "target": 120}]}, ["body", "tasks", 0]),
        ({"tasks": [{"title": "x", "measure": "count", "target": -1}]}, ["body", "tasks", 0, "target"]),
        (
            {"phases": [{"name": "动员部署", "start": "2026-10-01", "end": "2026-09-01"}]},
            ["body", "phases", 0],
        ),
        ({"title": ""}, ["body", "title"]),
        (
            {"targets": {"unit_ids": ["00000000-0000-0000-0000-000000000000"]}},
            ["body", "targets", "unit_ids", 0],
        ),
    ]
    for overrides, loc in cases:
        response = await client.post("/api/v1/campaigns", json=school_campaign(**overrides), headers=edu)
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"][: len(loc)] == loc, body
    assert (await client.get("/api/v1/campaigns", headers=edu)).json()["total"] == 0


async def test_publishing_needs_tasks_and_targets(client, login):
    edu = await login("edu_officer")
    created = (await client.post("/api/v1/campaigns", json=school_campaign(tasks=[]), headers=edu)).json()
    body = assert_problem(await client.post(f"/api/v1/campaigns/{created['id']}/publish", headers=edu), 422)
    assert body["errors"][0]["loc"] == ["body", "tasks"]
    no_targets = (
        await client.post("/api/v1/campaigns", json=school_campaign(targets={"kinds": []}), headers=edu)
    ).json()
    body = assert_problem(
        await client.post(f"/api/v1/campaigns/{no_targets['id']}/publish", headers=edu), 422
    )
    assert body["errors"][0]["loc"] == ["body", "targets"]


async def test_edits_need_a_fresh_etag(client, login):
    edu = await login("edu_officer")
    created = await client.post("/api/v1/campaigns", json=school_campaign(), headers=edu)
    campaign_id = created.json()["id"]
    etag = created.headers["ETag"]
    first = await client.patch(
        f"/api/v1/campaigns/{campaign_id}", json={"title": "新标题"}, headers={**edu, "If-Match": etag}
    )
    assert first.status_code == 200
    stale = await client.patch(
        f"/api/v1/campaigns/{campaign_id}", json={"title": "又一个"}, headers={**edu, "If-Match": etag}
    )
    assert_problem(stale, 412)
    tasks = await client.put(
        f"/api/v1/campaigns/{campaign_id}/tasks",
        json={"tasks": [{"title": "只有一项"}]},
        headers={**edu, "If-Match": first.headers["ETag"]},
    )
    assert tasks.status_code == 200, tasks.text
    assert [task["title"] for task in tasks.json()] == ["只有一项"]


async def test_copy_makes_a_new_draft_with_the_same_checklist(client, login, published):
    campaign = await published()
    edu = await login("edu_officer")
    copied = await client.post(f"/api/v1/campaigns/{campaign['id']}/copy", headers=edu)
    assert copied.status_code == 201, copied.text
    body = copied.json()
    assert body["status"] == "draft"
    assert body["copied_from_id"] == campaign["id"]
    assert body["document_number"] is None
    assert [task["title"] for task in body["tasks"]] == [task["title"] for task in campaign["tasks"]]
    assert body["targets"]["kinds"] == ["school"]


async def test_closing_stops_reports(client, login, published):
    campaign = await published()
    edu = await login("edu_officer")
    closed = await client.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=edu)
    assert closed.json()["status"] == "closed"
    teacher = await login("school_teacher")
    reports = (
        await client.get(
            "/api/v1/task-reports", params={"campaign_id": campaign["id"], "mine": "true"}, headers=teacher
        )
    ).json()["items"]
    response = await client.patch(
        f"/api/v1/task-reports/{reports[0]['id']}", json={"value": 1}, headers=teacher
    )
    assert_problem(response, 409)
    assert_problem(await client.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=edu), 409)


async def test_a_departments_campaign_names_schools_one_by_one_but_no_other_unit(client, login, county):
    edu = await login("edu_officer")
    community, school = county["units"]["滨江社区"], county["units"]["瑞安市锦湖中学"]
    refused = await client.post(
        "/api/v1/campaigns",
        json=school_campaign(targets={"kinds": [], "unit_ids": [str(school.id), str(community.id)]}),
        headers=edu,
    )
    assert assert_problem(refused, 422, "validation")["errors"] == [
        {
            "loc": ["body", "targets", "unit_ids", 1],
            "msg": "a department's campaigns go to schools only",
            "type": "campaign.target_kind",
        }
    ]
    assert (await client.get("/api/v1/campaigns", headers=edu)).json()["total"] == 0
    created = await client.post(
        "/api/v1/campaigns",
        json=school_campaign(targets={"kinds": [], "unit_ids": [str(school.id)]}),
        headers=edu,
    )
    campaign = assert_status(created, 201).json()
    preview = await client.get(f"/api/v1/campaigns/{campaign['id']}/recipients", headers=edu)
    assert [unit["name"] for unit in assert_status(preview, 200).json()["units"]] == ["瑞安市锦湖中学"]


async def test_a_county_campaign_reaches_the_kinds_under_the_root_it_names(client, login, county):
    lead = await login("county_lead")
    body = school_campaign(targets={"kinds": ["community"], "root_id": str(county["units"]["安阳街道"].id)})
    campaign = assert_status(await client.post("/api/v1/campaigns", json=body, headers=lead), 201).json()
    preview = await client.get(f"/api/v1/campaigns/{campaign['id']}/recipients", headers=lead)
    assert sorted(unit["name"] for unit in assert_status(preview, 200).json()["units"]) == [
        "万松社区",
        "隆山社区",
    ]
    # A root outside the issuer's reach is no root.
    jinhu = await login("jinhu_lead")
    outside = school_campaign(
        targets={"kinds": ["community"], "root_id": str(county["units"]["安阳街道"].id)}
    )
    problem = assert_problem(
        await client.post("/api/v1/campaigns", json=outside, headers=jinhu), 422, "validation"
    )
    assert problem["errors"] == [
        {"loc": ["body", "targets", "root_id"], "msg": "no such unit in reach", "type": "unit.not_found"}
    ]


async def test_a_draft_changes_targets_and_phases_but_keeps_the_phases_its_tasks_name(client, login, county):
    edu = await login("edu_officer")
    tasks = [{"title": "召开动员部署会", "phase": "mobilisation"}, {"title": "开展禁毒课程"}]
    campaign = assert_status(
        await client.post("/api/v1/campaigns", json=school_campaign(tasks=tasks), headers=edu), 201
    ).json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    without_mobilisation = [{"name": "组织实施", "start": "2026-10-01", "end": "2026-11-30"}]
    dropped = await client.patch(url, json={"phases": without_mobilisation}, headers=edu)
    assert assert_problem(dropped, 422, "validation")["errors"] == [
        {
            "loc": ["body", "phases"],
            "msg": "a task names a phase the campaign would no longer have",
            "type": "task.phase",
        }
    ]
    school = county["units"]["瑞安市安阳实验中学"]
    retargeted = await client.patch(
        url, json={"targets": {"kinds": [], "unit_ids": [str(school.id)]}}, headers=edu
    )
    assert assert_status(retargeted, 200).json()["targets"] == {
        "kinds": [],
        "root_id": None,
        "unit_ids": [str(school.id)],
    }
    assert [phase["name"] for phase in retargeted.json()["phases"]] == ["动员部署", "组织实施", "总结评价"]


async def test_a_published_campaign_moves_only_its_deadline_and_a_closed_one_nothing(
    client, login, published
):
    campaign = await published()
    edu = await login("edu_officer")
    url = f"/api/v1/campaigns/{campaign['id']}"
    retitled = await client.patch(url, json={"title": "改名"}, headers=edu)
    problem = assert_problem(retitled, 409, "conflict")
    assert (problem["detail"], problem["campaign_status"]) == (
        "A published campaign can only move its report deadline.",
        "published",
    )
    moved = await client.patch(url, json={"report_deadline": "2099-12-31"}, headers=edu)
    assert assert_status(moved, 200).json()["report_deadline"] == "2099-12-31"
    assert_status(await client.post(f"{url}/close", headers=edu), 200)
    closed = await client.patch(url, json={"report_deadline": "2099-12-30"}, headers=edu)
    problem = assert_problem(closed, 409, "conflict")
    assert (problem["detail"], problem["campaign_status"]) == ("The campaign is closed.", "closed")
    assert (await client.get(url, headers=edu)).json()["report_deadline"] == "2099-12-31"
