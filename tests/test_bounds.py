"""Bounds on what clients send: text no database can store, page offsets past 32 bits, dates that are not
dates — each a 422 naming the field, on SQLite and PostgreSQL alike, with nothing written."""

import json
import random

import pytest
import sqlalchemy as sa

from backend.db import local_today
from backend.demo.people import synthetic_person
from backend.minors.models import Minor
from backend.seizures.models import SeizureNotice
from tests.conftest import assert_problem, client_token
from tests.minors.conftest import minor_body
from tests.seizures.conftest import notice_body


@pytest.fixture
def someone():
    return synthetic_person(random.Random(20261201), today=local_today())


async def _count(app, model) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(model))


async def test_nul_in_a_minors_name_is_422_naming_the_field_and_nothing_is_registered(
    app, client, login, someone
):
    body = minor_body(someone, name="张\x00三")
    response = await client.post("/api/v1/minors", json=body, headers=await login("jinhu_worker"))
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"] == [
        {
            "loc": ["body", "name"],
            "msg": "contains a character that cannot be stored (U+0000)",
            "type": "text.unstorable_character",
        }
    ]
    assert problem["detail"] == "name: contains a character that cannot be stored (U+0000)"
    assert await _count(app, Minor) == 0


async def test_nul_deep_in_a_seizure_push_is_422_naming_the_nested_field(app, client, county, someone):
    headers = {**await client_token(client), "Idempotency-Key": "nul-push-0001"}
    body = notice_body(someone, person={"residence_address": "锦园路\x008号"}, measures=["admonition\x00"])
    response = await client.post("/api/v1/seizure-notices", json=body, headers=headers)
    problem = assert_problem(response, 422, "validation")
    assert sorted(tuple(error["loc"]) for error in problem["errors"]) == [
        ("body", "measures", 0),
        ("body", "person", "residence_address"),
    ]
    assert await _count(app, SeizureNotice) == 0
    assert await _count(app, Minor) == 0


async def test_a_lone_surrogate_in_json_is_422(client, login, someone):
    # json.dumps writes the lone surrogate as the escape "\ud800", as a client's JSON library would.
    body = json.dumps(minor_body(someone, residence_address="锦园路\ud8008号"))
    assert '"\\ud800' in body or "\\ud800" in body
    headers = {**await login("jinhu_worker"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/minors", content=body, headers=headers)
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["loc"] == ["body", "residence_address"]
    assert problem["errors"][0]["msg"] == "contains a character that cannot be stored (U+D800)"


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client, login, someone):
    body = minor_body(someone, residence_address="锦园路\\u0000号")
    response = await client.post("/api/v1/minors", json=body, headers=await login("jinhu_worker"))
    assert response.status_code == 201, response.text


async def test_a_key_holding_nul_is_named_readably(client, login, someone):
    body = {**minor_body(someone), "no\x00te": "x"}
    response = await client.post("/api/v1/minors", json=body, headers=await login("jinhu_worker"))
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["loc"] == ["body", "no\ufffdte"]


@pytest.mark.parametrize("field", ["username", "password", "grant_type"])
async def test_nul_in_the_token_form_is_422_naming_the_field(client, county, field):
    form = {"grant_type": "password", "username": "jinhu_worker", "password": "whatever-it-is"}
    form[field] = form[field][:3] + "\x00" + form[field][3:]
    response = await client.post("/api/v1/auth/token", data=form)
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["loc"] == ["body", field]


async def test_nul_in_a_search_query_is_422_naming_the_parameter(client, login):
    response = await client.get("/api/v1/units?q=%00abc", headers=await login("admin"))
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"] == [
        {
            "loc": ["query", "q"],
            "msg": "contains a character that cannot be stored (U+0000)",
            "type": "text.unstorable_character",
        }
    ]


