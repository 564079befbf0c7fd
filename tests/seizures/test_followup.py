"""After routing: acknowledgement opens the care file, a routed-out notice starts a transfer, and the notice
shows only two facts of the care work (file open, last contact) — the seam to issue 6."""

import asyncio
import json
from datetime import UTC, datetime

from backend.db import LOCAL_TIMEZONE
from tests.conftest import assert_problem
from tests.minors.conftest import register  # noqa: F401 - the registry's fixture
from tests.seizures.conftest import NOTICES, notice_body

CARE_FILES = "/api/v1/care-files"
TRANSFERS = "/api/v1/transfers"
ANYANG = "330381001000"
LUCHENG = "330302001000"  # outside the county
IN_COUNTY_NO_STATION = "330381999000"
OUTSIDE = {
    "residence_division_code": LUCHENG,
    "residence_address": "温州市鹿城区五马街道某小区",
    "household_division_code": None,
    "household_address": None,
}


async def _acknowledge(client, login, notice_id: str, as_: str = "jinhu_worker") -> dict:
    response = await client.post(f"{NOTICES}/{notice_id}/acknowledge", headers=await login(as_))
    assert response.status_code == 200, response.text
    return response.json()


async def _files(client, login, minor_id: str, as_: str = "county_lead") -> list[dict]:
    response = await client.get(CARE_FILES, params={"minor_id": minor_id}, headers=await login(as_))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_acknowledging_opens_a_care_file_for_the_receiving_station(client, push, person, login):
    notice = (await push(notice_body(person()))).json()
    assert await _files(client, login, notice["minor_id"]) == []
    acknowledged = await _acknowledge(client, login, notice["id"])
    assert acknowledged["followup"] == {
        "status": "care_file_open",
        "file_open": True,
        "last_contact_on": None,
    }
    (care_file,) = await _files(client, login, notice["minor_id"], as_="jinhu_lead")
    assert care_file["managing_unit"]["name"] == "锦湖街道"
    assert care_file["trigger"] == "seizure_notice"
    assert care_file["status"] == "open"
    assert care_file["reopened_count"] == 0


async def test_acknowledging_reopens_a_closed_file_keeping_its_history(client, push, person, login):
    someone = person()
    first = (await push(notice_body(someone))).json()
    await _acknowledge(client, login, first["id"])
    (care_file,) = await _files(client, login, first["minor_id"], as_="jinhu_lead")
    url = f"{CARE_FILES}/{care_file['id']}"
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    talk = {"kind": "talk", "occurred_at": datetime.now(UTC).isoformat(), "summary": "首次谈话"}
    assert (await client.post(f"{url}/entries", json=talk, headers=worker)).status_code == 201
    asked = await client.post(f"{url}/closure", json={"reason": "stable", "note": "帮教期满"}, headers=worker)
    assert asked.status_code == 200, asked.text
    approved = await client.post(f"{url}/closure/approve", json={"comment": "同意结案"}, headers=lead)
    assert approved.json()["status"] == "closed"

    again = (await push(notice_body(someone))).json()
    assert again["minor_id"] == first["minor_id"]
    acknowledged = await _acknowledge(client, login, again["id"])
    assert acknowledged["followup"]["file_open"] is True
    (reopened,) = await _files(client, login, first["minor_id"], as_="jinhu_lead")
    assert reopened["id"] == care_file["id"]
    assert reopened["status"] == "open"
    assert reopened["reopened_count"] == 1
    entries = (await client.get(f"{url}/entries", headers=lead)).json()["items"]
    assert [entry["summary"] for entry in entries] == ["首次谈话"]


async def test_followup_shows_the_file_and_the_last_contact_after_a_care_entry(
    client, push, person, login, police_system
):
    notice = (await push(notice_body(person()))).json()
    await _acknowledge(client, login, notice["id"])
    (care_file,) = await _files(client, login, notice["minor_id"], as_="jinhu_lead")
    occurred = datetime.now(UTC)
    entry = {"kind": "home_visit", "occurred_at": occurred.isoformat(), "summary": "家访：秘密的帮教内容"}
    added = await client.post(
        f"{CARE_FILES}/{care_file['id']}/entries", json=entry, headers=await login("jinhu_worker")
    )
    assert added.status_code == 201, added.text
    expected = {
        "status": "care_file_open",
        "file_open": True,
        "last_contact_on": occurred.astimezone(LOCAL_TIMEZONE).date().isoformat(),
    }
    for headers in (police_system, await login("jinhu_police"), await login("jinhu_lead")):
        detail = (await client.get(f"{NOTICES}/{notice['id']}", headers=headers)).json()
        assert detail["followup"] == expected
        listed = (await client.get(NOTICES, headers=headers)).json()["items"]
        assert [item["followup"] for item in listed if item["id"] == notice["id"]] == [expected]


