"""Revocation that works everywhere: a revoked token, a rotated secret, a disabled client or person, a logout stop
every token concerned at the next request in every API process. Two app instances on one database stand for
two processes (each has its own engine, pool and verification cache)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.auth.models import RevokedToken
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD, assert_problem, client_for, password_token

TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"


@pytest.fixture
async def two_processes(app, make_app, county):
    """``(first, second)``: HTTP clients of two apps on the same database, the demo county loaded."""
    second_app = make_app()
    async with client_for(app) as first, client_for(second_app) as second:
        yield first, second


async def _client_token(http, client_id="police-jinhu", secret=DEMO_CLIENT_SECRET):
    response = await http.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def _assert_refused(http, token, detail="The access token has been revoked."):
    response = await http.get("/api/v1/me", headers=_bearer(token))
    body = assert_problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert body["detail"] == detail


async def _client_id_of(http, headers, client_id):
    listed = await http.get("/api/v1/clients", params={"q": client_id}, headers=headers)
    return next(item for item in listed.json()["items"] if item["client_id"] == client_id)


async def test_a_client_revokes_its_own_token_and_every_process_refuses_it(two_processes):
    first, second = two_processes
    token = await _client_token(first)
    other = await _client_token(first)
    assert (await second.get("/api/v1/me", headers=_bearer(token))).status_code == 200

    response = await first.post(
        REVOKE,
        data={
            "token": token,
            "token_type_hint": "access_token",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200
    await _assert_refused(second, token)
    await _assert_refused(first, token)
    # Only that token: the client's other tokens and new ones keep working.
    assert (await second.get("/api/v1/me", headers=_bearer(other))).status_code == 200
    assert (await second.get("/api/v1/me", headers=_bearer(await _client_token(second)))).status_code == 200
    # Revoking it again is no error.
    again = await first.post(
        REVOKE, data={"token": token, "client_id": "police-jinhu", "client_secret": DEMO_CLIENT_SECRET}
    )
    assert again.status_code == 200


async def test_a_client_may_authenticate_by_http_basic_to_revoke(two_processes):
    first, second = two_processes
    token = await _client_token(first, "edu-bureau")
    basic = base64.b64encode(f"edu-bureau:{DEMO_CLIENT_SECRET}".encode()).decode()
    response = await second.post(REVOKE, data={"token": token}, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    await _assert_refused(first, token)


async def test_a_client_token_is_revoked_only_by_that_client_authenticated(app, two_processes):
    first, second = two_processes
    token = await _client_token(first)

    anonymous = await first.post(REVOKE, data={"token": token})
    body = assert_problem(anonymous, 401, "invalid-client")
    assert body["error"] == "invalid_client"
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")

    wrong_secret = await first.post(
        REVOKE, data={"token": token, "client_id": "police-jinhu", "client_secret": "wrong"}
    )
    assert_problem(wrong_secret, 401, "invalid-client")

    half = await first.post(REVOKE, data={"token": token, "client_id": "police-jinhu"})
    assert_problem(half, 401, "invalid-client")

    another_client = await first.post(
        REVOKE, data={"token": token, "client_id": "edu-bureau", "client_secret": DEMO_CLIENT_SECRET}
    )
    body = assert_problem(another_client, 400, "invalid-request")
    assert body["detail"] == "The token was not issued to this client."

    # None of these revoked anything.
    assert (await second.get("/api/v1/me", headers=_bearer(token))).status_code == 200
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(RevokedToken)) == 0


async def test_a_client_cannot_revoke_a_persons_tokens(two_processes):
    first, second = two_processes
    person = await password_token(first, "jinhu_lead")
    for token in (person["access_token"], person["refresh_token"]):
        response = await first.post(
            REVOKE, data={"token": token, "client_id": "police-jinhu", "client_secret": DEMO_CLIENT_SECRET}
        )
        assert_problem(response, 400, "invalid-request")
    assert (await second.get("/api/v1/me", headers=_bearer(person["access_token"]))).status_code == 200


async def test_unknown_and_expired_tokens_are_no_error_for_a_client(two_processes):
    first, _ = two_processes
    for token in ("not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.x"):
        response = await first.post(
            REVOKE, data={"token": token, "client_id": "police-jinhu", "client_secret": DEMO_CLIENT_SECRET}
        )
        assert response.status_code == 200


async def test_rotating_the_secret_ends_running_tokens_in_every_process(two_processes, login):
    first, second = two_processes
    token = await _client_token(first)
    assert (await second.get("/api/v1/me", headers=_bearer(token))).status_code == 200
    admin = await login("admin")
    police = await _client_id_of(first, admin, "police-jinhu")
    rotated = await first.post(f"/api/v1/clients/{police['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200

    await _assert_refused(second, token)
    await _assert_refused(first, token)
    fresh = await _client_token(second, secret=rotated.json()["client_secret"])
    assert (await first.get("/api/v1/me", headers=_bearer(fresh))).status_code == 200


async def test_a_disabled_client_stays_refused_after_it_is_enabled_again(two_processes, login):
    first, second = two_processes
    token = await _client_token(first, "edu-bureau")
    admin = await login("admin")
    edu = await _client_id_of(first, admin, "edu-bureau")
    disabled = await first.patch(f"/api/v1/clients/{edu['id']}", json={"is_active": False}, headers=admin)
    assert disabled.status_code == 200
    await _assert_refused(second, token, "The client is disabled.")
    enabled = await first.patch(f"/api/v1/clients/{edu['id']}", json={"is_active": True}, headers=admin)
    assert enabled.status_code == 200
    await _assert_refused(second, token)
    assert (
        await second.get("/api/v1/me", headers=_bearer(await _client_token(second, "edu-bureau")))
    ).status_code == 200


async def test_logging_out_ends_the_persons_tokens_in_every_process(two_processes):
    first, second = two_processes
    token = await password_token(first, "jinhu_lead")
    assert (await second.get("/api/v1/me", headers=_bearer(token["access_token"]))).status_code == 200
    assert (await first.post(REVOKE, data={"token": token["refresh_token"]})).status_code == 200
    await _assert_refused(second, token["access_token"], "The session has ended; log in again.")
    refresh = await second.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    )
    assert_problem(refresh, 400, "invalid-grant")


async def test_disabling_a_person_ends_their_tokens_in_every_process(two_processes, login):
    first, second = two_processes
    token = await password_token(first, "jinhu_worker")
    admin = await login("admin")
    listed = (await first.get("/api/v1/users", params={"q": "jinhu_worker"}, headers=admin)).json()["items"]
    response = await first.patch(f"/api/v1/users/{listed[0]['id']}", json={"is_active": False}, headers=admin)
    assert response.status_code == 200
    await _assert_refused(second, token["access_token"], "The session has ended; log in again.")
    login_again = await second.post(
        TOKEN, data={"grant_type": "password", "username": "jinhu_worker", "password": DEMO_PASSWORD}
    )
    assert assert_problem(login_again, 400, "invalid-grant")["detail"] == "The account is disabled."


async def test_revocations_of_expired_tokens_are_pruned(app, two_processes):
    first, _ = two_processes
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    async with app.state.sessionmaker() as session, session.begin():
        session.add(RevokedToken(jti="expired-long-ago", expires_at=long_ago, revoked_at=long_ago))
        session.add(
            RevokedToken(
                jti="still-running", expires_at=datetime.now(UTC) + timedelta(minutes=5), revoked_at=long_ago
            )
        )
    token = await _client_token(first)
    response = await first.post(
        REVOKE, data={"token": token, "client_id": "police-jinhu", "client_secret": DEMO_CLIENT_SECRET}
    )
    assert response.status_code == 200
    async with app.state.sessionmaker() as session:
        rows = (await session.scalars(sa.select(RevokedToken.jti))).all()
    assert "expired-long-ago" not in rows
    assert "still-running" in rows
    assert len(rows) == 2  # the one just revoked, and the one still running
