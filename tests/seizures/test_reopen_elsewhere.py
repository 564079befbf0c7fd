"""A closed care file reopened by a seizure in another unit keeps its history but none of the old unit's
responsible people: the receiving lead names new ones."""

from tests.care_files.conftest import user_id  # noqa: F401 - shared fixture
from tests.minors.conftest import register  # noqa: F401 - the registry's fixture
from tests.seizures.conftest import NOTICES, notice_body

CARE_FILES = "/api/v1/care-files"
ANYANG = "330381001000"


async def test_a_file_reopened_in_another_unit_drops_the_old_units_responsible_people(
    client,
    push,
    person,
    login,
    register,  # noqa: F811
    user_id,  # noqa: F811
):
    someone = person()
    places = {"residence_division_code": ANYANG, "household_division_code": ANYANG}
    minor = await register(someone, as_="other_worker", **places)  # nps_abuse: a file opens in 安阳
    anyang_worker = await login("other_worker")
    files = await client.get(CARE_FILES, params={"minor_id": minor["id"]}, headers=anyang_worker)
    assert files.status_code == 200, files.text
    (care_file,) = files.json()["items"]
    url = f"{CARE_FILES}/{care_file['id']}"
    current = await client.get(url, headers=anyang_worker)
    assert current.status_code == 200, current.text
    staffed = await client.patch(
        url,
        json={
            "lead_worker_id": await user_id("other_worker"),
            "team": [
                {"role": "village_cadre", "user_id": await user_id("other_worker")},
                {"role": "family_member", "name": "王秀芳", "organisation": "母亲"},
            ],
        },
        headers={**anyang_worker, "If-Match": current.headers["ETag"]},
    )
    assert staffed.status_code == 200, staffed.text
    assert staffed.json()["lead_worker"]["id"] == await user_id("other_worker")
    asked = await client.post(f"{url}/closure", json={"reason": "stable"}, headers=anyang_worker)
    assert asked.status_code == 200, asked.text
    closed = await client.post(
        f"{url}/closure/approve", json={"comment": "同意"}, headers=await login("county_lead")
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"

    notice = await push(notice_body(someone))  # seized, and living in 锦湖 now
    assert notice.status_code == 201, notice.text
    assert notice.json()["routing"]["unit"]["name"] == "锦湖街道"
    acknowledged = await client.post(
        f"{NOTICES}/{notice.json()['id']}/acknowledge", headers=await login("jinhu_worker")
    )
    assert acknowledged.status_code == 200, acknowledged.text

    reopened = await client.get(url, headers=await login("jinhu_lead"))
    assert reopened.status_code == 200, reopened.text
    shown = reopened.json()
    assert shown["status"] == "open"
    assert shown["reopened_count"] == 1
    assert shown["managing_unit"]["name"] == "锦湖街道"
    assert shown["lead_worker"] is None
    assert [member["role"] for member in shown["team"]] == ["family_member"]
    assert all(member.get("user_id") is None for member in shown["team"])
    # The old unit's worker neither reaches the file nor is named on it.
    assert (await client.get(url, headers=anyang_worker)).status_code == 404
    assert await user_id("other_worker") not in reopened.text