async def test_police_see_nothing_of_the_care_file_but_the_two_facts(
    client, push, person, login, police_system
):
    notice = (await push(notice_body(person()))).json()
    await _acknowledge(client, login, notice["id"])
    (care_file,) = await _files(client, login, notice["minor_id"], as_="jinhu_lead")
    entry = {"kind": "talk", "occurred_at": datetime.now(UTC).isoformat(), "summary": "谈话内容不外传"}
    recorded = await client.post(
        f"{CARE_FILES}/{care_file['id']}/entries", json=entry, headers=await login("jinhu_worker")
    )
    assert recorded.status_code == 201, recorded.text
    # The police system has no care-file scope at all (403); an officer reaches only files whose team names
    # them, and this one does not (404).
    for headers, refused in ((police_system, 403), (await login("jinhu_police"), 404)):
        detail = await client.get(f"{NOTICES}/{notice['id']}", headers=headers)
        text = json.dumps(detail.json(), ensure_ascii=False)
        assert "谈话内容不外传" not in text
        assert care_file["id"] not in text
        assert set(detail.json()["followup"]) == {"status", "file_open", "last_contact_on"}
        assert_problem(await client.get(f"{CARE_FILES}/{care_file['id']}", headers=headers), refused)
        assert_problem(await client.get(f"{CARE_FILES}/{care_file['id']}/entries", headers=headers), refused)


async def test_a_routed_out_push_starts_a_transfer_awaiting_outside_receipt(client, push, person, login):
    response = await push(notice_body(person(), person=OUTSIDE))
    assert response.status_code == 201, response.text
    notice = response.json()
    county_lead = await login("county_lead")
    transfers = (
        await client.get(TRANSFERS, params={"minor_id": notice["minor_id"]}, headers=county_lead)
    ).json()["items"]
    assert len(transfers) == 1
    (transfer,) = transfers
    assert transfer["status"] == "awaiting_outside_receipt"
    assert transfer["from_unit"]["name"] == "瑞安市禁毒委员会办公室"
    assert transfer["to_unit"] is None
    assert transfer["outside_place"] == {"division_code": LUCHENG, "name": "温州市鹿城区五马街道某小区"}
    assert transfer["reason_code"] == "caught_elsewhere"
    detail = (await client.get(f"{NOTICES}/{notice['id']}", headers=county_lead)).json()
    assert detail["followup"] == {"status": "transfer_started", "file_open": False, "last_contact_on": None}
    # The county office signs for it: the minor is kept under care there until the notice is delivered.
    acknowledged = await _acknowledge(client, login, notice["id"], as_="county_lead")
    assert acknowledged["followup"] == {
        "status": "transfer_started",
        "file_open": True,
        "last_contact_on": None,
    }
    (care_file,) = await _files(client, login, notice["minor_id"])
    assert care_file["managing_unit"]["name"] == "瑞安市禁毒委员会办公室"
    assert care_file["pending_transfer_id"] == transfer["id"]


async def test_a_transfer_a_push_started_is_cancelled_by_the_sending_units_lead(client, push, person, login):
    """No person asked for it (a police system did), so the county office's lead ends it, e.g. a wrong address."""
    notice = (await push(notice_body(person(), person=OUTSIDE))).json()
    county_lead = await login("county_lead")
    (transfer,) = (
        await client.get(TRANSFERS, params={"minor_id": notice["minor_id"]}, headers=county_lead)
    ).json()["items"]
    assert transfer["can_cancel"] is True
    # Nobody outside the sending unit's subtree reaches it at all.
    assert_problem(
        await client.post(f"{TRANSFERS}/{transfer['id']}/cancel", headers=await login("jinhu_lead")), 404
    )
    cancelled = await client.post(f"{TRANSFERS}/{transfer['id']}/cancel", headers=county_lead)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def test_a_routed_out_push_with_a_transfer_already_pending_still_succeeds(client, push, person, login):
    someone = person()
    first = (await push(notice_body(someone, person=OUTSIDE))).json()
    second = await push(notice_body(someone, person=OUTSIDE))
    assert second.status_code == 201, second.text
    county_lead = await login("county_lead")
    transfers = (
        await client.get(TRANSFERS, params={"minor_id": first["minor_id"]}, headers=county_lead)
    ).json()["items"]
    assert [transfer["status"] for transfer in transfers] == ["awaiting_outside_receipt"]
    detail = (await client.get(f"{NOTICES}/{second.json()['id']}", headers=county_lead)).json()
    assert detail["followup"]["status"] == "transfer_started"


