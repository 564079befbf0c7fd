"""The to-do centre names the provisional records (待核实) waiting for an ID number, in the scope of those who can
add it (the station's social workers and leads), and its link is the registry list filtered to them."""

from backend.identity import make_mainland_id
from tests.minors.conftest import MINORS
from tests.minors.test_provisional import born_years_ago, provisional_body

TODO = "/api/v1/me/todo"
LINK = "/api/v1/minors?verification_status=provisional"


async def _item(client, headers):
    items = (await client.get(TODO, headers=headers)).json()["items"]
    found = [item for item in items if item["kind"] == "minors.provisional"]
    assert len(found) <= 1
    return found[0] if found else None


async def test_provisional_records_waiting_for_an_id_number_are_a_to_do_item(
    client, login, county, person, register
):
    worker = await login("jinhu_worker")
    birth = born_years_ago(15, 3, 1)
    ids = []
    for name in ("赵小明", "钱小明"):
        response = await client.post(MINORS, json=provisional_body(name, "male", birth), headers=worker)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    await register(person())  # a confirmed person is nothing to do

    for username in ("jinhu_worker", "jinhu_lead", "county_lead"):
        item = await _item(client, await login(username))
        assert item == {
            "kind": "minors.provisional",
            "title": "待核实的未成年人（待补录身份证号）",
            "count": 2,
            "object_ids": ids,  # the longest waiting first
            "link": LINK,
        }, username
    # Another township's worker does not reach them; the police cannot add an ID number.
    assert await _item(client, await login("other_worker")) is None
    assert await _item(client, await login("jinhu_police")) is None

    # The link is the list behind the figure.
    listed = (await client.get(LINK, headers=worker)).json()
    assert listed["total"] == 2
    assert sorted(row["id"] for row in listed["items"]) == sorted(ids)

    # Once the number is added the record is no longer waiting; with none left the item goes.
    verified = await client.post(
        f"{MINORS}/{ids[0]}/verify", json={"id_number": make_mainland_id("330381", birth, 17)}, headers=worker
    )
    assert verified.status_code == 200, verified.text
    item = await _item(client, worker)
    assert (item["count"], item["object_ids"]) == (1, [ids[1]])
    verified = await client.post(
        f"{MINORS}/{ids[1]}/verify", json={"id_number": make_mainland_id("330381", birth, 19)}, headers=worker
    )
    assert verified.status_code == 200, verified.text
    assert await _item(client, worker) is None
