"""The sensitive class (drug use, offending) through the endpoints, with the values each reader gets written
out for sample people: police and schools never get it, a sealed record never matches a filter on it."""

import pytest

from tests.minors.conftest import MINORS

# Sample people, written out: valid mainland ID numbers (check digit included) and what their masked forms are.
OUYANG = {
    "name": "欧阳娜娜",
    "id_number": "330381201103151242",
    "phone": "13812345678",
    "masked": {"name": "欧阳**", "id_number": "330381********1242", "phone": "138****5678"},
}
ZHANG = {
    "name": "张伟",
    "id_number": "330381201007023515",
    "phone": "15987654321",
    "masked": {"name": "张*", "id_number": "330381********3515", "phone": "159****4321"},
}


def _body(sample: dict, county, **overrides) -> dict:
    return {
        "name": sample["name"],
        "id_number": sample["id_number"],
        "phone": sample["phone"],
        "schooling_status": "in_school",
        "school_id": str(county["units"]["瑞安市锦湖中学"].id),
        "risk_categories": ["left_behind", "nps_abuse"],
        "substances": ["etomidate"],
        "risk_level": "high",
        **overrides,
    }


async def _register(client, login, county, sample, **overrides) -> dict:
    response = await client.post(
        MINORS, json=_body(sample, county, **overrides), headers=await login("jinhu_worker")
    )
    assert response.status_code == 201, response.text
    return response.json()


# reader → what it gets of the sensitive class: the drug-use category and the substance, or nothing.
SENSITIVE_SEEN = {
    "jinhu_worker": {"risk_categories": ["left_behind", "nps_abuse"], "substances": ["etomidate"]},
    "jinhu_lead": {"risk_categories": ["left_behind", "nps_abuse"], "substances": ["etomidate"]},
    "jinhu_police": {"risk_categories": ["left_behind"], "substances": None},
    "school_teacher": {"risk_categories": ["left_behind"], "substances": None},
    "auditor": {"risk_categories": ["left_behind"], "substances": None},
    "admin": {"risk_categories": ["left_behind"], "substances": None},
}


@pytest.mark.parametrize("username", list(SENSITIVE_SEEN))
async def test_each_reader_gets_the_sensitive_class_as_written_here(client, login, county, username):
    minor = await _register(client, login, county, OUYANG)
    expected = SENSITIVE_SEEN[username]
    headers = await login(username)
    detail = await client.get(f"{MINORS}/{minor['id']}", headers=headers)
    assert detail.status_code == 200, detail.text
    listed = await client.get(MINORS, headers=headers)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [minor["id"]]
    for read in (detail.json(), listed.json()["items"][0]):
        assert sorted(read["risk_categories"]) == expected["risk_categories"]
        if expected["substances"] is None:
            assert "substances" not in read
            assert "substances" in read["hidden_fields"]
            assert "nps_abuse" not in str(read)
            assert "etomidate" not in str(read)
        else:
            assert read["substances"] == expected["substances"]
            assert "substances" not in read["hidden_fields"]
        # Identity is masked in lists and (for all but a responsible worker) in details.
        assert read["name"] == OUYANG["masked"]["name"]
        assert read["id_number"] == OUYANG["masked"]["id_number"]
        assert read["phone"] == OUYANG["masked"]["phone"]


async def test_police_may_not_filter_by_the_sensitive_class(client, login, county):
    await _register(client, login, county, OUYANG)
    police = await login("jinhu_police")
    for params in ({"category": "nps_abuse"}, {"substance": "etomidate"}):
        response = await client.get(MINORS, params=params, headers=police)
        assert response.status_code == 403, response.text
    # A general category is fine.
    general = await client.get(MINORS, params={"category": "left_behind"}, headers=police)
    assert general.status_code == 200
    assert general.json()["total"] == 1


async def test_sealed_minors_never_match_a_sensitive_filter(client, login, county):
    sealed = await _register(client, login, county, OUYANG)
    open_record = await _register(client, login, county, ZHANG)
    lead = await login("jinhu_lead")
    current = await client.get(f"{MINORS}/{sealed['id']}", headers=lead)
    assert current.status_code == 200, current.text
    sealing = await client.patch(
        f"{MINORS}/{sealed['id']}",
        json={"is_sealed": True},
        headers={**lead, "If-Match": current.headers["etag"]},
    )
    assert sealing.status_code == 200, sealing.text
    assert sealing.json()["is_sealed"] is True

    for username in ("jinhu_worker", "jinhu_lead", "county_lead"):
        headers = await login(username)
        for params in (
            {"category": "nps_abuse"},
            {"substance": "etomidate"},
            {"category": "nps_abuse", "substance": "etomidate"},
        ):
            found = await client.get(MINORS, params=params, headers=headers)
            assert found.status_code == 200, found.text
            assert [item["id"] for item in found.json()["items"]] == [open_record["id"]], (username, params)
            assert found.json()["total"] == 1
        # A general filter and the plain list still count the sealed minor.
        general = await client.get(MINORS, params={"category": "left_behind"}, headers=headers)
        assert {item["id"] for item in general.json()["items"]} == {sealed["id"], open_record["id"]}
        everyone = (await client.get(MINORS, headers=headers)).json()
        assert everyone["total"] == 2
        shown = next(item for item in everyone["items"] if item["id"] == sealed["id"])
        assert "substances" not in shown
        assert shown["risk_categories"] == ["left_behind"]
