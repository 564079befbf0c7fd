"""People: administered by admins, read in scope by leads, passwords by policy."""

import sqlalchemy as sa

from backend.users.models import User
from tests.conftest import DEMO_PASSWORD, assert_problem, assert_status, password_token

USERS = "/api/v1/users"
STRONG = "Lanterns-Harbor-2026"


async def _user(client, headers, username):
    items = (await client.get(USERS, params={"q": username}, headers=headers)).json()["items"]
    return next(item for item in items if item["username"] == username)


async def test_admin_adds_a_person_with_a_generated_one_time_password(client, login, county):
    headers = await login("admin")
    body = {
        "username": "Jinhu_Worker2",
        "display_name": "钱社工",
        "role": "caseworker",
        "unit_id": str(county["units"]["锦湖街道"].id),
    }
    response = await client.post(USERS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == "jinhu_worker2"
    assert created["must_change_password"] is True
    one_time = created["one_time_password"]
    assert len(one_time) >= 16
    # Shown once: reading the person again never returns it.
    again = (await client.get(f"{USERS}/{created['id']}", headers=headers)).json()
    assert "one_time_password" not in again

    # The person logs in, is sent to change the password first, then works normally.
    token = await password_token(client, "jinhu_worker2", one_time)
    person = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get("/api/v1/me", headers=person)).json()["must_change_password"] is True
    assert_problem(await client.get("/api/v1/units", headers=person), 403, "password-change-required")
    changed = await client.post(
        "/api/v1/me/password", json={"current_password": one_time, "new_password": STRONG}, headers=person
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/units", headers=person)).status_code == 200
    await password_token(client, "jinhu_worker2", STRONG)


async def test_duplicate_username_is_409_whatever_the_case(client, login, county):
    body = {
        "username": "JINHU_WORKER",
        "display_name": "重名",
        "role": "caseworker",
        "unit_id": str(county["units"]["锦湖街道"].id),
    }
    assert_problem(await client.post(USERS, json=body, headers=await login("admin")), 409, "conflict")


async def test_bad_people_are_refused_and_nothing_is_written(app, client, login, county):
    headers = await login("admin")
    unit_id = str(county["units"]["锦湖街道"].id)
    base = {"username": "new_person", "display_name": "新人", "role": "caseworker", "unit_id": unit_id}
    cases = [
        ({**base, "username": "a"}, "username", None),
        ({**base, "username": "bad name!"}, "username", None),
        ({**base, "role": "emperor"}, "role", None),
        ({**base, "unit_id": "00000000-0000-0000-0000-000000000000"}, "unit_id", "unit.not_found"),
        ({**base, "password": "short"}, "password", "password.too_short"),
        ({**base, "password": "password1234"}, "password", "password.too_weak"),
        ({**base, "password": "new_person-2026-x"}, "password", "password.personal"),
    ]
    for body, field, problem_type in cases:
        problem = assert_problem(await client.post(USERS, json=body, headers=headers), 422, "validation")
        assert problem["errors"][0]["loc"][-1] == field, problem
        if problem_type:
            assert problem["errors"][0]["type"] == problem_type
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(User).where(User.username == "new_person")) is None


async def test_only_admins_manage_people(client, login, county):
    body = {
        "username": "someone",
        "display_name": "某人",
        "role": "caseworker",
        "unit_id": str(county["units"]["锦湖街道"].id),
    }
    for username in ("jinhu_lead", "county_lead", "jinhu_worker", "auditor"):
        assert_problem(await client.post(USERS, json=body, headers=await login(username)), 403)
    assert_problem(await client.get(USERS, headers=await login("jinhu_worker")), 403)


async def test_leads_read_people_of_their_subtree_only(client, login, county):
    lead = await login("jinhu_lead")
    names = {item["username"] for item in (await client.get(USERS, headers=lead)).json()["items"]}
    assert names == {"jinhu_lead", "jinhu_worker", "jinhu_police", "school_teacher"}
    other = await _user(client, await login("admin"), "other_worker")
    assert_problem(await client.get(f"{USERS}/{other['id']}", headers=lead), 404)
    everyone = (await client.get(USERS, headers=await login("county_lead"))).json()
    assert everyone["total"] == 9
    by_role = (
        await client.get(USERS, params={"role": "caseworker"}, headers=await login("county_lead"))
    ).json()
    assert {item["username"] for item in by_role["items"]} == {"jinhu_worker", "other_worker"}
    within = (
        await client.get(
            USERS, params={"within": str(county["units"]["安阳街道"].id)}, headers=await login("admin")
        )
    ).json()
    assert [item["username"] for item in within["items"]] == ["other_worker"]


