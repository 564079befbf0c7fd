"""Who sees which notice, who signs for it, and what they see of it."""

import io
import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditEvent
from backend.db import local_midnight_utc, local_today, utcnow
from backend.demo.people import SyntheticPerson
from backend.seizures.models import SeizureNotice
from tests.conftest import DEMO_CLIENT_SECRET, assert_problem, assert_status, client_for
from tests.seizures.conftest import NOTICES, notice_body

ANYANG = "330381001001"


async def _make_overdue(app, notice_id) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(SeizureNotice)
            .where(SeizureNotice.id == uuid.UUID(notice_id))
            .values(ack_deadline_at=utcnow() - timedelta(minutes=1))
        )


async def test_police_see_their_own_notices_and_no_others(client, push, person, login, police_system):
    mine = (await push(notice_body(person()))).json()
    officer = await login("jinhu_police")
    listed = (await client.get(NOTICES, headers=officer)).json()
    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    detail = (await client.get(f"{NOTICES}/{mine['id']}", headers=police_system)).json()
    assert detail["routing"]["unit"]["name"] == "锦湖街道"
    assert detail["followup"] == {
        "status": "awaiting_acknowledgement",
        "file_open": False,
        "last_contact_on": None,
    }


async def test_stations_see_what_was_routed_to_them_and_nothing_else(client, push, person, login):
    to_jinhu = (await push(notice_body(person()))).json()
    to_anyang = (await push(notice_body(person(), person={"residence_division_code": ANYANG}))).json()
    jinhu = await login("jinhu_lead")
    assert [item["id"] for item in (await client.get(NOTICES, headers=jinhu)).json()["items"]] == [
        to_jinhu["id"]
    ]
    assert_problem(await client.get(f"{NOTICES}/{to_anyang['id']}", headers=jinhu), 404)
    anyang = await login("other_worker")
    assert [item["id"] for item in (await client.get(NOTICES, headers=anyang)).json()["items"]] == [
        to_anyang["id"]
    ]
    county_lead = await login("county_lead")
    assert (await client.get(NOTICES, headers=county_lead)).json()["total"] == 2


async def test_another_police_station_gets_404(client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    admin = await login("admin")
    units = (await client.get("/api/v1/units", params={"q": "安阳派出所"}, headers=admin)).json()["items"]
    created = await client.post(
        "/api/v1/clients",
        json={
            "client_id": "police-anyang",
            "name": "安阳",
            "unit_id": units[0]["id"],
            "scopes": ["seizures:read"],
        },
        headers=admin,
    )
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "police-anyang",
            "client_secret": created.json()["client_secret"],
        },
    )
    other = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert_problem(await client.get(f"{NOTICES}/{notice['id']}", headers=other), 404)
    assert (await client.get(NOTICES, headers=other)).json()["total"] == 0


@pytest.mark.parametrize("username", ["admin", "auditor", "school_teacher", "edu_officer"])
async def test_roles_without_the_scope_get_403(client, login, username, county):
    assert_problem(await client.get(NOTICES, headers=await login(username)), 403)


async def test_the_receiving_station_acknowledges_once(app, client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    worker = await login("jinhu_worker")
    response = await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=worker)
    assert response.status_code == 200, response.text
    acknowledged = response.json()
    assert acknowledged["acknowledged_at"] is not None
    assert acknowledged["acknowledged_by"] == "周社工"
    assert acknowledged["followup"]["status"] == "care_file_open"
    assert acknowledged["followup"]["file_open"] is True
    assert_problem(await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=worker), 409)
    async with app.state.sessionmaker() as session:
        actions = (
            await session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_id == notice["id"]))
        ).all()
    assert "seizure_notice.acknowledged" in actions
    assert "seizure_notice.received" in actions


async def test_only_the_receiving_station_acknowledges(client, push, person, login, police_system):
    notice = (await push(notice_body(person()))).json()
    assert_problem(
        await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=await login("other_worker")), 404
    )
    assert_problem(
        await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=await login("jinhu_police")), 403
    )
    assert_problem(await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=police_system), 403)


async def test_unacknowledged_notices_past_the_deadline_are_flagged_to_both_leads(
    app, client, push, person, login
):
    late = (await push(notice_body(person()))).json()
    on_time = (await push(notice_body(person()))).json()
    await _make_overdue(app, late["id"])
    for lead in ("jinhu_lead", "county_lead"):
        overdue = (await client.get(NOTICES, params={"overdue": "true"}, headers=await login(lead))).json()
        assert [item["id"] for item in overdue["items"]] == [late["id"]]
        assert overdue["items"][0]["overdue"] is True
    not_overdue = (
        await client.get(NOTICES, params={"overdue": "false"}, headers=await login("jinhu_lead"))
    ).json()
    assert [item["id"] for item in not_overdue["items"]] == [on_time["id"]]


