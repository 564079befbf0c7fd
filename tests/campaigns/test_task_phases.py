"""Each task names one of its campaign's phases (动员部署 / 组织实施 / 总结评价) and carries a weight ≥ 0; the
progress table and its XLSX show both."""

import io

import openpyxl

from tests.campaigns.conftest import publish_school_campaign, school_campaign
from tests.conftest import assert_problem, assert_status

CAMPAIGNS = "/api/v1/campaigns"


def phased_tasks() -> list[dict]:
    return [
        {"title": "召开动员部署会", "phase": "mobilisation", "weight": 10},
        {"title": "开展禁毒专题课程", "phase": "implementation", "weight": 60},
        {"title": "报送工作总结", "phase": "evaluation", "weight": 30},
    ]


async def test_phases_get_their_stage_by_name_and_tasks_name_one(client, login):
    edu = await login("edu_officer")
    created = assert_status(
        await client.post(CAMPAIGNS, json=school_campaign(tasks=phased_tasks()), headers=edu), 201
    ).json()
    assert [phase["code"] for phase in created["phases"]] == ["mobilisation", "implementation", "evaluation"]
    assert [(task["phase"], task["weight"]) for task in created["tasks"]] == [
        ("mobilisation", 10),
        ("implementation", 60),
        ("evaluation", 30),
    ]


async def test_a_phase_the_campaign_does_not_have_is_refused_and_nothing_written(client, login):
    edu = await login("edu_officer")
    two_phases = [
        {"name": "动员部署", "start": "2026-09-01", "end": "2026-10-31"},
        {"name": "组织实施", "start": "2026-10-01", "end": "2026-11-30"},
    ]
    problem = assert_problem(
        await client.post(
            CAMPAIGNS, json=school_campaign(phases=two_phases, tasks=phased_tasks()), headers=edu
        ),
        422,
    )
    assert problem["errors"][0]["loc"] == ["body", "tasks", 2, "phase"]
    for task in ({"title": "x", "phase": "celebration"}, {"title": "x", "weight": -1}):
        assert_problem(await client.post(CAMPAIGNS, json=school_campaign(tasks=[task]), headers=edu), 422)
    assert (await client.get(CAMPAIGNS, headers=edu)).json()["total"] == 0

    # Replacing the checklist checks the same; so does dropping a phase a task still names.
    draft = assert_status(
        await client.post(
            CAMPAIGNS, json=school_campaign(phases=two_phases, tasks=phased_tasks()[:2]), headers=edu
        ),
        201,
    )
    campaign_id = draft.json()["id"]
    assert_problem(
        await client.put(f"{CAMPAIGNS}/{campaign_id}/tasks", json={"tasks": phased_tasks()}, headers=edu), 422
    )
    assert_problem(
        await client.patch(f"{CAMPAIGNS}/{campaign_id}", json={"phases": two_phases[:1]}, headers=edu), 422
    )
    tasks = (await client.get(f"{CAMPAIGNS}/{campaign_id}/tasks", headers=edu)).json()
    assert [task["phase"] for task in tasks] == ["mobilisation", "implementation"]


async def test_the_progress_table_shows_each_tasks_phase_and_weight(client, login):
    edu = await login("edu_officer")
    campaign = await publish_school_campaign(client, edu, tasks=phased_tasks())
    table = (await client.get(f"{CAMPAIGNS}/{campaign['id']}/progress", headers=edu)).json()
    assert [(task["phase"], task["weight"]) for task in table["tasks"]] == [
        ("mobilisation", 10),
        ("implementation", 60),
        ("evaluation", 30),
    ]
    export = assert_status(
        await client.get(f"{CAMPAIGNS}/{campaign['id']}/progress", params={"format": "xlsx"}, headers=edu),
        200,
    )
    rows = [
        list(row)
        for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    ]
    header_index = next(i for i, row in enumerate(rows) if row[0] == "序号")
    assert rows[header_index + 1][1:5] == ["所属阶段", "动员部署", "组织实施", "总结评价"]
    assert rows[header_index + 2][1:5] == ["权重（分值）", "10", "60", "30"]
