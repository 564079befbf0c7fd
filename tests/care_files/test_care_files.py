"""Care files over HTTP: one open file per minor, the plan and team, the timeline and its derived due dates,
worklists, closure with approval, scope and roles."""

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.care_files.models import CareEntry, CareFile, CareFileYear
from backend.db import local_today
from backend.minors.models import Minor
from tests.care_files.conftest import CARE_FILES, TRANSFERS, days_ago
from tests.conftest import assert_problem, assert_status


async def test_a_file_names_its_lead_worker_and_plan_with_due_dates_from_the_unit_defaults(open_file):
    care_file = await open_file(risk_level="medium")
    assert care_file["status"] == "open"
    assert care_file["trigger"] == "manual"
    assert care_file["lead_worker"]["name"] == "周社工"
    assert care_file["managing_unit"]["name"] == "锦湖街道"
    assert care_file["plan"] == {
        "goals": "稳定就学",
        "measures": "",
        "interval_days": 14,
        "urine_test_interval_days": None,
    }
    assert care_file["last_contact_on"] is None
    assert care_file["next_due_on"] == (local_today() + timedelta(days=14)).isoformat()
    assert care_file["due_state"] is None
    # A social worker who names herself responsible waits for a lead's confirmation like anyone else: until
    # then the detail view keeps the identity masked.
    assert care_file["assignment_confirmed"] is False
    assert "name" in care_file["minor"]["masked_fields"]


async def test_a_lead_confirms_a_self_named_worker_and_only_then_she_sees_the_identity(
    client, login, open_file
):
    care_file = await open_file()
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    minor_url = f"/api/v1/minors/{care_file['minor']['id']}"
    before = (await client.get(minor_url, headers=worker)).json()
    assert "name" in before["masked_fields"]
    assert "id_number" in before["revealable_fields"]
    refused = await client.post(f"{CARE_FILES}/{care_file['id']}/assignment/confirm", headers=worker)
    assert_problem(refused, 403)
    confirmed = await client.post(f"{CARE_FILES}/{care_file['id']}/assignment/confirm", headers=lead)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["assignment_confirmed"] is True
    after = (await client.get(minor_url, headers=worker)).json()
    assert "name" not in after["masked_fields"]
    assert "id_number" not in after["masked_fields"]
    # Each such view is an event of its own kind, in "who viewed this record".
    trail = (
        await client.get(
            "/api/v1/audit-events",
            params={"object_type": "minor", "object_id": care_file["minor"]["id"]},
            headers=lead,
        )
    ).json()["items"]
    actions = [event["action"] for event in trail if event["actor_name"] == "jinhu_worker"]
    assert actions[:2] == ["minor.identity_shown", "minor.viewed"]
    assert trail[0]["fields"] == sorted(
        ["name", "id_number", "birth_date", "phone", "guardians", "household_address", "residence_address"]
    )
    # A change of team by the worker drops nobody's confirmation who stays named; a new name waits again.
    file_page = await client.get(f"{CARE_FILES}/{care_file['id']}", headers=worker)
    assert file_page.json()["minor"]["name"] == after["name"]


async def test_one_open_file_per_minor_by_the_api_and_by_the_database(app, client, login, open_file):
    care_file = await open_file()
    again = await client.post(
        CARE_FILES,
        json={"minor_id": care_file["minor"]["id"], "lead_worker_id": care_file["lead_worker"]["id"]},
        headers=await login("jinhu_worker"),
    )
    assert assert_problem(again, 409)["existing_id"] == care_file["id"]
    async with app.state.sessionmaker() as session:
        original = await session.get(CareFile, uuid.UUID(care_file["id"]))
        assert original is not None
        twin = CareFile(
            **{
                **original.model_dump(exclude={"id", "team", "responsible_user_ids"}, warnings=False),
                "team": [],
                "responsible_user_ids": [],
            }
        )
        session.add(twin)
        with pytest.raises(sa.exc.IntegrityError):
            await session.commit()


