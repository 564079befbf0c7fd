"""Breaking the glass: a reason, the permitted fields only, a daily limit, and an audit event every time."""

import asyncio

import sqlalchemy as sa

from tests.conftest import assert_problem, assert_status, client_for, password_token
from tests.minors.conftest import MINORS


async def test_a_caseworker_reveals_with_a_reason_and_it_is_audited(
    app, client, login, register, person, county
):
    someone = person()
    created = await register(someone)
    response = await client.post(
        f"{MINORS}/{created['id']}/reveal",
        json={
            "reason": "家访前核实监护人联系方式",
            "fields": ["name", "id_number", "phone", "guardians", "birth_date"],
        },
        headers=await login("jinhu_worker"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["values"]["name"] == someone.name
    assert body["values"]["id_number"] == someone.id_number
    assert body["values"]["phone"] == someone.phone
    assert body["values"]["birth_date"] == someone.birth_date.isoformat()
    assert body["values"]["guardians"][0]["phone"] == "13912345678"
    assert body["reveals_left_today"] == 19
    events = (
        await client.get(
            "/api/v1/audit-events",
            params={"action": "minor.revealed", "object_id": created["id"]},
            headers=await login("auditor"),
        )
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["reason"] == "家访前核实监护人联系方式"
    assert events[0]["fields"] == ["birth_date", "guardians", "id_number", "name", "phone"]
    assert events[0]["actor_name"] == "jinhu_worker"
    assert someone.id_number not in str(events)


async def test_a_reason_is_required_and_only_identity_fields_are_revealed(
    client, login, register, person, county
):
    created = await register(person())
    url = f"{MINORS}/{created['id']}/reveal"
    headers = await login("jinhu_worker")
    assert_problem(await client.post(url, json={"fields": ["name"]}, headers=headers), 422)
    assert_problem(await client.post(url, json={"reason": "看看", "fields": ["name"]}, headers=headers), 422)
    assert_problem(
        await client.post(url, json={"reason": "核实身份信息", "fields": []}, headers=headers), 422
    )
    problem = assert_problem(
        await client.post(url, json={"reason": "核实身份信息", "fields": ["password_hash"]}, headers=headers),
        422,
    )
    assert problem["errors"][0]["type"] == "reveal.field_not_allowed"
    # Sensitive facts of an unsealed record are already visible; they are not a reveal of a caseworker's.
    assert_problem(
        await client.post(url, json={"reason": "核实身份信息", "fields": ["substances"]}, headers=headers),
        422,
    )


async def test_roles_that_may_not_reveal(client, login, register, person, county):
    created = await register(person(), school_id=str(county["units"]["瑞安市锦湖中学"].id))
    body = {"reason": "想看一下完整信息", "fields": ["name"]}
    for username in ("school_teacher", "auditor", "admin", "edu_officer"):
        assert_problem(
            await client.post(f"{MINORS}/{created['id']}/reveal", json=body, headers=await login(username)),
            403,
        )
    for username in ("jinhu_lead", "county_lead", "jinhu_police"):
        response = await client.post(
            f"{MINORS}/{created['id']}/reveal", json=body, headers=await login(username)
        )
        assert response.status_code == 200, (username, response.text)
    assert_problem(
        await client.post(f"{MINORS}/{created['id']}/reveal", json=body, headers=await login("other_worker")),
        404,
    )


async def test_the_daily_limit_answers_429(make_app, county, person):
    app = make_app(reveal_daily_limit=2)
    async with client_for(app) as client:
        headers = {
            "Authorization": f"Bearer {(await password_token(client, 'jinhu_worker'))['access_token']}"
        }
        from tests.minors.conftest import minor_body

        created = (await client.post(MINORS, json=minor_body(person()), headers=headers)).json()
        url = f"{MINORS}/{created['id']}/reveal"
        body = {"reason": "核实身份信息以便回访", "fields": ["name"]}
        assert (await client.post(url, json=body, headers=headers)).json()["reveals_left_today"] == 1
        assert (await client.post(url, json=body, headers=headers)).json()["reveals_left_today"] == 0
        refused = await client.post(url, json=body, headers=headers)
        assert_problem(refused, 429)
        assert int(refused.headers["Retry-After"]) > 0
        # The refusal reveals nothing and is not counted as a reveal.
        assert "values" not in refused.json()
        other = {"Authorization": f"Bearer {(await password_token(client, 'jinhu_lead'))['access_token']}"}
        assert (await client.post(url, json=body, headers=other)).status_code == 200


async def test_sealed_facts_open_only_to_a_county_lead(app, client, login, register, person, county):
    created = await register(person())
    url = f"{MINORS}/{created['id']}"
    assert_status(await client.patch(url, json={"is_sealed": True}, headers=await login("jinhu_lead")), 200)
    for username in ("jinhu_worker", "jinhu_lead", "county_lead"):
        shown = (await client.get(url, headers=await login(username))).json()
        assert "substances" not in shown
        assert "nps_abuse" not in shown["risk_categories"]
        assert "left_behind" in shown["risk_categories"]
        assert "substances" in shown["hidden_fields"]
    body = {"reason": "复核封存记录以决定是否移交司法", "fields": ["substances", "sensitive_risk_categories"]}
    assert_problem(await client.post(f"{url}/reveal", json=body, headers=await login("jinhu_lead")), 422)
    opened = await client.post(f"{url}/reveal", json=body, headers=await login("county_lead"))
    assert opened.status_code == 200, opened.text
    assert opened.json()["values"] == {
        "substances": ["etomidate"],
        "sensitive_risk_categories": ["nps_abuse"],
    }
    # Sealed minors still count: they stay in lists and totals, but a drug-use filter does not find them.
    listing = (await client.get(MINORS, headers=await login("jinhu_lead"))).json()
    assert listing["total"] == 1
    assert (
        await client.get(MINORS, params={"substance": "etomidate"}, headers=await login("jinhu_lead"))
    ).json()["total"] == 0
    async with app.state.sessionmaker() as session:
        reason = await session.scalar(
            sa.text("SELECT reason FROM audit_events WHERE action = 'minor.revealed'")
        )
    assert reason == body["reason"]


async def test_forty_parallel_reveals_by_one_person_give_exactly_the_limit(make_app, county, person):
    """The count-then-insert of old let 38 of 40 through on PostgreSQL with a limit of 20."""
    app = make_app(reveal_daily_limit=20)
    async with client_for(app) as client:
        token = (await password_token(client, "jinhu_worker"))["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        from tests.minors.conftest import minor_body

        created = await client.post(MINORS, json=minor_body(person()), headers=headers)
        assert created.status_code == 201, created.text
        url = f"{MINORS}/{created.json()['id']}/reveal"
        body = {"reason": "核实身份信息以便回访", "fields": ["name"]}
        answers = await asyncio.gather(*(client.post(url, json=body, headers=headers) for _ in range(40)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 20 + [429] * 20
    left = sorted(answer.json()["reveals_left_today"] for answer in answers if answer.status_code == 200)
    assert left == list(range(20))
    async with app.state.sessionmaker() as session:
        recorded = await session.scalar(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'minor.revealed'")
        )
    assert recorded == 20


async def test_a_registration_that_matches_a_minor_managed_elsewhere_is_audited_and_limited(
    make_app, county, person
):
    """ "Managed by another unit" tells the caller that the person is registered: it is recorded for that
    unit (who asked, never the record) and counted; past the daily limit every registration pauses, so the
    refusal does not answer the question either."""
    app = make_app(match_elsewhere_daily_limit=2)
    from tests.minors.conftest import minor_body

    async with client_for(app) as client:

        async def headers_for(username: str) -> dict[str, str]:
            token = (await password_token(client, username))["access_token"]
            return {"Authorization": f"Bearer {token}"}

        jinhu, anyang = await headers_for("jinhu_worker"), await headers_for("other_worker")
        managed_in_jinhu = [person() for _ in range(3)]
        for someone in managed_in_jinhu:
            created = await client.post(MINORS, json=minor_body(someone), headers=jinhu)
            assert created.status_code == 201, created.text
        for someone in managed_in_jinhu[:2]:
            problem = assert_problem(
                await client.post(MINORS, json=minor_body(someone), headers=anyang), 409, "conflict"
            )
            assert "existing_id" not in problem
            assert someone.name not in str(problem)
        # The third match, and then a person registered nowhere yet: both wait until tomorrow.
        for someone in (managed_in_jinhu[2], person()):
            refused = assert_problem(await client.post(MINORS, json=minor_body(someone), headers=anyang), 429)
            assert int(refused["status"]) == 429
        trail = (
            await client.get(
                "/api/v1/audit-events",
                params={"action": "minor.duplicate_elsewhere"},
                headers=await headers_for("jinhu_lead"),
            )
        ).json()
        assert trail["total"] == 2
        assert {event["actor_name"] for event in trail["items"]} == {"other_worker"}
        assert {event["object_id"] for event in trail["items"]} == {None}
        # The asking unit's own trail holds it too through the county (never the record's id).
        anyang_lead = await headers_for("county_lead")
        assert (
            await client.get(
                "/api/v1/audit-events", params={"action": "minor.duplicate_elsewhere"}, headers=anyang_lead
            )
        ).json()["total"] == 2
        # A duplicate inside one's own scope is not limited: it names the record one already reaches.
        again = await client.post(MINORS, json=minor_body(managed_in_jinhu[0]), headers=jinhu)
        assert assert_problem(again, 409)["existing_id"]
    async with app.state.sessionmaker() as session:
        registered = await session.scalar(sa.text("SELECT count(*) FROM minors"))
    assert registered == 3


async def test_a_guardian_without_a_phone_is_revealed_without_one(client, login, register, person, county):
    guardians = [
        {"relation": "mother", "name": "李秀英", "phone": "13912345678"},
        {"relation": "grandparent", "name": "李建国"},
    ]
    created = await register(person(), guardians=guardians)
    response = await client.post(
        f"{MINORS}/{created['id']}/reveal",
        json={"reason": "家访前核实监护人联系方式", "fields": ["guardians"]},
        headers=await login("jinhu_worker"),
    )
    assert assert_status(response, 200).json()["values"] == {
        "guardians": [
            {"relation": "mother", "name": "李秀英", "phone": "13912345678"},
            {"relation": "grandparent", "name": "李建国", "phone": None},
        ]
    }
    assert created["guardians"] == [
        {"relation": "mother", "name": "李**", "phone": "139****5678"},
        {"relation": "grandparent", "name": "李**", "phone": None},
    ]