async def test_admin_changes_role_and_unit_with_if_match(client, login, county):
    headers = await login("admin")
    worker = await _user(client, headers, "jinhu_worker")
    response = await client.patch(
        f"{USERS}/{worker['id']}",
        json={"role": "supervisor", "unit_id": str(county["units"]["安阳街道"].id)},
        headers={**headers, "If-Match": f'"{worker["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "supervisor"
    assert response.json()["unit"]["name"] == "安阳街道"
    stale = await client.patch(
        f"{USERS}/{worker['id']}",
        json={"display_name": "x"},
        headers={**headers, "If-Match": f'"{worker["version"]}"'},
    )
    assert_problem(stale, 412)


async def test_admin_cannot_lock_themselves_out(client, login):
    headers = await login("admin")
    me = await _user(client, headers, "admin")
    assert_problem(await client.patch(f"{USERS}/{me['id']}", json={"is_active": False}, headers=headers), 403)
    assert_problem(
        await client.patch(f"{USERS}/{me['id']}", json={"role": "caseworker"}, headers=headers), 403
    )


async def test_reset_password_ends_sessions_and_unlocks(client, login, county):
    worker_token = await password_token(client, "jinhu_worker")
    headers = await login("admin")
    worker = await _user(client, headers, "jinhu_worker")
    response = await client.post(f"{USERS}/{worker['id']}/reset-password", headers=headers)
    assert response.status_code == 200
    one_time = response.json()["one_time_password"]
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {worker_token['access_token']}"}),
        401,
    )
    refresh = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": worker_token["refresh_token"]},
    )
    assert_problem(refresh, 400)
    bad = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "jinhu_worker", "password": DEMO_PASSWORD},
    )
    assert_problem(bad, 400)
    await password_token(client, "jinhu_worker", one_time)


async def test_changing_my_password_checks_the_current_one_and_the_policy(client, county):
    token = await password_token(client, "jinhu_worker")
    other_session = await password_token(client, "jinhu_worker")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    cases = [
        ({"current_password": "wrong", "new_password": STRONG}, "current_password", "password.mismatch"),
        ({"current_password": DEMO_PASSWORD, "new_password": "short"}, "new_password", "password.too_short"),
        (
            {"current_password": DEMO_PASSWORD, "new_password": "qwertyuiop123"},
            "new_password",
            "password.too_weak",
        ),
        (
            {"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
            "new_password",
            "password.unchanged",
        ),
        (
            {"current_password": DEMO_PASSWORD, "new_password": "Jinhu_Worker#2026"},
            "new_password",
            "password.personal",
        ),
    ]
    for body, field, problem_type in cases:
        problem = assert_problem(await client.post("/api/v1/me/password", json=body, headers=headers), 422)
        assert problem["errors"][0]["loc"][-1] == field
        assert problem["errors"][0]["type"] == problem_type
    await password_token(client, "jinhu_worker")  # unchanged so far
    ok = await client.post(
        "/api/v1/me/password",
        json={"current_password": DEMO_PASSWORD, "new_password": STRONG},
        headers=headers,
    )
    assert ok.status_code == 204
    # This session stays, the person's other sessions end.
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_session['access_token']}"}),
        401,
    )


async def test_machine_clients_have_no_password(client, county):
    from tests.conftest import DEMO_CLIENT_SECRET

    token = (
        await client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "edu-bureau",
                "client_secret": DEMO_CLIENT_SECRET,
            },
        )
    ).json()
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": "a", "new_password": STRONG},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert_problem(response, 403)


async def test_no_person_is_placed_in_a_deactivated_unit(app, client, login, county):
    headers = await login("admin")
    longshan = county["units"]["隆山社区"]
    assert_status(
        await client.patch(f"/api/v1/units/{longshan.id}", json={"is_active": False}, headers=headers), 200
    )
    body = {
        "username": "longshan_worker",
        "display_name": "隆山社工",
        "role": "caseworker",
        "unit_id": str(longshan.id),
    }
    problem = assert_problem(await client.post(USERS, json=body, headers=headers), 422, "validation")
    assert problem["errors"] == [
        {"loc": ["body", "unit_id"], "msg": "the unit is deactivated", "type": "unit.inactive"}
    ]
    worker = await _user(client, headers, "other_worker")
    moved = await client.patch(f"{USERS}/{worker['id']}", json={"unit_id": str(longshan.id)}, headers=headers)
    assert assert_problem(moved, 422, "validation")["errors"][0]["type"] == "unit.inactive"
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(User).where(User.username == "longshan_worker")) is None
    assert (await client.get(f"{USERS}/{worker['id']}", headers=headers)).json()["unit"]["name"] == "安阳街道"
