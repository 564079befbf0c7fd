"""`qinghu backup` and `qinghu restore`: a database with minors, care files, notices, campaigns, evidence and an
audit trail is backed up while the app runs, restored into a fresh database and file store, and found whole —
every row, the audit chain, the files, and keys that still decrypt and look up — on SQLite and PostgreSQL."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from backend import backup as backups
from backend import cli
from backend.db import make_engine
from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.minors.models import Minor
from backend.models import metadata
from backend.settings import get_settings
from tests.campaigns.conftest import PDF, my_reports, publish_school_campaign
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD, client_for, database_url, password_token

PASSPHRASE = "correct horse battery staple 青护"
runner = CliRunner()


async def _qinghu(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Any:
    """Run a `qinghu` command in a thread of its own (it runs its own event loop) with this environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(runner.invoke, cli.app, list(args), catch_exceptions=False)
    finally:
        get_settings.cache_clear()


@pytest.fixture
async def target(database: str, tmp_path: Path) -> Any:
    """A fresh, empty database to restore into."""
    if database == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    source = sa.make_url(database_url(database))
    name = f"{source.database}_restore"
    admin = make_engine(source.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield source.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = {}
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                found[table.name] = [
                    tuple(row) for row in (await connection.execute(sa.select(table).order_by(*order)))
                ]
            return found
    finally:
        await engine.dispose()


def _settings_from_env_file(path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            field = name.removeprefix("QINGHU_").lower()
            values[field] = json.loads(value) if field.startswith("previous_") else value
    return values


async def test_a_backup_restores_into_a_fresh_database_whole(
    database, make_app, county, target, tmp_path, monkeypatch
):
    app = make_app(storage_dir=tmp_path / "files")
    async with client_for(app) as client:
        await _whole_after_restore(database, make_app, app, client, target, tmp_path, monkeypatch)


async def _whole_after_restore(database, make_app, app, client, target, tmp_path, monkeypatch) -> None:
    # Data of every kind: minors, seizure notices, care files, campaigns, an evidence file, audit events.
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_county(
            session,
            credentials=DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET),
            minors=30,
            campaigns=True,
        )
    edu = await _bearer(client, "edu_officer")
    campaign = await publish_school_campaign(client, edu)
    teacher = await _bearer(client, "school_teacher")
    report = (await my_reports(client, teacher, campaign["id"]))[0]
    evidence = (
        await client.post(
            f"/api/v1/task-reports/{report['id']}/evidence",
            files={"file": ("会议记录.pdf", PDF)},
            headers=teacher,
        )
    ).json()
    source_rows = await _rows(database_url(database))
    assert len(source_rows["minors"]) >= 30
    assert len(source_rows["care_files"]) > 0
    assert len(source_rows["seizure_notices"]) > 0
    assert len(source_rows["audit_events"]) > 30
    assert len(source_rows["evidence_files"]) == 1

    archive = tmp_path / "qinghu.tar"
    source_env = {
        "QINGHU_DATABASE_URL": database_url(database),
        "QINGHU_STORAGE_DIR": str(app.state.settings.storage_dir),
        "QINGHU_BACKUP_PASSPHRASE": PASSPHRASE,
    }
    backed_up = await _qinghu(monkeypatch, source_env, "backup", str(archive))
    assert backed_up.exit_code == 0, backed_up.output
    assert backed_up.output.startswith(f"Backed up the {database} database (migration ")
    assert backed_up.output.rstrip().endswith(f"1 files and the keys to {archive}.")
    assert archive.stat().st_mode & 0o777 == 0o600
    # The keys are in the archive only encrypted.
    raw = archive.read_bytes()
    assert app.state.settings.lookup_key.get_secret_value().encode() not in raw
    assert app.state.settings.encryption_key.get_secret_value().encode() not in raw

    restored_files = tmp_path / "restored-files"
    keys_file = tmp_path / "restored-keys.env"
    target_env = {
        "QINGHU_DATABASE_URL": target,
        "QINGHU_STORAGE_DIR": str(restored_files),
        "QINGHU_BACKUP_PASSPHRASE": PASSPHRASE,
    }
    # A wrong passphrase touches nothing.
    wrong = await _qinghu(
        monkeypatch,
        {**target_env, "QINGHU_BACKUP_PASSPHRASE": "not the passphrase at all"},
        "restore",
        str(archive),
        "--keys-out",
        str(keys_file),
    )
    assert wrong.exit_code == 1
    assert (
        "Restore failed: wrong passphrase (or the archive's keys were altered); nothing was restored"
        in wrong.output
    )
    assert not keys_file.exists()
    # Nor is a database that holds data overwritten.
    occupied = await _qinghu(
        monkeypatch, {**source_env}, "restore", str(archive), "--keys-out", str(keys_file)
    )
    assert occupied.exit_code == 1
    assert "not empty; restore into a new one" in occupied.output

    restored = await _qinghu(monkeypatch, target_env, "restore", str(archive), "--keys-out", str(keys_file))
    assert restored.exit_code == 0, restored.output
    assert "and 1 files; the keys are in" in restored.output
    assert keys_file.stat().st_mode & 0o777 == 0o600

    # Every row of every table, as it was.
    assert await _rows(target) == source_rows
    verified = await _qinghu(monkeypatch, target_env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip() == f"Audit chain intact: {len(source_rows['audit_events'])} events."

    # The restored keys are the ones the data needs: an app on the restored database and keys finds a minor by
    # its ID number (the keyed hash) and serves the evidence file.
    keys = _settings_from_env_file(keys_file)
    assert keys["encryption_key"] == app.state.settings.encryption_key.get_secret_value()
    assert keys["signing_key_id"] == app.state.settings.signing_key_id
    async with app.state.sessionmaker() as session:
        someone = await session.scalar(sa.select(Minor).order_by(Minor.id).limit(1))
        id_number = app.state.cipher.decrypt(someone.id_number_ciphertext, context="minor.id_number")
    restored_app = make_app(database_url=target, storage_dir=restored_files, **keys)
    async with client_for(restored_app) as restored_client:
        lead = await _bearer(restored_client, "county_lead")
        found = await restored_client.post(
            "/api/v1/minors/lookup", json={"id_number": id_number}, headers=lead
        )
        assert found.status_code == 200, found.text
        assert found.json()["id"] == str(someone.id)
        downloaded = await restored_client.get(
            f"/api/v1/task-reports/{report['id']}/evidence/{evidence['id']}",
            headers=await _bearer(restored_client, "school_teacher"),
        )
        assert downloaded.status_code == 200
        assert downloaded.content == PDF


async def _bearer(http: Any, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await password_token(http, username))['access_token']}"}


def test_the_keys_are_sealed_with_scrypt_and_aes_gcm_and_refuse_tampering():
    keys = {"QINGHU_LOOKUP_KEY": "l" * 48, "QINGHU_PREVIOUS_SIGNING_KEYS": {"old": "s" * 48}}
    sealed = backups.seal_keys(keys, PASSPHRASE)
    envelope = json.loads(sealed)
    assert envelope["kdf"]["name"] == "scrypt"
    assert envelope["kdf"]["n"] == 2**17
    assert envelope["cipher"] == "AES-256-GCM"
    assert b"l" * 48 not in sealed
    assert backups.open_keys(sealed, PASSPHRASE) == keys
    # Two seals of the same keys share neither salt nor nonce.
    assert json.loads(backups.seal_keys(keys, PASSPHRASE))["nonce"] != envelope["nonce"]
    tampered = {**envelope, "ciphertext": envelope["ciphertext"][:-8] + "AAAAAAA="}
    with pytest.raises(backups.BackupError, match="wrong passphrase"):
        backups.open_keys(json.dumps(tampered).encode(), PASSPHRASE)
    with pytest.raises(backups.BackupError, match="at least 12 characters"):
        backups.seal_keys(keys, "short")
