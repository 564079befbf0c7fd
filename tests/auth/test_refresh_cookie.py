"""The web app's refresh token in an HttpOnly, SameSite=Strict cookie scoped to the auth endpoints; scripts and
machine clients keep getting it in the JSON body, as OAuth2 says."""

from tests.conftest import DEMO_PASSWORD, assert_problem, client_for

TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"
PASSWORD_GRANT = {"grant_type": "password", "username": "jinhu_lead", "password": DEMO_PASSWORD}


def _set_cookie(response):
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    name_value, *attributes = [part.strip() for part in headers[0].split(";")]
    name, _, value = name_value.partition("=")
    return name, value, {attribute.split("=")[0].lower(): attribute for attribute in attributes}


async def _me(http, access_token):
    return await http.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token}"})


async def test_the_web_app_gets_its_refresh_token_in_an_httponly_cookie(client, county):
    response = await client.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] is None
    assert body["access_token"]
    name, value, attributes = _set_cookie(response)
    assert name == "qinghu_refresh"
    assert len(value) >= 40
    assert attributes["path"] == "Path=/api/v1/auth/"
    assert attributes["samesite"].lower() == "samesite=strict"
    assert "httponly" in attributes
    assert "secure" not in attributes  # plain http: the local demo must work
    assert "max-age" not in attributes  # a session cookie: it ends with the browser
    assert "expires" not in attributes
    assert value not in response.text


async def test_the_cookie_is_secure_over_https_or_when_the_settings_say_so(app, make_app, county):
    async with client_for(app) as http:
        http.base_url = "https://qinghu.test"
        response = await http.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
        assert "secure" in _set_cookie(response)[2]
    forced = make_app(refresh_cookie_secure=True)
    async with client_for(forced) as http:
        response = await http.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
        assert "secure" in _set_cookie(response)[2]


async def test_scripts_keep_the_refresh_token_in_the_body(client, county):
    response = await client.post(TOKEN, data=PASSWORD_GRANT)
    assert response.status_code == 200
    assert response.json()["refresh_token"]
    assert response.headers.get_list("set-cookie") == []
    refreshed = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]}
    )
    assert refreshed.json()["refresh_token"]
    assert refreshed.headers.get_list("set-cookie") == []


async def test_a_refresh_without_refresh_token_reads_the_cookie_and_rotates_it(client, county):
    login = await client.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
    first_cookie = _set_cookie(login)[1]
    refreshed = await client.post(TOKEN, data={"grant_type": "refresh_token"})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] is None
    second_cookie = _set_cookie(refreshed)[1]
    assert second_cookie != first_cookie
    assert (await _me(client, refreshed.json()["access_token"])).status_code == 200

    # The first cookie shows up again (copied): the whole session ends, as with a reused refresh token.
    client.cookies.clear()
    client.cookies.set("qinghu_refresh", first_cookie)
    reused = await client.post(TOKEN, data={"grant_type": "refresh_token"})
    assert_problem(reused, 400, "invalid-grant")
    assert_problem(await _me(client, refreshed.json()["access_token"]), 401)


async def test_a_refresh_with_neither_token_nor_cookie_is_invalid_request(client, county):
    body = assert_problem(
        await client.post(TOKEN, data={"grant_type": "refresh_token"}), 400, "invalid-request"
    )
    assert body["detail"] == "refresh_token is required."


async def test_the_cookie_goes_only_to_the_auth_endpoints(client, county):
    login = await client.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
    request = client.build_request("GET", "/api/v1/me")
    assert "qinghu_refresh" not in request.headers.get("cookie", "")
    request = client.build_request("POST", TOKEN)
    assert f"qinghu_refresh={_set_cookie(login)[1]}" in request.headers["cookie"]


async def test_logging_out_revokes_and_clears_the_cookie(client, county):
    login = await client.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
    access_token = login.json()["access_token"]
    cookie = _set_cookie(login)[1]
    response = await client.post(REVOKE, data={"token": access_token})
    assert response.status_code == 200
    name, value, attributes = _set_cookie(response)
    assert (name, value) == ("qinghu_refresh", '""')
    assert attributes["max-age"] == "Max-Age=0"
    assert attributes["path"] == "Path=/api/v1/auth/"
    assert_problem(await _me(client, access_token), 401)
    client.cookies.clear()
    client.cookies.set("qinghu_refresh", cookie)
    again = await client.post(TOKEN, data={"grant_type": "refresh_token"})
    assert_problem(again, 400, "invalid-grant")


async def test_the_web_app_may_log_out_with_the_cookie_alone(client, county):
    login = await client.post(TOKEN, data={**PASSWORD_GRANT, "refresh_token_delivery": "cookie"})
    empty_form = {"content": b"", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    response = await client.post(REVOKE, **empty_form)
    assert response.status_code == 200
    assert_problem(await _me(client, login.json()["access_token"]), 401)
    # Without a cookie, the token is required, as before.
    client.cookies.clear()
    body = assert_problem(await client.post(REVOKE, **empty_form), 422, "validation")
    assert body["errors"][0]["loc"] == ["body", "token"]
