"""Work records in the browser on a phone (390 px): a station lead records a publicity activity and attaches a
photo, the lists fit the window; 锦湖街道 sees the county's overdue inspection of it and reports it rectified."""

import re

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.browser.test_layout import DESKTOP, PHONE, inside_viewport, login_as, new_page, no_sideways_scroll
from tests.browser.test_web_app import settle

pytestmark = pytest.mark.browser

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def field(form: Locator, name: str) -> Locator:
    """The input of a form control (Element Plus puts the attribute on the input itself or on its wrapper)."""
    return form.locator(f"input[data-test={name}], [data-test={name}] input").first


def test_a_lead_records_an_activity_and_reports_a_rectification_on_a_phone(
    browser: Browser, base_url: str
) -> None:
    page = new_page(browser, base_url, PHONE)
    try:
        login_as(page, "jinhu_lead")
        for address, add in (
            ("/publicity-activities", "[data-test=activity-add]"),
            ("/inspection-visits", "[data-test=visit-add]"),
            ("/responsibility-letters", "[data-test=letter-add]"),
        ):
            page.goto(address)
            expect(page.locator("h1").first).to_be_visible()
            settle(page)
            no_sideways_scroll(page)
            inside_viewport(page, page.locator(add), scroll=True)

        page.goto("/publicity-activities")
        page.locator("[data-test=activity-add]").click()
        form = page.locator("[data-test=activity-form]")
        expect(form).to_be_visible()
        form.locator(".el-date-editor input").first.fill("2026-06-26")  # the picker keeps no data-test
        page.keyboard.press("Enter")
        field(form, "activity-place").fill("锦湖街道文化广场")
        field(form, "activity-participants").fill("230")
        page.locator("[data-test=activity-submit]").click()
        expect(page.locator("[data-test=record-upload]")).to_be_visible()
        no_sideways_scroll(page)
        page.locator("[data-test=record-upload] input[type=file]").set_input_files(
            {"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}
        )
        expect(page.locator("[data-test=record-file]")).to_contain_text("现场照片.png")
        page.keyboard.press("Escape")
        expect(page.locator("[data-test=activities-table]")).to_contain_text("锦湖街道文化广场")

        # The county's unannounced visit of 锦湖街道 (the demo's) is overdue; 锦湖 reports it rectified.
        page.goto("/inspection-visits")
        row = page.locator(".el-table__row", has_text="部分帮教档案回访记录未及时更新")
        expect(row.locator("[data-test=visit-overdue]")).to_be_visible()
        row.locator("[data-test=visit-open]").click()
        page.locator("[data-test=visit-rectified]").click()
        page.locator("[data-test=visit-submit]").click()
        expect(page.locator(".el-message--success")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator(".el-table__row", has_text="部分帮教档案回访记录未及时更新")).to_contain_text(
            re.compile("已整改")
        )
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_county_exports_each_list_and_is_told_in_chinese_what_a_visit_lacks(
    browser: Browser, base_url: str, viewport: dict[str, int]
) -> None:
    page = new_page(browser, base_url, viewport)
    try:
        login_as(page, "county_lead")
        for address, export, name in (
            ("/publicity-activities", "[data-test=activities-export]", "宣传教育活动.xlsx"),
            ("/inspection-visits", "[data-test=visits-export]", "督导检查.xlsx"),
            ("/responsibility-letters", "[data-test=letters-export]", "禁毒责任书.xlsx"),
        ):
            page.goto(address)
            settle(page)
            no_sideways_scroll(page)
            with page.expect_download() as download:
                page.locator(export).click()
            assert download.value.suggested_filename == name

        # Saved with no unit and no date: each field says it is required, never "UUID" or "ISO 8601".
        page.goto("/inspection-visits")
        page.locator("[data-test=visit-add]").click()
        dialog = page.locator(".el-dialog", has_text="被检查单位")
        expect(dialog).to_be_visible()
        page.wait_for_timeout(400)  # once it has opened
        page.locator("[data-test=visit-submit]").click()
        errors = dialog.locator(".el-form-item__error")
        expect(errors).to_have_count(2)
        expect(errors.first).to_have_text("必填")
        expect(dialog).not_to_contain_text("UUID")
        expect(dialog).not_to_contain_text("ISO 8601")
        no_sideways_scroll(page)
    finally:
        page.context.close()
