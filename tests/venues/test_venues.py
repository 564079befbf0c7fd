"""Venues with their history of checks, and pharmacy checks: unit-scoped records, audited."""

from datetime import timedelta

import pytest

from backend.db import local_today
from tests.conftest import assert_problem, assert_status

VENUES = "/api/v1/venues"
PHARMACY = "/api/v1/pharmacy-checks"


def venue_body(**extra):
    return {"name": "锦湖街道星光KTV", "kind": "ktv", "address": "锦湖街道锦园路18号", **extra}


async def test_a_worker_adds_a_venue_records_checks_and_reads_its_history(client, login, county):
    worker = await login("jinhu_worker")
    created = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    assert created["unit"]["name"] == "锦湖街道"
    assert created["kind"] == "ktv"
    assert created["check_count"] == 0
    today = local_today()
    first = {
        "checked_on": (today - timedelta(days=30)).isoformat(),
        "findings": "包厢内发现疑似笑气气罐",
        "hazard_found": True,
        "measures": "责令整改，通报市监部门",
        "follow_up_on": (today - timedelta(days=1)).isoformat(),
    }
    second = {
        "checked_on": (today - timedelta(days=2)).isoformat(),
        "findings": "未发现涉毒问题",
        "measures": "张贴禁毒宣传海报",
        "follow_up_on": (today + timedelta(days=60)).isoformat(),
    }
    for body in (first, second):
        check = await client.post(f"{VENUES}/{created['id']}/checks", json=body, headers=worker)
        assert_status(check, 201)
        assert check.json()["checked_by_unit"]["name"] == "锦湖街道"
        assert check.json()["checked_by_name"] == "周社工"
    detail = assert_status(await client.get(f"{VENUES}/{created['id']}", headers=worker), 200).json()
    assert [c["findings"] for c in detail["checks"]] == ["未发现涉毒问题", "包厢内发现疑似笑气气罐"]
    assert detail["last_checked_on"] == second["checked_on"]
    assert detail["follow_up_on"] == second["follow_up_on"]
    assert detail["status"] == "rectifying"  # the first check found a hazard
    assert detail["check_count"] == 2
    assert detail["follow_up_due"] is False

    events = await client.get(
        "/api/v1/audit-events", params={"object_id": created["id"]}, headers=await login("jinhu_lead")
    )
    actions = sorted(event["action"] for event in assert_status(events, 200).json()["items"])
    assert actions == ["venue.checked", "venue.checked", "venue.created"]


async def test_venue_filters_kind_follow_up_due_and_unit(client, login, county):
    worker = await login("jinhu_worker")
    today = local_today()
    ktv = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    cafe = assert_status(
        await client.post(VENUES, json=venue_body(name="极速网吧", kind="internet_cafe"), headers=worker),
        201,
    ).json()
    overdue = {
        "checked_on": (today - timedelta(days=40)).isoformat(),
        "findings": "发现未成年人上网",
        "hazard_found": True,
        "follow_up_on": (today - timedelta(days=10)).isoformat(),
    }
    assert_status(await client.post(f"{VENUES}/{cafe['id']}/checks", json=overdue, headers=worker), 201)
    listed = await client.get(VENUES, params={"kind": "internet_cafe"}, headers=worker)
    assert [v["id"] for v in assert_status(listed, 200).json()["items"]] == [cafe["id"]]
    due = await client.get(VENUES, params={"follow_up_due": "true"}, headers=worker)
    assert [v["id"] for v in due.json()["items"]] == [cafe["id"]]
    not_due = await client.get(VENUES, params={"follow_up_due": "false"}, headers=worker)
    assert [v["id"] for v in not_due.json()["items"]] == [ktv["id"]]
    ranged = await client.get(
        VENUES,
        params={"checked_from": (today - timedelta(days=41)).isoformat(), "checked_to": today.isoformat()},
        headers=worker,
    )
    assert [v["id"] for v in ranged.json()["items"]] == [cafe["id"]]
    searched = await client.get(VENUES, params={"q": "星光"}, headers=worker)
    assert [v["id"] for v in searched.json()["items"]] == [ktv["id"]]
    outside = county["units"]["安阳街道"].id
    assert_problem(await client.get(VENUES, params={"unit_id": str(outside)}, headers=worker), 422)


