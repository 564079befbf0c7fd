"""Work records over HTTP: a station records publicity activities, inspections and responsibility letters for its
subtree, with files; lists filter and export; another township's records do not exist; bad input writes nothing."""

import csv
import io
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from backend.db import local_today
from backend.work_records.models import WorkRecordFile
from tests.campaigns.conftest import EXE, PNG
from tests.conftest import assert_problem, assert_status

ACTIVITIES = "/api/v1/publicity-activities"
VISITS = "/api/v1/inspection-visits"
LETTERS = "/api/v1/responsibility-letters"


def days_ago(days: int) -> str:
    return (local_today() - timedelta(days=days)).isoformat()


def activity(unit_id: str | None = None, **overrides):
    body = {
        "kind": "six_entries",
        "held_on": days_ago(10),
        "place": "滨江社区文化礼堂",
        "participants": 120,
        "materials": 300,
        "description": "禁毒宣传进社区，发放宣传折页",
    }
    if unit_id:
        body["unit_id"] = unit_id
    return body | overrides


async def test_a_station_records_activities_lists_filters_and_exports_them(client, login, county):
    units = county["units"]
    worker = await login("jinhu_worker")
    in_community = assert_status(
        await client.post(ACTIVITIES, json=activity(str(units["滨江社区"].id)), headers=worker), 201
    ).json()
    assert in_community["unit"]["name"] == "滨江社区"
    assert in_community["recorded_by_unit"]["name"] == "锦湖街道"
    assert in_community["kind"] == "six_entries"
    assert in_community["participants"] == 120
    assert in_community["can_edit"] is True
    assert_status(
        await client.post(
            ACTIVITIES,
            json=activity(kind="june_26", held_on=days_ago(40), place="锦湖街道广场", participants=500),
            headers=worker,
        ),
        201,
    )

    everything = (await client.get(ACTIVITIES, headers=worker)).json()
    assert everything["total"] == 2
    assert [item["place"] for item in everything["items"]] == [
        "滨江社区文化礼堂",
        "锦湖街道广场",
    ]  # newest first
    by_kind = (await client.get(ACTIVITIES, params={"kind": "june_26"}, headers=worker)).json()
    assert [item["participants"] for item in by_kind["items"]] == [500]
    by_date = (await client.get(ACTIVITIES, params={"date_from": days_ago(20)}, headers=worker)).json()
    assert [item["id"] for item in by_date["items"]] == [in_community["id"]]
    by_unit = (
        await client.get(ACTIVITIES, params={"unit_id": str(units["滨江社区"].id)}, headers=worker)
    ).json()
    assert [item["id"] for item in by_unit["items"]] == [in_community["id"]]

    # The county and its auditor read them; 安阳's worker does not.
    county_list = (await client.get(ACTIVITIES, headers=await login("county_lead"))).json()
    assert county_list["total"] == 2
    assert (await client.get(ACTIVITIES, headers=await login("auditor"))).json()["total"] == 2
    assert (await client.get(ACTIVITIES, headers=await login("other_worker"))).json()["total"] == 0

    export = assert_status(
        await client.get(ACTIVITIES, params={"format": "xlsx", "sort": "held_on"}, headers=worker), 200
    )
    assert "attachment" in export.headers["content-disposition"]
    rows = [
        list(row)
        for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    ]
    assert rows[0][:6] == ["活动日期", "活动类型", "举办单位", "活动地点", "参与人数", "发放资料（份）"]
    assert [row[2] for row in rows[1:]] == ["锦湖街道", "滨江社区"]  # oldest first
    assert rows[2][1] == "禁毒宣传“六进”"
    assert rows[2][4:6] == [120, 300]
    exported = assert_status(
        await client.get(ACTIVITIES, params={"format": "csv", "kind": "june_26"}, headers=worker), 200
    )
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [line[3] for line in lines[1:]] == ["锦湖街道广场"]

    audit = (await client.get("/api/v1/audit-events", headers=await login("jinhu_lead"))).json()["items"]
    actions = [event["action"] for event in audit]
    assert "work_record.created" in actions
    assert "list.exported" in actions