async def test_the_deadline_is_midnight_of_the_day_received_by_default(client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    detail = (await client.get(f"{NOTICES}/{notice['id']}", headers=await login("jinhu_lead"))).json()
    midnight = local_midnight_utc(local_today() + timedelta(days=1))
    assert datetime.fromisoformat(detail["ack_deadline_at"]) == midnight


async def test_the_deadline_is_a_setting(make_app, county, person):
    within_four_hours = make_app(seizure_ack_within_hours=4)
    async with client_for(within_four_hours) as http:
        token = await http.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "police-jinhu",
                "client_secret": DEMO_CLIENT_SECRET,
            },
        )
        system = {"Authorization": f"Bearer {assert_status(token, 200).json()['access_token']}"}
        pushed = await http.post(
            NOTICES, json=notice_body(person()), headers={**system, "Idempotency-Key": "setting-4h"}
        )
        notice = assert_status(pushed, 201).json()
        detail = assert_status(await http.get(f"{NOTICES}/{notice['id']}", headers=system), 200).json()
    received = datetime.fromisoformat(detail["received_at"])
    assert datetime.fromisoformat(detail["ack_deadline_at"]) - received == timedelta(hours=4)


async def test_police_see_no_care_file_contents(client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    assert_status(
        await client.post(f"{NOTICES}/{notice['id']}/acknowledge", headers=await login("jinhu_lead")), 200
    )
    detail = (await client.get(f"{NOTICES}/{notice['id']}", headers=await login("jinhu_police"))).json()
    assert set(detail["followup"]) == {"status", "file_open", "last_contact_on"}
    assert set(detail["person"]) == {"name", "id_number", "gender", "age_when_seized"}
    assert "*" in detail["person"]["id_number"]
    assert "*" in detail["person"]["name"] or len(detail["person"]["name"]) == 1


# What each reader gets of a notice, written out (docs/seizure-notices.md): the person masked for everyone,
# the facts full for the reporting station and the receiving station, and — once the minor's record is
# sealed — hidden from all but a county-level lead (as on care files, docs/care-files.md).
FACTS = ("place", "substances", "test_result", "measures", "summary")
NOTICE_TABLE = {
    # reader: (person, facts, facts when sealed)
    "police-jinhu": ("masked", "full", "hidden"),
    "jinhu_police": ("masked", "full", "hidden"),
    "jinhu_worker": ("masked", "full", "hidden"),
    "jinhu_lead": ("masked", "full", "hidden"),
    "county_lead": ("masked", "full", "full"),
}
# A sample person as every reader sees them on the notice.
OUYANG = SyntheticPerson("欧阳娜娜", "330381201103151242", date(2011, 3, 15), "female", "13812345678")
OUYANG_ON_A_NOTICE = {"name": "欧阳**", "id_number": "330381********1242", "gender": "female"}
FACTS_AS_PUSHED = {
    "place": "锦湖街道某KTV",
    "substances": ["etomidate"],
    "test_result": "positive",
    "measures": ["admonition"],
    "summary": "在KTV包厢内吸食依托咪酯电子烟，当场查获。",
}


@pytest.mark.parametrize("sealed", [False, True], ids=["open", "sealed"])
@pytest.mark.parametrize("reader", list(NOTICE_TABLE))
async def test_every_reader_gets_the_notice_as_the_table_says(
    client, push, login, police_system, reader, sealed
):
    notice = assert_status(await push(notice_body(OUYANG)), 201).json()
    if sealed:
        lead = await login("jinhu_lead")
        minor = assert_status(await client.get(f"/api/v1/minors/{notice['minor_id']}", headers=lead), 200)
        assert_status(
            await client.patch(
                f"/api/v1/minors/{notice['minor_id']}",
                json={"is_sealed": True},
                headers={**lead, "If-Match": minor.headers["etag"]},
            ),
            200,
        )
    person_seen, facts_seen, sealed_facts_seen = NOTICE_TABLE[reader]
    seen = sealed_facts_seen if sealed else facts_seen
    headers = police_system if reader == "police-jinhu" else await login(reader)
    detail = assert_status(await client.get(f"{NOTICES}/{notice['id']}", headers=headers), 200).json()
    listed = assert_status(await client.get(NOTICES, headers=headers), 200).json()["items"]
    assert [item["id"] for item in listed] == [notice["id"]]
    for read in (detail, listed[0]):
        assert person_seen == "masked"
        assert {key: read["person"][key] for key in OUYANG_ON_A_NOTICE} == OUYANG_ON_A_NOTICE
        assert "person" in read["masked_fields"]
        if seen == "full":
            assert {fact: read[fact] for fact in FACTS} == FACTS_AS_PUSHED
            assert not set(FACTS) & set(read["hidden_fields"])
        else:
            assert not set(FACTS) & set(read), read
            assert set(FACTS) <= set(read["hidden_fields"])
            assert "依托咪酯" not in str(read)


async def test_a_sealed_minors_facts_are_hidden_on_the_notice(app, client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    lead = await login("jinhu_lead")
    minor = await client.get(f"/api/v1/minors/{notice['minor_id']}", headers=lead)
    sealed = await client.patch(
        f"/api/v1/minors/{notice['minor_id']}",
        json={"is_sealed": True},
        headers={**lead, "If-Match": minor.headers["etag"]},
    )
    assert sealed.status_code == 200, sealed.text
    read = (await client.get(f"{NOTICES}/{notice['id']}", headers=lead)).json()
    assert {"place", "substances", "test_result", "measures", "summary"} <= set(read["hidden_fields"])
    assert "substances" not in read
    assert "summary" not in read


async def test_the_daily_report_lists_the_days_notices_masked(app, client, push, person, login):
    someone = person()
    notice = (await push(notice_body(someone))).json()
    assert_status(
        await push(notice_body(person(), person={"residence_division_code": ANYANG})), 201
    )  # another station's
    lead = await login("jinhu_lead")
    report = (await client.get(f"{NOTICES}/daily-report", headers=lead)).json()
    assert report["total"] == 1
    assert report["unit"]["name"] == "锦湖街道"
    assert [item["id"] for item in report["items"]] == [notice["id"]]

    xlsx = await client.get(f"{NOTICES}/daily-report", params={"format": "xlsx"}, headers=lead)
    assert xlsx.status_code == 200
    assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert "锦湖街道" in rows[0][0]
    header = rows[2]
    assert header[:6] == ("序号", "通知编号", "查获时间", "查获地点", "姓名", "身份证号")
    data = rows[3]
    assert data[1] == notice["notice_no"]
    assert data[5] != someone.id_number
    assert data[5].endswith(someone.id_number[-4:])
    assert "依托咪酯" in data[8]
    assert data[10] == "训诫"
    assert data[12] == "已分送乡镇（街道）"
    assert someone.name not in [str(cell) for row in rows for cell in row]
    async with app.state.sessionmaker() as session:
        exported = await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "seizure_report.exported")
        )
    assert exported == 1


