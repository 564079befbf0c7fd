"""Probe (branch ``probe``): the daily limit of "managed by another unit" answers must hold for imports as it does
for registration and the duplicate check. Once a person has had today's answers, every row with an ID number is
refused alike, whether or not it matches anyone — otherwise a one-row file per ID number answers "is this child
registered elsewhere?" without limit (the row comes back ``ok`` for a stranger and refused for a match)."""

import asyncio
from typing import Any

from tests.conftest import client_for, password_token
from tests.imports.conftest import IMPORTS, XLSX_TYPE, rows_by_number, screening_row, xlsx
from tests.minors.conftest import minor_body

MINORS = "/api/v1/minors"


async def _import(client: Any, headers: dict[str, str], content: bytes) -> dict[str, Any]:
    response = await client.post(
        IMPORTS,
        data={"kind": "screening_minors"},
        files={"file": ("排查表.xlsx", content, XLSX_TYPE)},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    for _ in range(600):
        job = (await client.get(response.headers["location"], headers=headers)).json()
        if job["status"] in ("finished", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


def _codes(row: dict[str, Any] | None) -> list[str]:
    return [problem["code"] for problem in (row or {}).get("problems", [])]


async def test_past_the_daily_limit_an_import_row_says_the_same_for_a_match_and_a_stranger(
    make_app, county, person
):
    limited = make_app(match_elsewhere_daily_limit=1)
    async with client_for(limited) as client:

        async def headers_for(username: str) -> dict[str, str]:
            token = (await password_token(client, username))["access_token"]
            return {"Authorization": f"Bearer {token}"}

        jinhu, anyang = await headers_for("jinhu_worker"), await headers_for("other_worker")
        first, second, stranger = person(), person(), person()
        for someone in (first, second):
            body = minor_body(someone, risk_categories=["dropout"], substances=[])
            assert (await client.post(MINORS, json=body, headers=jinhu)).status_code == 201

        # The one answer of the day: managed elsewhere.
        used = rows_by_number(await _import(client, anyang, xlsx([screening_row(first)])))
        assert used[2]["outcome"] == "duplicate"
        assert used[2]["action"] == "managed by another unit; skipped (a transfer can be requested)"

        # Past the limit: a match elsewhere and a stranger nobody registered get the same answer.
        matched = rows_by_number(await _import(client, anyang, xlsx([screening_row(second)])))
        unknown = rows_by_number(await _import(client, anyang, xlsx([screening_row(stranger)])))
        assert _codes(matched.get(2)) == ["import.match_limit"]
        assert _codes(unknown.get(2)) == ["import.match_limit"]
        assert matched[2]["outcome"] == unknown[2]["outcome"] == "invalid"