async def test_files_are_attached_downloaded_and_removed_by_the_recording_unit(client, login, county):
    worker = await login("jinhu_worker")
    made = assert_status(await client.post(ACTIVITIES, json=activity(), headers=worker), 201).json()
    upload = assert_status(
        await client.post(
            f"{ACTIVITIES}/{made['id']}/files",
            files={"file": ("现场照片.png", PNG, "image/png")},
            headers=worker,
        ),
        201,
    ).json()
    assert upload["media_type"] == "image/png"
    assert upload["filename"] == "现场照片.png"
    assert_problem(
        await client.post(
            f"{ACTIVITIES}/{made['id']}/files", files={"file": ("a.png", EXE, "image/png")}, headers=worker
        ),
        415,
    )
    read = (await client.get(f"{ACTIVITIES}/{made['id']}", headers=worker)).json()
    assert [item["id"] for item in read["files"]] == [upload["id"]]
    download = assert_status(
        await client.get(
            f"{ACTIVITIES}/{made['id']}/files/{upload['id']}", headers=await login("county_lead")
        ),
        200,
    )
    assert download.content == PNG
    # The county reads it but did not record it: it cannot remove the file or the record.
    county = await login("county_lead")
    assert_problem(
        await client.delete(f"{ACTIVITIES}/{made['id']}/files/{upload['id']}", headers=county), 403
    )
    assert_problem(await client.delete(f"{ACTIVITIES}/{made['id']}", headers=county), 403)
    assert_status(await client.delete(f"{ACTIVITIES}/{made['id']}/files/{upload['id']}", headers=worker), 204)
    assert_status(await client.delete(f"{ACTIVITIES}/{made['id']}", headers=worker), 204)
    assert_problem(await client.get(f"{ACTIVITIES}/{made['id']}", headers=worker), 404)


async def test_another_townships_record_does_not_exist(client, login, county):
    worker = await login("jinhu_worker")
    made = assert_status(await client.post(ACTIVITIES, json=activity(), headers=worker), 201).json()
    other = await login("other_worker")
    assert_problem(await client.get(f"{ACTIVITIES}/{made['id']}", headers=other), 404)
    assert_problem(
        await client.patch(f"{ACTIVITIES}/{made['id']}", json={"participants": 1}, headers=other), 404
    )
    assert_problem(await client.delete(f"{ACTIVITIES}/{made['id']}", headers=other), 404)
    # Nor may 安阳 record an activity for a unit of 锦湖.
    assert_problem(
        await client.post(ACTIVITIES, json=activity(str(county["units"]["滨江社区"].id)), headers=other), 422
    )
    unchanged = (await client.get(f"{ACTIVITIES}/{made['id']}", headers=worker)).json()
    assert unchanged["participants"] == 120


async def test_bad_activities_are_refused_and_nothing_is_written(client, login, county):
    worker = await login("jinhu_worker")
    for body in (
        activity(participants=-1),
        activity(materials=-5),
        activity(held_on="2026-13-01"),
        activity(held_on=(local_today() + timedelta(days=3)).isoformat()),
        activity(kind="parade"),
        activity(place=""),
    ):
        problem = assert_problem(await client.post(ACTIVITIES, json=body, headers=worker), 422)
        assert problem["errors"], problem
    assert (await client.get(ACTIVITIES, headers=worker)).json()["total"] == 0
    made = assert_status(await client.post(ACTIVITIES, json=activity(), headers=worker), 201).json()
    assert_problem(
        await client.patch(f"{ACTIVITIES}/{made['id']}", json={"participants": -3}, headers=worker), 422
    )
    assert_problem(
        await client.patch(f"{ACTIVITIES}/{made['id']}", json={"held_on": None}, headers=worker), 422
    )
    assert (await client.get(f"{ACTIVITIES}/{made['id']}", headers=worker)).json()["version"] == made[
        "version"
    ]
    changed = assert_status(
        await client.patch(
            f"{ACTIVITIES}/{made['id']}",
            json={"participants": 150},
            headers={**worker, "If-Match": f'"{made["version"]}"'},
        ),
        200,
    ).json()
    assert changed["participants"] == 150
    assert_problem(
        await client.patch(
            f"{ACTIVITIES}/{made['id']}", json={"participants": 160}, headers={**worker, "If-Match": '"1"'}
        ),
        412,
    )