async def test_a_daily_report_for_a_unit_outside_the_scope_is_refused(client, login, county):
    anyang = county["units"]["安阳街道"]
    problem = assert_problem(
        await client.get(
            f"{NOTICES}/daily-report", params={"unit_id": str(anyang.id)}, headers=await login("jinhu_lead")
        ),
        422,
    )
    assert problem["errors"][0]["loc"] == ["query", "unit_id"]


async def test_the_seizure_history_of_a_minor(client, push, person, login):
    someone = person()
    first = (await push(notice_body(someone))).json()
    second = (await push(notice_body(someone, substances=["nitrous_oxide"]))).json()
    assert first["minor_id"] == second["minor_id"]
    history = await client.get(
        NOTICES, params={"minor_id": first["minor_id"]}, headers=await login("jinhu_worker")
    )
    assert {item["substances"][0] for item in history.json()["items"]} == {"etomidate", "nitrous_oxide"}


async def test_old_idempotency_keys_are_purged(app, push, person):
    from backend import idempotency

    for key in ("key-aged-8-days", "key-aged-6-days", "key-of-today"):
        assert (await push(notice_body(person()), key=key)).status_code == 201
    async with app.state.sessionmaker() as session, session.begin():
        for key, days in (("key-aged-8-days", 8), ("key-aged-6-days", 6)):
            await session.execute(
                sa.update(idempotency.IdempotencyRecord)
                .where(idempotency.IdempotencyRecord.key == key)
                .values(created_at=utcnow() - timedelta(days=days))
            )
        # Never less than the retention, whatever is asked for.
        assert await idempotency.purge_expired(session, older_than=timedelta(days=1)) == 1
        assert await idempotency.purge_expired(session) == 0
        kept = await session.scalars(sa.select(idempotency.IdempotencyRecord.key))
        assert sorted(kept) == ["key-aged-6-days", "key-of-today"]
