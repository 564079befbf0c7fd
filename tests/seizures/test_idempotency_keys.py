"""Idempotency keys belong to one client, and last seven days: the same key from two clients is two requests,
and a key past its retention is a new one. (The stored answer's age is set in the database, as time would.)"""

import hashlib
import uuid
from datetime import timedelta

import sqlalchemy as sa

from backend.db import utcnow
from backend.idempotency import IdempotencyRecord
from backend.terms import Term
from tests.conftest import assert_problem
from tests.school_metrics.conftest import METRICS, figures, machine_client  # noqa: F401 - shared fixture
from tests.seizures.conftest import NOTICES, notice_body


async def _records(app, key: str) -> list[IdempotencyRecord]:
    async with app.state.sessionmaker() as session:
        return list(
            (await session.scalars(sa.select(IdempotencyRecord).where(IdempotencyRecord.key == key))).all()
        )


async def _age(app, key: str, days: float) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        updated = await session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(days=days))
        )
        assert updated.rowcount == 1


async def test_two_clients_with_the_same_key_get_separate_records(
    app,
    client,
    county,
    person,
    police_system,
    machine_client,  # noqa: F811
):
    second_system = await machine_client("police-jinhu-2", county["units"]["锦湖派出所"], ["seizures:write"])
    key = str(uuid.uuid4())
    first_body, second_body = notice_body(person()), notice_body(person())
    first = await client.post(NOTICES, json=first_body, headers={**police_system, "Idempotency-Key": key})
    assert first.status_code == 201, first.text
    # Another client's first use of the same key is its own request: a new notice, not the first client's
    # answer and not a refusal.
    second = await client.post(NOTICES, json=second_body, headers={**second_system, "Idempotency-Key": key})
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["notice_no"] == second_body["notice_no"]
    records = await _records(app, key)
    assert len(records) == 2
    assert len({record.principal_id for record in records}) == 2
    # Each replay answers its own client's first answer.
    replay = await client.post(NOTICES, json=first_body, headers={**police_system, "Idempotency-Key": key})
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])
    replay = await client.post(NOTICES, json=second_body, headers={**second_system, "Idempotency-Key": key})
    assert (replay.status_code, replay.json()["id"]) == (200, second.json()["id"])


async def test_a_key_is_kept_seven_days_and_is_new_after_them(app, client, person, police_system):
    key = str(uuid.uuid4())
    headers = {**police_system, "Idempotency-Key": key}
    body = notice_body(person())
    first = await client.post(NOTICES, json=body, headers=headers)
    assert first.status_code == 201, first.text

    await _age(app, key, days=6.9)
    replay = await client.post(NOTICES, json=body, headers=headers)
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])
    other = await client.post(NOTICES, json=notice_body(person()), headers=headers)
    assert other.status_code == 409, other.text

    await _age(app, key, days=7.1)
    fresh_body = notice_body(person())
    fresh = await client.post(NOTICES, json=fresh_body, headers=headers)
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["id"] != first.json()["id"]
    # The expired record made way for the new one.
    records = await _records(app, key)
    assert len(records) == 1
    assert records[0].response_body["id"] == fresh.json()["id"]


async def test_a_key_reused_with_another_body_is_refused_with_a_message_saying_so(
    app, client, person, police_system
):
    key = str(uuid.uuid4())
    headers = {**police_system, "Idempotency-Key": key}
    first = await client.post(NOTICES, json=notice_body(person()), headers=headers)
    assert first.status_code == 201, first.text
    refused = await client.post(NOTICES, json=notice_body(person()), headers=headers)
    problem = assert_problem(refused, 409, "idempotency-key-reused")
    assert problem["title"] == "Idempotency key reused with another request"
    assert problem["detail"] == (
        "This Idempotency-Key was used for a different request; use a new key for a new request."
    )
    assert len(await _records(app, key)) == 1