async def test_a_routed_out_push_while_a_transfer_in_the_county_is_pending_records_it(
    client,
    push,
    person,
    login,
    register,  # noqa: F811
):
    someone = person()
    places = {"residence_division_code": ANYANG, "household_division_code": ANYANG}
    minor = await register(
        someone, as_="other_worker", risk_categories=["left_behind"], substances=[], **places
    )
    other = await login("other_worker")
    destinations = (await client.get(f"{TRANSFERS}/destinations", headers=other)).json()
    jinhu = next(unit for unit in destinations if unit["name"] == "锦湖街道")
    requested = await client.post(
        TRANSFERS,
        json={"minor_id": minor["id"], "to_unit_id": jinhu["id"], "reason": "迁居锦湖"},
        headers=other,
    )
    assert requested.status_code == 201, requested.text
    response = await push(notice_body(someone, person=OUTSIDE))
    assert response.status_code == 201, response.text
    detail = (
        await client.get(f"{NOTICES}/{response.json()['id']}", headers=await login("county_lead"))
    ).json()
    assert detail["followup"]["status"] == "transfer_pending"
    transfers = (await client.get(TRANSFERS, params={"minor_id": minor["id"]}, headers=other)).json()["items"]
    assert [transfer["status"] for transfer in transfers] == ["requested"]


async def test_a_minor_managed_by_another_station_moves_with_the_file_to_the_receiving_one(
    client,
    push,
    person,
    login,
    register,  # noqa: F811
):
    someone = person()
    places = {"residence_division_code": ANYANG, "household_division_code": ANYANG}
    minor = await register(someone, as_="other_worker", **places)  # nps_abuse: a file opens in 安阳
    before = await _files(client, login, minor["id"])
    notice = (await push(notice_body(someone))).json()  # lives in 锦湖 now, says the police
    assert notice["routing"]["unit"]["name"] == "锦湖街道"
    await _acknowledge(client, login, notice["id"])
    (care_file,) = await _files(client, login, minor["id"])
    assert len(before) == 1
    assert care_file["id"] == before[0]["id"]  # the same file, with its history
    assert care_file["managing_unit"]["name"] == "锦湖街道"
    assert care_file["lead_worker"] is None  # the receiving lead names the new responsible people
    moved = (await client.get(f"/api/v1/minors/{minor['id']}", headers=await login("jinhu_lead"))).json()
    assert moved["managing_unit"]["name"] == "锦湖街道"
    assert await _files(client, login, minor["id"], as_="other_worker") == []


async def test_an_unrouted_notice_leaves_the_file_with_the_unit_that_manages_the_minor(
    client,
    push,
    person,
    login,
    register,  # noqa: F811
):
    someone = person()
    places = {"residence_division_code": ANYANG, "household_division_code": ANYANG}
    minor = await register(
        someone, as_="other_worker", risk_categories=["left_behind"], substances=[], **places
    )
    nowhere = {
        "residence_division_code": IN_COUNTY_NO_STATION,
        "household_division_code": IN_COUNTY_NO_STATION,
    }
    notice = (await push(notice_body(someone, person=nowhere))).json()
    assert notice["routing"]["status"] == "unrouted"
    await _acknowledge(client, login, notice["id"], as_="county_lead")
    (care_file,) = await _files(client, login, minor["id"])
    assert care_file["managing_unit"]["name"] == "安阳街道"
    assert care_file["trigger"] == "seizure_notice"


async def test_two_notices_for_one_minor_acknowledged_at_once_open_one_file(client, push, person, login):
    someone = person()
    first = (await push(notice_body(someone))).json()
    second = (await push(notice_body(someone))).json()
    assert first["minor_id"] == second["minor_id"]
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    answers = await asyncio.gather(
        client.post(f"{NOTICES}/{first['id']}/acknowledge", headers=worker),
        client.post(f"{NOTICES}/{second['id']}/acknowledge", headers=lead),
    )
    assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
    files = await _files(client, login, first["minor_id"], as_="jinhu_lead")
    assert len(files) == 1
    assert files[0]["status"] == "open"
