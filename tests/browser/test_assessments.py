"""Assessments in the browser, on a desktop and on a phone: the county office opens the demo scheme's latest
run, reads the ranking, the bar and radar charts, asks where one score comes from, downloads the results and
opens the printable notice; the scheme editor opens beside it. Nothing scrolls sideways, the dialogs fit."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.test_layout import DESKTOP, PHONE, inside_viewport, login_as, no_sideways_scroll
from tests.browser.test_web_app import settle, shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_county_reads_a_run_explains_a_score_and_downloads_it(
    page: Page, screenshots: Path, viewport: dict[str, int]
) -> None:
    prefix = "phone" if viewport is PHONE else "desktop"
    page.set_viewport_size(viewport)
    login_as(page, "county_lead")
    page.goto("/assessments")
    table = page.locator("[data-test=schemes-table]")
    expect(table).to_contain_text("瑞安市2026年度禁毒预防工作考核")
    settle(page)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-assessments")

    table.locator("[data-test=latest-run]").first.click()
    expect(page).to_have_url(re.compile(r"/assessment-runs/[0-9a-f-]{36}$"))
    expect(page.locator("[data-test=run-status]")).to_have_text("已定稿")
    ranking = page.locator("[data-test=ranking-table]")
    expect(ranking).to_contain_text("锦湖街道")
    expect(page.locator("canvas")).to_have_count(2)  # the totals' bar chart and one unit's radar
    settle(page)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-assessment-run")

    # Where a figure comes from: the dialog names the unit and the indicator, and fits the window.
    ranking.locator(".el-link").first.click()
    dialog = page.locator(".el-dialog", has_text="得分说明")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("得分")
    page.wait_for_timeout(400)  # once it has opened
    inside_viewport(page, dialog)
    no_sideways_scroll(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    with page.expect_download() as download:
        page.locator("[data-test=run-xlsx]").click()
    assert download.value.suggested_filename.startswith("考核结果-瑞安市2026年度禁毒预防工作考核")
    assert download.value.suggested_filename.endswith(".xlsx")
    path = download.value.path()
    workbook = load_workbook(io.BytesIO(Path(path).read_bytes()))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value}
    assert "锦湖街道" in cells

    page.locator("[data-test=run-print]").click()
    notice = page.locator(".el-dialog", has_text="通报草稿")
    expect(notice.frame_locator("iframe").locator("body")).to_contain_text("各有关单位")
    page.wait_for_timeout(400)
    inside_viewport(page, notice)
    page.keyboard.press("Escape")

    page.goto("/assessments")
    page.locator("[data-test=schemes-table] .el-button", has_text="编辑方案").first.click()
    expect(page).to_have_url(re.compile(r"/assessments/[0-9a-f-]{36}/edit$"))
    expect(page.locator("[data-test=scheme-editor]")).to_be_visible()
    settle(page)
    no_sideways_scroll(page)