async def test_registration_in_a_sensitive_category_opens_a_file(client, login, register, person):
    headers = await login("jinhu_lead")
    sensitive = await register(person(), risk_categories=["nps_abuse"], substances=["etomidate"])
    plain = await register(person(), risk_categories=["dropout"], substances=[])
    for minor, expected in ((sensitive, 1), (plain, 0)):
        listing = (await client.get(CARE_FILES, params={"minor_id": minor["id"]}, headers=headers)).json()
        assert listing["total"] == expected
    opened = (await client.get(CARE_FILES, params={"minor_id": sensitive["id"]}, headers=headers)).json()
    assert opened["items"][0]["trigger"] == "registration"
    assert opened["items"][0]["lead_worker"] is None  # the lead names someone


async def test_recording_moves_the_due_date_and_an_entry_may_set_it(client, login, open_file, add_entry):
    care_file = await open_file()
    talk = await add_entry(care_file, occurred_at=days_ago(3))
    assert talk.status_code == 201, talk.text
    after = talk.json()
    three_days_ago = local_today() - timedelta(days=3)
    assert after["last_contact_on"] == three_days_ago.isoformat()
    assert after["next_due_on"] == (three_days_ago + timedelta(days=14)).isoformat()
    chosen = local_today() + timedelta(days=5)
    visit = await add_entry(care_file, kind="home_visit", next_due_on=chosen.isoformat())
    assert visit.json()["next_due_on"] == chosen.isoformat()
    assert visit.json()["due_state"] == "due_soon"
    assert visit.json()["version"] > after["version"]


async def test_a_positive_urine_test_raises_the_risk_level_and_alerts_the_lead(
    client, login, open_file, add_entry
):
    care_file = await open_file(risk_level="low")
    assert care_file["plan"]["interval_days"] == 30
    response = await add_entry(care_file, kind="urine_test", urine_result="positive", summary="尿检阳性")
    assert response.status_code == 201, response.text
    assert response.json()["plan"]["interval_days"] == 7
    assert response.json()["alert"]["kind"] == "positive_urine_test"
    lead = await login("jinhu_lead")
    minor = (await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=lead)).json()
    assert minor["risk_level"] == "high"
    alerts = (await client.get(CARE_FILES, params={"alert": "true"}, headers=lead)).json()
    assert [item["id"] for item in alerts["items"]] == [care_file["id"]]
    assert_problem(
        await client.post(
            f"{CARE_FILES}/{care_file['id']}/alert/acknowledge", headers=await login("jinhu_worker")
        ),
        403,
    )
    cleared = await client.post(f"{CARE_FILES}/{care_file['id']}/alert/acknowledge", headers=lead)
    assert cleared.json()["alert"] is None


@pytest.mark.parametrize(
    ("fields", "field", "problem_type"),
    [
        ({"occurred_at": days_ago(-1)}, "occurred_at", "date.future"),
        ({"occurred_at": days_ago(365 * 40)}, "occurred_at", "date.before_birth"),
        ({"occurred_at": "2026-11-20T10:00:00"}, "occurred_at", None),  # no time zone
        ({"kind": "urine_test"}, "urine_result", "entry.result_required"),
        ({"kind": "talk", "urine_result": "negative"}, "urine_result", "entry.result_not_allowed"),
        ({"kind": "referral"}, "referral_kind", "entry.referral_required"),
        ({"kind": "chat"}, "kind", None),
        ({"summary": ""}, "summary", None),
        ({"next_due_on": "2000-01-01"}, "next_due_on", "date.not_after"),
        ({"corrects_id": "00000000-0000-0000-0000-000000000000"}, "corrects_id", "entry.not_found"),
    ],
)
async def test_bad_entries_are_refused_naming_the_field_and_nothing_is_written(
    app, client, login, open_file, add_entry, fields, field, problem_type
):
    care_file = await open_file()
    async with app.state.sessionmaker() as session:
        events_before = await session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    problem = assert_problem(await add_entry(care_file, **fields), 422, "validation")
    assert problem["errors"][0]["loc"][-1] == field, problem
    if problem_type:
        assert problem["errors"][0]["type"] == problem_type
    assert field in problem["detail"]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(CareEntry)) == 0
        assert await session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before
        stored = await session.get(CareFile, uuid.UUID(care_file["id"]))
        assert stored is not None
        assert stored.version == care_file["version"]


