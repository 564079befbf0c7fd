"""Who sees which notice, who signs for it, and what they see of it."""

import io
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditEvent
from backend.db import local_midnight_utc, local_today, utcnow
from backend.security.privacy import NOTICE_MATRIX, SEIZURE_NOTICE_FIELDS, FieldClass, Visibility
from backend.security.roles import Role
from backend.seizures.models import SeizureNotice
from tests.conftest import assert_problem, assert_status
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


async def test_the_deadline_is_configurable(make_app, county):
    from backend.seizures.service import ack_deadline

    received = utcnow()
    assert ack_deadline(received, 4) == received + timedelta(hours=4)


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


# The privacy matrix for notices, generated from backend/security/privacy.py.
READERS = {"jinhu_police": Role.police, "jinhu_worker": Role.caseworker, "jinhu_lead": Role.supervisor}


@pytest.mark.parametrize("username", [*READERS, "police-jinhu"])
async def test_every_notice_field_is_shaped_as_the_policy_says(
    client, push, person, login, police_system, username
):
    someone = person()
    notice = (await push(notice_body(someone))).json()
    headers = police_system if username == "police-jinhu" else await login(username)
    role = READERS.get(username)
    for read in (
        (await client.get(f"{NOTICES}/{notice['id']}", headers=headers)).json(),
        (await client.get(NOTICES, headers=headers)).json()["items"][0],
    ):
        for field, rule in SEIZURE_NOTICE_FIELDS.items():
            if "." in field:
                continue  # a part of the person, checked below
            seen = NOTICE_MATRIX[role][rule.field_class]
            if seen is Visibility.hidden:
                assert field not in read, (username, field)
                assert field in read["hidden_fields"]
            elif seen is Visibility.masked:
                assert field in read["masked_fields"]
            else:
                assert field in read, (username, field)
        assert read["person"]["id_number"] != someone.id_number
        assert read["person"]["name"] != someone.name
        assert NOTICE_MATRIX[role][FieldClass.identity] is Visibility.masked


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

    assert (await push(notice_body(person()))).status_code == 201
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(idempotency.IdempotencyRecord).values(created_at=utcnow() - timedelta(days=8))
        )
        assert await idempotency.purge_expired(session) == 1
        assert await idempotency.purge_expired(session) == 0
