"""Machine clients: the secret shown once, rotated, disabled; only integration scopes."""

from tests.conftest import DEMO_CLIENT_SECRET, assert_problem, assert_status

CLIENTS = "/api/v1/clients"
TOKEN = "/api/v1/auth/token"


async def _client_token(client, client_id, secret):
    return await client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )


async def test_admin_creates_a_client_and_sees_the_secret_once(client, login, county):
    headers = await login("admin")
    body = {
        "client_id": "police-anyang",
        "name": "安阳派出所警务系统",
        "unit_id": str(county["units"]["安阳派出所"].id),
        "scopes": ["seizures:write"],
    }
    response = await client.post(CLIENTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["client_secret"]
    assert len(secret) >= 40
    read = (await client.get(f"{CLIENTS}/{created['id']}", headers=headers)).json()
    assert "client_secret" not in read
    assert read["scopes"] == ["seizures:write"]
    assert (await _client_token(client, "police-anyang", secret)).status_code == 200


async def test_clients_cannot_be_given_administrative_scopes(client, login, county):
    headers = await login("admin")
    unit_id = str(county["units"]["安阳派出所"].id)
    for scopes in (["users:write"], [], ["no:such"]):
        body = {"client_id": "sneaky", "name": "x", "unit_id": unit_id, "scopes": scopes}
        problem = assert_problem(await client.post(CLIENTS, json=body, headers=headers), 422)
        assert problem["errors"][0]["loc"][1] == "scopes"


async def test_duplicate_client_id_is_409(client, login, county):
    body = {
        "client_id": "police-jinhu",
        "name": "x",
        "unit_id": str(county["units"]["锦湖派出所"].id),
        "scopes": ["seizures:read"],
    }
    assert_problem(await client.post(CLIENTS, json=body, headers=await login("admin")), 409)


async def test_rotating_the_secret_retires_the_old_one(client, login):
    headers = await login("admin")
    police = (await client.get(CLIENTS, params={"q": "police-jinhu"}, headers=headers)).json()["items"][0]
    rotated = await client.post(f"{CLIENTS}/{police['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != DEMO_CLIENT_SECRET
    assert_problem(await _client_token(client, "police-jinhu", DEMO_CLIENT_SECRET), 401, "invalid-client")
    assert (await _client_token(client, "police-jinhu", new_secret)).status_code == 200


async def test_a_disabled_client_gets_no_token_and_its_tokens_stop(client, login):
    token = (await _client_token(client, "edu-bureau", DEMO_CLIENT_SECRET)).json()
    headers = await login("admin")
    edu = (await client.get(CLIENTS, params={"q": "edu"}, headers=headers)).json()["items"][0]
    response = await client.patch(
        f"{CLIENTS}/{edu['id']}", json={"is_active": False}, headers={**headers, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert_problem(await _client_token(client, "edu-bureau", DEMO_CLIENT_SECRET), 401, "invalid-client")
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}), 401
    )


async def test_only_admins_see_clients(client, login):
    for username in ("county_lead", "jinhu_police", "auditor"):
        assert_problem(await client.get(CLIENTS, headers=await login(username)), 403)
    listing = (await client.get(CLIENTS, headers=await login("admin"))).json()
    assert {item["client_id"] for item in listing["items"]} == {"police-jinhu", "edu-bureau"}


async def test_a_machine_client_cannot_administer(client, county):
    token = (await _client_token(client, "police-jinhu", DEMO_CLIENT_SECRET)).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert_problem(await client.get(CLIENTS, headers=headers), 403)
    assert_problem(await client.get("/api/v1/users", headers=headers), 403)
    assert_problem(await client.get("/api/v1/units", headers=headers), 403)


async def test_no_client_is_made_for_a_deactivated_unit(client, login, county):
    headers = await login("admin")
    station = county["units"]["安阳派出所"]
    assert_status(
        await client.patch(f"/api/v1/units/{station.id}", json={"is_active": False}, headers=headers), 200
    )
    body = {
        "client_id": "police-anyang",
        "name": "安阳派出所警务系统",
        "unit_id": str(station.id),
        "scopes": ["seizures:write"],
    }
    problem = assert_problem(await client.post(CLIENTS, json=body, headers=headers), 422, "validation")
    assert problem["errors"] == [
        {"loc": ["body", "unit_id"], "msg": "the unit is deactivated", "type": "unit.inactive"}
    ]
    assert (await client.get(CLIENTS, params={"q": "police-anyang"}, headers=headers)).json()["total"] == 0


async def test_a_renamed_client_is_a_new_version_and_an_unchanged_one_is_not(client, login):
    headers = await login("admin")
    police = (await client.get(CLIENTS, params={"q": "police-jinhu"}, headers=headers)).json()["items"][0]
    url = f"{CLIENTS}/{police['id']}"
    renamed = assert_status(
        await client.patch(url, json={"name": "锦湖派出所新警务系统"}, headers=headers), 200
    )
    assert (renamed.json()["name"], renamed.json()["version"]) == ("锦湖派出所新警务系统", 2)
    same = await client.patch(
        url,
        json={
            "name": "锦湖派出所新警务系统",
            "scopes": ["seizures:write", "seizures:read"],
            "is_active": True,
        },
        headers=headers,
    )
    assert assert_status(same, 200).json()["version"] == 2
    assert same.headers["ETag"] == '"2"'
    # Still the same client: its secret still gives a token.
    assert (await _client_token(client, "police-jinhu", DEMO_CLIENT_SECRET)).status_code == 200
