"""POST /api/v1/auth/token, /auth/revoke and /me as API.md describes them, bad input included."""

import base64
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from jose import jwt

from backend.security import tokens
from backend.security.tokens import issue_access_token
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD, assert_problem, client_for, password_token

TOKEN = "/api/v1/auth/token"


async def test_password_grant_gives_access_and_refresh_tokens(client, county):
    token = await password_token(client, "jinhu_worker")
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 900
    assert token["refresh_token"]
    header = jwt.get_unverified_header(token["access_token"])
    assert header["alg"] == "HS256"
    assert header["kid"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "jinhu_worker"
    assert body["role"] == "caseworker"
    assert body["kind"] == "user"
    assert body["unit"]["name"] == "锦湖街道"
    assert "units:read" in body["scopes"]


async def test_username_is_case_insensitive(client, county):
    await password_token(client, "JINHU_Worker")


async def test_wrong_password_and_unknown_user_answer_alike(client, county):
    wrong = await client.post(
        TOKEN, data={"grant_type": "password", "username": "jinhu_worker", "password": "nope"}
    )
    unknown = await client.post(
        TOKEN, data={"grant_type": "password", "username": "ghost", "password": "nope"}
    )
    for response in (wrong, unknown):
        body = assert_problem(response, 400, "invalid-grant")
        assert body["error"] == "invalid_grant"
        assert body["detail"] == "Wrong username or password."


async def test_missing_fields_and_unknown_grant_type(client, county):
    body = assert_problem(await client.post(TOKEN, data={"grant_type": "password", "username": "x"}), 400)
    assert body["error"] == "invalid_request"
    body = assert_problem(await client.post(TOKEN, data={"grant_type": "implicit"}), 400)
    assert body["error"] == "unsupported_grant_type"
    assert_problem(await client.post(TOKEN, data={"username": "x"}), 422, "validation")


async def test_token_endpoint_refuses_json_bodies(client, county):
    response = await client.post(TOKEN, json={"grant_type": "password", "username": "admin", "password": "x"})
    assert_problem(response, 415, "unsupported-media-type")


async def test_disabled_user_cannot_log_in_and_loses_running_tokens(client, county, login):
    worker_headers = await login("jinhu_worker")
    admin = await login("admin")
    users = (await client.get("/api/v1/users", params={"q": "jinhu_worker"}, headers=admin)).json()["items"]
    response = await client.patch(f"/api/v1/users/{users[0]['id']}", json={"is_active": False}, headers=admin)
    assert response.status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=worker_headers), 401, "unauthorized")
    response = await client.post(
        TOKEN, data={"grant_type": "password", "username": "jinhu_worker", "password": DEMO_PASSWORD}
    )
    assert assert_problem(response, 400, "invalid-grant")["detail"] == "The account is disabled."


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(client, county):
    first = await password_token(client, "jinhu_lead")
    second = (
        await client.post(
            TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    ).status_code == 200

    # The first refresh token shows up again: someone copied it. The whole session ends.
    reuse = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert_problem(reuse, 400, "invalid-grant")
    after = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert_problem(after, 400, "invalid-grant")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert_problem(me, 401)
    # Another login of the same person is not affected.
    await password_token(client, "jinhu_lead")


async def test_unknown_and_expired_refresh_tokens_are_refused(make_app, county):
    app = make_app(refresh_token_ttl_seconds=300)
    async with client_for(app) as client:
        assert_problem(
            await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "made-up"}),
            400,
            "invalid-grant",
        )
        token = await password_token(client, "jinhu_lead")
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                sa.text("UPDATE refresh_tokens SET expires_at = :past"),
                {"past": datetime.now(UTC) - timedelta(seconds=1)},
            )
        response = await client.post(
            TOKEN, data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
        )
        assert "expired" in assert_problem(response, 400, "invalid-grant")["detail"]


async def test_revoke_logs_out_both_tokens(client, county):
    token = await password_token(client, "jinhu_lead")
    response = await client.post("/api/v1/auth/revoke", data={"token": token["refresh_token"]})
    assert response.status_code == 200
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}), 401
    )
    refresh = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    )
    assert_problem(refresh, 400, "invalid-grant")
    # Unknown tokens are not an error (RFC 7009).
    assert (await client.post("/api/v1/auth/revoke", data={"token": "whatever"})).status_code == 200


async def test_revoking_the_access_token_ends_the_session_too(client, county):
    token = await password_token(client, "jinhu_lead")
    assert (
        await client.post("/api/v1/auth/revoke", data={"token": token["access_token"]})
    ).status_code == 200
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}), 401
    )


async def test_client_credentials_grant_and_scope_narrowing(client, county):
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"] == "seizures:read seizures:write"
    assert token.get("refresh_token") is None
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})).json()
    assert me["kind"] == "client"
    assert me["username"] == "police-jinhu"
    assert me["unit"]["name"] == "锦湖派出所"
    assert me["role"] is None

    narrowed = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
            "scope": "seizures:write",
        },
    )
    assert narrowed.json()["scope"] == "seizures:write"
    more = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
            "scope": "seizures:write stats:read",
        },
    )
    body = assert_problem(more, 400, "invalid-scope")
    assert body["error"] == "invalid_scope"


