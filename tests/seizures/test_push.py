"""Pushing a seizure notice: the API.md contract, every refusal a 422 naming the field, idempotency."""

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from backend.minors.models import Minor
from backend.seizures.models import SeizureNotice
from tests.conftest import assert_problem
from tests.seizures.conftest import NOTICES, notice_body

RECEIPT_KEYS = {"id", "notice_no", "received_at", "routing", "minor_id", "acknowledged_at"}


async def _count(app, model) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


async def test_a_push_answers_201_in_the_contract_shape(push, person, county):
    body = notice_body(person())
    response = await push(body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert set(receipt) == RECEIPT_KEYS
    assert receipt["notice_no"] == body["notice_no"]
    assert receipt["acknowledged_at"] is None
    assert receipt["routing"]["status"] == "routed"
    assert receipt["routing"]["reason"] == "residence"
    assert receipt["routing"]["unit"]["id"] == str(county["units"]["锦湖街道"].id)
    assert receipt["routing"]["unit"]["name"] == "锦湖街道"
    assert response.headers["location"] == f"{NOTICES}/{receipt['id']}"


async def test_the_new_minor_is_registered_from_the_notice(client, push, person, login):
    someone = person()
    receipt = (await push(notice_body(someone))).json()
    minor = (
        await client.get(f"/api/v1/minors/{receipt['minor_id']}", headers=await login("jinhu_worker"))
    ).json()
    assert minor["source"] == "seizure_notice"
    assert "seized_drug_use" in minor["risk_categories"]
    assert minor["substances"] == ["etomidate"]
    assert minor["risk_level"] == "medium"
    assert minor["id_number"].endswith(someone.id_number[-4:])
    assert "*" in minor["id_number"]


async def test_an_existing_minor_is_matched_and_their_risk_raised(app, client, push, person, login):
    someone = person()
    registered = await client.post(
        "/api/v1/minors",
        json={
            "name": someone.name,
            "id_number": someone.id_number,
            "residence_division_code": "330381001001",
            "risk_categories": ["left_behind"],
            "risk_level": "medium",
            "managing_unit_id": None,
        },
        headers=await login("other_worker"),
    )
    assert registered.status_code == 201, registered.text
    minors_before = await _count(app, Minor)
    # The notice gives no places: the registry's residence (安阳) routes it.
    body = notice_body(someone, person={"residence_division_code": None, "household_division_code": None})
    receipt = (await push(body)).json()
    assert receipt["minor_id"] == registered.json()["id"]
    assert receipt["routing"]["unit"]["name"] == "安阳街道"
    assert await _count(app, Minor) == minors_before
    minor = (
        await client.get(f"/api/v1/minors/{receipt['minor_id']}", headers=await login("other_worker"))
    ).json()
    assert minor["risk_level"] == "high"
    assert set(minor["risk_categories"]) == {"left_behind", "seized_drug_use"}
    assert minor["substances"] == ["etomidate"]


def _shift(body, path, value):
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "loc", "problem_type"),
    [
        (
            ("person", "id_number"),
            "330381200901011232",
            ["body", "person", "id_number"],
            "id_number.checksum",
        ),
        (("person", "id_number"), "33038120090101123", ["body", "person", "id_number"], "id_number.format"),
        (("person", "gender"), "other-gender", ["body", "person", "gender"], "enum"),
        (("substances",), ["etomidate", "moonrock"], ["body", "substances", 1], "enum"),
        (("measures",), ["flogging"], ["body", "measures", 0], "enum"),
        (("test_result",), "maybe", ["body", "test_result"], "enum"),
        (("seized_at",), "2026-11-20T21:30:00", ["body", "seized_at"], "timezone_aware"),
        (("person", "residence_division_code"), "33038", ["body", "person", "residence_division_code"], None),
        (("notice_no",), "", ["body", "notice_no"], "string_too_short"),
        (("place",), None, ["body", "place"], "string_type"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(push, person, county, path, value, loc, problem_type):
    body = _shift(notice_body(person()), path, value)
    problem = assert_problem(await push(body), 422, "validation")
    assert problem["errors"][0]["loc"] == loc, problem
    if problem_type:
        assert problem["errors"][0]["type"] == problem_type
    assert ".".join(str(part) for part in loc[1:]) in problem["detail"]


async def test_a_gender_that_disagrees_with_the_id_number_is_refused(push, person, county):
    someone = person(gender="male")
    problem = assert_problem(await push(notice_body(someone, person={"gender": "female"})), 422)
    assert problem["errors"][0]["loc"] == ["body", "person", "gender"]
    assert problem["errors"][0]["type"] == "id_number.gender_mismatch"


async def test_a_future_seizure_is_refused(push, person, county):
    future = (utcnow() + timedelta(hours=3)).astimezone(LOCAL_TIMEZONE).isoformat()
    problem = assert_problem(await push(notice_body(person(), seized_at=future)), 422)
    assert problem["errors"][0] == {
        "loc": ["body", "seized_at"],
        "msg": "must not be in the future",
        "type": "seized_at.future",
    }


async def test_someone_who_was_an_adult_on_seized_at_is_refused(push, person, county):
    problem = assert_problem(await push(notice_body(person(age=19))), 422)
    assert problem["errors"][0]["loc"] == ["body", "person", "id_number"]
    assert problem["errors"][0]["type"] == "minor.adult"


async def test_a_minor_is_judged_on_the_day_of_the_seizure_not_today(push, person, county):
    someone = person(age=18)  # 18 now, but 17 a year and a day ago
    seized = someone.birth_date.replace(year=someone.birth_date.year + 18) - timedelta(days=2)
    seized_at = f"{seized.isoformat()}T21:30:00+08:00"
    assert seized < local_today()
    response = await push(notice_body(someone, seized_at=seized_at))
    assert response.status_code == 201, response.text


async def test_machine_clients_must_send_an_idempotency_key(push, person, county):
    problem = assert_problem(await push(notice_body(person()), key=None), 422)
    assert problem["errors"] == [
        {
            "loc": ["header", "Idempotency-Key"],
            "msg": "required for machine clients",
            "type": "idempotency_key.missing",
        }
    ]


async def test_a_replay_with_the_same_key_and_body_gets_the_first_answer(app, push, person):
    body = notice_body(person())
    key = str(uuid.uuid4())
    first = await push(body, key=key)
    again = await push(body, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await _count(app, SeizureNotice) == 1


async def test_the_same_key_with_another_body_is_a_409(app, push, person):
    key = str(uuid.uuid4())
    assert (await push(notice_body(person()), key=key)).status_code == 201
    assert_problem(await push(notice_body(person()), key=key), 409, "idempotency-key-reused")
    assert await _count(app, SeizureNotice) == 1


async def test_the_same_notice_no_with_the_same_body_is_the_first_notice(app, push, person):
    body = notice_body(person())
    first = (await push(body)).json()
    again = await push(body)  # another key: e.g. the station's system lost its key
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert await _count(app, SeizureNotice) == 1


async def test_the_same_notice_no_with_another_body_is_a_409(push, person):
    body = notice_body(person())
    assert (await push(body)).status_code == 201
    body["place"] = "别的地方"
    problem = assert_problem(await push(body), 409, "conflict")
    assert "existing_id" in problem


async def test_notice_numbers_are_per_station(client, push, person, login):
    body = notice_body(person())
    assert (await push(body)).status_code == 201
    other = notice_body(person(), notice_no=body["notice_no"])
    officer = await push(other, headers=await _police_elsewhere(client, login))
    assert officer.status_code == 201, officer.text


async def _police_elsewhere(client, login) -> dict[str, str]:
    """The system of 安阳派出所, given a client by the administrator."""
    admin = await login("admin")
    units = (await client.get("/api/v1/units", params={"q": "安阳派出所"}, headers=admin)).json()["items"]
    created = await client.post(
        "/api/v1/clients",
        json={
            "client_id": "police-anyang",
            "name": "安阳派出所警务系统",
            "unit_id": units[0]["id"],
            "scopes": ["seizures:write"],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "police-anyang",
            "client_secret": created.json()["client_secret"],
        },
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_token_without_the_scope_is_403(client, person, county):
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": "qinghu-demo-client-secret-2026",
            "scope": "seizures:read",
        },
    )
    headers = {
        "Authorization": f"Bearer {token.json()['access_token']}",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    assert_problem(await client.post(NOTICES, json=notice_body(person()), headers=headers), 403)


async def test_people_other_than_police_cannot_push(client, person, login):
    for username in ("jinhu_worker", "jinhu_lead", "admin"):
        response = await client.post(NOTICES, json=notice_body(person()), headers=await login(username))
        assert_problem(response, 403)


async def test_a_police_officer_pushes_without_a_key(client, person, login):
    response = await client.post(NOTICES, json=notice_body(person()), headers=await login("jinhu_police"))
    assert response.status_code == 201, response.text


async def test_concurrent_replays_make_one_notice_and_one_minor(app, push, person):
    body = notice_body(person())
    key = str(uuid.uuid4())
    minors_before = await _count(app, Minor)
    answers = await asyncio.gather(*(push(body, key=key) for _ in range(50)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(201) == 1, codes
    assert set(codes) <= {200, 201}, codes
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert await _count(app, SeizureNotice) == 1
    assert await _count(app, Minor) == minors_before + 1


async def test_a_failure_mid_request_leaves_nothing_half_written(app, push, person, monkeypatch):
    from backend.transfers import service as transfers

    async def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # The last step of a push for a minor living outside the county: the minor and the notice are written.
    monkeypatch.setattr(transfers, "start_transfer", broken)
    minors_before = await _count(app, Minor)
    body = notice_body(
        person(), person={"residence_division_code": "330302001000", "household_division_code": None}
    )
    response = await push(body)
    assert response.status_code == 500
    assert await _count(app, Minor) == minors_before
    assert await _count(app, SeizureNotice) == 0


async def test_no_id_number_reaches_the_logs(push, person, caplog):
    someone = person()
    with caplog.at_level("DEBUG"):
        assert (await push(notice_body(someone))).status_code == 201
        await push(notice_body(someone, person={"id_number": someone.id_number[:-1] + "0"}))
    assert someone.id_number not in caplog.text
    assert someone.id_number[:-1] not in caplog.text
