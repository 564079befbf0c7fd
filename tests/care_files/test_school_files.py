"""School-kept files (学校一人一档, seed 000: 教育部门要针对“双差生”、“重点生”…建立一人一档关爱档案…定期开展回访谈心谈话):
a school's staff open and lead a file of their own for a pupil of their school recorded as dropped out, out of
school or 双差生, record their talks and home visits at the plan's interval, and find it on their to-do list; the
pupil's station sees that it exists and reads it, but does not work it; the school sees nothing more of the pupil
than before. Expected values are written out here."""

from datetime import timedelta

from backend.db import local_today
from tests.care_files.conftest import CARE_FILES, days_ago
from tests.conftest import assert_problem, assert_status

SCHOOL_FILES = f"{CARE_FILES}/school"
SCHOOL_KINDS = ["talk", "home_visit", "education", "family_contact", "school_contact", "note"]


async def _pupil(register, person, **fields):
    """A pupil of 瑞安市锦湖中学 registered by its teacher (the school is the teacher's own)."""
    fields.setdefault("risk_categories", ["double_poor"])
    fields.setdefault("substances", [])
    return await register(person(), as_="school_teacher", risk_level="low", **fields)


async def test_a_school_keeps_its_own_file_for_a_double_poor_pupil(client, login, register, person):
    teacher = await login("school_teacher")
    pupil = await _pupil(register, person)
    opened = await client.post(
        SCHOOL_FILES,
        json={
            "minor_id": pupil["id"],
            "goals": "改善学习习惯，减少旷课",
            "measures": "每两周谈心谈话一次，每学期家访一次",
            "interval_days": 5,
            "team": [{"role": "family_member", "name": "李秀英", "organisation": "母亲"}],
        },
        headers=teacher,
    )
    assert_status(opened, 201)
    care_file = opened.json()
    assert opened.headers["Location"] == f"{CARE_FILES}/{care_file['id']}"
    assert care_file["kept_by_school"]["name"] == "瑞安市锦湖中学"
    assert care_file["managing_unit"]["name"] == "锦湖街道"
    assert care_file["lead_worker"]["name"] == "王老师"
    assert care_file["trigger"] == "school"
    assert care_file["plan"] == {
        "goals": "改善学习习惯，减少旷课",
        "measures": "每两周谈心谈话一次，每学期家访一次",
        "interval_days": 5,
    }
    # Whether a urine-test schedule is set tells of drug use: the sensitive class, which a school does not see,
    # even on its own file (a school-kept file records no urine tests).
    assert care_file["hidden_fields"] == ["alert", "plan.urine_test_interval_days"]
    assert care_file["recordable_kinds"] == SCHOOL_KINDS
    assert care_file["next_due_on"] == (local_today() + timedelta(days=5)).isoformat()
    # Nothing more of the pupil than the school's staff see on the pupil's own page.
    own_page = assert_status(await client.get(f"/api/v1/minors/{pupil['id']}", headers=teacher), 200).json()
    assert "*" in care_file["minor"]["name"]
    assert care_file["minor"]["name"] == own_page["name"]
    assert "*" in care_file["minor"]["id_number"]
    assert {"substances", "source", "sensitive_risk_categories"} <= set(care_file["minor"]["hidden_fields"])
    assert "substances" not in care_file["minor"]

    # The teacher records a talk; the next talk falls due a plan's interval later.
    url = f"{CARE_FILES}/{care_file['id']}"
    talk = await client.post(
        f"{url}/entries",
        json={"kind": "talk", "occurred_at": days_ago(0), "summary": "谈心谈话：本周按时到校"},
        headers=teacher,
    )
    assert_status(talk, 201)
    assert talk.json()["last_contact_on"] == local_today().isoformat()
    assert talk.json()["next_due_on"] == (local_today() + timedelta(days=5)).isoformat()
    visit = await client.post(
        f"{url}/entries",
        json={"kind": "home_visit", "occurred_at": days_ago(0), "summary": "家访：与母亲沟通作业情况"},
        headers=teacher,
    )
    assert_status(visit, 201)
    entries = assert_status(await client.get(f"{url}/entries", headers=teacher), 200).json()["items"]
    assert sorted((item["kind"], item["summary"]) for item in entries) == [
        ("home_visit", "家访：与母亲沟通作业情况"),
        ("talk", "谈心谈话：本周按时到校"),
    ]

    # Due within seven days: on the teacher's to-do list, and on the school files' worklist.
    todo = assert_status(await client.get("/api/v1/me/todo", headers=teacher), 200).json()["items"]
    due = [item for item in todo if item["kind"] == "school_files.due_soon"]
    assert len(due) == 1
    assert due[0]["title"] == "7日内到期的学校一人一档回访"
    assert str(care_file["id"]) in due[0]["object_ids"]
    assert due[0]["link"] == "/api/v1/care-files?kept_by_school=true&due=due_soon"
    listed = assert_status(
        await client.get(CARE_FILES, params={"kept_by_school": "true", "due": "due_soon"}, headers=teacher),
        200,
    ).json()
    assert [item["id"] for item in listed["items"]] == [care_file["id"]]

    # The township station sees that it exists and reads it, but the school works it.
    worker = await login("jinhu_worker")
    seen = assert_status(await client.get(url, headers=worker), 200).json()
    assert seen["kept_by_school"]["name"] == "瑞安市锦湖中学"
    assert seen["recordable_kinds"] == []
    station_entry = await client.post(
        f"{url}/entries",
        json={"kind": "talk", "occurred_at": days_ago(0), "summary": "社工谈话"},
        headers=worker,
    )
    assert_problem(station_entry, 403)
    by_minor = assert_status(
        await client.get(CARE_FILES, params={"minor_id": pupil["id"]}, headers=worker), 200
    ).json()
    assert [item["id"] for item in by_minor["items"]] == [care_file["id"]]
    # The station's worklists are the files it works.
    station_due = assert_status(
        await client.get(
            CARE_FILES, params={"due": "due_soon", "mine": "false", "minor_id": pupil["id"]}, headers=worker
        ),
        200,
    ).json()
    assert station_due["total"] == 0
    # A pupil has one open school file.
    again = await client.post(SCHOOL_FILES, json={"minor_id": pupil["id"]}, headers=teacher)
    assert assert_problem(again, 409)["existing_id"] == care_file["id"]


