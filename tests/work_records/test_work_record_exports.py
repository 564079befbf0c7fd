"""Work-record exports take the one streamed export path of the working lists: every row of the filtered list
(more than one export page), streamed with no Content-Length, formula-safe, only the caller's scope, and audited
as ``list.exported`` with the filters before the file is written."""

import csv
import io
import uuid
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from backend.db import local_today
from backend.work_records.models import PublicityActivity
from tests.conftest import assert_problem, assert_status

ACTIVITIES = "/api/v1/publicity-activities"
LETTERS = "/api/v1/responsibility-letters"


async def _exports(client, login) -> list[dict]:
    events = await client.get(
        "/api/v1/audit-events", params={"action": "list.exported"}, headers=await login("county_lead")
    )
    return assert_status(events, 200).json()["items"]


async def test_a_work_record_export_streams_every_row_and_is_audited(app, client, login, county):
    jinhu, anyang = county["units"]["锦湖街道"], county["units"]["安阳街道"]
    held_on = local_today() - timedelta(days=3)
    # 1,200 activities of 锦湖 (more than two pages of the export's reading), one of them with a formula, and 3
    # of 安阳 that 锦湖 does not reach.
    rows = [
        {
            "id": uuid.uuid4(),
            "unit_id": jinhu.id,
            "recorded_by_unit_id": jinhu.id,
            "kind": "june_26",
            "held_on": held_on,
            "place": f"会场{number:04d}",
            "participants": number,
            "materials": 0,
        }
        for number in range(1200)
    ]
    rows[7]["description"] = "=cmd|' /C calc'!A0"
    rows += [
        {
            "id": uuid.uuid4(),
            "unit_id": anyang.id,
            "recorded_by_unit_id": anyang.id,
            "kind": "june_26",
            "held_on": held_on,
            "place": f"安阳会场{number}",
            "participants": 1,
            "materials": 0,
        }
        for number in range(3)
    ]
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(sa.insert(PublicityActivity), rows)

    worker = await login("jinhu_worker")
    response = await client.get(
        ACTIVITIES, params={"format": "csv", "kind": "june_26", "sort": "participants"}, headers=worker
    )
    assert_status(response, 200)
    assert "content-length" not in response.headers  # streamed, not one body of known size
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == [
        "活动日期",
        "活动类型",
        "举办单位",
        "活动地点",
        "参与人数",
        "发放资料（份）",
        "活动情况",
        "附件数",
    ]
    assert len(lines) == 1201  # every row of 锦湖, none of 安阳
    assert [lines[1][3], lines[1200][3]] == ["会场0000", "会场1199"]
    assert lines[8][6] == "'=cmd|' /C calc'!A0"  # formula-safe
    assert not any(line[3].startswith("安阳") for line in lines[1:])

    workbook = await client.get(ACTIVITIES, params={"format": "xlsx"}, headers=await login("county_lead"))
    assert "content-length" not in assert_status(workbook, 200).headers
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 1 + 1203

    events = await _exports(client, login)
    assert [(event["object_type"], event["object_id"], event["reason"]) for event in events] == [
        ("publicity_activities", "xlsx", "(none)"),
        ("publicity_activities", "csv", "kind=june_26"),
    ]


async def test_a_bad_filter_is_refused_before_any_file_and_not_audited(client, login, county):
    lead = await login("county_lead")
    outside = await client.get(
        LETTERS,
        params={"format": "csv", "unit_id": str(county["units"]["安阳街道"].id)},
        headers=await login("jinhu_worker"),
    )
    assert_problem(outside, 422)
    assert_problem(await client.get(LETTERS, params={"format": "csv", "year": 1999}, headers=lead), 422)
    assert await _exports(client, login) == []
