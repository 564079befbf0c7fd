"""The education bureau's statistics page end to end: pick a term, see suppressed cells, download the XLSX;
and a lead's dashboard on the home page."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from backend.terms import Term
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in, settle, shoot

pytestmark = pytest.mark.browser


def test_the_bureau_reads_school_statistics_and_downloads_them(page: Page, screenshots: Path) -> None:
    page.goto("/login?redirect=/statistics")
    log_in(page, "edu_officer", DEMO_PASSWORD)
    expect(page.locator("h1.page-title")).to_have_text("学校禁毒教育统计")
    previous = Term.current().previous()
    choose(page, page.locator("[data-test=term-picker]"), previous.label)
    settle(page)
    table = page.locator("[data-test=school-table]")
    expect(table.locator(".el-table__body-wrapper tbody tr")).to_have_count(5)
    expect(table.get_by_text("瑞安市锦湖中学").first).to_be_visible()
    # 300 demo minors spread over five schools leave some small counts: shown as "*", never as a number.
    expect(table.locator("[data-test=suppressed-cell]").first).to_be_visible()
    expect(page.locator("[data-test=stats-legend]")).to_contain_text("已隐藏")
    shoot(page, screenshots, "statistics")

    with page.expect_download() as download_info:
        page.locator("[data-test=download-xlsx]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"{previous.code}.xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert previous.label in str(rows[0][0])
    names = {row[0] for row in rows}
    assert {"瑞安市锦湖中学", "瑞安市马屿中学", "合计"} <= names
    assert any("*" in row for row in rows)

    page.get_by_role("tab", name="按区域汇总").click()
    settle(page)
    expect(page.locator("[data-test=region-table]").get_by_text("锦湖街道")).to_be_visible()


def test_a_lead_sees_the_overview_dashboard_on_the_home_page(page: Page, screenshots: Path) -> None:
    page.goto("/login")
    log_in(page, "county_lead", DEMO_PASSWORD)
    dashboard = page.locator("[data-test=overview-dashboard]")
    expect(dashboard).to_be_visible()
    expect(dashboard).to_contain_text("重点未成年人共")
    expect(dashboard.locator("canvas").first).to_be_visible()
    shoot(page, screenshots, "home-dashboard")


def test_a_teacher_changes_one_figure_and_the_others_stay(page: Page, screenshots: Path) -> None:
    page.goto("/login?redirect=/statistics")
    log_in(page, "school_teacher", DEMO_PASSWORD)
    expect(page.locator("h1.page-title")).to_have_text("学校禁毒教育统计")
    # her own school only: its township is outside her scope, so no empty 所属乡镇 column
    expect(page.locator("[data-test=school-table]").get_by_text("瑞安市锦湖中学").first).to_be_visible()
    expect(page.locator("[data-test=school-table] th", has_text="所属乡镇")).to_have_count(0)

    page.locator("[data-test=submit-metrics]").click()
    dialog = page.locator("[data-test=metrics-dialog]")
    expect(dialog.locator("[data-test=metrics-current]")).to_contain_text("第 1 版")

    def figure(name: str) -> Locator:
        return dialog.locator(f"input[name={name}]")

    # the form starts from the current figures, not from zeros
    expect(figure("students_enrolled")).not_to_have_value("")
    enrolled = int(figure("students_enrolled").input_value())
    trained = figure("teachers_trained").input_value()
    activities = int(figure("five_one_activities").input_value())
    assert enrolled >= 600
    assert activities >= 1

    # one figure falls to nothing: the form asks before saving it
    figure("five_one_activities").fill("0")
    figure("five_one_activities").press("Tab")
    dialog.locator("[data-test=metrics-save]").click()
    warnings = dialog.locator("[data-test=metrics-warnings]")
    expect(warnings).to_contain_text(f"“五个一”活动：{activities} → 0")
    shoot(page, screenshots, "statistics-metrics-warning")
    dialog.locator("[data-test=metrics-save]", has_text="仍然保存").click()
    expect(dialog).to_be_hidden()

    # the history shows both versions, who and when; the other figures are as they were
    page.locator("[data-test=school-history]").first.click()
    history = page.locator("[data-test=metrics-history]")
    rows = history.locator(".el-table__body tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("第 2 版")
    expect(rows.nth(0).locator("[data-test=current-version]")).to_be_visible()
    expect(rows.nth(0).locator("[data-test=submitted-by]")).to_have_text("王老师")
    expect(rows.nth(0)).to_contain_text(f"{enrolled}")
    expect(rows.nth(0)).to_contain_text(trained)
    expect(rows.nth(1)).to_contain_text("第 1 版")
    expect(rows.nth(1).locator("[data-test=submitted-by]")).to_have_text("系统")
    shoot(page, screenshots, "statistics-metrics-history")
