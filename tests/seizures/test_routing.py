"""Routing: residence first, then household registration; outside the county routed out; else the county office."""

import pytest

from tests.seizures.conftest import notice_body

JINHU_COMMUNITY = "330381005002"
ANYANG = "330381001000"
IN_COUNTY_NO_STATION = "330381999000"  # a township of the county that has no station in Qinghu
LUCHENG = "330302001000"  # 温州市鹿城区: outside the county


@pytest.mark.parametrize(
    ("residence", "household", "status", "reason", "unit"),
    [
        (JINHU_COMMUNITY, ANYANG, "routed", "residence", "锦湖街道"),
        ("330381001002", None, "routed", "residence", "安阳街道"),  # a village code walks up to its township
        (ANYANG, None, "routed", "residence", "安阳街道"),
        ("330381107", None, "routed", "residence", "马屿镇"),  # a 9-digit code, padded
        (None, ANYANG, "routed", "household", "安阳街道"),
        (IN_COUNTY_NO_STATION, ANYANG, "routed", "household", "安阳街道"),
        (IN_COUNTY_NO_STATION, None, "unrouted", "no_place", "瑞安市禁毒委员会办公室"),
        (IN_COUNTY_NO_STATION, LUCHENG, "unrouted", "no_place", "瑞安市禁毒委员会办公室"),
        (None, None, "unrouted", "no_place", "瑞安市禁毒委员会办公室"),
    ],
)
async def test_a_notice_goes_to_the_station_covering_the_place(
    push, person, county, residence, household, status, reason, unit
):
    body = notice_body(
        person(), person={"residence_division_code": residence, "household_division_code": household}
    )
    response = await push(body)
    assert response.status_code == 201, response.text
    routing = response.json()["routing"]
    assert (routing["status"], routing["reason"]) == (status, reason)
    assert routing["unit"]["name"] == unit
    assert routing["unit"]["kind"] in ("township", "county_office")
    assert routing["place"] is None


async def test_a_minor_living_outside_the_county_is_routed_out_with_the_place_named(
    client, push, person, login
):
    body = notice_body(
        person(),
        person={
            "residence_division_code": LUCHENG,
            "residence_address": "温州市鹿城区五马街道某小区",
            "household_division_code": ANYANG,
        },
    )
    receipt = (await push(body)).json()
    assert receipt["routing"] == {
        "status": "routed_out",
        "reason": "residence_outside",
        "unit": None,
        "place": {"division_code": LUCHENG, "name": "温州市鹿城区五马街道某小区"},
    }
    # The county office sees it in its "outside" list, with the transfer to that place started.
    outside = await client.get(
        "/api/v1/seizure-notices", params={"routing_status": "routed_out"}, headers=await login("county_lead")
    )
    items = outside.json()["items"]
    assert [item["id"] for item in items] == [receipt["id"]]
    assert items[0]["followup"]["status"] == "transfer_started"
    # No station of the county gets it.
    station = await client.get("/api/v1/seizure-notices", headers=await login("jinhu_lead"))
    assert station.json()["total"] == 0


async def test_an_outside_place_without_an_address_is_named_by_its_province(push, person):
    body = notice_body(
        person(),
        person={
            "residence_division_code": "440304000000",
            "residence_address": None,
            "household_division_code": None,
        },
    )
    place = (await push(body)).json()["routing"]["place"]
    assert place["name"].startswith("广东省")
    assert place["division_code"] == "440304000000"