async def test_client_credentials_by_http_basic(client, county):
    basic = base64.b64encode(f"edu-bureau:{DEMO_CLIENT_SECRET}".encode()).decode()
    response = await client.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "stats:read"


async def test_wrong_client_secret_and_unknown_client(client, county):
    for client_id in ("police-jinhu", "no-such-client"):
        response = await client.post(
            TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}
        )
        body = assert_problem(response, 401, "invalid-client")
        assert body["error"] == "invalid_client"
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def _forge(settings, claims_update=None, *, key=None, headers=None, algorithm="HS256"):
    now = datetime.now(UTC)
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": f"user:{uuid.uuid4()}",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "typ": "access",
        "scope": "units:read",
        "sid": str(uuid.uuid4()),
    }
    claims.update(claims_update or {})
    return jwt.encode(
        claims,
        key or settings.signing_key.get_secret_value(),
        algorithm=algorithm,
        headers=headers if headers is not None else {"kid": settings.signing_key_id},
    )


async def test_forged_expired_and_foreign_tokens_are_401(app, client, county):
    settings = app.state.settings
    token = await password_token(client, "jinhu_lead")
    real_claims = jwt.get_unverified_claims(token["access_token"])
    same_person = {"sub": real_claims["sub"], "sid": real_claims["sid"]}
    expired_at = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    alg_none = (
        base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(token["access_token"].split(".")[1].encode() + b"").decode().rstrip("=")
        + "."
    )
    bad_tokens = {
        "garbage": "not-a-jwt",
        "alg none": alg_none,
        "wrong key": _forge(settings, same_person, key="another-key-entirely-another-key"),
        "expired": _forge(settings, {**same_person, "exp": expired_at}),
        "other issuer": _forge(settings, {**same_person, "iss": "someone-else"}),
        "other audience": _forge(settings, {**same_person, "aud": "another-api"}),
        "unknown kid": _forge(settings, same_person, headers={"kid": "nobody"}),
        "not an access token": _forge(settings, {**same_person, "typ": "refresh"}),
        "refresh token as bearer": token["refresh_token"],
        # Signed with our key but not as we issue them: each claim is checked, not only the signature.
        "no token id": _forge(settings, same_person),
        "token id too long": _forge(settings, {**same_person, "jti": "j" * 65}),
        "empty token id": _forge(settings, {**same_person, "jti": ""}),
        "unknown kind of subject": _forge(
            settings,
            {**same_person, "jti": real_claims["jti"], "sub": real_claims["sub"].replace("user:", "robot:")},
        ),
        "subject without an id": _forge(
            settings, {**same_person, "jti": real_claims["jti"], "sub": "user:42"}
        ),
        "session id not a uuid": _forge(settings, {**same_person, "jti": real_claims["jti"], "sid": "s-1"}),
    }
    for name, bad in bad_tokens.items():
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        body = assert_problem(response, 401, "unauthorized")
        assert "invalid_token" in response.headers["WWW-Authenticate"], name
        assert "Traceback" not in body.get("detail", "")
    # The genuine token still works.
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    ).status_code == 200


async def test_no_token_is_401_with_bearer_challenge(client, county):
    response = await client.get("/api/v1/units")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_rotated_signing_key_still_verifies_older_tokens(make_app, county):
    old_app = make_app()
    async with client_for(old_app) as client:
        token = await password_token(client, "jinhu_lead")
    old = old_app.state.settings
    rotated = make_app(
        signing_key_id="k2",
        signing_key="a-brand-new-signing-key-for-rotation-tests",
        previous_signing_keys={old.signing_key_id: old.signing_key.get_secret_value()},
    )
    async with client_for(rotated) as client:
        response = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert response.status_code == 200
        new_token = await password_token(client, "jinhu_lead")
        assert jwt.get_unverified_header(new_token["access_token"])["kid"] == "k2"


async def test_client_token_loses_scopes_taken_away_since_issue(app, client, county, login):
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    client_headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    admin = await login("admin")
    listed = (await client.get("/api/v1/clients", params={"q": "police-jinhu"}, headers=admin)).json()[
        "items"
    ][0]
    await client.patch(f"/api/v1/clients/{listed['id']}", json={"scopes": ["seizures:read"]}, headers=admin)
    me = (await client.get("/api/v1/me", headers=client_headers)).json()
    assert me["scopes"] == ["seizures:read"]


async def test_access_token_of_a_deleted_session_user(app, client, county):
    # A well-signed token for a person who does not exist.
    token, _ = issue_access_token(
        app.state.settings,
        subject_kind="user",
        subject_id=uuid.uuid4(),
        scopes=frozenset(),
        session_id=uuid.uuid4(),
    )
    assert_problem(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_a_token_verified_before_is_refused_once_it_expires(app, client, county, monkeypatch):
    """A token's verification is remembered between requests; its expiry is not: checked on every use."""
    token = await password_token(client, "jinhu_lead")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    expiry = datetime.fromtimestamp(jwt.get_unverified_claims(token["access_token"])["exp"], UTC)
    monkeypatch.setattr(tokens, "_now", lambda: expiry + tokens.LEEWAY + timedelta(seconds=1))
    response = await client.get("/api/v1/me", headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    monkeypatch.setattr(tokens, "_now", lambda: expiry + tokens.LEEWAY - timedelta(seconds=1))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
