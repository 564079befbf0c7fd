"""A delegation (委托管理) past its last day ends by itself when the daily run (``qinghu remind``) passes it: the
file goes back to the household-registration unit, the audit trail says the system ended it because the period
ran out, and both units' people are told. The day is given to the run (as ``qinghu remind --day`` does), never
patched inside the code."""

from datetime import timedelta

import pytest

from backend.db import local_today
from backend.workflows import reminders
from tests.care_files.conftest import CARE_FILES
from tests.conftest import assert_status

TRANSFERS = "/api/v1/transfers"
NOTIFICATIONS = "/api/v1/me/notifications"


@pytest.fixture
def delegated(client, login, county, open_file):
    async def make(ends_in_days: int):
        care_file = await open_file()
        body = {
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason_code": "residence_differs",
            "reason": "随父母在安阳街道居住",
            "kind": "delegation",
            "ends_on": (local_today() + timedelta(days=ends_in_days)).isoformat(),
        }
        requested = assert_status(
            await client.post(TRANSFERS, json=body, headers=await login("jinhu_worker")), 201
        ).json()
        assert_status(
            await client.post(f"{TRANSFERS}/{requested['id']}/accept", headers=await login("other_worker")),
            200,
        )
        return care_file, requested

    return make


async def _remind(app, day):
    async with app.state.sessionmaker() as session, session.begin():
        return await reminders.remind(session, day=day)


async def _expiry_notices(client, headers):
    items = (await client.get(NOTIFICATIONS, params={"limit": 200}, headers=headers)).json()["items"]
    return [item for item in items if item["kind"] == "transfer.delegation_expired"]


async def test_a_delegation_past_its_last_day_ends_and_gives_the_file_back(app, client, login, delegated):
    care_file, transfer = await delegated(ends_in_days=30)
    ends_on = local_today() + timedelta(days=30)
    household, residence = await login("jinhu_worker"), await login("other_worker")
    url = f"{CARE_FILES}/{care_file['id']}"

    # On its last day the delegation still runs.
    on_last_day = await _remind(app, ends_on)
    assert on_last_day.delegations_ended == 0
    assert (await client.get(f"{TRANSFERS}/{transfer['id']}", headers=household)).json()[
        "status"
    ] == "accepted"
    assert (await client.get(url, headers=residence)).json()["managing_unit"]["name"] == "安阳街道"

    # The day after, the run ends it: the file is the household station's again, no longer delegated.
    day_after = await _remind(app, ends_on + timedelta(days=1))
    assert day_after.delegations_ended == 1
    ended = assert_status(await client.get(f"{TRANSFERS}/{transfer['id']}", headers=household), 200).json()
    assert ended["status"] == "ended"
    assert ended["can_end"] is False
    back = assert_status(await client.get(url, headers=household), 200).json()
    assert back["managing_unit"]["name"] == "锦湖街道"
    assert back["accountable_unit"] is None
    assert_status(await client.get(url, headers=residence), 404)

    # Both units are told, once each, with the minor's name masked.
    for headers in (household, residence, await login("jinhu_lead")):
        notices = await _expiry_notices(client, headers)
        assert len(notices) == 1
        assert notices[0]["title"] == "委托管理期满，已自动结束"
        assert ends_on.isoformat() in notices[0]["body"]
        assert "*" in notices[0]["body"].split("的委托管理")[0]
        assert notices[0]["link"] == "/transfers"

    # The audit trail: the system ended it, because the period ran out.
    trail = (
        await client.get(
            "/api/v1/audit-events",
            params={"object_type": "transfer", "object_id": transfer["id"]},
            headers=await login("jinhu_lead"),
        )
    ).json()["items"]
    ended_events = [event for event in trail if event["action"] == "transfer.ended"]
    assert [(event["actor_kind"], event["reason"]) for event in ended_events] == [("system", "expired")]

    # A second run (the same day or later) ends nothing again and tells nobody twice.
    again = await _remind(app, ends_on + timedelta(days=2))
    assert again.delegations_ended == 0
    assert len(await _expiry_notices(client, household)) == 1


async def test_a_delegation_ended_by_hand_is_not_ended_again(app, client, login, delegated):
    _care_file, transfer = await delegated(ends_in_days=10)
    assert_status(
        await client.post(f"{TRANSFERS}/{transfer['id']}/end", headers=await login("other_worker")), 200
    )
    result = await _remind(app, local_today() + timedelta(days=11))
    assert result.delegations_ended == 0
    assert await _expiry_notices(client, await login("jinhu_worker")) == []
