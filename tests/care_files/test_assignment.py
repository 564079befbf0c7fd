"""Files assigned in the app: the lead's "to assign" list, the on-duty worker of automatically opened files,
a replaced lead worker's reason kept in the timeline, and the due lists a filter and a worklist agree on."""

from datetime import timedelta

from backend.db import local_today
from tests.care_files.conftest import CARE_FILES
from tests.conftest import assert_status

ON_DUTY = "/api/v1/care-settings/on-duty"
TODO = "/api/v1/me/todo"


async def _file_of(client, headers, minor_id):
    listing = (await client.get(CARE_FILES, params={"minor_id": minor_id}, headers=headers)).json()
    assert listing["total"] == 1, listing
    return listing["items"][0]


async def test_a_file_opened_without_a_lead_worker_waits_on_the_leads_to_assign_list(
    client, login, register, person, user_id
):
    lead = await login("jinhu_lead")
    minor = await register(person(), risk_categories=["nps_abuse"], substances=["etomidate"])
    opened = await _file_of(client, lead, minor["id"])
    assert opened["lead_worker"] is None

    to_assign = (
        await client.get(CARE_FILES, params={"unassigned": "true", "limit": 200}, headers=lead)
    ).json()
    assert opened["id"] in {item["id"] for item in to_assign["items"]}
    todo = (await client.get(TODO, headers=lead)).json()["items"]
    item = next(item for item in todo if item["kind"] == "care_files.to_assign")
    assert item["title"] == "待指派主责社工的帮教档案"
    assert item["link"] == "/api/v1/care-files?unassigned=true"
    assert item["count"] == to_assign["total"]
    assert opened["id"] in item["object_ids"]

    worker_id = await user_id("jinhu_worker")
    assigned = await client.patch(
        f"{CARE_FILES}/{opened['id']}",
        json={"lead_worker_id": worker_id},
        headers={**lead, "If-Match": f'"{opened["version"]}"'},
    )
    assert_status(assigned, 200)
    assert assigned.json()["lead_worker"] == {"id": worker_id, "name": "周社工"}
    after = (await client.get(CARE_FILES, params={"unassigned": "true", "limit": 200}, headers=lead)).json()
    assert opened["id"] not in {item["id"] for item in after["items"]}
    assert after["total"] == to_assign["total"] - 1
    # The worker now finds it among her own files.
    mine = (
        await client.get(
            CARE_FILES, params={"mine": "true", "limit": 200}, headers=await login("jinhu_worker")
        )
    ).json()
    assert opened["id"] in {item["id"] for item in mine["items"]}


async def test_files_given_automatically_name_the_on_duty_worker(client, login, register, person, user_id):
    lead = await login("jinhu_lead")
    worker_id = await user_id("jinhu_worker")
    set_duty = await client.put(ON_DUTY, json={"user_id": worker_id}, headers=lead)
    assert_status(set_duty, 200)
    assert set_duty.json()["on_duty_worker"] == {"id": worker_id, "name": "周社工"}
    assert (await client.get("/api/v1/care-settings", headers=lead)).json()["on_duty_worker"][
        "name"
    ] == "周社工"

    minor = await register(person(), risk_categories=["nps_abuse"], substances=["etomidate"])
    opened = await _file_of(client, lead, minor["id"])
    assert opened["lead_worker"] == {"id": worker_id, "name": "周社工"}
    # The lead chose the on-duty worker in advance: the assignment counts as confirmed.
    assert opened["assignment_confirmed"] is True

    cleared = await client.put(ON_DUTY, json={"user_id": None}, headers=lead)
    assert_status(cleared, 200)
    assert cleared.json()["on_duty_worker"] is None
    later = await register(person(), risk_categories=["nps_abuse"], substances=["ketamine"])
    assert (await _file_of(client, lead, later["id"]))["lead_worker"] is None


async def test_on_duty_worker_must_be_a_worker_of_the_unit_and_set_by_a_lead(client, login, user_id, county):
    lead = await login("jinhu_lead")
    elsewhere = await client.put(
        ON_DUTY,
        json={"unit_id": str(county["units"]["安阳街道"].id), "user_id": await user_id("other_worker")},
        headers=lead,
    )
    assert_status(elsewhere, 422)  # another township is out of the lead's scope
    assert elsewhere.json()["errors"][0]["loc"] == ["body", "unit_id"]
    for username in ("other_worker", "jinhu_police", "school_teacher"):  # another township; cannot lead files
        refused = await client.put(ON_DUTY, json={"user_id": await user_id(username)}, headers=lead)
        assert_status(refused, 422)
        assert refused.json()["errors"][0]["loc"] == ["body", "user_id"]
    by_worker = await client.put(
        ON_DUTY, json={"user_id": await user_id("jinhu_worker")}, headers=await login("jinhu_worker")
    )
    assert_status(by_worker, 403)
    assert (await client.get("/api/v1/care-settings", headers=lead)).json()["on_duty_worker"] is None


