"""Venue and pharmacy checks in the browser, on a desktop and on a phone: a social worker opens a venue of
锦湖街道, tries to save a check without findings (told in Chinese what is missing), records one and sees it at the
top of the venue's history; then records a pharmacy check. Nothing scrolls sideways, the dialogs fit."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_layout import DESKTOP, PHONE, inside_viewport, login_as, no_sideways_scroll
from tests.browser.test_web_app import settle, shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("viewport", "findings", "pharmacy"),
    [
        (DESKTOP, "消防通道畅通，未发现未成年人", "瑞安市锦湖大药房"),
        (PHONE, "前台登记本齐全，未见异常", "锦湖百姓药店"),
    ],
    ids=["desktop", "phone"],
)
def test_a_worker_records_a_venue_check_and_a_pharmacy_check(
    page: Page, screenshots: Path, viewport: dict[str, int], findings: str, pharmacy: str
) -> None:
    prefix = "phone" if viewport is PHONE else "desktop"
    page.set_viewport_size(viewport)
    login_as(page, "jinhu_worker")
    page.goto("/venues")
    expect(page.locator("[data-test=venues-table]")).to_contain_text("极速网吧（锦湖店）")
    settle(page)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-venues")

    page.locator("[data-test=venue-link]", has_text="极速网吧（锦湖店）").click()
    expect(page.locator("[data-test=venue-title]")).to_contain_text("极速网吧（锦湖店）")
    no_sideways_scroll(page)
    page.locator("[data-test=record-check]").click()
    dialog = page.locator("[data-test=check-dialog]")
    expect(dialog.locator("[data-test=check-save]")).to_be_visible()
    page.wait_for_timeout(400)  # once it has opened
    inside_viewport(page, page.locator(".el-dialog", has_text="记录场所排查"))
    page.locator("[data-test=check-save]").click()
    expect(page.locator(".el-dialog", has_text="记录场所排查")).to_contain_text("不能为空")
    page.locator("textarea[data-test=check-findings], [data-test=check-findings] textarea").first.fill(
        findings
    )
    page.locator("[data-test=check-save]").click()
    expect(page.locator(".el-message--success")).to_be_visible()
    history = page.locator("[data-test=venue-checks]")
    expect(history).to_contain_text(findings)
    settle(page)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-venue")

    page.goto("/pharmacy-checks")
    expect(page.locator("[data-test=pharmacy-table]")).to_be_visible()
    settle(page)
    no_sideways_scroll(page)
    page.locator("[data-test=pharmacy-add]").click()
    form = page.locator(".el-dialog", has_text="记录药店排查")
    expect(form).to_be_visible()
    page.wait_for_timeout(400)
    inside_viewport(page, form)
    form.locator("input[data-test=pharmacy-name], [data-test=pharmacy-name] input").first.fill(pharmacy)
    page.locator("[data-test=pharmacy-save]").click()
    expect(form).to_be_hidden()
    expect(page.locator("[data-test=pharmacy-table]")).to_contain_text(pharmacy)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-pharmacy-checks")
