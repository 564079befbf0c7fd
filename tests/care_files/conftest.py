"""Care files on minors registered through the API, opened by hand with a named lead social worker."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.minors.conftest import person, register, rng  # noqa: F401 - fixtures shared with the registry

CARE_FILES = "/api/v1/care-files"
TRANSFERS = "/api/v1/transfers"


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def user_id(client, login) -> Callable[[str], Awaitable[str]]:
    async def find(username: str) -> str:
        return (await client.get("/api/v1/me", headers=await login(username))).json()["id"]

    return find


@pytest.fixture
def open_file(client, login, register, person, user_id) -> Callable[..., Awaitable[dict[str, Any]]]:  # noqa: F811
    """``await open_file(lead="jinhu_worker", **minor_fields)`` → a new minor's file as its opener sees it."""

    async def make(
        lead: str = "jinhu_worker",
        as_: str | None = None,
        risk_level: str = "medium",
        plan: dict[str, Any] | None = None,
        **minor_fields: Any,
    ) -> dict[str, Any]:
        minor_fields.setdefault("risk_categories", ["left_behind"])
        minor_fields.setdefault("substances", [])
        minor = await register(person(), as_=as_ or lead, risk_level=risk_level, **minor_fields)
        body = {
            "minor_id": minor["id"],
            "lead_worker_id": await user_id(lead),
            "goals": "稳定就学",
            **(plan or {}),
        }
        response = await client.post(CARE_FILES, json=body, headers=await login(as_ or lead))
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def add_entry(client, login) -> Callable[..., Awaitable[Any]]:
    async def record(care_file: dict[str, Any], as_: str = "jinhu_worker", **fields: Any) -> Any:
        body = {"kind": "talk", "occurred_at": days_ago(0), "summary": "谈心谈话，情绪稳定", **fields}
        return await client.post(
            f"{CARE_FILES}/{care_file['id']}/entries", json=body, headers=await login(as_)
        )

    return record