async def test_a_correction_is_a_new_version_and_the_old_one_stays_for_leads_and_auditors(
    client, login, open_file, add_entry
):
    care_file = await open_file()
    assert_status(await add_entry(care_file, summary="第一次记录（有误）"), 201)
    worker = await login("jinhu_worker")
    entries_url = f"{CARE_FILES}/{care_file['id']}/entries"
    original = (await client.get(entries_url, headers=worker)).json()["items"][0]
    corrected = await add_entry(care_file, summary="更正后的记录", corrects_id=original["id"])
    assert corrected.status_code == 201, corrected.text
    assert [
        entry["summary"] for entry in (await client.get(entries_url, headers=worker)).json()["items"]
    ] == ["更正后的记录"]
    history = (await client.get(entries_url, headers=await login("jinhu_lead"))).json()["items"]
    assert {entry["summary"] for entry in history} == {"第一次记录（有误）", "更正后的记录"}
    old = next(entry for entry in history if entry["id"] == original["id"])
    assert old["superseded_by"] is not None
    # Auditors see that entries exist and who wrote them, never their contents.
    audited = (await client.get(entries_url, headers=await login("auditor"))).json()["items"]
    assert len(audited) == 2
    assert all("summary" not in entry and "summary" in entry["hidden_fields"] for entry in audited)
    assert_problem(await add_entry(care_file, summary="再改一次", corrects_id=original["id"]), 409)


async def test_worklists_are_computed_from_contacts_and_intervals(client, login, open_file, add_entry):
    on_time = await open_file()
    assert_status(await add_entry(on_time, occurred_at=days_ago(1)), 201)
    due_soon = await open_file()
    assert_status(await add_entry(due_soon, occurred_at=days_ago(10)), 201)  # due in 4 days
    overdue = await open_file()
    assert_status(await add_entry(overdue, occurred_at=days_ago(20)), 201)  # due 6 days ago
    lost = await open_file()
    assert_status(await add_entry(lost, occurred_at=days_ago(40)), 201)  # two intervals (28 days) passed
    failed = await open_file()
    assert_status(await add_entry(failed, occurred_at=days_ago(2)), 201)
    assert_status(
        await add_entry(failed, occurred_at=days_ago(1), contact_succeeded=False, kind="home_visit"), 201
    )
    assert_status(
        await add_entry(failed, occurred_at=days_ago(0.5), contact_succeeded=False, kind="family_contact"),
        201,
    )
    others = await open_file(lead="jinhu_lead")
    assert_status(await add_entry(others, as_="jinhu_lead", occurred_at=days_ago(20)), 201)

    async def worklist(username, due):
        body = (await client.get(CARE_FILES, params={"due": due}, headers=await login(username))).json()
        return {item["id"] for item in body["items"]}

    assert await worklist("jinhu_worker", "due_soon") == {due_soon["id"]}
    assert await worklist("jinhu_worker", "overdue") == {overdue["id"], lost["id"]}
    assert await worklist("jinhu_worker", "lost_contact") == {lost["id"], failed["id"]}
    # A lead sees the whole subtree; a worker only the files naming them.
    assert await worklist("jinhu_lead", "overdue") == {overdue["id"], lost["id"], others["id"]}
    assert await worklist("county_lead", "overdue") == {overdue["id"], lost["id"], others["id"]}
    assert await worklist("other_worker", "overdue") == set()
    shown = (await client.get(f"{CARE_FILES}/{failed['id']}", headers=await login("jinhu_worker"))).json()
    assert shown["due_state"] == "lost_contact"
    assert shown["failed_attempts"] == 2
    assert shown["last_contact_on"] == (local_today() - timedelta(days=2)).isoformat()


async def test_two_workers_recording_at_once_lose_nothing(client, login, open_file, add_entry, user_id):
    care_file = await open_file()
    await client.patch(
        f"{CARE_FILES}/{care_file['id']}",
        json={"team": [{"role": "village_cadre", "user_id": await user_id("jinhu_lead")}]},
        headers=await login("jinhu_worker"),
    )
    first, second = await asyncio.gather(
        add_entry(care_file, occurred_at=days_ago(2), summary="社工谈话"),
        add_entry(
            care_file, as_="jinhu_lead", occurred_at=days_ago(1), kind="home_visit", summary="站长家访"
        ),
    )
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    entries = (
        await client.get(f"{CARE_FILES}/{care_file['id']}/entries", headers=await login("jinhu_lead"))
    ).json()
    assert entries["total"] == 2
    shown = (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=await login("jinhu_lead"))).json()
    assert shown["last_contact_on"] == (local_today() - timedelta(days=1)).isoformat()
    assert shown["version"] == care_file["version"] + 3


