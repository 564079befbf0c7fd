"""A long timeline in the web app: the care file's page shows the newest 50 entries and loads older ones on
request, page by page, until all are shown."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_care_files import Station, open_as

pytestmark = pytest.mark.browser


def test_the_timeline_loads_older_entries_on_request(page: Page, base_url: str) -> None:
    worker = Station(base_url, "jinhu_worker")
    care_file = worker.care_file()
    start = datetime.now(UTC) - timedelta(days=60)
    for number in range(1, 56):
        worker.post(
            f"/api/v1/care-files/{care_file['id']}/entries",
            {
                "kind": "talk",
                "occurred_at": (start + timedelta(days=number)).isoformat(),
                "summary": f"第{number}次谈话",
            },
        )
    open_as(page, "jinhu_worker", f"/care-files/{care_file['id']}")
    items = page.locator("[data-test=timeline] .el-timeline-item")
    expect(items).to_have_count(50)
    expect(items.first).to_contain_text("第55次谈话")
    expect(items.last).to_contain_text("第6次谈话")
    more = page.locator("[data-test=timeline-more]")
    expect(more).to_have_text("加载更早的记录（已显示 50 条，共 55 条）")
    more.click()
    expect(items).to_have_count(55)
    expect(items.last).to_contain_text("第1次谈话")
    expect(more).to_have_count(0)
