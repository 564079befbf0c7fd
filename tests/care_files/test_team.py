"""The 四位一体 team works in the file: a police officer and a teacher named on a file's team (and confirmed by
a lead) read its non-sensitive part and record the entries of their role; nothing else of care files opens to
them. Expected values are written out here, not read from the policy."""

from tests.care_files.conftest import CARE_FILES, days_ago
from tests.conftest import assert_status

# What a team member who does not see drug-use facts is kept from on a file (the sensitive class).
HIDDEN_FROM_TEAM_MEMBERS = [
    "alert",
    "closure.comment",
    "closure.note",
    "plan.goals",
    "plan.measures",
    # Whether a urine-test schedule is set tells of drug use: the sensitive class, hidden from team members.
    "plan.urine_test_interval_days",
    "trigger",
]


async def _file_with_team(client, login, open_file, user_id):
    return await open_file(
        lead="jinhu_worker",
        plan={
            "goals": "戒断依托咪酯",
            "team": [
                {"role": "police_officer", "user_id": await user_id("jinhu_police")},
                {"role": "teacher", "user_id": await user_id("school_teacher")},
                {"role": "family_member", "name": "王秀芳", "organisation": "母亲"},
            ],
        },
    )


async def test_team_members_work_in_the_file_once_a_lead_confirms_them(client, login, open_file, user_id):
    care_file = await _file_with_team(client, login, open_file, user_id)
    url = f"{CARE_FILES}/{care_file['id']}"
    police, teacher = await login("jinhu_police"), await login("school_teacher")
    # Named by the worker herself: until a lead confirms, the file stays closed to them.
    assert_status(await client.get(url, headers=police), 404)
    assert_status(await client.post(f"{url}/assignment/confirm", headers=await login("jinhu_lead")), 200)

    seen = await client.get(url, headers=police)
    assert_status(seen, 200)
    body = seen.json()
    assert sorted(body["hidden_fields"]) == HIDDEN_FROM_TEAM_MEMBERS
    assert "goals" not in body["plan"]
    assert body["minor"]["name"] == care_file["minor"]["name"]  # masked, as the worker's list shows it
    assert "*" in body["minor"]["name"]
    assert "*" in body["minor"]["id_number"]
    assert [member["name"] for member in body["team"]] == ["郑警官", "王老师", "王**"]
    assert body["recordable_kinds"] == ["home_visit", "urine_test"]
    teacher_view = (await client.get(url, headers=teacher)).json()
    assert teacher_view["recordable_kinds"] == ["talk", "education", "school_contact"]
    worker_view = (await client.get(url, headers=await login("jinhu_worker"))).json()
    assert worker_view["recordable_kinds"] == [
        "talk",
        "home_visit",
        "education",
        "urine_test",
        "family_contact",
        "school_contact",
        "referral",
        "note",
    ]

    urine = await client.post(
        f"{url}/entries",
        json={
            "kind": "urine_test",
            "occurred_at": days_ago(1),
            "summary": "派出所尿检",
            "urine_result": "negative",
        },
        headers=police,
    )
    assert_status(urine, 201)
    talk = await client.post(
        f"{url}/entries",
        json={"kind": "talk", "occurred_at": days_ago(0), "summary": "班主任谈心，情绪稳定"},
        headers=teacher,
    )
    assert_status(talk, 201)
    # The worker reads both, with who recorded them; the due date moved with the last contact.
    entries = (await client.get(f"{url}/entries", headers=await login("jinhu_worker"))).json()["items"]
    assert [(entry["kind"], entry["actor"], entry["summary"]) for entry in entries] == [
        ("talk", "王老师", "班主任谈心，情绪稳定"),
        ("urine_test", "郑警官", "派出所尿检"),
    ]
    # The police officer's own timeline: a urine test tells of drug use and is left out; a talk has no summary.
    police_entries = (await client.get(f"{url}/entries", headers=police)).json()["items"]
    assert [(entry["kind"], entry["actor"], entry.get("summary")) for entry in police_entries] == [
        ("talk", "王老师", None)
    ]


