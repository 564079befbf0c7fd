"""Fixtures of the statistics tests: the demo county with a few at-risk pupils."""

import random

import pytest

from backend.db import local_today
from backend.demo.people import synthetic_person
from tests.school_metrics.conftest import edu_bureau_client, machine_client  # noqa: F401 - shared fixtures

JINHU_MIDDLE, JINHU_PRIMARY = "瑞安市锦湖中学", "瑞安市锦湖第一小学"


@pytest.fixture
async def pupils(client, login, county):
    """At-risk pupils registered by the Jinhu station: 7 left-behind at the middle school, 2 at the primary
    school (one of whom also dropped out), and one with a drug-use category, which schools never see counted."""
    rng = random.Random(7)
    worker = await login("jinhu_worker")
    people = []

    async def register(school: str, categories: list[str], substances: list[str] | None = None) -> None:
        someone = synthetic_person(rng, today=local_today(), age=15)
        body = {
            "name": someone.name,
            "id_number": someone.id_number,
            "phone": someone.phone,
            "schooling_status": "in_school",
            "school_id": str(county["units"][school].id),
            "risk_categories": categories,
            "substances": substances or [],
            "risk_level": "medium",
        }
        response = await client.post("/api/v1/minors", json=body, headers=worker)
        assert response.status_code == 201, response.text
        people.append((someone, response.json()["id"]))

    for _ in range(6):
        await register(JINHU_MIDDLE, ["left_behind"])
    await register(JINHU_MIDDLE, ["left_behind", "nps_abuse"], ["etomidate"])
    await register(JINHU_PRIMARY, ["left_behind"])
    await register(JINHU_PRIMARY, ["left_behind", "dropout"])
    return people