async def test_plan_changes_need_the_current_etag_and_a_lead_worker_of_the_unit(
    client, login, open_file, user_id
):
    care_file = await open_file()
    worker = await login("jinhu_worker")
    url = f"{CARE_FILES}/{care_file['id']}"
    changed = await client.patch(url, json={"interval_days": 10}, headers={**worker, "If-Match": '"99"'})
    assert_problem(changed, 412)
    etag = (await client.get(url, headers=worker)).headers["ETag"]
    changed = await client.patch(
        url,
        json={
            "interval_days": 10,
            "team": [
                {"role": "family_member", "name": "王秀芳", "organisation": "母亲"},
                {"role": "police_officer", "user_id": await user_id("jinhu_police")},
            ],
        },
        headers={**worker, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"]["interval_days"] == 10
    # The worker named herself: until a lead confirms, outsiders are named as masked as the minor is.
    assert [member["name"] for member in changed.json()["team"]] == ["王**", "郑警官"]
    await client.post(f"{url}/assignment/confirm", headers=await login("jinhu_lead"))
    shown = (await client.get(url, headers=worker)).json()
    assert [member["name"] for member in shown["team"]] == ["王秀芳", "郑警官"]
    # Outsiders are named as the minor is: masked in lists.
    listed = (await client.get(CARE_FILES, headers=await login("jinhu_lead"))).json()["items"][0]
    assert listed["team"][0]["name"] == "王**"
    for body, field in (
        ({"lead_worker_id": await user_id("other_worker")}, "lead_worker_id"),
        ({"lead_worker_id": await user_id("jinhu_police")}, "lead_worker_id"),
        ({"team": [{"role": "teacher"}]}, "team"),
        ({"interval_days": 0}, "interval_days"),
    ):
        problem = assert_problem(await client.patch(url, json=body, headers=worker), 422)
        assert field in problem["detail"], problem


async def test_closure_is_requested_then_approved_by_a_lead(client, login, open_file):
    care_file = await open_file()
    url = f"{CARE_FILES}/{care_file['id']}"
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    problem = assert_problem(
        await client.post(f"{url}/closure", json={"reason": "other"}, headers=worker), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "note"]
    asked = await client.post(f"{url}/closure", json={"reason": "stable", "note": "帮教期满"}, headers=worker)
    assert asked.json()["status"] == "closure_requested"
    assert_problem(await client.post(f"{url}/closure", json={"reason": "stable"}, headers=worker), 409)
    assert_problem(await client.post(f"{url}/closure/approve", json={"comment": "同意"}, headers=worker), 403)
    queue = (await client.get(CARE_FILES, params={"status": "closure_requested"}, headers=lead)).json()
    assert [item["id"] for item in queue["items"]] == [care_file["id"]]
    approved = await client.post(f"{url}/closure/approve", json={"comment": "同意结案"}, headers=lead)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "closed"
    assert approved.json()["closure"]["decided_by"]["name"] == "林站长"
    minor = (await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=lead)).json()
    assert minor["status"] == "closed"
    assert_problem(
        await client.post(
            f"{url}/entries",
            json={"kind": "note", "occurred_at": days_ago(0), "summary": "x"},
            headers=worker,
        ),
        409,
    )


async def test_a_rejected_closure_keeps_the_file_open(client, login, open_file):
    care_file = await open_file()
    url = f"{CARE_FILES}/{care_file['id']}"
    assert_status(
        await client.post(f"{url}/closure", json={"reason": "stable"}, headers=await login("jinhu_worker")),
        200,
    )
    rejected = await client.post(
        f"{url}/closure/reject", json={"comment": "尿检未满一年"}, headers=await login("county_lead")
    )
    assert rejected.json()["status"] == "open"
    assert rejected.json()["closure"]["comment"] == "尿检未满一年"


async def test_closure_is_refused_while_a_transfer_is_pending(client, login, open_file, county):
    care_file = await open_file()
    worker = await login("jinhu_worker")
    transfer = await client.post(
        TRANSFERS,
        json={
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason": "实际居住地在安阳街道",
        },
        headers=worker,
    )
    assert transfer.status_code == 201, transfer.text
    problem = assert_problem(
        await client.post(
            f"{CARE_FILES}/{care_file['id']}/closure", json={"reason": "stable"}, headers=worker
        ),
        409,
    )
    assert "transfer" in problem["detail"]
    assert (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=worker)).json()["pending_transfer_id"]


