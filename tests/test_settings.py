"""Settings: keys generated for development, required in production, parsed from the environment."""

import os
import stat

import pytest

from backend.settings import MissingSecretError, Settings


def test_production_refuses_to_start_without_keys(tmp_path):
    with pytest.raises(MissingSecretError) as raised:
        Settings(env="production", keys_file=tmp_path / "keys.json", signing_key=None)
    message = str(raised.value)
    for name in ("QINGHU_SIGNING_KEY", "QINGHU_ENCRYPTION_KEY", "QINGHU_LOOKUP_KEY"):
        assert name in message
    assert not (tmp_path / "keys.json").exists()


def test_production_starts_with_keys_from_the_environment(tmp_path):
    settings = Settings(
        env="production",
        keys_file=tmp_path / "keys.json",
        signing_key_id="k1",
        signing_key="s" * 48,
        encryption_key_id="e1",
        encryption_key="e" * 44,
        lookup_key="l" * 48,
    )
    assert settings.verification_keys() == {"k1": "s" * 48}


def test_development_generates_keys_once_private_to_the_owner(tmp_path):
    keys_file = tmp_path / "var" / "keys.json"
    first = Settings(env="development", keys_file=keys_file)
    second = Settings(env="development", keys_file=keys_file)
    assert first.signing_key.get_secret_value() == second.signing_key.get_secret_value()
    assert first.signing_key_id == second.signing_key_id
    assert stat.S_IMODE(os.stat(keys_file).st_mode) == 0o600


def test_cors_origins_from_a_comma_list_or_json(monkeypatch, tmp_path):
    monkeypatch.setenv("QINGHU_CORS_ORIGINS", "http://127.0.0.1:5173, http://localhost:5173")
    assert Settings(keys_file=tmp_path / "k.json").cors_origins == [
        "http://127.0.0.1:5173",
        "http://localhost:5173",
    ]
    monkeypatch.setenv("QINGHU_CORS_ORIGINS", '["http://a.example"]')
    assert Settings(keys_file=tmp_path / "k.json").cors_origins == ["http://a.example"]


def test_default_database_is_sqlite_under_var():
    assert Settings.model_fields["database_url"].default.startswith("sqlite+aiosqlite:///")
    assert Settings.model_fields["database_url"].default.endswith("/var/qinghu.db")
