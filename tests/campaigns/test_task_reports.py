"""Reports on tasks: the unit reports with evidence and submits, the issuer returns or approves; the progress
table and its XLSX; evidence files checked by content and size."""

import hashlib
import io

import openpyxl

from tests.campaigns.conftest import EXE, PDF, PNG, docx_bytes, my_reports
from tests.conftest import assert_problem, assert_status, client_for


async def test_report_return_resubmit_approve_and_progress(client, login, published):
    campaign = await published()
    teacher = await login("school_teacher")
    edu = await login("edu_officer")
    reports = await my_reports(client, teacher, campaign["id"])
    assert [report["status"] for report in reports] == ["not_started"] * 3
    assert all(report["can_report"] for report in reports)
    lessons = reports[1]

    saved = await client.patch(
        f"/api/v1/task-reports/{lessons['id']}",
        json={"value": 3, "note": "已上3课时"},
        headers={**teacher, "If-Match": f'"{lessons["version"]}"'},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "in_progress"
    assert saved.json()["met"] is False
    upload = await client.post(
        f"/api/v1/task-reports/{lessons['id']}/evidence",
        files={"file": ("教案.pdf", PDF, "application/pdf")},
        headers=teacher,
    )
    assert upload.status_code == 201, upload.text
    evidence = upload.json()
    assert evidence["media_type"] == "application/pdf"
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()

    submitted = await client.post(f"/api/v1/task-reports/{lessons['id']}/submit", headers=teacher)
    assert submitted.json()["status"] == "submitted"
    # Submitted: the unit can no longer change it.
    assert_problem(
        await client.patch(f"/api/v1/task-reports/{lessons['id']}", json={"value": 4}, headers=teacher), 409
    )

    queue = await client.get("/api/v1/task-reports", params={"to_review": "true"}, headers=edu)
    assert [item["id"] for item in queue.json()["items"]] == [lessons["id"]]
    returned = await client.post(
        f"/api/v1/task-reports/{lessons['id']}/return", json={"comment": "课时不足4节"}, headers=edu
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert_problem(await client.post(f"/api/v1/task-reports/{lessons['id']}/approve", headers=edu), 409)

    detail = (await client.get(f"/api/v1/task-reports/{lessons['id']}", headers=teacher)).json()
    assert detail["review_comment"] == "课时不足4节"
    assert_status(
        await client.patch(f"/api/v1/task-reports/{lessons['id']}", json={"value": 4}, headers=teacher), 200
    )
    resubmitted = await client.post(f"/api/v1/task-reports/{lessons['id']}/submit", headers=teacher)
    assert resubmitted.json()["status"] == "submitted"
    approved = await client.post(f"/api/v1/task-reports/{lessons['id']}/approve", headers=edu)
    assert approved.json()["status"] == "approved"
    history = approved.json()["history"]
    assert [event["action"] for event in history] == [
        "saved",
        "evidence_added",
        "submitted",
        "returned",
        "saved",
        "submitted",
        "approved",
    ]
    assert history[3]["actor_name"] == "黄科长"
    assert history[3]["comment"] == "课时不足4节"

    download = await client.get(
        f"/api/v1/task-reports/{lessons['id']}/evidence/{evidence['id']}", headers=edu
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"

    progress = await client.get(f"/api/v1/campaigns/{campaign['id']}/progress", headers=edu)
    assert progress.status_code == 200, progress.text
    table = progress.json()
    assert len(table["rows"]) == 5
    school = next(row for row in table["rows"] if row["unit"]["name"] == "瑞安市锦湖中学")
    assert [cell["status"] for cell in school["cells"]] == ["not_started", "approved", "not_started"]
    assert school["cells"][1]["value"] == 4
    assert school["cells"][1]["met"] is True
    assert school["approved"] == 1
    assert table["task_totals"][1]["approved"] == 1

    export = await client.get(
        f"/api/v1/campaigns/{campaign['id']}/progress", params={"format": "xlsx"}, headers=edu
    )
    assert export.status_code == 200, export.text
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if row[0] == "序号")
    header = rows[header_index]
    assert header[1] == "单位"
    assert header[2].startswith("1. 党委中心组开展禁毒专题学习")
    assert header[-1] == "完成率"
    school_row = next(row for row in rows if row[1] == "瑞安市锦湖中学")
    assert school_row[3] == "已完成（4）"
    assert rows[-1][1] == "各任务完成率"
    assert "各单位工作进展情况统计表" in rows[0][0]

    audit = await client.get(
        "/api/v1/audit-events",
        params={"object_type": "task_report", "object_id": lessons["id"]},
        headers=await login("county_lead"),
    )
    actions = {event["action"] for event in audit.json()["items"]}
    assert {
        "task_report.submitted",
        "task_report.returned",
        "task_report.approved",
        "evidence.added",
    } <= actions


async def test_values_are_checked_against_the_measure(client, login, published):
    campaign = await published()
    teacher = await login("school_teacher")
    done_task, count_task, rate_task = await my_reports(client, teacher, campaign["id"])
    for report, value in ((count_task, -1), (rate_task, 101), (done_task, 2)):
        response = await client.patch(
            f"/api/v1/task-reports/{report['id']}", json={"value": value}, headers=teacher
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "value"]
    # Nothing was written.
    assert (await client.get(f"/api/v1/task-reports/{rate_task['id']}", headers=teacher)).json()[
        "value"
    ] is None
    body = assert_problem(
        await client.post(f"/api/v1/task-reports/{done_task['id']}/submit", headers=teacher), 422
    )
    assert body["errors"][0]["loc"] == ["body", "value"]


async def test_only_the_target_unit_reports_and_only_the_issuer_reviews(client, login, published):
    campaign = await published()
    teacher = await login("school_teacher")
    report = (await my_reports(client, teacher, campaign["id"]))[0]
    # The township above the school reads the report but does not write it.
    jinhu = await login("jinhu_lead")
    assert (await client.get(f"/api/v1/task-reports/{report['id']}", headers=jinhu)).status_code == 200
    assert_problem(
        await client.patch(f"/api/v1/task-reports/{report['id']}", json={"value": 1}, headers=jinhu), 403
    )
    # Another township does not see it at all.
    other = await login("other_worker")
    assert_problem(await client.get(f"/api/v1/task-reports/{report['id']}", headers=other), 404)
    assert_problem(
        await client.patch(f"/api/v1/task-reports/{report['id']}", json={"value": 1}, headers=other), 404
    )
    assert_problem(
        await client.post(
            f"/api/v1/task-reports/{report['id']}/evidence", files={"file": ("a.pdf", PDF)}, headers=other
        ),
        404,
    )
    assert_status(
        await client.patch(f"/api/v1/task-reports/{report['id']}", json={"value": 1}, headers=teacher), 200
    )
    assert_status(await client.post(f"/api/v1/task-reports/{report['id']}/submit", headers=teacher), 200)
    assert_problem(await client.post(f"/api/v1/task-reports/{report['id']}/approve", headers=teacher), 403)
    county = await login("county_lead")
    assert_problem(await client.post(f"/api/v1/task-reports/{report['id']}/approve", headers=county), 403)
    body = assert_problem(
        await client.post(
            f"/api/v1/task-reports/{report['id']}/return", json={}, headers=await login("edu_officer")
        ),
        422,
    )
    assert body["errors"][0]["loc"] == ["body", "comment"]


async def test_evidence_is_checked_by_content(client, login, published):
    campaign = await published()
    teacher = await login("school_teacher")
    report = (await my_reports(client, teacher, campaign["id"]))[0]
    url = f"/api/v1/task-reports/{report['id']}/evidence"
    fake = await client.post(url, files={"file": ("通知.pdf", EXE, "application/pdf")}, headers=teacher)
    assert_problem(fake, 415, "unsupported-media-type")
    plain_zip = await client.post(
        url, files={"file": ("a.docx", b"PK\x03\x04" + b"\x00" * 30)}, headers=teacher
    )
    assert_problem(plain_zip, 415)
    for name, content, media_type in (
        ("宣传栏.png", PNG, "image/png"),
        (
            "../../etc/passwd.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("宣传栏.png", PNG, "image/png"),
    ):
        response = await client.post(url, files={"file": (name, content)}, headers=teacher)
        assert response.status_code == 201, response.text
        assert response.json()["media_type"] == media_type
    detail = (await client.get(f"/api/v1/task-reports/{report['id']}", headers=teacher)).json()
    names = [item["filename"] for item in detail["evidence"]]
    # Same name twice: two files, neither overwritten; a path in the name is only a name.
    assert names == ["宣传栏.png", "passwd.docx", "宣传栏.png"]
    first, _, third = detail["evidence"]
    for item in (first, third):
        got = await client.get(f"/api/v1/task-reports/{report['id']}/evidence/{item['id']}", headers=teacher)
        assert got.content == PNG
    outsider = await login("other_worker")
    hidden = await client.get(f"/api/v1/task-reports/{report['id']}/evidence/{third['id']}", headers=outsider)
    assert_problem(hidden, 404)
    removed = await client.delete(
        f"/api/v1/task-reports/{report['id']}/evidence/{first['id']}", headers=teacher
    )
    assert removed.status_code == 204
    gone = await client.get(f"/api/v1/task-reports/{report['id']}/evidence/{first['id']}", headers=teacher)
    assert_problem(gone, 404)
    audit = await client.get(
        "/api/v1/audit-events", params={"action": "evidence.removed"}, headers=await login("county_lead")
    )
    (event,) = audit.json()["items"]
    assert event["reason"] == f"宣传栏.png sha256:{first['sha256']}"


async def test_oversize_evidence_is_413(make_app, login, published, client):
    campaign = await published()
    teacher = await login("school_teacher")
    report = (await my_reports(client, teacher, campaign["id"]))[0]
    small = make_app(max_upload_bytes=2048)
    async with client_for(small) as http:
        response = await http.post(
            f"/api/v1/task-reports/{report['id']}/evidence",
            files={"file": ("big.pdf", PDF + b"0" * 4096)},
            headers=teacher,
        )
    assert_problem(response, 413)


async def test_reminders_list_due_soon_and_late(client, login, published):
    from datetime import timedelta

    from backend.db import local_today

    today = local_today()
    campaign = await published(
        report_deadline=(today + timedelta(days=2)).isoformat(),
        tasks=[
            {"title": "过期任务", "due_date": (today - timedelta(days=1)).isoformat()},
            {"title": "即将到期"},
            {"title": "还早", "due_date": (today + timedelta(days=30)).isoformat()},
        ],
    )
    teacher = await login("school_teacher")
    late = await client.get("/api/v1/task-reports", params={"due": "late", "mine": "true"}, headers=teacher)
    assert [item["task"]["title"] for item in late.json()["items"]] == ["过期任务"]
    assert late.json()["items"][0]["late"] is True
    soon = await client.get("/api/v1/task-reports", params={"due": "soon", "mine": "true"}, headers=teacher)
    assert [item["task"]["title"] for item in soon.json()["items"]] == ["即将到期"]
    edu = await login("edu_officer")
    overview = (await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=edu)).json()["counts"]
    assert overview["late"] == 5
    assert overview["due_soon"] == 5
    progress = (await client.get(f"/api/v1/campaigns/{campaign['id']}/progress", headers=edu)).json()
    assert all(row["cells"][0]["late"] and row["late"] == 1 for row in progress["rows"])
    bad = await client.get("/api/v1/task-reports", params={"due": "tomorrow"}, headers=teacher)
    assert_problem(bad, 422)
