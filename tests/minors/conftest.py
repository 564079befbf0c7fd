"""Minors made of synthetic people, registered through the API as a station worker would."""

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from backend.db import local_today
from backend.demo.people import SyntheticPerson, synthetic_person

MINORS = "/api/v1/minors"


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261122)


@pytest.fixture
def person(rng) -> Callable[..., SyntheticPerson]:
    def make(**kwargs: Any) -> SyntheticPerson:
        return synthetic_person(rng, today=local_today(), **kwargs)

    return make


def minor_body(someone: SyntheticPerson, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": someone.name,
        "id_number": someone.id_number,
        "phone": someone.phone,
        "guardians": [{"relation": "mother", "name": "王" + someone.name[-1] + "芳", "phone": "13912345678"}],
        "household_division_code": "330381005001",
        "household_address": "锦湖街道滨江社区12幢301室",
        "residence_division_code": "330381005002",
        "residence_address": "锦湖街道锦园路8号",
        "schooling_status": "in_school",
        "grade": "初二",
        "risk_categories": ["left_behind", "nps_abuse"],
        "substances": ["etomidate"],
        "risk_level": "medium",
    }
    body.update(overrides)
    return body


@pytest.fixture
def register(client, login) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await register(person, as_="jinhu_worker", **fields)`` → the created minor as its registrar sees it."""

    async def create(someone: SyntheticPerson, as_: str = "jinhu_worker", **overrides: Any) -> dict[str, Any]:
        response = await client.post(MINORS, json=minor_body(someone, **overrides), headers=await login(as_))
        assert response.status_code == 201, response.text
        return response.json()

    return create