async def test_a_school_file_stands_beside_the_stations_file_and_shows_nothing_of_it(
    client, login, register, person, user_id
):
    teacher, worker = await login("school_teacher"), await login("jinhu_worker")
    pupil = await _pupil(register, person)
    station = await client.post(
        CARE_FILES,
        json={
            "minor_id": pupil["id"],
            "lead_worker_id": await user_id("jinhu_worker"),
            "goals": "戒断依托咪酯",
        },
        headers=worker,
    )
    assert_status(station, 201)
    school = assert_status(
        await client.post(SCHOOL_FILES, json={"minor_id": pupil["id"], "goals": "按时到校"}, headers=teacher),
        201,
    ).json()
    assert school["id"] != station.json()["id"]
    # The teacher (not on the station file's team) reaches the school's file only.
    assert_status(await client.get(f"{CARE_FILES}/{station.json()['id']}", headers=teacher), 404)
    mine = assert_status(
        await client.get(CARE_FILES, params={"minor_id": pupil["id"]}, headers=teacher), 200
    ).json()
    assert [item["id"] for item in mine["items"]] == [school["id"]]
    # The station still has its own one file, and opens no second one.
    again = await client.post(
        CARE_FILES,
        json={"minor_id": pupil["id"], "lead_worker_id": await user_id("jinhu_worker")},
        headers=worker,
    )
    assert assert_problem(again, 409)["existing_id"] == station.json()["id"]
    station_files = assert_status(
        await client.get(
            CARE_FILES, params={"minor_id": pupil["id"], "kept_by_school": "false"}, headers=worker
        ),
        200,
    ).json()
    assert [item["id"] for item in station_files["items"]] == [station.json()["id"]]


async def test_bad_input_opens_nothing(client, login, register, person, county, user_id):
    teacher = await login("school_teacher")
    # A pupil of another school: not in the teacher's scope at all.
    elsewhere = await register(
        person(),
        as_="jinhu_worker",
        risk_categories=["double_poor"],
        substances=[],
        school_id=str(county["units"]["瑞安市锦湖第一小学"].id),
    )
    assert_problem(await client.post(SCHOOL_FILES, json={"minor_id": elsewhere["id"]}, headers=teacher), 404)
    # A pupil in no school category: a clear refusal, in Chinese for a Chinese reader.
    plain = await _pupil(register, person, risk_categories=["left_behind"])
    refused = await client.post(
        SCHOOL_FILES, json={"minor_id": plain["id"]}, headers={**teacher, "Accept-Language": "zh-CN"}
    )
    problem = assert_problem(refused, 422)
    assert [(error["loc"], error["type"], error["msg"]) for error in problem["errors"]] == [
        (
            ["body", "minor_id"],
            "care_file.school_category",
            "学校只为登记为辍学、失学或双差生的学生建立一人一档",
        )
    ]
    # A lead or team member who is not of the school's staff.
    pupil = await _pupil(register, person, risk_categories=["dropout"], schooling_status="dropped_out")
    police = await user_id("jinhu_police")
    for body, loc in (
        ({"lead_worker_id": police}, ["body", "lead_worker_id"]),
        ({"team": [{"role": "police_officer", "user_id": police}]}, ["body", "team", 0, "user_id"]),
    ):
        wrong = await client.post(SCHOOL_FILES, json={"minor_id": pupil["id"], **body}, headers=teacher)
        assert assert_problem(wrong, 422)["errors"][0]["loc"] == loc
    # Only a school's staff open school files; a station keeps its own.
    assert_problem(
        await client.post(SCHOOL_FILES, json={"minor_id": pupil["id"]}, headers=await login("jinhu_worker")),
        403,
    )
    # Nothing was opened by any of these.
    none = assert_status(
        await client.get(CARE_FILES, params={"kept_by_school": "true"}, headers=teacher), 200
    ).json()
    assert none["total"] == 0

    # On its own file, the school records its kinds only: no urine test, no referral.
    opened = assert_status(
        await client.post(SCHOOL_FILES, json={"minor_id": pupil["id"]}, headers=teacher), 201
    )
    url = f"{CARE_FILES}/{opened.json()['id']}/entries"
    urine = await client.post(
        url,
        json={
            "kind": "urine_test",
            "occurred_at": days_ago(0),
            "summary": "尿检",
            "urine_result": "negative",
        },
        headers=teacher,
    )
    assert_problem(urine, 403)
    referral = await client.post(
        url,
        json={
            "kind": "referral",
            "occurred_at": days_ago(0),
            "summary": "转介",
            "referral_kind": "counselling",
        },
        headers=teacher,
    )
    assert_problem(referral, 403)
    assert assert_status(await client.get(url, headers=teacher), 200).json()["total"] == 0
