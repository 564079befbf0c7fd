"""委托管理 beside 移交 (seed 002: "由户籍所在地办理委托手续，委托现住地落实管理"): under a delegation the residence
unit manages the file for a period while the household-registration unit stays accountable, keeps the minor in
its registry and keeps reading the file; renewal moves the period on; ending gives the file back."""

from datetime import timedelta

import pytest

from backend.db import local_today
from tests.care_files.conftest import CARE_FILES, days_ago
from tests.conftest import assert_problem, assert_status

TRANSFERS = "/api/v1/transfers"


@pytest.fixture
def delegate(client, login, county):
    async def make(care_file, ends_in_days=180, as_="jinhu_worker", **fields):
        body = {
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason_code": "residence_differs",
            "reason": "随父母在安阳街道居住",
            "kind": "delegation",
            "ends_on": (local_today() + timedelta(days=ends_in_days)).isoformat(),
            **fields,
        }
        return await client.post(TRANSFERS, json=body, headers=await login(as_))

    return make


async def test_a_delegation_lets_the_residence_unit_manage_while_the_household_unit_keeps_reading(
    client, login, open_file, delegate
):
    care_file = await open_file()
    requested = assert_status(await delegate(care_file), 201).json()
    assert requested["kind"] == "delegation"
    assert requested["ends_on"] == (local_today() + timedelta(days=180)).isoformat()
    assert requested["status"] == "requested"
    receiver = await login("other_worker")
    accepted = assert_status(
        await client.post(f"{TRANSFERS}/{requested['id']}/accept", headers=receiver), 200
    )
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["can_end"] is True
    assert accepted.json()["can_renew"] is False  # the delegating unit renews

    url = f"{CARE_FILES}/{care_file['id']}"
    managed = assert_status(await client.get(url, headers=receiver), 200).json()
    assert managed["managing_unit"]["name"] == "安阳街道"
    assert managed["accountable_unit"]["name"] == "锦湖街道"
    assert managed["lead_worker"] is None  # the residence unit names its own people
    # The residence station works in the file.
    entry = await client.post(
        f"{url}/entries",
        json={"kind": "home_visit", "occurred_at": days_ago(0), "summary": "安阳街道家访"},
        headers=receiver,
    )
    assert_status(entry, 201)

    # The household station keeps reading, the minor stays in its registry, but it no longer records.
    household = await login("jinhu_worker")
    read = assert_status(await client.get(url, headers=household), 200).json()
    assert read["accountable_unit"]["name"] == "锦湖街道"
    entries = assert_status(await client.get(f"{url}/entries", headers=household), 200).json()["items"]
    assert [(item["kind"], item["summary"]) for item in entries] == [("home_visit", "安阳街道家访")]
    minor = assert_status(
        await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=household), 200
    )
    assert minor.json()["managing_unit"]["name"] == "锦湖街道"
    refused = await client.post(
        f"{url}/entries",
        json={"kind": "talk", "occurred_at": days_ago(0), "summary": "越权"},
        headers=household,
    )
    assert_problem(refused, 403)
    assert len(assert_status(await client.get(f"{url}/entries", headers=household), 200).json()["items"]) == 1
    # The county office sees its whole tree, delegated files included.
    assert_status(await client.get(url, headers=await login("county_lead")), 200)


