"""乡镇比较 in the browser, on a desktop and on a phone: the education bureau reads the rates per township over
the year, table and bar chart, switches the period and downloads the table. Nothing scrolls sideways."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.test_layout import DESKTOP, PHONE, login_as, no_sideways_scroll
from tests.browser.test_web_app import settle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_bureau_compares_the_townships_and_downloads_the_table(
    page: Page, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    login_as(page, "edu_officer")
    page.goto("/rates")
    table = page.locator("[data-test=rates-table]")
    expect(table).to_contain_text("锦湖街道")
    expect(table).to_contain_text("安阳街道")
    expect(page.locator("[data-test=rates-chart] canvas")).to_have_count(1)
    settle(page)
    no_sideways_scroll(page)

    page.locator("[data-test=preset-quarter]").click()
    expect(table).to_contain_text("锦湖街道")
    settle(page)
    no_sideways_scroll(page)

    with page.expect_download() as download:
        page.locator("[data-test=download-xlsx]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value}
    assert "锦湖街道" in cells
