"""Submitting school figures: a school for itself, the bureau for many at once; all or nothing; history kept."""

import uuid

from backend.terms import Term
from tests.conftest import assert_problem, assert_status
from tests.school_metrics.conftest import METRICS, figures

SCHOOL = "瑞安市锦湖中学"
SCHOOLS = ("瑞安市锦湖中学", "瑞安市锦湖第一小学", "瑞安市安阳实验中学", "瑞安市第四中学", "瑞安市马屿中学")


def current() -> str:
    return Term.current().code


async def _history(client, headers, school_id, term):
    response = await client.get(
        METRICS, params={"school_id": str(school_id), "term": term, "history": "true"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_school_staff_submit_for_their_own_school_and_the_old_figures_become_history(
    client, login, county
):
    teacher = await login("school_teacher")
    school = county["units"][SCHOOL]
    before = await _history(client, teacher, school.id, current())
    response = await client.post(METRICS, json={"term": current(), "rows": [figures()]}, headers=teacher)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert body["term_label"] == Term.current().label
    row = body["rows"][0]
    assert row["school"]["id"] == str(school.id)
    assert row["is_current"] is True
    assert row["revision"] == len(before) + 1
    assert row["submitted_by"] == "school_teacher"

    again = await client.post(
        METRICS, json={"term": current(), "rows": [figures(lesson_hours=4)]}, headers=teacher
    )
    assert again.status_code == 201
    history = await _history(client, teacher, school.id, current())
    assert len(history) == len(before) + 2
    by_revision = {item["revision"]: item for item in history}
    latest = by_revision[len(before) + 2]
    assert latest["is_current"] is True
    assert latest["lesson_hours"] == 4
    replaced = by_revision[len(before) + 1]
    assert replaced["is_current"] is False
    assert replaced["superseded_at"] is not None
    current_only = (
        await client.get(METRICS, params={"school_id": str(school.id), "term": current()}, headers=teacher)
    ).json()["items"]
    assert [item["revision"] for item in current_only] == [len(before) + 2]


async def test_school_staff_cannot_submit_for_another_school(client, login, county):
    teacher = await login("school_teacher")
    other = county["units"]["瑞安市马屿中学"]
    response = await client.post(
        METRICS,
        json={"term": current(), "rows": [{**figures(), "school_id": str(other.id)}]},
        headers=teacher,
    )
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"] == [
        {
            "loc": ["body", "rows", 0, "school_id"],
            "msg": "no such school in your scope",
            "type": "school.not_found",
        }
    ]
    assert_problem(
        await client.get(METRICS, params={"school_id": str(other.id)}, headers=teacher), 404, "not-found"
    )


async def test_the_bureau_submits_a_batch_for_every_school(client, login, county):
    edu = await login("edu_officer")
    rows = [
        {**figures(students_enrolled=1200 + i), "school_id": str(county["units"][name].id)}
        for i, name in enumerate(SCHOOLS)
    ]
    response = await client.post(METRICS, json={"term": current(), "rows": rows}, headers=edu)
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == len(SCHOOLS)
    listed = (await client.get(METRICS, params={"term": current(), "limit": 200}, headers=edu)).json()
    assert {item["school"]["name"] for item in listed["items"]} == set(SCHOOLS)
    assert {item["students_enrolled"] for item in listed["items"]} == {1200 + i for i in range(len(SCHOOLS))}


async def test_a_batch_with_bad_rows_stores_nothing_and_names_every_problem(client, login, county):
    edu = await login("edu_officer")
    units = county["units"]
    before = (await client.get(METRICS, params={"history": "true", "limit": 200}, headers=edu)).json()[
        "total"
    ]
    rows = [
        {**figures(), "school_id": str(units[SCHOOLS[0]].id)},
        {**figures(students_registered=1300), "school_id": str(units[SCHOOLS[1]].id)},
        {**figures(students_completed=1195), "school_id": str(units[SCHOOLS[2]].id)},
        {**figures(), "school_id": str(units["滨江社区"].id)},
        {**figures(), "school_id": str(units[SCHOOLS[0]].id)},
        {**figures(), "school_id": str(uuid.uuid4())},
        figures(),
    ]
    problem = assert_problem(
        await client.post(METRICS, json={"term": current(), "rows": rows}, headers=edu), 422
    )
    found = {(tuple(error["loc"]), error["type"]) for error in problem["errors"]}
    assert found == {
        (("body", "rows", 1, "students_registered"), "metrics.registered_exceeds_enrolled"),
        (("body", "rows", 2, "students_completed"), "metrics.completed_exceeds_registered"),
        (("body", "rows", 3, "school_id"), "school.not_found"),
        (("body", "rows", 4, "school_id"), "school.duplicate"),
        (("body", "rows", 5, "school_id"), "school.not_found"),
        (("body", "rows", 6, "school_id"), "school.missing"),
    }
    assert "rows.1.students_registered" in problem["detail"]
    after = (await client.get(METRICS, params={"history": "true", "limit": 200}, headers=edu)).json()["total"]
    assert after == before


async def test_negative_figures_and_bad_terms_are_refused(client, login, county):
    teacher = await login("school_teacher")
    problem = assert_problem(
        await client.post(
            METRICS, json={"term": current(), "rows": [figures(lesson_hours=-1)]}, headers=teacher
        ),
        422,
    )
    assert problem["errors"][0]["loc"] == ["body", "rows", 0, "lesson_hours"]
    for term in ("2026-autumn", "1999-fall"):
        problem = assert_problem(
            await client.post(METRICS, json={"term": term, "rows": [figures()]}, headers=teacher), 422
        )
        assert problem["errors"][0]["loc"] == ["body", "term"]
    future = Term.current()
    future = Term(future.year + 1, future.season)
    problem = assert_problem(
        await client.post(METRICS, json={"term": future.code, "rows": [figures()]}, headers=teacher), 422
    )
    assert problem["errors"][0]["type"] == "term.future"
    assert_problem(await client.post(METRICS, json={"term": current(), "rows": []}, headers=teacher), 422)


async def test_an_idempotent_replay_answers_the_first_answer_and_stores_nothing_new(
    client, county, machine_client
):
    bureau = await machine_client(
        "edu-sync", county["units"]["瑞安市教育局"], ["metrics:write", "stats:read"]
    )
    rows = [{**figures(), "school_id": str(county["units"][name].id)} for name in SCHOOLS[:2]]
    headers = {**bureau, "Idempotency-Key": "batch-2026-0001"}
    first = await client.post(METRICS, json={"term": current(), "rows": rows}, headers=headers)
    assert first.status_code == 201, first.text
    replay = await client.post(METRICS, json={"term": current(), "rows": rows}, headers=headers)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    history = (
        await client.get(METRICS, params={"term": current(), "history": "true", "limit": 200}, headers=bureau)
    ).json()
    mine = [item for item in history["items"] if item["submitted_by"] == "edu-sync"]
    assert len(mine) == 2
    changed = [{**rows[0], "lesson_hours": 9}, rows[1]]
    assert_problem(
        await client.post(METRICS, json={"term": current(), "rows": changed}, headers=headers),
        409,
        "idempotency-key-reused",
    )
    fresh = await client.post(
        METRICS,
        json={"term": current(), "rows": changed},
        headers={**bureau, "Idempotency-Key": "batch-2026-0002"},
    )
    assert fresh.status_code == 201
    assert [row["lesson_hours"] for row in fresh.json()["rows"]] == [9, 2]


async def test_a_client_of_a_township_submits_only_for_its_schools(client, county, machine_client):
    jinhu = await machine_client("jinhu-edu", county["units"]["锦湖街道"], ["metrics:write"])
    outside = {**figures(), "school_id": str(county["units"]["瑞安市马屿中学"].id)}
    inside = {**figures(), "school_id": str(county["units"]["瑞安市锦湖第一小学"].id)}
    problem = assert_problem(
        await client.post(METRICS, json={"term": current(), "rows": [inside, outside]}, headers=jinhu), 422
    )
    assert [error["loc"] for error in problem["errors"]] == [["body", "rows", 1, "school_id"]]
    ok = await client.post(METRICS, json={"term": current(), "rows": [inside]}, headers=jinhu)
    assert ok.status_code == 201


async def test_who_may_submit(client, login, county, edu_bureau_client):
    body = {"term": current(), "rows": [{**figures(), "school_id": str(county["units"][SCHOOL].id)}]}
    for username in ("jinhu_worker", "jinhu_police", "auditor", "admin", "jinhu_lead"):
        assert_problem(await client.post(METRICS, json=body, headers=await login(username)), 403)
    # The demo bureau client reads statistics but was not granted metrics:write.
    assert_problem(await client.post(METRICS, json=body, headers=edu_bureau_client), 403)


async def test_every_submission_is_in_the_audit_trail(client, login, county):
    teacher = await login("school_teacher")
    assert_status(
        await client.post(METRICS, json={"term": current(), "rows": [figures()]}, headers=teacher), 201
    )
    events = (
        await client.get(
            "/api/v1/audit-events",
            params={"action": "school_metrics.submitted"},
            headers=await login("county_lead"),
        )
    ).json()["items"]
    assert events
    assert events[0]["object_id"] == current()


async def test_the_history_names_who_submitted_each_version_and_when(
    client, login, county, edu_bureau_client
):
    """Each version of a school's figures says who submitted it (a person by name, a client by its name, the
    demo's own figures as the system) and when; the figures are school aggregates, never a pupil."""
    teacher = await login("school_teacher")
    school = county["units"][SCHOOL]
    seeded = await _history(client, teacher, school.id, current())
    assert [(item["submitted_by_kind"], item["submitted_by_display"]) for item in seeded] == [
        ("system", None)
    ]

    first = await client.post(METRICS, json={"term": current(), "rows": [figures()]}, headers=teacher)
    assert first.status_code == 201, first.text
    assert first.json()["rows"][0]["submitted_by_display"] == "王老师"
    officer = await login("edu_officer")
    second = await client.post(
        METRICS,
        json={"term": current(), "rows": [{**figures(teachers_trained=9), "school_id": str(school.id)}]},
        headers=officer,
    )
    assert second.status_code == 201, second.text

    history = await _history(client, teacher, school.id, current())
    newest_first = sorted(history, key=lambda item: item["revision"], reverse=True)
    assert [
        (
            item["revision"],
            item["is_current"],
            item["submitted_by"],
            item["submitted_by_kind"],
            item["submitted_by_display"],
        )
        for item in newest_first
    ] == [
        (3, True, "edu_officer", "user", "黄科长"),
        (2, False, "school_teacher", "user", "王老师"),
        (1, False, "qinghu", "system", None),
    ]
    assert newest_first[0]["teachers_trained"] == 9
    assert newest_first[1]["teachers_trained"] == 6
    assert all(item["submitted_at"] for item in history)
    # the bureau's system reads the same history, names included
    by_client = await client.get(
        METRICS,
        params={"school_id": str(school.id), "term": current(), "history": "true"},
        headers=edu_bureau_client,
    )
    assert by_client.status_code == 200, by_client.text
    assert {item["submitted_by_display"] for item in by_client.json()["items"]} == {"黄科长", "王老师", None}


async def test_a_client_submission_is_named_by_the_clients_name(client, county, machine_client):
    bureau = county["units"]["瑞安市教育局"]
    school = county["units"][SCHOOL]
    headers = await machine_client("edu-sync", bureau, ["metrics:write", "stats:read"])
    response = await client.post(
        METRICS,
        json={"term": current(), "rows": [{**figures(), "school_id": str(school.id)}]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    row = response.json()["rows"][0]
    assert (row["submitted_by"], row["submitted_by_kind"], row["submitted_by_display"]) == (
        "edu-sync",
        "client",
        "edu-sync",
    )
    history = (
        await client.get(
            METRICS,
            params={"school_id": str(school.id), "term": current(), "history": "true"},
            headers=headers,
        )
    ).json()["items"]
    assert {(item["submitted_by_kind"], item["submitted_by_display"]) for item in history} == {
        ("system", None),
        ("client", "edu-sync"),
    }
