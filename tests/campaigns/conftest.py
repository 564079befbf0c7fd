import io
import zipfile
from typing import Any

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def school_campaign(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "瑞安市教育系统毒品预防教育专项行动",
        "document_number": "瑞教办〔2026〕33号",
        "issue_date": "2026-10-22",
        "phases": [
            {"name": "动员部署", "start": "2026-09-01", "end": "2026-10-31"},
            {"name": "组织实施", "start": "2026-10-01", "end": "2026-11-30"},
            {"name": "总结评价", "start": "2026-11-15", "end": "2026-11-30"},
        ],
        "report_deadline": "2099-11-30",
        "targets": {"kinds": ["school"]},
        "tasks": [
            {
                "title": "党委中心组开展禁毒专题学习",
                "evidence_required": "会议记录",
                "responsible_department": "办公室",
            },
            {
                "title": "落实禁毒专题课程每学年不少于4课时",
                "evidence_required": "查课程计划和教案",
                "measure": "count",
                "target": 4,
                "comparator": "gte",
            },
            {"title": "学生注册率达100%", "measure": "rate", "target": 100},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def published(client, login):
    """Publish the school campaign as the education bureau: (campaign, headers of the issuer)."""

    async def publish(**overrides: Any) -> dict[str, Any]:
        return await publish_school_campaign(client, await login("edu_officer"), **overrides)

    return publish


async def publish_school_campaign(client: Any, edu: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Create and publish the school campaign as the education bureau (``edu``: its headers)."""
    created = await client.post("/api/v1/campaigns", json=school_campaign(**overrides), headers=edu)
    assert created.status_code == 201, created.text
    campaign = created.json()
    response = await client.post(
        f"/api/v1/campaigns/{campaign['id']}/publish",
        headers={**edu, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def my_reports(client, headers: dict[str, str], campaign_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/task-reports", params={"campaign_id": campaign_id, "mine": "true"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda item: item["task"]["position"])
