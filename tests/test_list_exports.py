"""Exports of the working lists: the same rows and masked values as the JSON list for each role, formula-safe,
audited with their filters (never a search's text), nothing out of scope, streamed."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from backend.db import local_today
from tests.campaigns.conftest import published  # noqa: F401 - shared fixture
from tests.conftest import assert_problem, assert_status

MINORS = "/api/v1/minors"

# A synthetic pupil of 瑞安市锦湖中学 managed by 锦湖街道, born 2012-06-20 (14 until 2027-06-19).
PUPIL_ID_NUMBER = "330381201206201230"


def pupil_body(school_id: str) -> dict[str, Any]:
    return {
        "name": "欧阳娜娜",
        "id_number": PUPIL_ID_NUMBER,
        "phone": "13812345678",
        "residence_division_code": "330381005002",
        "residence_address": "锦湖街道锦园路8号",
        "school_id": school_id,
        "schooling_status": "in_school",
        "grade": "初二",
        "risk_categories": ["left_behind", "nps_abuse"],
        "substances": ["etomidate"],
        "risk_level": "medium",
    }


HEADER = [
    "姓名",
    "证件号码",
    "性别",
    "年龄",
    "联系电话",
    "学校",
    "年级",
    "就学状态",
    "风险类别",
    "涉及物质",
    "风险等级",
    "管理单位",
    "状态",
    "90天内满18周岁",
]
# The row each role's export holds for the pupil (all columns but the last, the time of the change), written
# out by hand from the privacy policy: identities masked for all; drug use and its substances only for the
# station's people.
EXPECTED = {
    "jinhu_worker": [
        "欧阳**",
        "330381********1230",
        "男",
        "14",
        "138****5678",
        "瑞安市锦湖中学",
        "初二",
        "在校",
        "留守儿童、滥用新型成瘾物质",
        "依托咪酯",
        "中风险",
        "锦湖街道",
        "在册帮教",
        "否",
    ],
    "jinhu_police": [
        "欧阳**",
        "330381********1230",
        "男",
        "14",
        "138****5678",
        "瑞安市锦湖中学",
        "初二",
        "在校",
        "留守儿童",
        "",
        "中风险",
        "锦湖街道",
        "在册帮教",
        "否",
    ],
    "school_teacher": [
        "欧阳**",
        "330381********1230",
        "男",
        "14",
        "138****5678",
        "瑞安市锦湖中学",
        "初二",
        "在校",
        "留守儿童",
        "",
        "中风险",
        "锦湖街道",
        "在册帮教",
        "否",
    ],
}


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


async def audit_exports(client, login) -> list[dict[str, Any]]:
    events = await client.get(
        "/api/v1/audit-events", params={"action": "list.exported"}, headers=await login("county_lead")
    )
    return assert_status(events, 200).json()["items"]


@pytest.mark.parametrize("username", ["jinhu_worker", "jinhu_police", "school_teacher"])
async def test_the_minors_export_holds_the_lists_masked_values_for_each_role(client, login, county, username):
    school = county["units"]["瑞安市锦湖中学"]
    worker = await login("jinhu_worker")
    minor = assert_status(
        await client.post(MINORS, json=pupil_body(str(school.id)), headers=worker), 201
    ).json()
    headers = await login(username)
    params = (
        {"school_id": str(school.id), "q": "娜娜"}
        if username != "jinhu_police"
        else {"school_id": str(school.id)}
    )
    if username == "school_teacher":
        params.pop("q")  # a teacher may not search by name
    listed = assert_status(await client.get(MINORS, params=params, headers=headers), 200).json()["items"]
    (shown,) = [item for item in listed if item["id"] == minor["id"]]
    exported = await client.get(MINORS, params={**params, "format": "csv"}, headers=headers)
    assert_status(exported, 200)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = csv_rows(exported)
    assert rows[0][:-1] == HEADER
    assert len(rows) - 1 == len(listed)  # every row the list selects, no more
    (row,) = [row for row in rows[1:] if row[0] == shown["name"] and row[1] == shown["id_number"]]
    assert row[:-1] == EXPECTED[username]
    # The JSON list shows the same masked values.
    assert [shown["name"], shown["id_number"], shown.get("phone")] == [*EXPECTED[username][:2], "138****5678"]
    assert PUPIL_ID_NUMBER not in exported.text
    assert "欧阳娜娜" not in exported.text
    book = await client.get(MINORS, params={**params, "format": "xlsx"}, headers=headers)
    assert_status(book, 200)
    xlsx = xlsx_rows(book)
    assert list(xlsx[0][:-1]) == HEADER
    (xrow,) = [r for r in xlsx[1:] if r[0] == "欧阳**"]
    assert [("" if v is None else v) for v in xrow[:2]] == EXPECTED[username][:2]
    assert xrow[3] == 14


async def test_an_export_is_audited_with_its_filters_but_never_a_searchs_text(client, login, county):
    school = county["units"]["瑞安市锦湖中学"]
    worker = await login("jinhu_worker")
    assert_status(await client.post(MINORS, json=pupil_body(str(school.id)), headers=worker), 201)
    params = {"q": "欧阳娜", "risk_level": "medium", "format": "xlsx"}
    assert_status(await client.get(MINORS, params=params, headers=worker), 200)
    (event,) = await audit_exports(client, login)
    assert event["object_type"] == "minors"
    assert event["object_id"] == "xlsx"
    assert event["actor_name"] == "jinhu_worker"
    assert event["reason"] == "q=(text search);risk_level=medium"
    assert "欧阳" not in str(event)


async def test_a_bad_filter_is_refused_before_any_file_and_is_not_audited(client, login, county):
    worker = await login("jinhu_worker")
    outside = county["units"]["安阳街道"].id
    refused = await client.get(MINORS, params={"within": str(outside), "format": "csv"}, headers=worker)
    assert_problem(refused, 422)
    assert await audit_exports(client, login) == []
    assert_problem(await client.get(MINORS, params={"format": "pdf"}, headers=worker), 422)


async def test_a_venue_export_is_formula_safe_and_holds_nothing_out_of_scope(client, login, county):
    worker = await login("jinhu_worker")
    other = await login("other_worker")
    evil = {"name": "=cmd|' /C calc'!A0", "kind": "bar", "address": "@SUM(1+1)"}
    assert_status(await client.post("/api/v1/venues", json=evil, headers=worker), 201)
    assert_status(
        await client.post("/api/v1/venues", json={"name": "安阳某酒吧", "kind": "bar"}, headers=other), 201
    )
    exported = await client.get("/api/v1/venues", params={"format": "csv", "kind": "bar"}, headers=worker)
    rows = csv_rows(assert_status(exported, 200))
    assert rows[0][:4] == ["场所名称", "场所类型", "地址", "责任单位"]
    assert rows[1:] == [
        ["'=cmd|' /C calc'!A0", "酒吧", "'@SUM(1+1)", "锦湖街道", "否", "", "正常经营", "", "", "0", ""]
    ]
    book = xlsx_rows(
        assert_status(await client.get("/api/v1/venues", params={"format": "xlsx"}, headers=worker), 200)
    )
    assert book[1][0] == "'=cmd|' /C calc'!A0"
    assert all("安阳" not in str(row) for row in book)
    (event, _) = await audit_exports(client, login)
    assert event["object_type"] == "venues"
    assert event["reason"] == "(none)"


async def test_pharmacy_checks_export_the_minor_buyers_filter(client, login, county):
    worker = await login("jinhu_worker")
    day = (local_today() - timedelta(days=1)).isoformat()
    for band, seen in (("under_14", False), ("adult", True)):
        body = {
            "pharmacy_name": f"康宁大药房{band}",
            "checked_on": day,
            "buyer_age_band": band,
            "quantity": 2,
            "prescription_seen": seen,
        }
        assert_status(await client.post("/api/v1/pharmacy-checks", json=body, headers=worker), 201)
    exported = await client.get(
        "/api/v1/pharmacy-checks", params={"format": "csv", "minor_buyer": "true"}, headers=worker
    )
    rows = csv_rows(assert_status(exported, 200))
    assert rows[1:] == [
        ["康宁大药房under_14", "", "", day, "未满14周岁", "2", "否", "", "锦湖街道", "周社工"]
    ]
    (event,) = await audit_exports(client, login)
    assert event["reason"] == "minor_buyer=True"


async def test_care_file_worklists_and_campaign_reports_export(client, login, county, published):  # noqa: F811
    worker = await login("jinhu_worker")
    school = county["units"]["瑞安市锦湖中学"]
    minor = assert_status(
        await client.post(MINORS, json=pupil_body(str(school.id)), headers=worker), 201
    ).json()
    files = await client.get("/api/v1/care-files", params={"minor_id": minor["id"]}, headers=worker)
    (care_file,) = assert_status(files, 200).json()["items"]
    exported = await client.get(
        "/api/v1/care-files",
        params={"minor_id": minor["id"], "mine": "false", "format": "csv"},
        headers=worker,
    )
    rows = csv_rows(assert_status(exported, 200))
    assert rows[0][:3] == ["姓名", "证件号码", "年龄"]
    assert [row[:5] for row in rows[1:]] == [["欧阳**", "330381********1230", "14", "锦湖街道", "帮教中"]]
    assert rows[1][7] == care_file["next_due_on"]
    overdue = await client.get(
        "/api/v1/care-files", params={"due": "overdue", "format": "xlsx"}, headers=worker
    )
    assert "filename*=UTF-8''" in assert_status(overdue, 200).headers["content-disposition"]
    campaign = await published()
    teacher = await login("school_teacher")
    reports = await client.get(
        "/api/v1/task-reports", params={"campaign_id": campaign["id"], "format": "csv"}, headers=teacher
    )
    rows = csv_rows(assert_status(reports, 200))
    listed = (
        await client.get(
            "/api/v1/task-reports", params={"campaign_id": campaign["id"], "limit": 200}, headers=teacher
        )
    ).json()
    assert len(rows) - 1 == listed["total"] > 0
    assert {row[3] for row in rows[1:]} == {"瑞安市锦湖中学"}
    reasons = sorted(event["object_type"] for event in await audit_exports(client, login))
    assert reasons == ["care_files", "care_files", "task_reports"]