async def test_school_staff_record_their_schools_activities_only(client, login, county):
    units = county["units"]
    teacher = await login("school_teacher")
    made = assert_status(
        await client.post(ACTIVITIES, json=activity(kind="lecture"), headers=teacher), 201
    ).json()
    assert made["unit"]["name"] == "瑞安市锦湖中学"
    assert_problem(
        await client.post(ACTIVITIES, json=activity(str(units["锦湖街道"].id)), headers=teacher), 422
    )
    assert_problem(
        await client.post(
            VISITS,
            json={"inspected_unit_id": str(units["瑞安市锦湖中学"].id), "visited_on": days_ago(1)},
            headers=teacher,
        ),
        403,
    )
    # The station above the school reads it.
    assert (await client.get(ACTIVITIES, headers=await login("jinhu_lead"))).json()["total"] == 1


async def test_inspections_the_inspected_unit_marks_rectified(client, login, county):
    units = county["units"]
    county_lead = await login("county_lead")
    jinhu = await login("jinhu_lead")
    overdue = assert_status(
        await client.post(
            VISITS,
            json={
                "kind": "unannounced",
                "inspected_unit_id": str(units["锦湖街道"].id),
                "visited_on": days_ago(30),
                "findings": "帮教台账更新不及时",
                "rectification": "一周内补齐台账",
                "rectify_by": days_ago(23),
            },
            headers=county_lead,
        ),
        201,
    ).json()
    assert overdue["overdue"] is True
    assert overdue["inspecting_unit"]["name"] == "瑞安市禁毒委员会办公室"
    assert overdue["inspected_unit"]["name"] == "锦湖街道"
    assert_status(
        await client.post(
            VISITS,
            json={
                "inspected_unit_id": str(units["安阳街道"].id),
                "visited_on": days_ago(5),
                "findings": "无",
            },
            headers=county_lead,
        ),
        201,
    )

    seen = (await client.get(VISITS, headers=jinhu)).json()
    assert [item["id"] for item in seen["items"]] == [overdue["id"]]
    assert seen["items"][0]["can_edit"] is False
    assert seen["items"][0]["can_mark_rectified"] is True
    assert [
        i["id"]
        for i in (await client.get(VISITS, params={"overdue": "true"}, headers=county_lead)).json()["items"]
    ] == [overdue["id"]]
    assert (await client.get(VISITS, params={"kind": "supervision"}, headers=county_lead)).json()[
        "total"
    ] == 1

    # The inspected unit may not rewrite the findings, only report the rectification.
    assert_problem(
        await client.patch(f"{VISITS}/{overdue['id']}", json={"findings": "无问题"}, headers=jinhu), 403
    )
    assert_problem(
        await client.patch(
            f"{VISITS}/{overdue['id']}", json={"rectified": True, "rectified_on": days_ago(31)}, headers=jinhu
        ),
        422,
    )
    done = assert_status(
        await client.patch(
            f"{VISITS}/{overdue['id']}", json={"rectified": True, "rectified_on": days_ago(2)}, headers=jinhu
        ),
        200,
    ).json()
    assert done["rectified"] is True
    assert done["rectified_on"] == days_ago(2)
    assert done["overdue"] is False
    assert (await client.get(VISITS, params={"rectified": "false"}, headers=county_lead)).json()["total"] == 1
    assert_status(
        await client.patch(f"{VISITS}/{overdue['id']}", json={"findings": "台账已补齐"}, headers=county_lead),
        200,
    )
    # 锦湖 cannot delete the county's record of it.
    assert_problem(await client.delete(f"{VISITS}/{overdue['id']}", headers=jinhu), 403)

    export = assert_status(
        await client.get(VISITS, params={"format": "xlsx", "sort": "visited_on"}, headers=county_lead), 200
    )
    rows = [
        list(row)
        for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    ]
    assert rows[0][:4] == ["检查日期", "检查方式", "检查单位", "被检查单位"]
    assert [row[3] for row in rows[1:]] == ["锦湖街道", "安阳街道"]
    assert rows[1][1] == "明察暗访"
    assert rows[1][7] == "是"