async def test_a_team_member_records_only_the_entries_of_their_role(client, login, open_file, user_id):
    care_file = await _file_with_team(client, login, open_file, user_id)
    url = f"{CARE_FILES}/{care_file['id']}"
    assert_status(await client.post(f"{url}/assignment/confirm", headers=await login("jinhu_lead")), 200)
    police, teacher = await login("jinhu_police"), await login("school_teacher")
    for headers, kind in (
        (police, "talk"),
        (police, "referral"),
        (teacher, "urine_test"),
        (teacher, "home_visit"),
    ):
        refused = await client.post(
            f"{url}/entries",
            json={"kind": kind, "occurred_at": days_ago(0), "summary": "越权记录", "urine_result": "negative"}
            if kind == "urine_test"
            else {"kind": kind, "occurred_at": days_ago(0), "summary": "越权记录", "referral_kind": "job"}
            if kind == "referral"
            else {"kind": kind, "occurred_at": days_ago(0), "summary": "越权记录"},
            headers=headers,
        )
        assert_status(refused, 403)
        assert refused.headers["content-type"] == "application/problem+json"
    entries = (await client.get(f"{url}/entries", headers=await login("jinhu_worker"))).json()
    assert entries["total"] == 0
    # Nor do they change the plan or the team, or reach the unit's care settings.
    patch = await client.patch(
        url, json={"goals": "改"}, headers={**police, "If-Match": f'"{care_file["version"]}"'}
    )
    assert_status(patch, 403)
    assert_status(await client.get("/api/v1/care-settings", headers=police), 403)


async def test_a_team_member_reaches_only_the_files_naming_them(client, login, open_file, user_id):
    named = await _file_with_team(client, login, open_file, user_id)
    other = await open_file(lead="jinhu_worker", as_="jinhu_lead")
    assert_status(
        await client.post(
            f"{CARE_FILES}/{named['id']}/assignment/confirm", headers=await login("jinhu_lead")
        ),
        200,
    )
    police = await login("jinhu_police")
    listed = await client.get(CARE_FILES, params={"limit": 200}, headers=police)
    assert_status(listed, 200)
    ids = {item["id"] for item in listed.json()["items"]}
    assert named["id"] in ids
    assert other["id"] not in ids
    assert_status(await client.get(f"{CARE_FILES}/{other['id']}", headers=police), 404)
    assert_status(await client.get(f"{CARE_FILES}/{other['id']}/entries", headers=police), 404)
    refused = await client.post(
        f"{CARE_FILES}/{other['id']}/entries",
        json={"kind": "home_visit", "occurred_at": days_ago(0), "summary": "家访"},
        headers=police,
    )
    assert_status(refused, 404)
    # The education bureau and the auditor's lack of care_files:team changes nothing for them.
    assert_status(await client.get(CARE_FILES, headers=await login("edu_officer")), 403)


async def test_team_members_come_from_the_managing_units_subtree(client, login, open_file, user_id):
    care_file = await open_file(lead="jinhu_worker", as_="jinhu_lead")
    answer = await client.patch(
        f"{CARE_FILES}/{care_file['id']}",
        json={"team": [{"role": "teacher", "user_id": await user_id("other_worker")}]},  # another township
        headers={**await login("jinhu_lead"), "If-Match": f'"{care_file["version"]}"'},
    )
    assert_status(answer, 422)
    assert answer.json()["errors"][0]["loc"] == ["body", "team", 0, "user_id"]
    unchanged = (
        await client.get(f"{CARE_FILES}/{care_file['id']}", headers=await login("jinhu_lead"))
    ).json()
    assert unchanged["team"] == []


async def test_the_team_form_offers_the_units_police_officers_and_teachers(client, login):
    answer = await client.get("/api/v1/care-settings/team-candidates", headers=await login("jinhu_worker"))
    assert_status(answer, 200)
    offered = {(person["name"], person["unit"]["name"], person["team_role"]) for person in answer.json()}
    assert ("郑警官", "锦湖派出所", "police_officer") in offered
    assert ("王老师", "瑞安市锦湖中学", "teacher") in offered
    assert not {name for name, _, _ in offered} & {"周社工", "林站长", "吴社工", "陈主任"}
    assert_status(
        await client.get("/api/v1/care-settings/team-candidates", headers=await login("jinhu_police")), 403
    )
