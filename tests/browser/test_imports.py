"""Batch import in the browser, on a desktop and on a phone: a station lead downloads the screening form's
template, uploads a filled sheet with one good row and one with a mistyped ID number, reads the check's report
(nothing written yet), then imports the good row. Made-up people only; nothing scrolls sideways."""

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from backend.db import local_today
from backend.identity import make_mainland_id
from tests.browser.test_layout import DESKTOP, PHONE, login_as, no_sideways_scroll
from tests.browser.test_web_app import settle, shoot

pytestmark = pytest.mark.browser

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "就学情况", "人员类别", "涉及物质", "风险等级"]


def _sheet(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "排查表"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in cells:
            cell.number_format = "@"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.mark.parametrize(
    ("viewport", "good", "bad", "sequence"),
    [(DESKTOP, "韩子墨", "冯一鸣", 415), (PHONE, "蒋雨桐", "沈嘉禾", 427)],
    ids=["desktop", "phone"],
)
def test_a_lead_checks_a_sheet_then_imports_its_good_rows(
    page: Page, screenshots: Path, viewport: dict[str, int], good: str, bad: str, sequence: int
) -> None:
    prefix = "phone" if viewport is PHONE else "desktop"
    page.set_viewport_size(viewport)
    login_as(page, "jinhu_lead")
    page.goto("/imports")
    expect(page.locator("[data-test=import-history]")).to_be_visible()
    settle(page)
    no_sideways_scroll(page)

    with page.expect_download() as download:
        page.locator("[data-test=import-template]").click()
    assert download.value.suggested_filename == "排查发现的未成年人-导入模板.xlsx"
    template = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    first_row = [cell.value for cell in next(template.worksheets[0].iter_rows(max_row=1))]
    assert first_row[:4] == ["姓名", "身份证号", "性别", "出生日期"], first_row

    birth = date(local_today().year - 14, 5, 9)
    number = make_mainland_id("330381", birth, sequence)  # odd: a boy
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")  # its check character mistyped
    body = _sheet(
        [
            [good, number, "男", birth.isoformat(), "辍学", "辍学、双差生", None, "中风险"],
            [bad, wrong, "男", birth.isoformat(), "辍学", "辍学、双差生", None, "中风险"],
        ]
    )
    page.locator("[data-test=import-file] input[type=file]").set_input_files(
        {
            "name": "排查表.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": body,
        }
    )
    page.locator("[data-test=import-check]").click()
    counts = page.locator("[data-test=import-counts]")
    expect(counts).to_contain_text("共 2 行：可导入 1 行，重复 0 行，有错误 1 行。", timeout=30_000)
    report = page.locator("[data-test=import-report]")
    expect(report.locator("[data-test=bad-cell]").first).to_be_visible()
    expect(report).not_to_contain_text(wrong)  # the report names rows and columns, never the number itself
    settle(page)
    no_sideways_scroll(page)
    shoot(page, screenshots, f"{prefix}-imports-report")

    page.locator("[data-test=import-commit]").click()
    expect(counts).to_contain_text("已导入 1 行。", timeout=30_000)
    expect(page.locator("[data-test=import-history]")).to_contain_text("已导入 1")
    no_sideways_scroll(page)