async def test_minors_who_turned_18_appear_in_the_closure_worklist(app, client, login, open_file):
    care_file = await open_file()
    young = await open_file()
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(Minor)
            .where(Minor.id == uuid.UUID(care_file["minor"]["id"]))
            .values(birth_date=local_today().replace(year=local_today().year - 18) - timedelta(days=2))
        )
    listing = (
        await client.get(CARE_FILES, params={"aged_out": "true"}, headers=await login("jinhu_lead"))
    ).json()
    assert [item["id"] for item in listing["items"]] == [care_file["id"]]
    assert young["id"] not in {item["id"] for item in listing["items"]}


async def test_a_closed_file_reopens_with_its_history(app, client, login, open_file, add_entry):
    from backend.care_files.models import CareTrigger
    from backend.minors.models import Minor
    from backend.workflows.intake import open_file_for

    care_file = await open_file()
    assert_status(await add_entry(care_file), 201)
    url = f"{CARE_FILES}/{care_file['id']}"
    assert_status(
        await client.post(f"{url}/closure", json={"reason": "stable"}, headers=await login("jinhu_worker")),
        200,
    )
    assert_status(
        await client.post(
            f"{url}/closure/approve", json={"comment": "同意"}, headers=await login("jinhu_lead")
        ),
        200,
    )
    async with app.state.sessionmaker() as session, session.begin():
        minor = await session.get_one(Minor, uuid.UUID(care_file["minor"]["id"]))
        reopened = await open_file_for(
            session,
            minor=minor,
            unit_id=uuid.UUID(care_file["managing_unit"]["id"]),
            trigger=CareTrigger.seizure_notice,
            actor=None,
        )
        assert str(reopened.id) == care_file["id"]
    lead = await login("jinhu_lead")
    shown = (await client.get(url, headers=lead)).json()
    assert shown["status"] == "open"
    assert shown["reopened_count"] == 1
    assert shown["trigger"] == "seizure_notice"
    assert (await client.get(f"{url}/entries", headers=lead)).json()["total"] == 1
    minor = (await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=lead)).json()
    assert minor["status"] == "active"