async def test_the_delegating_unit_renews_and_either_side_ends_it_and_the_file_comes_back(
    client, login, open_file, delegate
):
    care_file = await open_file()
    transfer = assert_status(await delegate(care_file, ends_in_days=30), 201).json()
    receiver, household = await login("other_worker"), await login("jinhu_worker")
    assert_status(await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=receiver), 200)

    new_end = (local_today() + timedelta(days=200)).isoformat()
    assert_problem(
        await client.post(f"{TRANSFERS}/{transfer['id']}/renew", json={"ends_on": new_end}, headers=receiver),
        403,
    )
    renewed = await client.post(
        f"{TRANSFERS}/{transfer['id']}/renew", json={"ends_on": new_end}, headers=household
    )
    assert_status(renewed, 200)
    assert renewed.json()["ends_on"] == new_end
    too_far = (local_today() + timedelta(days=400)).isoformat()
    past = (local_today() - timedelta(days=1)).isoformat()
    for bad in (too_far, past):
        problem = assert_problem(
            await client.post(
                f"{TRANSFERS}/{transfer['id']}/renew", json={"ends_on": bad}, headers=household
            ),
            422,
        )
        assert problem["errors"][0]["loc"] == ["body", "ends_on"]
    assert (await client.get(f"{TRANSFERS}/{transfer['id']}", headers=household)).json()["ends_on"] == new_end

    ended = assert_status(await client.post(f"{TRANSFERS}/{transfer['id']}/end", headers=receiver), 200)
    assert ended.json()["status"] == "ended"
    back = assert_status(await client.get(f"{CARE_FILES}/{care_file['id']}", headers=household), 200).json()
    assert back["managing_unit"]["name"] == "锦湖街道"
    assert back["accountable_unit"] is None
    assert_problem(await client.get(f"{CARE_FILES}/{care_file['id']}", headers=receiver), 404)
    recorded = await client.post(
        f"{CARE_FILES}/{care_file['id']}/entries",
        json={"kind": "talk", "occurred_at": days_ago(0), "summary": "委托结束后谈心"},
        headers=household,
    )
    assert_status(recorded, 201)
    # Ended once: a second end is a conflict, and a hand-over cannot be "ended".
    assert_problem(await client.post(f"{TRANSFERS}/{transfer['id']}/end", headers=household), 409)


async def test_a_delegation_needs_a_unit_of_the_county_and_a_period_within_a_year(
    client, login, open_file, delegate, county
):
    care_file = await open_file()
    cases = [
        ({"ends_on": None}, ["body", "ends_on"]),
        ({"ends_in_days": 400}, ["body", "ends_on"]),
        ({"ends_in_days": 0}, ["body", "ends_on"]),
        ({"to_unit_id": None, "outside_place_name": "温州市鹿城区五马街道"}, ["body", "kind"]),
    ]
    for fields, loc in cases:
        days = fields.pop("ends_in_days", 180)
        problem = assert_problem(await delegate(care_file, ends_in_days=days, **fields), 422)
        assert problem["errors"][0]["loc"] == loc, (fields, problem)
    handover_with_period = await client.post(
        TRANSFERS,
        json={
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason": "实际居住地在安阳街道",
            "ends_on": (local_today() + timedelta(days=10)).isoformat(),
        },
        headers=await login("jinhu_worker"),
    )
    assert assert_problem(handover_with_period, 422)["errors"][0]["loc"] == ["body", "ends_on"]
    listed = (
        await client.get(TRANSFERS, params={"box": "outbox"}, headers=await login("jinhu_worker"))
    ).json()
    assert listed["total"] == 0  # nothing half-made


async def test_the_written_notice_says_delegation_and_its_period(client, login, open_file, delegate):
    care_file = await open_file()
    transfer = assert_status(await delegate(care_file, ends_in_days=90), 201).json()
    page = await client.get(f"{TRANSFERS}/{transfer['id']}/notice", headers=await login("other_worker"))
    assert page.status_code == 200
    ends = local_today() + timedelta(days=90)
    assert "<h1>重点未成年人委托管理书面通知</h1>" in page.text
    assert f"至{ends:%Y年%m月%d日}落实管理" in page.text
    assert "委托单位（盖章）" in page.text


async def test_a_hand_over_is_neither_renewed_nor_ended_nor_delivered_outside(
    client, login, open_file, county
):
    care_file = await open_file()
    sender = await login("jinhu_worker")
    handover = await client.post(
        TRANSFERS,
        json={
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason": "实际居住地在安阳街道",
        },
        headers=sender,
    )
    transfer = assert_status(handover, 201).json()
    url = f"{TRANSFERS}/{transfer['id']}"
    new_end = (local_today() + timedelta(days=100)).isoformat()
    for suffix, body, detail in (
        ("/renew", {"ends_on": new_end}, "Only a delegation under way is renewed."),
        ("/end", None, "Only a delegation is ended; a hand-over is final."),
        ("/delivered", None, "Only a transfer outside the county waits for its notice to be delivered."),
    ):
        refused = await client.post(url + suffix, json=body, headers=sender)
        assert assert_problem(refused, 409, "conflict")["detail"] == detail, suffix
    unchanged = assert_status(await client.get(url, headers=sender), 200).json()
    assert unchanged["status"] == "requested"
    assert unchanged["version"] == transfer["version"] == 1
    assert unchanged["ends_on"] is None