async def test_inspecting_outside_the_subtree_or_with_dates_out_of_order_is_refused(client, login, county):
    units = county["units"]
    jinhu = await login("jinhu_lead")
    base = {"inspected_unit_id": str(units["滨江社区"].id), "visited_on": days_ago(10)}
    for body in (
        base | {"inspected_unit_id": str(units["安阳街道"].id)},  # another township
        base | {"inspected_unit_id": str(units["锦湖街道"].id)},  # itself
        base | {"rectify_by": days_ago(11)},
        base | {"rectified": True, "rectified_on": days_ago(12)},
        base | {"rectified_on": days_ago(2)},  # a date without rectified
        base | {"visited_on": (local_today() + timedelta(days=1)).isoformat()},
        base | {"visited_on": "yesterday"},
    ):
        assert_problem(await client.post(VISITS, json=body, headers=jinhu), 422)
    assert (await client.get(VISITS, headers=await login("county_lead"))).json()["total"] == 0
    made = assert_status(
        await client.post(VISITS, json=base | {"rectified": True}, headers=jinhu), 201
    ).json()
    assert made["rectified_on"] == local_today().isoformat()
    assert_problem(await client.get(f"{VISITS}/{made['id']}", headers=await login("other_worker")), 404)


async def test_responsibility_letters_signed_down_the_tree(client, login, county):
    units = county["units"]
    county_lead = await login("county_lead")
    jinhu = await login("jinhu_lead")
    with_township = assert_status(
        await client.post(
            LETTERS,
            json={"year": 2026, "signer_unit_id": str(units["锦湖街道"].id), "signed_on": "2026-02-20"},
            headers=county_lead,
        ),
        201,
    ).json()
    assert with_township["issuer_unit"]["kind"] == "county_office"
    assert with_township["signer_unit"]["name"] == "锦湖街道"
    assert_status(
        await client.post(
            LETTERS, json={"year": 2026, "signer_unit_id": str(units["滨江社区"].id)}, headers=jinhu
        ),
        201,
    )
    assert_status(
        await client.post(
            LETTERS, json={"year": 2025, "signer_unit_id": str(units["安阳街道"].id)}, headers=county_lead
        ),
        201,
    )
    # A signer outside the issuer's subtree, an issuer outside mine, a year out of range: refused.
    for body, headers in (
        ({"year": 2026, "signer_unit_id": str(units["安阳街道"].id)}, jinhu),
        ({"year": 2026, "signer_unit_id": str(units["锦湖街道"].id)}, jinhu),
        (
            {
                "year": 2026,
                "issuer_unit_id": str(units["安阳街道"].id),
                "signer_unit_id": str(units["万松社区"].id),
            },
            jinhu,
        ),
        ({"year": 1999, "signer_unit_id": str(units["滨江社区"].id)}, jinhu),
    ):
        assert_problem(await client.post(LETTERS, json=body, headers=headers), 422)

    mine = (await client.get(LETTERS, headers=jinhu)).json()
    assert sorted(item["signer_unit"]["name"] for item in mine["items"]) == ["滨江社区", "锦湖街道"]
    assert (await client.get(LETTERS, params={"year": 2025}, headers=county_lead)).json()["total"] == 1
    assert (await client.get(LETTERS, headers=await login("other_worker"))).json()[
        "total"
    ] == 1  # its own, 2025
    assert_problem(
        await client.get(f"{LETTERS}/{with_township['id']}", headers=await login("other_worker")), 404
    )

    export = assert_status(
        await client.get(LETTERS, params={"format": "csv", "year": 2026}, headers=county_lead), 200
    )
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["年度", "发出单位", "签订单位", "签订日期"]
    assert sorted(line[2] for line in lines[1:]) == ["滨江社区", "锦湖街道"]


