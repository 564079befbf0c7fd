"""Login protection that cannot be turned against users: failures counted per account and per address in the
database, unknown usernames answered exactly as known ones, a targeted account slowed down (never locked out) and
its owner let in from where they logged in before, a per-address throttle, an administrator's unlock, and the
current-password check of a password change counted like a login."""

import asyncio
import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from starlette.requests import Request

from backend.audit.models import AuditEvent
from backend.auth import service as auth_service
from backend.auth import throttle
from backend.auth.models import LoginThrottle
from backend.settings import Settings
from tests.conftest import DEMO_PASSWORD, assert_problem, client_for, password_token

TOKEN = "/api/v1/auth/token"
OFFICE = ("198.51.100.7", 40000)  # where the owner works and logs in
ELSEWHERE = ("203.0.113.9", 41000)  # an attacker
FAR_AWAY = ("192.0.2.44", 42000)


def _form(username, password="wrong-password-1"):  # noqa: S107 - a wrong guess
    return {"grant_type": "password", "username": username, "password": password}


async def _wind_past_waits(app):
    """As if every wait had run out (instead of sleeping through it)."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(LoginThrottle).values(blocked_until=datetime.now(UTC) - timedelta(seconds=1))
        )


def _retry_after(response):
    """``Retry-After`` rounded up to the half minute: it counts down from the moment the wait began, so a slow
    machine may see a second or two less than the wait."""
    return 30 * math.ceil(int(response.headers["Retry-After"]) / 30)


def _comparable(response):
    """What a client sees, less the one moment that differs between two requests."""
    body = dict(response.json())
    locked_until = body.pop("locked_until", None)
    retry_after = _retry_after(response) if "Retry-After" in response.headers else None
    return response.status_code, retry_after, body, locked_until is not None


async def test_unknown_usernames_are_slowed_and_answered_exactly_as_known_ones(make_app, county):
    app = make_app(login_max_failures=3, login_backoff_base_seconds=600, login_backoff_max_seconds=3600)
    async with (
        client_for(app, client=ELSEWHERE) as known_side,
        client_for(app, client=FAR_AWAY) as unknown_side,
    ):
        answers = {"jinhu_worker": [], "no_such_person": []}
        for username, http in (("jinhu_worker", known_side), ("no_such_person", unknown_side)):
            for _ in range(4):
                answers[username].append(_comparable(await http.post(TOKEN, data=_form(username))))
            await _wind_past_waits(app)
            answers[username].append(_comparable(await http.post(TOKEN, data=_form(username))))
            answers[username].append(_comparable(await http.post(TOKEN, data=_form(username))))
        assert answers["jinhu_worker"] == answers["no_such_person"]

    wrong = (
        400,
        None,
        {
            "type": "https://qinghu.example/problems/invalid-grant",
            "title": "Login failed",
            "status": 400,
            "detail": "Wrong username or password.",
            "error": "invalid_grant",
            "error_description": "Wrong username or password.",
        },
        False,
    )

    def waiting(seconds, wait):
        return (
            429,
            seconds,
            {
                "type": "https://qinghu.example/problems/account-locked",
                "title": "Too many failed logins",
                "status": 429,
                "detail": f"Too many failed logins; try again in {wait}.",
                "error": "invalid_grant",
            },
            True,
        )

    # Three free failures, then a wait of ten minutes; after it, one more try, then twenty.
    assert answers["jinhu_worker"] == [
        wrong,
        wrong,
        wrong,
        waiting(600, "10 minutes"),
        wrong,
        waiting(1200, "20 minutes"),
    ]


async def test_known_and_unknown_usernames_do_the_same_work(make_app, county, monkeypatch):
    app = make_app()
    verifications = []
    original = auth_service.verify_secret

    def counting(secret_hash, secret):
        verifications.append(secret_hash)
        return original(secret_hash, secret)

    monkeypatch.setattr(auth_service, "verify_secret", counting)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0])

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    counts = {}
    async with client_for(app, client=ELSEWHERE) as http:
        for username in ("jinhu_worker", "nobody_here"):
            verifications.clear()
            statements.clear()
            assert_problem(await http.post(TOKEN, data=_form(username)), 400, "invalid-grant")
            counts[username] = (len(verifications), list(statements))
    event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    assert counts["jinhu_worker"][0] == counts["nobody_here"][0] == 1  # one argon2 verification each
    assert counts["jinhu_worker"][1] == counts["nobody_here"][1]  # the same statements, in the same order


async def test_an_attacker_elsewhere_cannot_keep_the_owner_out(make_app, county):
    app = make_app(login_max_failures=3, login_backoff_base_seconds=600)
    async with client_for(app, client=OFFICE) as office, client_for(app, client=ELSEWHERE) as attacker:
        await password_token(office, "admin")  # the owner logged in from the office before
        for _ in range(3):
            assert_problem(await attacker.post(TOKEN, data=_form("admin")), 400, "invalid-grant")
        blocked = await attacker.post(TOKEN, data=_form("admin"))
        assert_problem(blocked, 429, "account-locked")
        assert _retry_after(blocked) == 600
        # Even the right password waits, from anywhere the account was not used from.
        assert_problem(await attacker.post(TOKEN, data=_form("admin", DEMO_PASSWORD)), 429, "account-locked")

        # The owner, at the office, is not held back: a typo is just a typo, and the right password works.
        assert_problem(await office.post(TOKEN, data=_form("admin")), 400, "invalid-grant")
        await password_token(office, "admin")
        # The owner's login gives the attacker no fresh free attempts.
        assert_problem(await attacker.post(TOKEN, data=_form("admin")), 429, "account-locked")


async def test_the_wait_is_capped(make_app, county):
    app = make_app(login_max_failures=1, login_backoff_base_seconds=60, login_backoff_max_seconds=120)
    async with client_for(app, client=ELSEWHERE) as http:
        waits = []
        for _ in range(3):
            assert_problem(await http.post(TOKEN, data=_form("jinhu_lead")), 400)
            waits.append(_retry_after(await http.post(TOKEN, data=_form("jinhu_lead"))))
            await _wind_past_waits(app)
        assert waits == [60, 120, 120]  # doubling, then capped (not 240)


async def test_a_success_clears_the_accounts_failures(make_app, county):
    app = make_app(login_max_failures=3)
    async with client_for(app, client=ELSEWHERE) as http:
        for _ in range(2):
            assert_problem(await http.post(TOKEN, data=_form("jinhu_lead")), 400)
        await password_token(http, "jinhu_lead")
        for _ in range(2):
            assert_problem(await http.post(TOKEN, data=_form("jinhu_lead")), 400)
        await password_token(http, "jinhu_lead")


async def test_many_usernames_from_one_address_are_throttled(make_app, county):
    app = make_app(login_address_max_failures=5, login_backoff_base_seconds=600)
    async with client_for(app, client=ELSEWHERE) as spray, client_for(app, client=FAR_AWAY) as other:
        for number in range(5):
            assert_problem(await spray.post(TOKEN, data=_form(f"guess_{number}")), 400, "invalid-grant")
        throttled = await spray.post(TOKEN, data=_form("guess_5"))
        body = assert_problem(throttled, 429, "account-locked")
        assert _retry_after(throttled) == 600
        assert body["detail"] == "Too many failed logins; try again in 10 minutes."
        # A real account from that address waits too, even with its right password.
        assert_problem(await spray.post(TOKEN, data=_form("jinhu_lead", DEMO_PASSWORD)), 429)
        # Other addresses are not affected.
        assert_problem(await other.post(TOKEN, data=_form("guess_6")), 400, "invalid-grant")
        await password_token(other, "jinhu_lead")


async def test_forwarded_addresses_count_only_from_trusted_proxies(make_app, county):
    app = make_app(login_address_max_failures=2, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    # Through the trusted proxy (the test transport's peer is 127.0.0.1): each forwarded address has its counter.
    async with client_for(app) as proxy, client_for(app, client=ELSEWHERE) as direct:
        for _ in range(2):
            await proxy.post(TOKEN, data=_form("guess_a"), headers={"X-Forwarded-For": "192.0.2.1"})
        first = await proxy.post(TOKEN, data=_form("guess_b"), headers={"X-Forwarded-For": "192.0.2.1"})
        assert_problem(first, 429)
        second = await proxy.post(TOKEN, data=_form("guess_c"), headers={"X-Forwarded-For": "192.0.2.2"})
        assert_problem(second, 400)
        # A client cannot pick its address: what it writes left of the proxies' entries is ignored.
        chained = await proxy.post(
            TOKEN, data=_form("guess_d"), headers={"X-Forwarded-For": "192.0.2.99, 192.0.2.1, 10.1.2.3"}
        )
        assert_problem(chained, 429)
        # From an untrusted peer the header is ignored: its attempts count under the peer, whatever it says.
        for number in range(2):
            await direct.post(
                TOKEN, data=_form(f"guess_e{number}"), headers={"X-Forwarded-For": f"192.0.2.{10 + number}"}
            )
        assert_problem(
            await direct.post(TOKEN, data=_form("guess_f"), headers={"X-Forwarded-For": "192.0.2.50"}), 429
        )


def _request(peer, forwarded=None):
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_client_address_reads_x_forwarded_for_only_behind_trusted_proxies():
    settings = Settings(trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    assert throttle.client_address(_request("198.51.100.1", "192.0.2.1"), settings) == "198.51.100.1"
    assert throttle.client_address(_request("127.0.0.1", "192.0.2.1"), settings) == "192.0.2.1"
    assert (
        throttle.client_address(_request("127.0.0.1", "192.0.2.9, 192.0.2.1, 10.0.0.5"), settings)
        == "192.0.2.1"
    )
    assert throttle.client_address(_request("127.0.0.1", "not-an-address, 10.0.0.5"), settings) == "10.0.0.5"
    assert throttle.client_address(_request("127.0.0.1"), settings) == "127.0.0.1"
    assert throttle.client_address(_request("::ffff:127.0.0.1", "192.0.2.3"), settings) == "192.0.2.3"
    assert (
        throttle.client_address(_request("127.0.0.1", "192.0.2.1"), Settings(trusted_proxies=[]))
        == "127.0.0.1"
    )
    # IPv6 clients are counted per /64.
    assert throttle.address_key("2001:db8:1:2:3:4:5:6") == "address:2001:db8:1:2::/64"
    assert throttle.address_key("2001:db8:1:2:ffff::1") == "address:2001:db8:1:2::/64"
    assert throttle.address_key("192.0.2.1") == "address:192.0.2.1"


async def test_an_administrator_unlocks_an_account(app, make_app, client, login, county):
    slow = make_app(login_max_failures=2, login_backoff_base_seconds=600)
    async with client_for(slow, client=ELSEWHERE) as attacker:
        for _ in range(2):
            await attacker.post(TOKEN, data=_form("jinhu_worker"))
        assert_problem(await attacker.post(TOKEN, data=_form("jinhu_worker", DEMO_PASSWORD)), 429)

        admin = await login("admin")
        listed = (await client.get("/api/v1/users", params={"q": "jinhu_worker"}, headers=admin)).json()[
            "items"
        ]
        worker = listed[0]
        assert worker["locked_until"] is not None
        assert (await client.get(f"/api/v1/users/{worker['id']}", headers=admin)).json()["locked_until"]

        for username in ("jinhu_lead", "auditor"):
            refused = await client.post(f"/api/v1/users/{worker['id']}/unlock", headers=await login(username))
            assert_problem(refused, 403)
        unknown = await client.post(
            "/api/v1/users/00000000-0000-0000-0000-000000000000/unlock", headers=admin
        )
        assert_problem(unknown, 404)

        unlocked = await client.post(f"/api/v1/users/{worker['id']}/unlock", headers=admin)
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["locked_until"] is None
        assert unlocked.json()["username"] == "jinhu_worker"
        await password_token(attacker, "jinhu_worker")

    async with app.state.sessionmaker() as session:
        events = (
            await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.unlocked"))
        ).all()
    assert [(event.object_type, str(event.object_id)) for event in events] == [("user", worker["id"])]


async def test_wrong_current_passwords_count_like_failed_logins(make_app, county):
    app = make_app(login_max_failures=3, login_known_address_days=0, login_backoff_base_seconds=300)
    async with client_for(app, client=OFFICE) as office, client_for(app, client=ELSEWHERE) as elsewhere:
        token = await password_token(office, "jinhu_worker")
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        change = {"current_password": "not-my-password", "new_password": "Lanterns-Harbor-2026"}
        for _ in range(3):
            mismatch = await office.post("/api/v1/me/password", json=change, headers=headers)
            assert assert_problem(mismatch, 422)["errors"][0]["type"] == "password.mismatch"
        waiting = await office.post("/api/v1/me/password", json=change, headers=headers)
        body = assert_problem(waiting, 429, "account-locked")
        assert _retry_after(waiting) == 300
        assert "error" not in body
        # Even the right current password waits now, and so do logins to the account: the same counters.
        right = {**change, "current_password": DEMO_PASSWORD}
        assert_problem(await office.post("/api/v1/me/password", json=right, headers=headers), 429)
        assert_problem(await elsewhere.post(TOKEN, data=_form("jinhu_worker", DEMO_PASSWORD)), 429)


async def test_wrong_current_passwords_count_on_the_address_too(make_app, county):
    app = make_app(login_address_max_failures=2, login_backoff_base_seconds=300)
    async with client_for(app, client=OFFICE) as office:
        token = await password_token(office, "jinhu_worker")
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        change = {"current_password": "not-my-password", "new_password": "Lanterns-Harbor-2026"}
        for _ in range(2):
            assert_problem(await office.post("/api/v1/me/password", json=change, headers=headers), 422)
        assert_problem(await office.post("/api/v1/me/password", json=change, headers=headers), 429)
        assert_problem(await office.post(TOKEN, data=_form("jinhu_lead")), 429)


async def test_parallel_attempts_cannot_slip_past_the_wait(make_app, county):
    app = make_app(login_max_failures=3, login_backoff_base_seconds=600)
    async with client_for(app, client=ELSEWHERE) as http:
        answers = await asyncio.gather(*(http.post(TOKEN, data=_form("jinhu_lead")) for _ in range(12)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [400] * 3 + [429] * 9
