"""Runs over hand-built data: each source's figure written out, vetoes, re-runs, who reads what, bad input."""

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from backend.care_files.models import CareFile
from backend.seizures.models import SeizureNotice
from tests.assessments.conftest import (
    ANYANG,
    CUT_OFF,
    JINHU,
    MAYU,
    RUNS,
    SCHEMES,
    YUHAI,
    at,
    campaign_with_reports,
    result_of,
    scheme_body,
    score_of,
    work_records,
)
from tests.conftest import assert_problem, assert_status, client_token
from tests.seizures.conftest import notice_body

GRADES = [
    {"label": "优秀", "min_score": 50},
    {"label": "合格", "min_score": 10},
    {"label": "不合格", "min_score": 0},
]


def indicators(campaign_id: str) -> list[dict[str, Any]]:
    return [
        {"code": "tasks", "name": "任务完成率", "max_score": 20, "campaign": {"campaign_id": campaign_id}},
        {
            "code": "tasks_weighted",
            "name": "任务加权完成",
            "max_score": 30,
            "campaign": {"campaign_id": campaign_id, "mode": "weighted"},
        },
        {
            "code": "activities",
            "name": "宣传教育活动",
            "max_score": 10,
            "work_records": {"kind": "activities", "target": 4},
        },
        {
            "code": "inspections",
            "name": "督导检查",
            "max_score": 8,
            "work_records": {"kind": "inspections", "target": 4},
        },
        {
            "code": "letters",
            "name": "禁毒责任书",
            "max_score": 2,
            "work_records": {"kind": "letters", "target": 1},
        },
        {"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {"guidance": "查会议记录"}},
    ]


async def built_run(client, county, write_rows, run_scheme, **overrides: Any) -> dict[str, Any]:
    campaign = await campaign_with_reports(write_rows, county)
    await work_records(write_rows, county)
    return await run_scheme(scheme_body(county, indicators(str(campaign.id)), grades=GRADES, **overrides))


async def test_each_source_scores_as_written_out(client, county, login, write_rows, run_scheme):
    run = await built_run(client, county, write_rows, run_scheme)
    # Campaign, share approved: 锦湖 2 of 4 tasks by the cut-off (the third was approved the day after) → 10;
    # 安阳 1 of 4 → 5; 玉海 and 马屿 were not sent the campaign → 0 of 0.
    assert score_of(run, JINHU, "tasks")["score"] == 10.0
    assert (score_of(run, JINHU, "tasks")["numerator"], score_of(run, JINHU, "tasks")["denominator"]) == (
        2,
        4,
    )
    assert score_of(run, ANYANG, "tasks")["score"] == 5.0
    assert score_of(run, YUHAI, "tasks")["denominator"] == 0
    assert score_of(run, YUHAI, "tasks")["score"] == 0
    # Weighted: 锦湖 (1 + 2) of 1 + 1 + 2 + 1 (a task without a weight weighs 1) → 3/5 × 30 = 18; 安阳 1/5 → 6.
    assert score_of(run, JINHU, "tasks_weighted")["score"] == 18.0
    assert score_of(run, JINHU, "tasks_weighted")["value"] == 0.6
    assert score_of(run, ANYANG, "tasks_weighted")["score"] == 6.0
    # Activities in 2026 up to the cut-off, the township's and its communities': 锦湖 5 ≥ 4 → 10; 安阳 1 → 2.5.
    assert score_of(run, JINHU, "activities")["numerator"] == 5
    assert score_of(run, JINHU, "activities")["score"] == 10.0
    assert score_of(run, ANYANG, "activities")["score"] == 2.5
    # Inspections made: 锦湖 2 of 4 → 4. Letters signed for 2026: 锦湖 1 → 2; 安阳's is for 2025 → 0.
    assert score_of(run, JINHU, "inspections")["score"] == 4.0
    assert score_of(run, JINHU, "letters")["score"] == 2.0
    assert score_of(run, ANYANG, "letters")["score"] == 0.0
    # Manual: not scored yet.
    assert score_of(run, JINHU, "leadership")["computed_score"] is None
    assert score_of(run, JINHU, "leadership")["score"] == 0.0

    lead = await login("county_lead")
    jinhu_id = str(county["units"][JINHU].id)
    scored = await client.put(
        f"{RUNS}/{run['id']}/scores/{jinhu_id}/leadership",
        json={"score": 9, "reason": "党委专题研究禁毒工作3次"},
        headers=lead,
    )
    assert scored.status_code == 200, scored.text
    run = scored.json()
    # 锦湖 10 + 18 + 10 + 4 + 2 + 9 = 53 (优秀 from 50); 安阳 5 + 6 + 2.5 = 13.5 (合格); 玉海 and 马屿 0, tied.
    assert [(r["unit"]["name"], r["total"], r["grade"], r["rank"]) for r in run["results"]] == [
        (JINHU, 53.0, "优秀", 1),
        (ANYANG, 13.5, "合格", 2),
        (YUHAI, 0.0, "不合格", 3),
        (MAYU, 0.0, "不合格", 3),
    ]
    assert score_of(run, JINHU, "leadership")["reason"] == "党委专题研究禁毒工作3次"
    assert (run["assessed"], run["passed"], run["pass_rate"], run["target_met"]) == (4, 2, 0.5, False)
    # Named: the failing grade. Called in: the bottom one, and 马屿 ties with 玉海.
    assert [r["unit"]["name"] for r in run["results"] if r["named"]] == [YUHAI, MAYU]
    assert [r["unit"]["name"] for r in run["results"] if r["called_in"]] == [YUHAI, MAYU]

    too_high = await client.put(
        f"{RUNS}/{run['id']}/scores/{jinhu_id}/leadership",
        json={"score": 11, "reason": "超过满分"},
        headers=lead,
    )
    assert_problem(too_high, 422)

    drill = await client.get(f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/tasks", headers=lead)
    assert drill.status_code == 200, drill.text
    assert [task["title"] for task in drill.json()["tasks"]] == ["任务1", "任务3"]
    records = await client.get(f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/activities", headers=lead)
    assert [record["on"] for record in records.json()["records"]] == [
        "2026-03-01",
        "2026-04-01",
        "2026-05-01",
        "2026-06-26",
        "2026-11-30",
    ]

    sheet = await client.get(f"{RUNS}/{run['id']}", params={"format": "xlsx"}, headers=lead)
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    page = await client.get(f"{RUNS}/{run['id']}/notice", headers=lead)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for text in (YUHAI, MAYU, "约谈"):
        assert text in page.text


async def test_a_veto_fails_the_top_unit(
    client, app, county, login, write_rows, run_scheme, open_file, person
):
    units = county["units"]
    file = await open_file()  # a 锦湖 minor
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(CareFile)
            .where(CareFile.id == uuid.UUID(file["id"]))
            .values(opened_at=at("2026-09-01"), lost_contact_on=date(2026, 10, 1))
        )
    police = await client_token(client)
    pushed = await client.post(
        "/api/v1/seizure-notices",
        json=notice_body(person()),
        headers={**police, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert pushed.status_code in (200, 201), pushed.text
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(sa.update(SeizureNotice).values(received_at=at("2026-11-20")))
    vetoes = [
        {"code": "lost_contact", "name": "脱失超过30天", "kind": "lost_contact_over_days", "days": 30},
        {
            "code": "unacknowledged",
            "name": "通知超过3天未签收",
            "kind": "notice_unacknowledged_over_days",
            "days": 3,
        },
        {"code": "major_case", "name": "发生重大涉毒案事件", "kind": "manual"},
    ]
    run = await built_run(client, county, write_rows, run_scheme, vetoes=vetoes)
    jinhu = result_of(run, JINHU)
    assert (jinhu["total"], jinhu["rank"], jinhu["vetoed"], jinhu["grade"], jinhu["named"]) == (
        44.0,
        1,
        True,
        "不合格",
        True,
    )
    assert {(veto["veto"], veto["count"]) for veto in jinhu["vetoes"]} == {
        ("lost_contact", 1),
        ("unacknowledged", 1),
    }
    assert result_of(run, ANYANG)["vetoed"] is False

    lead = await login("county_lead")
    anyang_id = str(units[ANYANG].id)
    struck = await client.put(
        f"{RUNS}/{run['id']}/scores/{anyang_id}/major_case",
        json={"vetoed": True, "reason": "辖区发生吸毒致死事件"},
        headers=lead,
    )
    assert struck.status_code == 200, struck.text
    anyang = result_of(struck.json(), ANYANG)
    assert (anyang["vetoed"], anyang["grade"], anyang["vetoes"]) == (
        True,
        "不合格",
        [{"veto": "major_case", "count": 0, "reason": "辖区发生吸毒致死事件"}],
    )
    computed = await client.put(
        f"{RUNS}/{run['id']}/scores/{anyang_id}/lost_contact",
        json={"vetoed": True, "reason": "手工"},
        headers=lead,
    )
    assert_problem(computed, 422)

    # The minor behind the veto, as each reader's list shows a minor: masked for the county's lead and auditor.
    jinhu_id = str(units[JINHU].id)
    for username in ("county_lead", "auditor", "jinhu_lead"):
        drill = await client.get(
            f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/lost_contact", headers=await login(username)
        )
        assert drill.status_code == 200, (username, drill.text)
        minors = drill.json()["minors"]
        assert [minor["id"] for minor in minors] == [file["minor"]["id"]]
        assert "*" in minors[0]["name"], username
        assert minors[0]["id_number"] is None or "*" in minors[0]["id_number"]
    notices = await client.get(f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/unacknowledged", headers=lead)
    assert len(notices.json()["notices"]) == 1


async def test_rerunning_a_finalised_scheme_gives_the_same_figures(
    client, county, login, write_rows, run_scheme
):
    run = await built_run(client, county, write_rows, run_scheme)
    lead = await login("county_lead")
    finalised = await client.post(f"{RUNS}/{run['id']}/finalise", headers=lead)
    assert finalised.status_code == 200
    assert finalised.json()["status"] == "finalised"
    again = await client.post(f"{SCHEMES}/{run['scheme_id']}/runs", json={"cut_off": CUT_OFF}, headers=lead)
    assert again.status_code == 201, again.text

    def figures(answer: dict[str, Any]) -> list[Any]:
        return [
            (
                r["unit"]["id"],
                s["indicator"],
                s["computed_score"],
                s["numerator"],
                s["denominator"],
                s["value"],
            )
            for r in answer["results"]
            for s in r["scores"]
        ]

    assert figures(again.json()) == figures(finalised.json())
    jinhu_id = str(county["units"][JINHU].id)
    for answer in (finalised.json(), again.json()):
        drill = await client.get(f"{RUNS}/{answer['id']}/units/{jinhu_id}/figures/activities", headers=lead)
        assert len(drill.json()["records"]) == 5

    # Finalised: nothing changes, nothing is written.
    changed = await client.put(
        f"{RUNS}/{run['id']}/scores/{jinhu_id}/leadership", json={"score": 5, "reason": "补评"}, headers=lead
    )
    assert_problem(changed, 409)
    assert_problem(await client.post(f"{RUNS}/{run['id']}/finalise", headers=lead), 409)
    after = await client.get(f"{RUNS}/{run['id']}", headers=lead)
    assert score_of(after.json(), JINHU, "leadership")["adjusted"] is False


async def test_a_unit_reads_its_own_result_and_no_other_units_explanation(
    client, county, login, write_rows, run_scheme
):
    run = await built_run(client, county, write_rows, run_scheme)
    jinhu_id, anyang_id = str(county["units"][JINHU].id), str(county["units"][ANYANG].id)
    jinhu_lead = await login("jinhu_lead")
    own = await client.get(f"{RUNS}/{run['id']}", headers=jinhu_lead)
    assert own.status_code == 200, own.text
    assert [r["unit"]["name"] for r in own.json()["results"]] == [JINHU]
    assert own.json()["sees_all"] is False
    explained = await client.get(f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/tasks", headers=jinhu_lead)
    assert explained.status_code == 200
    assert_problem(
        await client.get(f"{RUNS}/{run['id']}/units/{anyang_id}/figures/tasks", headers=jinhu_lead), 404
    )
    anyang_worker = await login("other_worker")
    assert_problem(
        await client.get(f"{RUNS}/{run['id']}/units/{jinhu_id}/figures/tasks", headers=anyang_worker), 404
    )
    # A school is not assessed by this scheme: no such run for it.
    assert_problem(await client.get(f"{RUNS}/{run['id']}", headers=await login("school_teacher")), 404)
    # The auditor of the issuing county reads all.
    audited = await client.get(f"{RUNS}/{run['id']}", headers=await login("auditor"))
    assert len(audited.json()["results"]) == 4
    # A township lead may not run or score the county's scheme.
    assert_problem(
        await client.put(
            f"{RUNS}/{run['id']}/scores/{jinhu_id}/leadership",
            json={"score": 10, "reason": "自评"},
            headers=jinhu_lead,
        ),
        403,
    )


async def test_bad_schemes_are_refused_and_nothing_is_written(client, county, login):
    lead = await login("county_lead")
    before = (await client.get(SCHEMES, headers=lead)).json()["total"]
    manual = {"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {}}
    two_sources = {**manual, "work_records": {"kind": "activities", "target": 4}}
    for indicators_in, overrides in (
        ([two_sources], {}),
        ([{**manual, "max_score": 0}], {}),
        ([{**manual, "max_score": -5}], {}),
        ([manual], {"grades": [{"label": "合格", "min_score": 60}, {"label": "优秀", "min_score": 90}]}),
        ([manual], {"grades": [{"label": "优秀", "min_score": 90}, {"label": "合格", "min_score": 60}]}),
        ([manual, manual], {}),
        ([{**manual, "rate": None, "manual": None}], {}),
        ([manual], {"period_end": "2025-12-31"}),
    ):
        answer = await client.post(
            SCHEMES, json=scheme_body(county, indicators_in, **overrides), headers=lead
        )
        assert_problem(answer, 422)
    assert (await client.get(SCHEMES, headers=lead)).json()["total"] == before
    # Only leads write schemes.
    assert_problem(
        await client.post(SCHEMES, json=scheme_body(county, [manual]), headers=await login("auditor")), 403
    )


async def test_a_rate_scores_linearly_and_by_thresholds(client, app, county, login, run_scheme, open_file):
    # Two open 锦湖 files since September; by the cut-off one is overdue (due 1 November), one is not.
    overdue, on_time = await open_file(), await open_file()
    async with app.state.sessionmaker() as session, session.begin():
        for care_file, due in ((overdue, date(2026, 11, 1)), (on_time, date(2026, 12, 20))):
            await session.execute(
                sa.update(CareFile)
                .where(CareFile.id == uuid.UUID(care_file["id"]))
                .values(opened_at=at("2026-09-01"), next_due_on=due, lost_contact_on=date(2027, 1, 1))
            )
    rate_indicators = [
        {
            "code": "overdue_linear",
            "name": "逾期率（线性）",
            "max_score": 10,
            "rate": {"rate": "overdue_share", "mapping": "linear", "floor": 1.0, "target": 0.0},
        },
        {
            "code": "overdue_steps",
            "name": "逾期率（分档）",
            "max_score": 10,
            "rate": {
                "rate": "overdue_share",
                "mapping": "thresholds",
                "better": "lower",
                "thresholds": [{"bound": 0.1, "score": 10}, {"bound": 0.5, "score": 6}],
            },
        },
    ]
    run = await run_scheme(scheme_body(county, rate_indicators, grades=GRADES))
    linear = score_of(run, JINHU, "overdue_linear")
    # 1 of 2 files overdue: 0.5, halfway from the floor (1.0) to the target (0.0) → 5 of 10.
    assert (linear["numerator"], linear["denominator"], linear["value"], linear["score"]) == (1, 2, 0.5, 5.0)
    # 0.5 is within the step "at most 0.5" (6 points), not "at most 0.1".
    assert score_of(run, JINHU, "overdue_steps")["score"] == 6.0
    # 安阳 has no open file: nothing to fall short on, full points.
    assert score_of(run, ANYANG, "overdue_linear")["denominator"] == 0
    assert score_of(run, ANYANG, "overdue_linear")["score"] == 10.0
    drill = await client.get(
        f"{RUNS}/{run['id']}/units/{county['units'][JINHU].id}/figures/overdue_linear",
        headers=await login("county_lead"),
    )
    assert [minor["id"] for minor in drill.json()["minors"]] == [overdue["minor"]["id"]]


MANUAL_ONLY = [
    {"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {"guidance": "查会议记录"}}
]
MAJOR_CASE = {"code": "major_case", "name": "发生重大涉毒案事件", "kind": "manual"}


async def test_scores_set_by_hand_are_refused_unless_they_fit_the_indicator(
    client, county, login, run_scheme
):
    run = await run_scheme(scheme_body(county, MANUAL_ONLY, vetoes=[MAJOR_CASE], grades=GRADES))
    lead = await login("county_lead")
    jinhu = str(county["units"][JINHU].id)
    scores = f"{RUNS}/{run['id']}/scores"
    before = assert_status(await client.get(f"{RUNS}/{run['id']}", headers=lead), 200)
    for url, body, type_, loc in (
        (f"{scores}/{jinhu}/leadership", {"vetoed": True, "reason": "误点"}, "score.not_veto", "vetoed"),
        (f"{scores}/{jinhu}/leadership", {"reason": "漏填分数"}, "score.missing", "score"),
        (f"{scores}/{jinhu}/major_case", {"reason": "未说明"}, "veto.missing", "vetoed"),
        (
            f"{scores}/{jinhu}/major_case",
            {"score": 3, "vetoed": True, "reason": "分数与否决混填"},
            "veto.missing",
            "vetoed",
        ),
    ):
        problem = assert_problem(await client.put(url, json=body, headers=lead), 422, "validation")
        assert [(error["loc"], error["type"]) for error in problem["errors"]] == [(["body", loc], type_)], (
            body
        )
    not_assessed = str(county["units"]["滨江社区"].id)
    for url in (f"{scores}/{jinhu}/no_such_indicator", f"{scores}/{not_assessed}/leadership"):
        missing = await client.put(url, json={"score": 1, "reason": "无"}, headers=lead)
        assert (
            assert_problem(missing, 404, "not-found")["detail"]
            == "No such unit or indicator in this assessment run."
        )
    unchanged = assert_status(await client.get(f"{RUNS}/{run['id']}", headers=lead), 200).json()
    assert unchanged == before.json()
    assert (result_of(unchanged, JINHU)["vetoed"], score_of(unchanged, JINHU, "leadership")["score"]) == (
        False,
        0.0,
    )


async def test_a_manual_veto_is_struck_restated_and_lifted(client, county, login, run_scheme):
    run = await run_scheme(scheme_body(county, MANUAL_ONLY, vetoes=[MAJOR_CASE], grades=GRADES))
    lead = await login("county_lead")
    url = f"{RUNS}/{run['id']}/scores/{county['units'][ANYANG].id}/major_case"

    async def vetoes_after(body: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
        anyang = result_of(assert_status(await client.put(url, json=body, headers=lead), 200).json(), ANYANG)
        return anyang["vetoed"], anyang["vetoes"]

    assert await vetoes_after({"vetoed": True, "reason": "辖区发生吸毒致死事件"}) == (
        True,
        [{"veto": "major_case", "count": 0, "reason": "辖区发生吸毒致死事件"}],
    )
    assert await vetoes_after({"vetoed": True, "reason": "辖区发生吸毒致死事件，经核实"}) == (
        True,
        [{"veto": "major_case", "count": 0, "reason": "辖区发生吸毒致死事件，经核实"}],
    )
    assert await vetoes_after({"vetoed": False, "reason": "经复核不属实"}) == (False, [])
    # Lifting what is not struck changes nothing but the run's version.
    assert await vetoes_after({"vetoed": False, "reason": "再次确认"}) == (False, [])


async def test_a_scheme_that_has_been_run_is_kept(client, county, login, run_scheme):
    lead = await login("county_lead")
    run = await run_scheme(scheme_body(county, MANUAL_ONLY, grades=GRADES))
    refused = await client.delete(f"{SCHEMES}/{run['scheme_id']}", headers=lead)
    assert (
        assert_problem(refused, 409, "conflict")["detail"] == "A scheme that has been run cannot be deleted."
    )
    assert_status(await client.get(f"{SCHEMES}/{run['scheme_id']}", headers=lead), 200)
    never_run = assert_status(
        await client.post(SCHEMES, json=scheme_body(county, MANUAL_ONLY, name="草稿方案"), headers=lead), 201
    ).json()
    assert_status(await client.delete(f"{SCHEMES}/{never_run['id']}", headers=lead), 204)
    assert_problem(await client.get(f"{SCHEMES}/{never_run['id']}", headers=lead), 404)


async def test_a_scheme_names_a_unit_and_campaigns_the_issuer_reaches(client, county, login):
    lead = await login("county_lead")
    nowhere = "00000000-0000-0000-0000-000000000000"
    no_root = await client.post(
        SCHEMES, json=scheme_body(county, MANUAL_ONLY, unit_root_id=nowhere), headers=lead
    )
    assert assert_problem(no_root, 422, "validation")["errors"] == [
        {"loc": ["body", "unit_root_id"], "msg": "no such unit in your scope", "type": "unit.not_found"}
    ]
    no_campaign = [
        {"code": "tasks", "name": "任务完成率", "max_score": 20, "campaign": {"campaign_id": nowhere}}
    ]
    answer = await client.post(SCHEMES, json=scheme_body(county, no_campaign), headers=lead)
    assert assert_problem(answer, 422, "validation")["errors"] == [
        {
            "loc": ["body", "indicators", 0, "campaign", "campaign_id"],
            "msg": "no such campaign",
            "type": "campaign.not_found",
        }
    ]
    assert (await client.get(SCHEMES, headers=lead)).json()["total"] == 0