async def test_a_venue_outside_the_scope_does_not_exist(client, login, county):
    other = await login("other_worker")
    venue = assert_status(
        await client.post(VENUES, json=venue_body(name="安阳酒吧", kind="bar"), headers=other), 201
    ).json()
    worker = await login("jinhu_worker")
    assert_problem(await client.get(f"{VENUES}/{venue['id']}", headers=worker), 404)
    check = {"checked_on": local_today().isoformat(), "findings": "正常"}
    assert_problem(await client.post(f"{VENUES}/{venue['id']}/checks", json=check, headers=worker), 404)
    assert_problem(
        await client.patch(f"{VENUES}/{venue['id']}", json={"status": "closed"}, headers=worker), 404
    )
    listed = await client.get(VENUES, headers=worker)
    assert venue["id"] not in listed.text
    # Adding a venue for a unit outside the scope is refused, naming the field.
    body = venue_body(unit_id=str(county["units"]["安阳街道"].id))
    problem = assert_problem(await client.post(VENUES, json=body, headers=worker), 422)
    assert problem["errors"][0]["loc"] == ["body", "unit_id"]


async def test_a_small_shop_near_a_school_and_bad_input(client, login, county):
    worker = await login("jinhu_worker")
    school = county["units"]["瑞安市锦湖中学"]
    shop = await client.post(
        VENUES,
        json=venue_body(name="校门口小卖部", kind="small_shop", school_id=str(school.id)),
        headers=worker,
    )
    body = assert_status(shop, 201).json()
    assert body["near_school"] is True
    assert body["school"]["name"] == "瑞安市锦湖中学"
    not_school = venue_body(kind="small_shop", school_id=str(county["units"]["滨江社区"].id))
    problem = assert_problem(await client.post(VENUES, json=not_school, headers=worker), 422)
    assert problem["errors"][0]["type"] == "venue.not_a_school"
    future = {"checked_on": (local_today() + timedelta(days=1)).isoformat(), "findings": "正常"}
    assert_problem(await client.post(f"{VENUES}/{body['id']}/checks", json=future, headers=worker), 422)
    backwards = {
        "checked_on": local_today().isoformat(),
        "findings": "正常",
        "follow_up_on": (local_today() - timedelta(days=1)).isoformat(),
    }
    assert_problem(await client.post(f"{VENUES}/{body['id']}/checks", json=backwards, headers=worker), 422)
    detail = (await client.get(f"{VENUES}/{body['id']}", headers=worker)).json()
    assert detail["checks"] == []  # nothing half-written
    stale = await client.patch(
        f"{VENUES}/{body['id']}", json={"status": "closed"}, headers={**worker, "If-Match": '"99"'}
    )
    assert_problem(stale, 412)
    changed = await client.patch(
        f"{VENUES}/{body['id']}", json={"status": "closed"}, headers={**worker, "If-Match": '"1"'}
    )
    assert assert_status(changed, 200).json()["status"] == "closed"


async def test_pharmacy_checks_are_recorded_filtered_and_scoped(client, login, county):
    worker = await login("jinhu_worker")
    today = local_today()
    minor_sale = {
        "pharmacy_name": "瑞安市康宁大药房锦湖店",
        "licence_number": "浙CB5770123",
        "checked_on": (today - timedelta(days=3)).isoformat(),
        "buyer_age_band": "14_15",
        "quantity": 2,
        "prescription_seen": False,
        "notes": "未查验处方即出售",
    }
    adult_sale = {
        "pharmacy_name": "瑞安市仁和药店",
        "checked_on": (today - timedelta(days=1)).isoformat(),
        "buyer_age_band": "adult",
        "quantity": 1,
        "prescription_seen": True,
    }
    first = assert_status(await client.post(PHARMACY, json=minor_sale, headers=worker), 201).json()
    assert first["minor_buyer"] is True
    assert first["unit"]["name"] == "锦湖街道"
    second = assert_status(await client.post(PHARMACY, json=adult_sale, headers=worker), 201).json()
    assert second["minor_buyer"] is False
    listed = await client.get(PHARMACY, headers=worker)
    assert [c["id"] for c in assert_status(listed, 200).json()["items"]] == [second["id"], first["id"]]
    unseen = await client.get(PHARMACY, params={"prescription_seen": "false"}, headers=worker)
    assert [c["id"] for c in unseen.json()["items"]] == [first["id"]]
    minors = await client.get(PHARMACY, params={"minor_buyer": "true"}, headers=worker)
    assert [c["id"] for c in minors.json()["items"]] == [first["id"]]
    other = await login("other_worker")
    assert_problem(await client.get(f"{PHARMACY}/{first['id']}", headers=other), 404)
    assert first["id"] not in (await client.get(PHARMACY, headers=other)).text
    bad = {**adult_sale, "buyer_age_band": "toddler"}
    assert_problem(await client.post(PHARMACY, json=bad, headers=worker), 422)
    corrected = await client.patch(
        f"{PHARMACY}/{first['id']}", json={"quantity": 3}, headers={**worker, "If-Match": '"1"'}
    )
    assert assert_status(corrected, 200).json()["quantity"] == 3


