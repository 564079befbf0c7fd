"""The multi-process mode of the tests (tests/instances.py) does what it says."""

import pytest

from backend.settings import Settings
from tests import instances
from tests.conftest import client_for


@pytest.mark.skipif(instances.INSTANCES < 2, reason="QINGHU_TEST_INSTANCES is not set")
async def test_requests_take_turns_between_the_processes(app):
    async with client_for(app) as client:
        for _ in range(6):
            assert (await client.get("/healthz")).status_code == 200
        answered_by = client._transport.answered_by
    assert len(answered_by) == instances.INSTANCES
    assert set(answered_by.values()) == {6 // instances.INSTANCES}


def test_the_processes_get_the_settings_they_are_given(tmp_path, monkeypatch):
    settings = Settings(
        keys_file=tmp_path / "k.json",
        login_max_failures=3,
        cors_origins=["https://a.example"],
        previous_signing_keys={"old": "s" * 48},
    )
    environment = instances.settings_environment(settings)
    assert environment["QINGHU_LOGIN_MAX_FAILURES"] == "3"
    assert environment["QINGHU_CORS_ORIGINS"] == '["https://a.example"]'
    assert environment["QINGHU_PREVIOUS_SIGNING_KEYS"] == '{"old": "' + "s" * 48 + '"}'
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert Settings().model_dump() == settings.model_dump()