async def test_marking_a_visit_rectified_dates_it_today_and_unmarking_clears_the_date(client, login, county):
    county_lead, jinhu = await login("county_lead"), await login("jinhu_lead")
    visit = assert_status(
        await client.post(
            VISITS,
            json={
                "kind": "unannounced",
                "inspected_unit_id": str(county["units"]["锦湖街道"].id),
                "visited_on": days_ago(10),
                "findings": "帮教台账更新不及时",
                "rectify_by": days_ago(-5),
            },
            headers=county_lead,
        ),
        201,
    ).json()
    url = f"{VISITS}/{visit['id']}"
    marked = assert_status(await client.patch(url, json={"rectified": True}, headers=jinhu), 200).json()
    assert (marked["rectified"], marked["rectified_on"]) == (True, local_today().isoformat())
    unmarked = assert_status(await client.patch(url, json={"rectified": False}, headers=jinhu), 200).json()
    assert (unmarked["rectified"], unmarked["rectified_on"]) == (False, None)


async def test_visits_and_letters_filtered_by_a_unit_of_the_subtree(client, login, county):
    units = county["units"]
    county_lead = await login("county_lead")
    for name in ("锦湖街道", "安阳街道"):
        visit = {"inspected_unit_id": str(units[name].id), "visited_on": days_ago(3), "findings": "无"}
        assert_status(await client.post(VISITS, json=visit, headers=county_lead), 201)
        letter = {"year": 2026, "signer_unit_id": str(units[name].id)}
        assert_status(await client.post(LETTERS, json=letter, headers=county_lead), 201)
    anyang = {"unit_id": str(units["安阳街道"].id)}
    visits = assert_status(await client.get(VISITS, params=anyang, headers=county_lead), 200).json()
    assert [item["inspected_unit"]["name"] for item in visits["items"]] == ["安阳街道"]
    letters = assert_status(await client.get(LETTERS, params=anyang, headers=county_lead), 200).json()
    assert [item["signer_unit"]["name"] for item in letters["items"]] == ["安阳街道"]
    # A unit outside the reader's subtree is no filter but a refusal naming the parameter.
    outside = await client.get(LETTERS, params=anyang, headers=await login("jinhu_lead"))
    assert assert_problem(outside, 422, "validation")["errors"][0]["loc"] == ["query", "unit_id"]


async def test_a_deleted_record_takes_its_files_with_it(app, client, login, county):
    worker = await login("jinhu_worker")
    made = assert_status(await client.post(ACTIVITIES, json=activity(), headers=worker), 201).json()
    url = f"{ACTIVITIES}/{made['id']}"
    stored = []
    for name in ("现场照片.png", "签到表.png"):
        added = await client.post(f"{url}/files", files={"file": (name, PNG, "image/png")}, headers=worker)
        stored.append(assert_status(added, 201).json()["id"])
    no_file = await client.get(f"{url}/files/00000000-0000-0000-0000-000000000000", headers=worker)
    assert assert_problem(no_file, 404, "not-found")["detail"] == "No such file."
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(WorkRecordFile)) == 2
    assert_status(await client.delete(url, headers=worker), 204)
    assert_problem(await client.get(url, headers=worker), 404)
    async with app.state.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(WorkRecordFile)) == 0