@pytest.mark.parametrize("username", ["school_teacher", "edu_officer"])
async def test_roles_without_the_scope_are_refused(client, login, username):
    headers = await login(username)
    assert_problem(await client.get(PHARMACY, headers=headers), 403)
    if username == "edu_officer":
        assert_problem(await client.get(VENUES, headers=headers), 403)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_a_check_keeps_its_evidence_files_judged_by_content(client, login, county):
    worker = await login("jinhu_worker")
    venue = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    check_body = {"checked_on": local_today().isoformat(), "findings": "现场照片存档"}
    check = assert_status(
        await client.post(f"{VENUES}/{venue['id']}/checks", json=check_body, headers=worker), 201
    ).json()
    evidence_path = f"{VENUES}/{venue['id']}/checks/{check['id']}/evidence"
    added = await client.post(evidence_path, files={"file": ("现场.png", PNG, "image/png")}, headers=worker)
    evidence = assert_status(added, 201).json()
    assert evidence["media_type"] == "image/png"
    assert evidence["filename"] == "现场.png"
    refused = await client.post(
        evidence_path, files={"file": ("x.png", b"MZ not an image", "image/png")}, headers=worker
    )
    assert_problem(refused, 415)
    downloaded = await client.get(f"{evidence_path}/{evidence['id']}", headers=worker)
    assert assert_status(downloaded, 200).content == PNG
    detail = (await client.get(f"{VENUES}/{venue['id']}", headers=worker)).json()
    assert [item["filename"] for item in detail["checks"][0]["evidence"]] == ["现场.png"]
    other = await login("other_worker")
    assert_problem(await client.get(f"{evidence_path}/{evidence['id']}", headers=other), 404)


async def test_a_venue_edit_keeps_its_required_fields_and_its_scope(client, login, county):
    worker = await login("jinhu_worker")
    venue = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    url = f"{VENUES}/{venue['id']}"
    for field in ("name", "kind", "status", "near_school", "unit_id"):
        problem = assert_problem(
            await client.patch(url, json={field: None}, headers=worker), 422, "validation"
        )
        assert problem["errors"] == [
            {"loc": ["body", field], "msg": "this field cannot be emptied", "type": "venue.required"}
        ]
    outside = await client.patch(url, json={"unit_id": str(county["units"]["安阳街道"].id)}, headers=worker)
    assert assert_problem(outside, 422, "validation")["errors"][0]["loc"] == ["body", "unit_id"]
    not_school = await client.patch(
        url, json={"school_id": str(county["units"]["滨江社区"].id)}, headers=worker
    )
    assert assert_problem(not_school, 422, "validation")["errors"][0]["type"] == "venue.not_a_school"
    unchanged = assert_status(await client.get(url, headers=worker), 200).json()
    assert (unchanged["version"], unchanged["name"], unchanged["near_school"]) == (
        1,
        "锦湖街道星光KTV",
        False,
    )
    # Naming a school of the township makes it a venue near a school; a community of it may keep it.
    moved = await client.patch(
        url,
        json={
            "school_id": str(county["units"]["瑞安市锦湖中学"].id),
            "unit_id": str(county["units"]["滨江社区"].id),
        },
        headers=worker,
    )
    changed = assert_status(moved, 200).json()
    assert changed["near_school"] is True
    assert changed["school"]["name"] == "瑞安市锦湖中学"
    assert changed["unit"]["name"] == "滨江社区"
    assert changed["version"] == 2


async def test_a_check_entered_late_for_an_earlier_day_leaves_the_latest_findings_in_force(
    client, login, county
):
    worker = await login("jinhu_worker")
    venue = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    today = local_today()
    latest = {
        "checked_on": (today - timedelta(days=2)).isoformat(),
        "findings": "未发现涉毒问题",
        "follow_up_on": (today + timedelta(days=60)).isoformat(),
    }
    earlier = {
        "checked_on": (today - timedelta(days=20)).isoformat(),
        "findings": "包厢内发现疑似笑气气罐",
        "hazard_found": True,
        "follow_up_on": (today - timedelta(days=5)).isoformat(),
    }
    for body in (latest, earlier):
        assert_status(await client.post(f"{VENUES}/{venue['id']}/checks", json=body, headers=worker), 201)
    detail = assert_status(await client.get(f"{VENUES}/{venue['id']}", headers=worker), 200).json()
    assert detail["last_checked_on"] == latest["checked_on"]
    assert detail["follow_up_on"] == latest["follow_up_on"]
    assert detail["follow_up_due"] is False
    assert detail["status"] == "active"  # the hazard was found before the latest check, not after it
    assert detail["check_count"] == 2
    assert detail["version"] == 3