ROUTES_WITH_A_FILE_ID = [
    ("GET", "", None),
    ("PATCH", "", {"goals": "越权"}),
    ("GET", "/entries", None),
    ("POST", "/entries", {"kind": "note", "occurred_at": "2026-01-01T00:00:00+08:00", "summary": "x"}),
    ("POST", "/closure", {"reason": "stable"}),
    ("POST", "/closure/approve", {"comment": "越权审批"}),
    ("POST", "/closure/reject", {"comment": "越权审批"}),
    ("POST", "/alert/acknowledge", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_WITH_A_FILE_ID)
async def test_no_route_reaches_a_file_outside_the_scope(client, login, open_file, method, suffix, body):
    care_file = await open_file()
    headers = await login("other_worker")
    for file_id in (care_file["id"], "00000000-0000-0000-0000-000000000000"):
        response = await client.request(method, f"{CARE_FILES}/{file_id}{suffix}", json=body, headers=headers)
        if "approve" in suffix or "reject" in suffix or "acknowledge" in suffix:
            assert_problem(response, 403)  # a worker lacks the scope: refused before any look-up
            continue
        problem = assert_problem(response, 404)
        assert "锦湖" not in str(problem)


@pytest.mark.parametrize("username", ["admin", "edu_officer"])
async def test_roles_without_care_work_get_403(client, login, username):
    assert_problem(await client.get(CARE_FILES, headers=await login(username)), 403)
    assert_problem(await client.get(TRANSFERS, headers=await login(username)), 403)


@pytest.mark.parametrize("username", ["jinhu_police", "school_teacher"])
async def test_team_roles_see_no_file_that_does_not_name_them_and_no_transfers(
    client, login, open_file, username
):
    care_file = await open_file()
    headers = await login(username)
    listed = assert_status(await client.get(CARE_FILES, params={"limit": 200}, headers=headers), 200).json()
    assert care_file["id"] not in {item["id"] for item in listed["items"]}
    assert_problem(await client.get(f"{CARE_FILES}/{care_file['id']}", headers=headers), 404)
    assert_problem(await client.get(TRANSFERS, headers=headers), 403)


async def test_the_plan_says_how_often_urine_tests_are_required_and_only_the_sensitive_class_sees_it(
    client, login, open_file
):
    care_file = await open_file()
    worker = await login("jinhu_worker")
    url = f"{CARE_FILES}/{care_file['id']}"

    async def patch(body: dict) -> dict:
        etag = (await client.get(url, headers=worker)).headers["ETag"]
        changed = await client.patch(url, json=body, headers={**worker, "If-Match": etag})
        assert changed.status_code == 200, changed.text
        return changed.json()["plan"]

    assert (await patch({"urine_test_interval_days": 30}))["urine_test_interval_days"] == 30
    # Another change leaves it; an explicit null stops requiring tests.
    assert (await patch({"goals": "按时尿检"}))["urine_test_interval_days"] == 30
    assert (await patch({"urine_test_interval_days": None}))["urine_test_interval_days"] is None
    await patch({"urine_test_interval_days": 14})
    # Auditors do not see the sensitive class.
    shown = (await client.get(url, headers=await login("auditor"))).json()
    assert "urine_test_interval_days" not in shown["plan"]
    etag = (await client.get(url, headers=worker)).headers["ETag"]
    problem = assert_problem(
        await client.patch(url, json={"urine_test_interval_days": 0}, headers={**worker, "If-Match": etag}),
        422,
    )
    assert "urine_test_interval_days" in problem["detail"]


async def test_auditors_read_but_do_not_write(client, login, open_file, add_entry):
    care_file = await open_file()
    auditor = await login("auditor")
    assert (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=auditor)).status_code == 200
    assert_problem(await add_entry(care_file, as_="auditor"), 403)


async def test_a_lead_sets_default_intervals_for_the_unit(client, login, open_file, county):
    lead = await login("jinhu_lead")
    body = {"intervals": {"low": 60, "medium": 21, "high": 5}}
    assert_problem(
        await client.put("/api/v1/care-settings", json=body, headers=await login("jinhu_worker")), 403
    )
    saved = await client.put("/api/v1/care-settings", json=body, headers=lead)
    assert saved.status_code == 200, saved.text
    assert saved.json()["inherited_from"]["name"] == "锦湖街道"
    community = await client.get(
        "/api/v1/care-settings", params={"unit_id": str(county["units"]["滨江社区"].id)}, headers=lead
    )
    assert community.json()["intervals"] == body["intervals"]
    assert (await open_file(risk_level="high"))["plan"]["interval_days"] == 5
    assert_problem(
        await client.put(
            "/api/v1/care-settings",
            json={**body, "unit_id": str(county["units"]["安阳街道"].id)},
            headers=lead,
        ),
        422,
    )


async def test_every_step_is_an_audit_event(app, open_file, add_entry, client, login):
    care_file = await open_file()
    assert_status(await add_entry(care_file), 201)
    await client.get(f"{CARE_FILES}/{care_file['id']}", headers=await login("jinhu_lead"))
    async with app.state.sessionmaker() as session:
        actions = set(
            (
                await session.scalars(
                    sa.select(AuditEvent.action).where(AuditEvent.object_id == care_file["id"])
                )
            ).all()
        )
    assert {"care_file.opened", "care_file.entry_added", "care_file.viewed"} <= actions


