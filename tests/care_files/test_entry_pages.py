"""A care file's timeline is a page like every list (limit ≤ 200, offset, total, sort), and paging changes
nothing of what each role sees: corrected versions for leads and auditors, contents hidden from auditors."""

import pytest

from tests.care_files.conftest import CARE_FILES, days_ago
from tests.conftest import assert_problem


async def _timeline(client, care_file, headers, **params):
    response = await client.get(f"{CARE_FILES}/{care_file['id']}/entries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_timeline_comes_a_page_at_a_time_newest_first(client, login, open_file, add_entry):
    care_file = await open_file()
    for days in (7, 6, 5, 4, 3, 2, 1):
        recorded = await add_entry(care_file, occurred_at=days_ago(days), summary=f"{days}天前谈话")
        assert recorded.status_code == 201, recorded.text
    worker = await login("jinhu_worker")
    pages = [await _timeline(client, care_file, worker, limit=3, offset=offset) for offset in (0, 3, 6, 9)]
    assert [[entry["summary"] for entry in page["items"]] for page in pages] == [
        ["1天前谈话", "2天前谈话", "3天前谈话"],
        ["4天前谈话", "5天前谈话", "6天前谈话"],
        ["7天前谈话"],
        [],
    ]
    assert [(page["total"], page["limit"], page["offset"]) for page in pages] == [
        (7, 3, 0),
        (7, 3, 3),
        (7, 3, 6),
        (7, 3, 9),
    ]
    oldest_first = await _timeline(client, care_file, worker, sort="occurred_at", limit=2)
    assert [entry["summary"] for entry in oldest_first["items"]] == ["7天前谈话", "6天前谈话"]
    # Without parameters: the first 50.
    whole = await _timeline(client, care_file, worker)
    assert (whole["total"], whole["limit"], whole["offset"], len(whole["items"])) == (7, 50, 0, 7)


@pytest.mark.parametrize(
    ("params", "field", "problem_type"),
    [
        ({"limit": 201}, "limit", "less_than_equal"),
        ({"limit": 0}, "limit", "greater_than_equal"),
        ({"offset": -1}, "offset", "greater_than_equal"),
        ({"sort": "summary"}, "sort", "sort.unknown"),
        ({"page": 2}, "page", "query.unknown"),
    ],
)
async def test_bad_paging_is_a_422_naming_the_parameter(
    client, login, open_file, params, field, problem_type
):
    care_file = await open_file()
    response = await client.get(
        f"{CARE_FILES}/{care_file['id']}/entries", params=params, headers=await login("jinhu_worker")
    )
    problem = assert_problem(response, 422, "validation")
    assert (problem["errors"][0]["loc"], problem["errors"][0]["type"]) == (["query", field], problem_type)


async def test_paging_keeps_what_each_role_sees(client, login, open_file, add_entry):
    care_file = await open_file()
    await add_entry(care_file, occurred_at=days_ago(3), summary="第一次家访")
    await add_entry(care_file, occurred_at=days_ago(2), summary="第二次谈话（有误）")
    worker = await login("jinhu_worker")
    wrong = (await _timeline(client, care_file, worker, limit=1))["items"][0]
    assert wrong["summary"] == "第二次谈话（有误）"
    corrected = await add_entry(
        care_file, occurred_at=days_ago(2), summary="第二次谈话", corrects_id=wrong["id"]
    )
    assert corrected.status_code == 201, corrected.text

    # The worker: the current version of each entry.
    mine = await _timeline(client, care_file, worker, limit=1, offset=1)
    assert mine["total"] == 2
    assert [entry["summary"] for entry in mine["items"]] == ["第一次家访"]
    # The lead: the corrected version too, marked as superseded.
    lead = await login("jinhu_lead")
    history = [
        (await _timeline(client, care_file, lead, limit=1, offset=offset))["items"][0] for offset in (0, 1, 2)
    ]
    assert (await _timeline(client, care_file, lead, limit=1))["total"] == 3
    assert {entry["summary"] for entry in history} == {"第二次谈话", "第二次谈话（有误）", "第一次家访"}
    superseded = next(entry for entry in history if entry["id"] == wrong["id"])
    current = next(entry for entry in history if entry["summary"] == "第二次谈话")
    assert (superseded["superseded_by"], current["corrects_id"]) == (current["id"], wrong["id"])
    # The auditor: that entries exist and who wrote them, never their contents, on every page.
    auditor = await login("auditor")
    for offset in (0, 2):
        page = await _timeline(client, care_file, auditor, limit=2, offset=offset)
        assert page["total"] == 3
        for entry in page["items"]:
            assert entry["hidden_fields"] == ["referral_kind", "summary", "urine_result"]
            assert {"summary", "urine_result", "referral_kind"}.isdisjoint(entry)
            assert entry["actor"] == "周社工"