async def test_evidence_of_a_check_that_is_not_the_venues_is_not_found(client, login, county):
    worker = await login("jinhu_worker")
    venue = assert_status(await client.post(VENUES, json=venue_body(), headers=worker), 201).json()
    other = assert_status(
        await client.post(VENUES, json=venue_body(name="极速网吧", kind="internet_cafe"), headers=worker), 201
    ).json()
    check_body = {"checked_on": local_today().isoformat(), "findings": "现场照片存档"}
    check = assert_status(
        await client.post(f"{VENUES}/{other['id']}/checks", json=check_body, headers=worker), 201
    ).json()
    evidence = assert_status(
        await client.post(
            f"{VENUES}/{other['id']}/checks/{check['id']}/evidence",
            files={"file": ("现场.png", PNG, "image/png")},
            headers=worker,
        ),
        201,
    ).json()
    # The check asked for through another venue, and an evidence id the check does not have.
    wrong_venue = await client.get(
        f"{VENUES}/{venue['id']}/checks/{check['id']}/evidence/{evidence['id']}", headers=worker
    )
    assert assert_problem(wrong_venue, 404, "not-found")["detail"] == "No such venue check."
    no_file = await client.get(
        f"{VENUES}/{other['id']}/checks/{check['id']}/evidence/00000000-0000-0000-0000-000000000000",
        headers=worker,
    )
    assert assert_problem(no_file, 404, "not-found")["detail"] == "No such evidence file."


async def test_a_pharmacy_check_is_never_dated_ahead_nor_emptied(client, login, county):
    worker = await login("jinhu_worker")
    today = local_today()
    tomorrow = (today + timedelta(days=1)).isoformat()
    sale = {
        "pharmacy_name": "瑞安市仁和药店",
        "checked_on": today.isoformat(),
        "buyer_age_band": "adult",
        "quantity": 1,
        "prescription_seen": True,
    }
    ahead = await client.post(PHARMACY, json={**sale, "checked_on": tomorrow}, headers=worker)
    assert assert_problem(ahead, 422, "validation")["errors"] == [
        {"loc": ["body", "checked_on"], "msg": "a check cannot be in the future", "type": "date.future"}
    ]
    assert (await client.get(PHARMACY, headers=worker)).json()["total"] == 0
    check = assert_status(await client.post(PHARMACY, json=sale, headers=worker), 201).json()
    url = f"{PHARMACY}/{check['id']}"
    moved_ahead = await client.patch(url, json={"checked_on": tomorrow}, headers=worker)
    assert assert_problem(moved_ahead, 422, "validation")["errors"][0]["type"] == "date.future"
    for field in ("pharmacy_name", "checked_on", "prescription_seen", "checked_by_name"):
        problem = assert_problem(
            await client.patch(url, json={field: None}, headers=worker), 422, "validation"
        )
        assert problem["errors"] == [
            {"loc": ["body", field], "msg": "this field cannot be emptied", "type": "pharmacy_check.required"}
        ]
    kept = assert_status(await client.get(url, headers=worker), 200).json()
    assert (kept["version"], kept["checked_on"], kept["pharmacy_name"]) == (
        1,
        today.isoformat(),
        "瑞安市仁和药店",
    )


async def test_pharmacy_checks_without_a_minor_buyer_include_those_without_an_age_band(client, login, county):
    worker = await login("jinhu_worker")
    day = (local_today() - timedelta(days=1)).isoformat()
    base = {"pharmacy_name": "瑞安市康宁大药房锦湖店", "checked_on": day, "prescription_seen": True}
    ids = {}
    for band in ("14_15", "adult", None):
        body = {**base, "buyer_age_band": band} if band else base
        ids[band] = assert_status(await client.post(PHARMACY, json=body, headers=worker), 201).json()["id"]
    no_minor = await client.get(PHARMACY, params={"minor_buyer": "false"}, headers=worker)
    assert {item["id"] for item in assert_status(no_minor, 200).json()["items"]} == {ids["adult"], ids[None]}
    minor = await client.get(PHARMACY, params={"minor_buyer": "true"}, headers=worker)
    assert [item["id"] for item in minor.json()["items"]] == [ids["14_15"]]
