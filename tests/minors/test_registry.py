"""Registering, finding and changing minors; one person, one record; encryption at rest."""

import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.db import local_today
from backend.identity import make_mainland_id
from backend.minors.models import Minor
from tests.conftest import assert_problem, assert_status
from tests.minors.conftest import MINORS, minor_body


async def test_a_caseworker_registers_a_minor_with_derived_birth_date_and_gender(
    client, login, person, county
):
    someone = person(gender="female", age=15)
    response = await client.post(MINORS, json=minor_body(someone), headers=await login("jinhu_worker"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/api/v1/minors/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["gender"] == "female"
    assert created["age"] == 15
    assert created["managing_unit"]["name"] == "锦湖街道"
    assert created["status"] == "active"
    assert created["source"] == "screening"
    # Even its registrar sees the identity masked until a reveal (or a care file naming them).
    assert created["name"] != someone.name
    assert created["name"].startswith(someone.name[0])
    assert created["id_number"] == someone.id_number[:6] + "********" + someone.id_number[-4:]
    assert "birth_date" not in created
    assert "name" in created["masked_fields"]
    assert set(created["revealable_fields"]) >= {"name", "id_number", "phone"}
    assert created["residence_address"] == "锦湖街道"
    assert created["substances"] == ["etomidate"]
    assert set(created["risk_categories"]) == {"left_behind", "nps_abuse"}


async def test_numbers_and_phones_are_stored_encrypted(app, register, person, county):
    someone = person()
    created = await register(someone)
    async with app.state.engine.connect() as connection:
        row = (
            (await connection.execute(sa.select(sa.text("*")).select_from(sa.table("minors"))))
            .mappings()
            .one()
        )
    stored = " ".join(str(value) for value in row.values())
    assert someone.id_number not in stored
    assert someone.phone not in stored
    assert "13912345678" not in stored  # the guardian's phone
    assert row["id"] is not None
    assert created["id"]


async def test_bad_identities_are_refused_naming_the_field(client, login, person, county):
    headers = await login("jinhu_worker")
    someone = person(gender="male", age=14)
    wrong_check = someone.id_number[:-1] + ("0" if someone.id_number[-1] != "0" else "1")
    cases = [
        (minor_body(someone, id_number=wrong_check), "id_number", "id_number.checksum"),
        (minor_body(someone, id_number=someone.id_number[:15]), "id_number", "id_number.legacy"),
        (minor_body(someone, gender="female"), "gender", "id_number.gender_mismatch"),
        (minor_body(someone, birth_date="2001-01-01"), "birth_date", "id_number.birth_date_mismatch"),
        (minor_body(person(age=19)), "id_number", "minor.adult"),
        (minor_body(someone, phone="12345"), "phone", None),
        (minor_body(someone, risk_categories=["rich_kid"]), "risk_categories", None),
        (minor_body(someone, substances=["sugar"]), "substances", None),
        (minor_body(someone, school_id=str(county["units"]["滨江社区"].id)), "school_id", "unit.not_school"),
        (
            minor_body(someone, managing_unit_id=str(county["units"]["安阳街道"].id)),
            "managing_unit_id",
            "unit.not_found",
        ),
        (minor_body(someone, household_division_code="33"), "household_division_code", None),
        (minor_body(someone, id_document_type="passport"), None, None),
    ]
    for body, field, problem_type in cases:
        problem = assert_problem(await client.post(MINORS, json=body, headers=headers), 422, "validation")
        if field:
            assert problem["errors"][0]["loc"][-1] == field or problem["errors"][0]["loc"][1] == field, (
                problem
            )
        if problem_type:
            assert problem["errors"][0]["type"] == problem_type
        # The number never comes back in an error.
        assert someone.id_number not in str(problem)
    listing = (await client.get(MINORS, headers=headers)).json()
    assert listing["total"] == 0


async def test_lowercase_x_is_accepted(client, login, county):
    today = local_today()
    birth = today.replace(year=today.year - 15) - timedelta(days=3)
    number = next(n for s in range(1, 999) if (n := make_mainland_id("330381", birth, s)).endswith("X"))
    body = minor_body(type("P", (), {"name": "李明", "id_number": number.lower(), "phone": "13812340000"})())
    response = await client.post(MINORS, json=body, headers=await login("jinhu_worker"))
    assert response.status_code == 201, response.text
    assert response.json()["id_number"].endswith(number[-4:])


async def test_other_documents_need_gender_and_birth_date(client, login, county):
    body = minor_body(
        type("P", (), {"name": "陈安", "id_number": "H12345678", "phone": None})(),
        id_document_type="hk_macao_permit",
        gender="male",
        birth_date=str(local_today().replace(year=local_today().year - 16)),
    )
    response = await client.post(MINORS, json=body, headers=await login("jinhu_worker"))
    assert response.status_code == 201, response.text
    assert response.json()["id_number"] == "H1*****78"


async def test_one_person_one_record(client, login, register, person, county):
    someone = person()
    first = await register(someone)
    again = await client.post(MINORS, json=minor_body(someone), headers=await login("jinhu_lead"))
    problem = assert_problem(again, 409, "conflict")
    assert problem["existing_id"] == first["id"]
    # From another township the record exists but who and where stay unsaid.
    elsewhere = await client.post(MINORS, json=minor_body(someone), headers=await login("other_worker"))
    problem = assert_problem(elsewhere, 409, "conflict")
    assert "existing_id" not in problem
    assert "transfer" in problem["detail"]
    assert "锦湖" not in str(problem)


async def test_school_staff_and_police_register_for_their_township(client, login, person, county):
    by_school = await client.post(
        MINORS,
        json=minor_body(person(), risk_categories=["dropout"], substances=[]),
        headers=await login("school_teacher"),
    )
    assert by_school.status_code == 201, by_school.text
    created = by_school.json()
    assert created["school"]["name"] == "瑞安市锦湖中学"
    assert created["managing_unit"]["name"] == "锦湖街道"
    # Schools never see drug-use facts, nor the source (a source may say "seized"): the station does.
    assert "substances" not in created
    assert "source" not in created
    assert "source" in created["hidden_fields"]
    by_police = await client.post(MINORS, json=minor_body(person()), headers=await login("jinhu_police"))
    assert by_police.status_code == 201, by_police.text
    assert by_police.json()["managing_unit"]["name"] == "锦湖街道"
    assert "source" not in by_police.json()
    worker = await login("jinhu_worker")
    for minor, source in ((created, "school_report"), (by_police.json(), "seizure_notice")):
        assert (await client.get(f"{MINORS}/{minor['id']}", headers=worker)).json()["source"] == source


async def test_list_filters(client, login, register, person, county):
    headers = await login("jinhu_lead")
    await register(person(age=17), risk_categories=["dropout"], substances=[], risk_level="low")
    await register(
        person(age=13), risk_categories=["nps_abuse"], substances=["nitrous_oxide"], risk_level="high"
    )
    await register(person(age=15), as_="other_worker")

    async def total(**params):
        response = await client.get(MINORS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["total"]

    assert await total() == 2  # the 安阳 minor is out of scope
    assert await total(category="dropout") == 1
    assert await total(substance="nitrous_oxide") == 1
    assert await total(risk_level="high") == 1
    assert await total(age_min=16) == 1
    assert await total(age_max=14) == 1
    assert await total(age_min=13, age_max=17) == 2
    assert await total(turns_18_within_days=365) == 1
    # No finer windows than 90 days, and no sort by birth date: the list masks it for everyone.
    for window in (0, 1, 30, 89, 366, 3650):
        problem = assert_problem(
            await client.get(MINORS, params={"turns_18_within_days": window}, headers=headers), 422
        )
        assert problem["errors"][0]["loc"] == ["query", "turns_18_within_days"]
    assert_problem(await client.get(MINORS, params={"sort": "birth_date"}, headers=headers), 422)
    assert_problem(await client.get(MINORS, params={"sort": "-birth_date"}, headers=headers), 422)
    assert await total(status="closed") == 0
    assert await total(within=str(county["units"]["锦湖街道"].id)) == 2
    outside = await client.get(
        MINORS, params={"within": str(county["units"]["安阳街道"].id)}, headers=headers
    )
    assert assert_problem(outside, 422, "validation")["errors"] == [
        {"loc": ["query", "within"], "msg": "no such unit in your scope", "type": "unit.not_found"}
    ]
    county_lead = await login("county_lead")
    assert (await client.get(MINORS, headers=county_lead)).json()["total"] == 3


async def test_name_search_only_for_roles_that_may_see_names(client, login, register, person, county):
    someone = person()
    await register(someone)
    found = await client.get(MINORS, params={"q": someone.name[1:]}, headers=await login("jinhu_worker"))
    assert found.json()["total"] == 1
    for username in ("school_teacher", "auditor"):
        refused = await client.get(MINORS, params={"q": someone.name}, headers=await login(username))
        assert assert_problem(refused, 403, "forbidden")["detail"] == (
            "Searching by name needs a role that may see identities."
        )


async def test_sensitive_filters_are_refused_to_roles_without_drug_use_facts(
    client, login, register, person, county
):
    await register(person())
    for username in ("school_teacher", "jinhu_police", "auditor", "admin"):
        headers = await login(username)
        for name, value in (("substance", "etomidate"), ("category", "nps_abuse")):
            refused = await client.get(MINORS, params={name: value}, headers=headers)
            assert assert_problem(refused, 403, "forbidden")["detail"] == (
                f"Filtering by {name} needs access to drug-use facts."
            ), (username, name)
    assert (
        await client.get(MINORS, params={"category": "left_behind"}, headers=await login("auditor"))
    ).status_code == 200


async def test_education_bureau_sees_no_individual_minor(client, login, register, person, county):
    created = await register(person())
    headers = await login("edu_officer")
    assert_problem(await client.get(MINORS, headers=headers), 403)
    assert_problem(await client.get(f"{MINORS}/{created['id']}", headers=headers), 403)


async def test_update_with_if_match_and_who_may_change_what(client, login, register, person, county):
    created = await register(person(), school_id=str(county["units"]["瑞安市锦湖中学"].id))
    url = f"{MINORS}/{created['id']}"
    worker = await login("jinhu_worker")
    response = await client.patch(
        url, json={"risk_level": "high", "phone": "13700001111"}, headers={**worker, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["risk_level"] == "high"
    assert response.json()["phone"] == "137****1111"
    assert response.headers["ETag"] == '"2"'
    assert_problem(
        await client.patch(url, json={"grade": "初三"}, headers={**worker, "If-Match": '"1"'}), 412
    )
    assert_problem(await client.patch(url, json={"is_sealed": True}, headers=worker), 403)
    assert_problem(
        await client.patch(url, json={"grade": "初三"}, headers=await login("school_teacher")), 403
    )
    sealed = await client.patch(url, json={"is_sealed": True}, headers=await login("jinhu_lead"))
    assert sealed.status_code == 200
    assert "substances" not in sealed.json()
    assert_problem(await client.patch(url, json={"substances": []}, headers=await login("jinhu_lead")), 403)
    assert_problem(await client.patch(url, json={"name": ""}, headers=worker), 422)


async def test_lookup_by_number_in_the_body_within_scope(app, client, login, register, person, county):
    someone = person()
    created = await register(someone)
    found = await client.post(
        f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=await login("jinhu_lead")
    )
    assert found.status_code == 200
    assert found.json()["id"] == created["id"]
    assert found.json()["name"] != someone.name
    missing = await client.post(
        f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=await login("other_worker")
    )
    assert_problem(missing, 404)
    bad = await client.post(f"{MINORS}/lookup", json={"id_number": "123"}, headers=await login("jinhu_lead"))
    assert_problem(bad, 422)
    async with app.state.sessionmaker() as session:
        events = (
            await session.execute(
                sa.text(
                    "SELECT action, object_id, fields, reason FROM audit_events WHERE action = 'minor.looked_up'"
                )
            )
        ).all()
    assert len(events) == 2
    assert someone.id_number not in str(events)


async def test_nothing_identifying_reaches_the_log(client, login, register, person, county, caplog):
    someone = person()
    with caplog.at_level(logging.DEBUG):
        created = await register(someone)
        await client.get(f"{MINORS}/{created['id']}", headers=await login("jinhu_worker"))
        await client.post(
            f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=await login("jinhu_worker")
        )
        await client.get(MINORS, params={"q": someone.name}, headers=await login("jinhu_worker"))
    assert someone.id_number not in caplog.text
    assert someone.name not in caplog.text
    assert someone.phone not in caplog.text


async def test_aged_out_candidates_are_flagged(app, client, login, register, person, county):
    created = await register(person(age=17))
    async with app.state.sessionmaker() as session, session.begin():
        minor = await session.get(Minor, __import__("uuid").UUID(created["id"]))
        minor.birth_date = minor.birth_date.replace(year=minor.birth_date.year - 2)
    shown = (await client.get(f"{MINORS}/{created['id']}", headers=await login("jinhu_lead"))).json()
    assert shown["age"] >= 18
    assert shown["aged_out_candidate"] is True


async def test_list_statements_built_once_serve_every_principal_with_their_own_scope(
    client, login, register, person, county
):
    """A list's statements are kept per shape (scope kind, filters, order) and run with each request's values:
    whoever asked first, the next caller of the same shape gets their own scope, filters and bounds."""
    school = county["units"]["瑞安市锦湖中学"].id
    jinhu = [await register(person(), school_id=str(school)) for _ in range(2)]
    anyang = await register(person(), as_="other_worker")

    async def ids(username: str, **params) -> set[str]:
        response = await client.get(MINORS, params=params, headers=await login(username))
        assert response.status_code == 200, response.text
        assert response.json()["total"] == len(response.json()["items"])
        return {item["id"] for item in response.json()["items"]}

    everyone, jinhu_ids = {m["id"] for m in [*jinhu, anyang]}, {m["id"] for m in jinhu}
    for _ in range(2):  # either order, twice over: the second round runs on the kept statements
        assert await ids("county_lead") == everyone
        assert await ids("jinhu_lead") == jinhu_ids
        assert await ids("other_worker") == {anyang["id"]}
        assert await ids("school_teacher") == jinhu_ids  # by school, not by managing unit
        assert await ids("county_lead", risk_level="medium") == everyone
        assert await ids("jinhu_lead", risk_level="medium") == jinhu_ids
        assert await ids("county_lead", school_id=str(school), schooling_status="in_school") == jinhu_ids
        # Police reach the township they serve, including by naming it.
        assert await ids("jinhu_police", within=str(county["units"]["锦湖街道"].id)) == jinhu_ids
        assert await ids("county_lead", within=str(county["units"]["安阳街道"].id)) == {anyang["id"]}
    first = await client.get(MINORS, params={"limit": 1}, headers=await login("county_lead"))
    second = await client.get(MINORS, params={"limit": 1, "offset": 1}, headers=await login("county_lead"))
    assert first.json()["items"][0]["id"] != second.json()["items"][0]["id"]


async def test_name_search_matches_wildcards_literally(client, login, register, person, county):
    someone = person()
    await register(someone)
    headers = await login("jinhu_worker")
    for text in ("%", "_", "/", someone.name[:1] + "%"):
        response = await client.get(MINORS, params={"q": text}, headers=headers)
        assert response.json()["total"] == 0, text
    assert (await client.get(MINORS, params={"q": someone.name}, headers=headers)).json()["total"] == 1


async def test_a_station_is_named_to_manage_a_minor_never_a_school_or_a_deactivated_unit(
    client, login, person, county
):
    headers = await login("jinhu_worker")
    assert_status(
        await client.patch(
            f"/api/v1/units/{county['units']['虹桥社区'].id}",
            json={"is_active": False},
            headers=await login("admin"),
        ),
        200,
    )
    for name in ("瑞安市锦湖中学", "锦湖派出所", "虹桥社区"):
        body = minor_body(person(), managing_unit_id=str(county["units"][name].id))
        problem = assert_problem(await client.post(MINORS, json=body, headers=headers), 422, "validation")
        assert problem["errors"] == [
            {
                "loc": ["body", "managing_unit_id"],
                "msg": "must be an active township, community or county office",
                "type": "unit.kind",
            }
        ], name
    assert (await client.get(MINORS, headers=headers)).json()["total"] == 0
    # A community of the township is a station that may manage.
    body = minor_body(person(), managing_unit_id=str(county["units"]["滨江社区"].id))
    created = assert_status(await client.post(MINORS, json=body, headers=headers), 201).json()
    assert created["managing_unit"]["name"] == "滨江社区"


async def test_an_edit_may_not_merge_by_status_nor_name_a_unit_that_is_no_school(
    client, login, register, person, county
):
    created = await register(person())
    url = f"{MINORS}/{created['id']}"
    lead = await login("jinhu_lead")
    merged = await client.patch(url, json={"status": "merged"}, headers=lead)
    assert assert_problem(merged, 422, "validation")["errors"] == [
        {
            "loc": ["body", "status"],
            "msg": "records are merged through the merge action, not by status",
            "type": "minor.status_merged",
        }
    ]
    not_school = await client.patch(
        url, json={"school_id": str(county["units"]["滨江社区"].id)}, headers=lead
    )
    assert assert_problem(not_school, 422, "validation")["errors"] == [
        {"loc": ["body", "school_id"], "msg": "no such school", "type": "unit.not_school"}
    ]
    after = (await client.get(url, headers=lead)).json()
    assert after["version"] == 1
    assert after["status"] == "active"
    assert after["school"] is None


async def test_an_edit_of_addresses_and_school_shows_the_new_township_and_an_unchanged_edit_is_no_version(
    client, login, register, person, county
):
    created = await register(person())
    url = f"{MINORS}/{created['id']}"
    worker = await login("jinhu_worker")
    changes = {
        "household_division_code": "330381001001",
        "household_address": "安阳街道万松社区5幢201室",
        "residence_division_code": "330381107201",
        "residence_address": "马屿镇马屿村12号",
        "school_id": str(county["units"]["瑞安市安阳实验中学"].id),
    }
    edited = assert_status(await client.patch(url, json=changes, headers=worker), 200).json()
    assert edited["version"] == 2
    # A worker who is not responsible sees the addresses masked to their township.
    assert edited["household_address"] == "安阳街道"
    assert edited["residence_address"] == "马屿镇"
    assert edited["school"]["name"] == "瑞安市安阳实验中学"
    same = assert_status(await client.patch(url, json=changes, headers=worker), 200)
    assert same.json()["version"] == 2
    assert same.headers["ETag"] == '"2"'
    # A code that names no unit of the county leaves no township to show.
    outside = await client.patch(url, json={"residence_division_code": "110101001001"}, headers=worker)
    assert assert_status(outside, 200).json()["residence_address"] is None


async def test_age_filters_count_whole_years_to_the_day(client, login, person, county):
    today = local_today()
    if (today.month, today.day) in ((2, 28), (2, 29)):
        pytest.skip("a birthday on 29 February has no same day sixteen years on or back")
    tomorrow = today + timedelta(days=1)
    born = {
        "sixteen today": today.replace(year=today.year - 16),
        "sixteen tomorrow": tomorrow.replace(year=tomorrow.year - 16),
        "fifteen today": today.replace(year=today.year - 15),
    }
    headers = await login("jinhu_worker")
    ids = {}
    for sequence, (who, birth) in enumerate(born.items(), start=1):
        body = minor_body(person(), id_number=make_mainland_id("330381", birth, 2 * sequence + 1))
        ids[assert_status(await client.post(MINORS, json=body, headers=headers), 201).json()["id"]] = who

    async def found(**params):
        answer = assert_status(await client.get(MINORS, params={**params, "limit": 50}, headers=headers), 200)
        return {ids[item["id"]] for item in answer.json()["items"]}

    assert await found(age_max=15) == {"sixteen tomorrow", "fifteen today"}
    assert await found(age_min=16) == {"sixteen today"}
    assert await found(age_min=15, age_max=15) == {"sixteen tomorrow", "fifteen today"}
    assert await found(age_max=14) == set()


async def test_each_order_of_the_list_is_its_own(client, login, register, person, county):
    """The list's statements are kept per shape of request: two orders of the same filters are two shapes."""
    registered = []
    for level in ("low", "high", "medium"):
        registered.append((await register(person(), risk_level=level))["id"])
    headers = await login("jinhu_worker")

    async def order(sort: str) -> list[str]:
        answer = assert_status(await client.get(MINORS, params={"sort": sort}, headers=headers), 200).json()
        return [item["id"] for item in answer["items"]]

    assert await order("created_at") == registered
    assert await order("-created_at") == registered[::-1]
    assert await order("created_at") == registered


async def test_turning_18_soon_and_aged_out_to_the_day(app, client, login, register, person, county):
    """90 days ahead at most is "soon"; 18 today is no longer soon but aged out. Each record is registered at 17
    and its birth date then set in the database, as time would."""
    today = local_today()
    days_to_18 = {"today": 0, "tomorrow": 1, "in 90 days": 90, "in 91 days": 91}
    targets = {who: today + timedelta(days=days) for who, days in days_to_18.items()}
    if any((day.month, day.day) == (2, 29) for day in targets.values()):
        pytest.skip("an eighteenth birthday on 29 February has no birth date 18 years before it")
    ids = {}
    for who, eighteenth in targets.items():
        created = await register(person(age=17))
        async with app.state.sessionmaker() as session, session.begin():
            minor = await session.get_one(Minor, uuid.UUID(created["id"]))
            minor.birth_date = eighteenth.replace(year=eighteenth.year - 18)
        ids[created["id"]] = who
    listed = assert_status(
        await client.get(MINORS, params={"limit": 50}, headers=await login("jinhu_lead")), 200
    )
    flags = {
        ids[item["id"]]: (item["turns_18_soon"], item["aged_out_candidate"])
        for item in listed.json()["items"]
    }
    assert flags == {
        "today": (False, True),
        "tomorrow": (True, False),
        "in 90 days": (True, False),
        "in 91 days": (False, False),
    }


async def test_a_minor_out_of_scope_is_no_such_minor(client, login, register, person, county):
    created = await register(person(), as_="other_worker")
    headers = await login("jinhu_worker")
    for minor_id in (created["id"], "00000000-0000-0000-0000-000000000000"):
        problem = assert_problem(await client.get(f"{MINORS}/{minor_id}", headers=headers), 404, "not-found")
        assert problem["detail"] == "No such minor."
