"""Seizure notices pushed as the demo police station's system (police-jinhu) or its officer would."""

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from backend.demo.people import SyntheticPerson, synthetic_person
from tests.conftest import DEMO_CLIENT_SECRET

NOTICES = "/api/v1/seizure-notices"


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261123)


@pytest.fixture
def person(rng) -> Callable[..., SyntheticPerson]:
    def make(**kwargs: Any) -> SyntheticPerson:
        return synthetic_person(rng, today=local_today(), **kwargs)

    return make


def notice_body(someone: SyntheticPerson, **overrides: Any) -> dict[str, Any]:
    seized_at = (utcnow() - timedelta(hours=2)).astimezone(LOCAL_TIMEZONE).replace(microsecond=0)
    person_overrides = overrides.pop("person", {})
    body: dict[str, Any] = {
        "notice_no": f"JHPCS-2026-{uuid.uuid4().hex[:8]}",
        "seized_at": seized_at.isoformat(),
        "place": "锦湖街道某KTV",
        "person": {
            "name": someone.name,
            "id_number": someone.id_number,
            "gender": someone.gender,
            "phone": someone.phone,
            "household_division_code": "330381005001",
            "household_address": "锦湖街道滨江社区12幢301室",
            "residence_division_code": "330381005002",
            "residence_address": "锦湖街道锦园路8号",
            **person_overrides,
        },
        "substances": ["etomidate"],
        "test_result": "positive",
        "measures": ["admonition"],
        "summary": "在KTV包厢内吸食依托咪酯电子烟，当场查获。",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def police_system(client, county) -> dict[str, str]:
    """Bearer headers of the police-jinhu machine client (seizures:write and seizures:read)."""
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "police-jinhu",
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def push(client, police_system) -> Callable[..., Awaitable[Any]]:
    """``await push(body)`` as police-jinhu with a fresh Idempotency-Key (or ``key=``, or ``headers=``)."""

    async def send(
        body: dict[str, Any], *, key: str | None = "new", headers: dict[str, str] | None = None
    ) -> Any:
        sent = dict(headers or police_system)
        if key == "new":
            key = str(uuid.uuid4())
        if key is not None:
            sent["Idempotency-Key"] = key
        return await client.post(NOTICES, json=body, headers=sent)

    return send