async def test_a_key_belongs_to_one_route(
    app,
    client,
    county,
    person,
    machine_client,  # noqa: F811
):
    """The same client may use the same key on two routes: on the second it is a new request, judged there on
    its own (school figures out of a police station's reach: 422), never the first route's answer or a 409."""
    station = await machine_client(
        "police-jinhu-both", county["units"]["锦湖派出所"], ["seizures:write", "metrics:write"]
    )
    key = str(uuid.uuid4())
    pushed = await client.post(
        NOTICES, json=notice_body(person()), headers={**station, "Idempotency-Key": key}
    )
    assert pushed.status_code == 201, pushed.text
    batch = {
        "term": Term.current().code,
        "rows": [{**figures(), "school_id": str(county["units"]["瑞安市锦湖中学"].id)}],
    }
    submitted = await client.post(METRICS, json=batch, headers={**station, "Idempotency-Key": key})
    problem = assert_problem(submitted, 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", "rows", 0, "school_id"]]
    records = await _records(app, key)
    assert [record.route for record in records] == ["POST /api/v1/seizure-notices"]


async def test_the_stored_fingerprint_is_the_sha256_of_the_canonical_body(
    app,
    client,
    county,
    machine_client,  # noqa: F811
):
    """The fingerprint is kept for seven days, across upgrades: a retry after a release must still match, so its
    recipe is fixed — SHA-256 of the body as JSON with sorted keys and no spaces."""
    bureau = await machine_client("edu-fingerprint", county["units"]["瑞安市教育局"], ["metrics:write"])
    school_id = str(county["units"]["瑞安市锦湖中学"].id)
    rows = [{**figures(), "school_id": school_id}]
    key = str(uuid.uuid4())
    sent = await client.post(
        METRICS, json={"term": Term.current().code, "rows": rows}, headers={**bureau, "Idempotency-Key": key}
    )
    assert sent.status_code == 201, sent.text
    canonical = (
        '{"rows":[{"exams_with_content":1,"five_one_activities":3,"lesson_hours":2,"school_id":"'
        + school_id
        + '","students_completed":1150,"students_enrolled":1200,"students_registered":1190,"teachers_trained":6}],'
        + '"term":"'
        + Term.current().code
        + '"}'
    )
    [record] = await _records(app, key)
    assert record.request_hash == hashlib.sha256(canonical.encode()).hexdigest()


async def test_the_fingerprint_hashes_chinese_text_as_written_not_escaped(
    app, client, county, person, police_system
):
    """The same recipe over a seizure notice, whose text is Chinese: the JSON keeps the characters as written
    (UTF-8), not ``\\uXXXX`` escapes, so a notice sent before an upgrade still matches its retry after it."""
    someone = person()
    body = {
        "notice_no": "JHPCS-2026-FP0001",
        "seized_at": "2026-11-20T21:30:00+08:00",
        "place": "锦湖街道某KTV",
        "person": {
            "name": someone.name,
            "id_number": someone.id_number,
            "gender": someone.gender,
            "residence_division_code": "330381005002",
            "residence_address": "锦湖街道锦园路8号",
        },
        "substances": ["etomidate"],
        "test_result": "positive",
        "measures": ["admonition"],
        "summary": "在KTV包厢内吸食依托咪酯电子烟，当场查获。",
    }
    key = str(uuid.uuid4())
    sent = await client.post(NOTICES, json=body, headers={**police_system, "Idempotency-Key": key})
    assert sent.status_code == 201, sent.text
    canonical = (
        '{"measures":["admonition"],"notice_no":"JHPCS-2026-FP0001","person":{"gender":"'
        + someone.gender
        + '","household_address":null,"household_division_code":null,"id_number":"'
        + someone.id_number
        + '","name":"'
        + someone.name
        + '","phone":null,"residence_address":"锦湖街道锦园路8号","residence_division_code":"330381005002",'
        + '"school_name":null},"place":"锦湖街道某KTV","seized_at":"2026-11-20T21:30:00+08:00",'
        + '"substances":["etomidate"],"summary":"在KTV包厢内吸食依托咪酯电子烟，当场查获。","test_result":"positive"}'
    )
    [record] = await _records(app, key)
    assert record.request_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