async def test_replacing_the_lead_worker_needs_a_reason_kept_in_the_timeline(
    client, login, open_file, user_id
):
    care_file = await open_file(lead="jinhu_worker", as_="jinhu_lead")
    lead = await login("jinhu_lead")
    etag = {"If-Match": f'"{care_file["version"]}"'}
    lead_id = await user_id("jinhu_lead")

    no_reason = await client.patch(
        f"{CARE_FILES}/{care_file['id']}", json={"lead_worker_id": lead_id}, headers={**lead, **etag}
    )
    assert_status(no_reason, 422)
    assert no_reason.json()["errors"][0]["loc"] == ["body", "reason"]
    unchanged = (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=lead)).json()
    assert unchanged["lead_worker"]["name"] == "周社工"
    assert unchanged["version"] == care_file["version"]

    replaced = await client.patch(
        f"{CARE_FILES}/{care_file['id']}",
        json={"lead_worker_id": lead_id, "reason": "周社工休产假"},
        headers={**lead, **etag},
    )
    assert_status(replaced, 200)
    assert replaced.json()["lead_worker"] == {"id": lead_id, "name": "林站长"}
    entries = (await client.get(f"{CARE_FILES}/{care_file['id']}/entries", headers=lead)).json()["items"]
    note = next(entry for entry in entries if entry["kind"] == "note")
    assert note["summary"] == "主责社工由周社工改为林站长。原因：周社工休产假"
    assert note["actor"] == "林站长"
    # The note is no contact: the due date stays where the plan put it.
    assert replaced.json()["next_due_on"] == care_file["next_due_on"]


async def test_the_due_filter_lists_what_the_rows_say_unless_asked_for_my_own(
    client, login, open_file, add_entry
):
    care_file = await open_file(lead="jinhu_worker", as_="jinhu_lead", plan={"interval_days": 5})
    assert care_file["next_due_on"] == (local_today() + timedelta(days=5)).isoformat()
    assert care_file["due_state"] == "due_soon"
    other = await login("other_worker")  # another township: not in scope at all
    worker = await login("jinhu_worker")
    lead = await login("jinhu_lead")

    async def due_soon_ids(headers, **params):
        page = await client.get(
            CARE_FILES, params={"due": "due_soon", "limit": 200, **params}, headers=headers
        )
        assert_status(page, 200)
        return {item["id"] for item in page.json()["items"]}

    assert care_file["id"] in await due_soon_ids(lead)
    assert care_file["id"] in await due_soon_ids(lead, mine="false")
    assert care_file["id"] not in await due_soon_ids(lead, mine="true")  # the lead is not on this file
    assert care_file["id"] in await due_soon_ids(worker)
    assert care_file["id"] in await due_soon_ids(worker, mine="true")
    assert care_file["id"] not in await due_soon_ids(other, mine="false")

    todo = (await client.get(TODO, headers=worker)).json()["items"]
    due = next(item for item in todo if item["kind"] == "care_files.due_soon")
    assert due["title"] == "7日内到期的回访"
    assert due["link"] == "/api/v1/care-files?due=due_soon&mine=true"
    lead_due = next(
        item
        for item in (await client.get(TODO, headers=lead)).json()["items"]
        if item["kind"] == "care_files.due_soon"
    )
    assert lead_due["link"] == "/api/v1/care-files?due=due_soon&mine=false"
    assert care_file["id"] in lead_due["object_ids"]
    assert care_file["id"] in due["object_ids"]


# What each role's to-do centre may hold: kinds of its own work only (a school never hears of care files,
# seizure notices or positive tests; the auditor and the bureau have no casework waiting).
TODO_KINDS_BY_USER = {
    "jinhu_worker": {
        "care_files.overdue",
        "care_files.lost_contact",
        "care_files.due_soon",
        "seizure_notices.to_acknowledge",
        "transfers.to_answer",
        "transfers.awaiting_receipt",
        "task_reports.late",
        "task_reports.due_soon",
        "task_reports.returned",
    },
    "school_teacher": {"task_reports.late", "task_reports.due_soon", "task_reports.returned"},
    "jinhu_police": {"seizure_notices.not_taken_up"},
    "auditor": set(),
    "edu_officer": {"task_reports.to_review"},
}


async def test_each_role_sees_only_its_own_kinds_of_work(client, login, register, person):
    await register(person(), risk_categories=["nps_abuse"], substances=["etomidate"])  # a file to assign
    for username, allowed in TODO_KINDS_BY_USER.items():
        answer = await client.get(TODO, headers=await login(username))
        assert_status(answer, 200)
        kinds = {item["kind"] for item in answer.json()["items"]}
        assert kinds <= allowed, (username, kinds - allowed)
        for item in answer.json()["items"]:
            assert item["count"] >= len(item["object_ids"]) >= 1
    lead_kinds = {
        item["kind"] for item in (await client.get(TODO, headers=await login("jinhu_lead"))).json()["items"]
    }
    assert "care_files.to_assign" in lead_kinds


async def test_the_todo_centre_needs_a_login(client):
    answer = await client.get(TODO)
    assert_status(answer, 401)
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_assignment_form_offers_the_units_workers_and_leads(client, login):
    answer = await client.get("/api/v1/care-settings/lead-candidates", headers=await login("jinhu_worker"))
    assert_status(answer, 200)
    names = [person["name"] for person in answer.json()]
    assert "周社工" in names
    assert "林站长" in names
    assert not {"吴社工", "郑警官", "王老师", "陈主任"} & set(names)  # another township, not leads, above
    refused = await client.get("/api/v1/care-settings/lead-candidates", headers=await login("school_teacher"))
    assert_status(refused, 403)
