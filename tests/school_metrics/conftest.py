"""Helpers shared by the school-metrics and statistics tests."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import DEMO_CLIENT_SECRET

METRICS = "/api/v1/school-metrics"
TOKEN = "/api/v1/auth/token"


def figures(**overrides: int) -> dict[str, int]:
    body = {
        "students_enrolled": 1200,
        "students_registered": 1190,
        "students_completed": 1150,
        "lesson_hours": 2,
        "five_one_activities": 3,
        "exams_with_content": 1,
        "teachers_trained": 6,
    }
    body.update(overrides)
    return body


@pytest.fixture
def machine_client(client, login) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await machine_client("edu-x", unit_name, ["stats:read"])`` → headers of a new client's token."""

    async def make(client_id: str, unit: Any, scopes: list[str]) -> dict[str, str]:
        body = {"client_id": client_id, "name": client_id, "unit_id": str(unit.id), "scopes": scopes}
        created = await client.post("/api/v1/clients", json=body, headers=await login("admin"))
        assert created.status_code == 201, created.text
        token = await client.post(
            TOKEN,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": created.json()["client_secret"],
            },
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return make


@pytest.fixture
async def edu_bureau_client(client, county) -> dict[str, str]:
    """The demo education bureau's system (stats:read only)."""
    token = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "edu-bureau",
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}
