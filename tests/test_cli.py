"""The qinghu command: migrate, seed the demo county (idempotently), create people and clients, the spec."""

import pytest
from typer.testing import CliRunner

from backend import cli
from backend.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    monkeypatch.setenv("QINGHU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*args, **kwargs):
    return runner.invoke(cli.app, list(args), catch_exceptions=False, **kwargs)


def test_fresh_database_is_migrated_seeded_and_every_demo_account_and_client_gets_a_token(cli_database):
    import asyncio

    from httpx import ASGITransport, AsyncClient

    from backend.demo.seed import DEFAULT_DEMO_CLIENT_SECRET, DEFAULT_DEMO_PASSWORD, DEMO_CLIENTS, DEMO_PEOPLE
    from backend.main import create_app

    assert invoke("migrate").exit_code == 0
    seeded = invoke("seed-demo", "--if-empty")
    assert seeded.exit_code == 0, seeded.output
    assert "24 units" in seeded.output
    assert "WARNING: demo accounts use the default password" in seeded.output
    again = invoke("seed-demo", "--if-empty")
    assert "already holds units" in again.output
    # Without --if-empty a second run adds nothing and breaks nothing.
    assert invoke("seed-demo").exit_code == 0
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0
    assert "Audit chain intact" in verified.output

    async def tokens() -> None:
        app = create_app()
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://cli.test") as client:
            for username, *_ in DEMO_PEOPLE:
                response = await client.post(
                    "/api/v1/auth/token",
                    data={"grant_type": "password", "username": username, "password": DEFAULT_DEMO_PASSWORD},
                )
                assert response.status_code == 200, (username, response.text)
            for client_id, *_ in DEMO_CLIENTS:
                response = await client.post(
                    "/api/v1/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": DEFAULT_DEMO_CLIENT_SECRET,
                    },
                )
                assert response.status_code == 200, (client_id, response.text)
            units = await client.get("/api/v1/units", headers={"Authorization": "Bearer x"})
            assert units.status_code == 401
        await app.state.engine.dispose()

    asyncio.run(tokens())


def test_demo_password_comes_from_the_environment(cli_database, monkeypatch):
    monkeypatch.setenv("QINGHU_DEMO_PASSWORD", "Another-Demo-Secret-77")
    get_settings.cache_clear()
    invoke("migrate")
    seeded = invoke("seed-demo")
    assert "default password" not in seeded.output


def test_first_installation_from_the_command_line(cli_database):
    invoke("migrate")
    created = invoke("create-unit", "--name", "某县禁毒办", "--division-code", "330382")
    assert created.exit_code == 0, created.output
    unit_id = created.output.split("(")[1].split(")")[0]
    user = invoke(
        "create-user", "--username", "root_admin", "--display-name", "管理员", "--role", "admin", "--unit-id", unit_id,
        input="Lanterns-Harbor-2026\nLanterns-Harbor-2026\n",
    )  # fmt: skip
    assert user.exit_code == 0, user.output
    assert "Created root_admin (admin)" in user.output
    weak = invoke(
        "create-user", "--username", "weak_admin", "--display-name", "弱", "--role", "admin", "--unit-id", unit_id,
        input="password1\npassword1\n",
    )  # fmt: skip
    assert weak.exit_code == 1
    assert "Not created" in weak.output
    client = invoke(
        "create-client",
        "--client-id",
        "edu-x",
        "--name",
        "教育局",
        "--unit-id",
        unit_id,
        "--scope",
        "stats:read",
    )
    assert client.exit_code == 0, client.output
    assert "Secret (shown once)" in client.output
    refused = invoke(
        "create-client", "--client-id", "edu-y", "--name", "x", "--unit-id", unit_id, "--scope", "users:write"
    )
    assert refused.exit_code == 1


def test_openapi_check_detects_a_stale_spec(tmp_path):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}")
    assert invoke("openapi", "--check", "--output", str(stale)).exit_code == 1
    assert invoke("openapi", "--output", str(stale)).exit_code == 0
    assert invoke("openapi", "--check", "--output", str(stale)).exit_code == 0


def test_demo_minors_and_key_rotation(cli_database, monkeypatch, tmp_path):
    import asyncio
    import base64
    import json
    import secrets

    import sqlalchemy as sa

    from backend.db import make_engine
    from backend.minors.models import Minor
    from backend.security.crypto import FieldCipher

    invoke("migrate")
    seeded = invoke("seed-demo", "--minors", "12")
    assert "12 synthetic minors added" in seeded.output
    assert "0 synthetic minors added" in invoke("seed-demo", "--minors", "12").output

    old = get_settings()
    new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("QINGHU_ENCRYPTION_KEY_ID", "k-2027")
    monkeypatch.setenv("QINGHU_ENCRYPTION_KEY", new_key)
    monkeypatch.setenv(
        "QINGHU_PREVIOUS_ENCRYPTION_KEYS",
        json.dumps({old.encryption_key_id: old.encryption_key.get_secret_value()}),
    )
    get_settings.cache_clear()
    rotated = invoke("rotate-keys")
    assert rotated.exit_code == 0, rotated.output
    # 12 synthetic minors and the 4 minors of the demo seizure notices
    assert "Re-encrypted 16 records under key k-2027" in rotated.output
    assert "Re-encrypted 0 records" in invoke("rotate-keys").output

    # The old key can now be dropped: everything decrypts with the new one alone.
    monkeypatch.delenv("QINGHU_PREVIOUS_ENCRYPTION_KEYS")
    get_settings.cache_clear()
    cipher = FieldCipher.from_settings(get_settings())

    async def check() -> None:
        engine = make_engine(get_settings().database_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(Minor.id_number_ciphertext, Minor.phone_ciphertext, Minor.guardians)
                )
            ).all()
        await engine.dispose()
        assert len(rows) == 16
        for number, phone, guardians in rows:
            assert len(cipher.decrypt(number, context="minor.id_number")) == 18
            if phone:
                assert cipher.decrypt(phone, context="minor.phone").startswith("1")
            for guardian in guardians:
                assert cipher.decrypt(guardian["phone_ciphertext"], context="guardian.phone").startswith("1")

    asyncio.run(check())
    assert invoke("audit", "verify").exit_code == 0