async def test_nul_in_a_name_search_of_the_registry_is_422(client, login):
    response = await client.get(
        "/api/v1/minors", params={"name": "张\x00"}, headers=await login("jinhu_worker")
    )
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["query", "name"]


async def test_nul_in_a_path_is_422(client, login):
    response = await client.get("/api/v1/units/%00", headers=await login("admin"))
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["path", "unit_id"]


# Every list, read by a role that may read it.
LISTS = [
    ("/api/v1/units", "admin"),
    ("/api/v1/users", "admin"),
    ("/api/v1/clients", "admin"),
    ("/api/v1/minors", "county_lead"),
    ("/api/v1/campaigns", "county_lead"),
    ("/api/v1/task-reports", "county_lead"),
    ("/api/v1/seizure-notices", "county_lead"),
    ("/api/v1/care-files", "county_lead"),
    ("/api/v1/transfers", "county_lead"),
    ("/api/v1/audit-events", "auditor"),
    ("/api/v1/school-metrics", "school_teacher"),
]


@pytest.mark.parametrize(("path", "username"), LISTS, ids=[path.rsplit("/", 1)[1] for path, _ in LISTS])
async def test_every_list_bounds_its_offset_at_32_bits(client, login, path, username):
    headers = await login(username)
    deepest = await client.get(path, params={"offset": 2147483647}, headers=headers)
    assert deepest.status_code == 200, deepest.text
    assert deepest.json()["items"] == []
    assert deepest.json()["offset"] == 2147483647
    for offset in ("2147483648", "9223372036854775808", "-1"):
        problem = assert_problem(await client.get(path, params={"offset": offset}, headers=headers), 422)
        assert [error["loc"] for error in problem["errors"]] == [["query", "offset"]]


WITH_OFFSET = "must be an ISO 8601 date and time with its offset, e.g. 2026-11-20T21:30:00+08:00"


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("until=0.5", "until", WITH_OFFSET),
        ("since=1700000000", "since", WITH_OFFSET),
        ("since=2026-11-20", "since", WITH_OFFSET),
        ("since=2026-11-20T08:00:00", "since", WITH_OFFSET),
        ("until=0001-01-01T00:00:00%2B08:00", "until", "must lie in the years 1900–2999"),
        ("since=9999-12-31T23:59:59-12:00", "since", "must lie in the years 1900–2999"),
        ("until=2026-02-30T00:00:00Z", "until", "not a valid datetime"),
    ],
)
async def test_audit_times_must_be_iso_datetimes(client, login, query, name, message):
    response = await client.get(f"/api/v1/audit-events?{query}", headers=await login("auditor"))
    problem = assert_problem(response, 422, "validation")
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [(["query", name], message)]


async def test_audit_times_in_iso_forms_are_accepted(client, login):
    headers = await login("auditor")
    for query in (
        "since=2026-11-20T08:00Z",
        "since=2026-11-20T08:00:00Z",
        "until=2026-11-20T08:00:00.123%2B08:00",
    ):
        response = await client.get(f"/api/v1/audit-events?{query}", headers=headers)
        assert response.status_code == 200, (query, response.text)


@pytest.mark.parametrize("raw", ["0", "20261120", "2026-11-20T00:00:00", "0001-01-01", "-1"])
async def test_days_must_be_iso_dates(client, login, raw):
    headers = await login("jinhu_lead")
    for path, name in (
        ("/api/v1/seizure-notices/daily-report", "day"),
        ("/api/v1/seizure-notices", "received_on"),
    ):
        response = await client.get(path, params={name: raw}, headers=headers)
        problem = assert_problem(response, 422, "validation")
        assert [error["loc"] for error in problem["errors"]] == [["query", name]], (path, raw)


async def test_a_day_in_iso_form_is_accepted(client, login):
    response = await client.get(
        "/api/v1/seizure-notices", params={"received_on": "2026-11-20"}, headers=await login("jinhu_lead")
    )
    assert response.status_code == 200, response.text