async def test_the_timeline_keeps_each_files_monthly_summary_for_the_rates(
    app, client, login, open_file, add_entry
):
    """``care_file_years`` (what the rates read instead of the entries) follows every entry and correction:
    per Beijing calendar month, contacts made and urine tests done."""
    care_file = await open_file()

    async def record(**fields) -> str:
        response = await add_entry(care_file, **fields)
        assert response.status_code == 201, response.text  # the answer is the file: find the entry written
        async with app.state.sessionmaker() as session:
            entry_id = await session.scalar(
                sa.select(CareEntry.id)
                .where(CareEntry.care_file_id == uuid.UUID(care_file["id"]))
                .order_by(CareEntry.recorded_at.desc())
                .limit(1)
            )
        return str(entry_id)

    # 01:00 on 1 November in Beijing is 31 October in UTC: November's.
    talk = await record(kind="talk", occurred_at="2026-11-01T01:00:00+08:00")
    await record(kind="talk", occurred_at="2026-10-20T10:00:00+08:00", contact_succeeded=False)
    await record(kind="urine_test", occurred_at="2026-11-15T10:00:00+08:00", urine_result="negative")
    await record(kind="urine_test", occurred_at="2026-11-16T10:00:00+08:00", urine_result="refused")
    visit = await record(kind="home_visit", occurred_at="2026-10-05T10:00:00+08:00")
    await record(kind="note", occurred_at="2026-10-06T10:00:00+08:00")
    # The talk was in fact a note; the visit was on 30 September.
    await record(kind="note", occurred_at="2026-11-01T01:00:00+08:00", corrects_id=talk)
    await record(kind="home_visit", occurred_at="2026-09-30T23:00:00+08:00", corrects_id=visit)
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                sa.select(CareFileYear).where(CareFileYear.care_file_id == uuid.UUID(care_file["id"]))
            )
        ).all()
    counters = {
        (row.year, month): (getattr(row, f"contacts_{month:02d}"), getattr(row, f"urine_tests_{month:02d}"))
        for row in rows
        for month in range(1, 13)
    }
    # The negative test is a contact and a test; the refusal a contact (the minor was met) but no test; October
    # has nothing left; nothing else anywhere.
    assert {key: value for key, value in counters.items() if value != (0, 0)} == {
        (2026, 9): (1, 0),
        (2026, 11): (2, 1),
    }


async def test_a_lead_is_refused_what_the_files_state_does_not_allow(
    client, login, open_file, register, person
):
    lead = await login("jinhu_lead")
    care_file = await open_file()
    url = f"{CARE_FILES}/{care_file['id']}"
    no_alert = await client.post(f"{url}/alert/acknowledge", headers=lead)
    assert assert_problem(no_alert, 409, "conflict")["detail"] == "The file has no alert."
    not_asked = await client.post(f"{url}/closure/approve", json={"comment": "同意"}, headers=lead)
    assert (
        assert_problem(not_asked, 409, "conflict")["detail"] == "No closure has been requested for this file."
    )
    assert (await client.get(url, headers=lead)).json()["status"] == "open"
    # A file opened by a registration in a sensitive category names nobody until a lead assigns it.
    minor = await register(person(), risk_categories=["nps_abuse"], substances=["etomidate"])
    unassigned = (await client.get(CARE_FILES, params={"minor_id": minor["id"]}, headers=lead)).json()[
        "items"
    ]
    assert [item["lead_worker"] for item in unassigned] == [None]
    nobody = await client.post(f"{CARE_FILES}/{unassigned[0]['id']}/assignment/confirm", headers=lead)
    assert assert_problem(nobody, 409, "conflict")["detail"] == (
        "The file names nobody responsible yet; name a lead social worker first."
    )


async def test_a_closed_file_takes_no_plan_change_and_no_confirmation(client, login, open_file):
    care_file = await open_file()
    url = f"{CARE_FILES}/{care_file['id']}"
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    assert_status(await client.post(f"{url}/closure", json={"reason": "stable"}, headers=worker), 200)
    assert_status(await client.post(f"{url}/closure/approve", json={"comment": "同意"}, headers=lead), 200)
    plan = await client.patch(url, json={"interval_days": 10}, headers=worker)
    assert (
        assert_problem(plan, 409, "conflict")["detail"]
        == "The file is closed; reopen it before changing the plan."
    )
    confirm = await client.post(f"{url}/assignment/confirm", headers=lead)
    assert assert_problem(confirm, 409, "conflict")["detail"] == "The file is closed."
    shown = (await client.get(url, headers=lead)).json()
    assert shown["status"] == "closed"
    assert shown["plan"]["interval_days"] == 14  # the unit's default for medium risk, as opened
