"""A police officer types in a seizure notice; the station's lead finds it in the inbox and signs for it."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from backend.identity import make_mainland_id
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in, menu_items, shoot

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE_NO = "JHPCS-BROWSER-0001"


def test_police_enter_a_notice_and_the_station_acknowledges_it(page: Page, screenshots: Path) -> None:
    now = datetime.now(SHANGHAI)
    id_number = make_mainland_id("330381", (now - timedelta(days=365 * 15 + 40)).date(), 135)

    page.goto("/login")
    log_in(page, "jinhu_police", DEMO_PASSWORD)
    expect(page.locator("[data-test=greeting]")).to_be_visible()
    assert "seizures" in menu_items(page)
    page.locator("[data-menu=seizures]").click()
    page.locator("[data-test=seizure-add]").click()
    expect(page).to_have_url(re.compile(r"/seizures/new$"))
    form = page.locator("[data-test=seizure-form]")
    form.locator("input[name=notice_no]").fill(NOTICE_NO)
    seized = form.locator("input[name=seized_at]")
    seized.fill((now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S"))
    seized.press("Enter")
    form.locator("input[name=place]").fill("锦湖街道某KTV")
    form.locator("input[name=name]").fill("陈晓明")
    # A wrong check digit is caught while typing.
    form.locator("input[name=id_number]").fill(id_number[:-1] + ("0" if id_number[-1] != "0" else "1"))
    form.locator("input[name=id_number]").blur()
    expect(form.locator(".el-form-item__error", has_text="校验位")).to_be_visible()
    form.locator("input[name=id_number]").fill(id_number)
    form.locator("input[name=residence_division_code]").fill("330381005002")
    choose(page, form.locator("[data-test=test-result]"), "阳性")
    shoot(page, screenshots, "seizure-new")
    page.locator("[data-test=seizure-submit]").click()
    expect(page.locator("[data-test=seizure-routing]")).to_contain_text("锦湖街道")
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, "jinhu_lead", DEMO_PASSWORD)
    expect(page.locator("[data-test=greeting]")).to_be_visible()
    # The home worklist's tile lists the new notice and leads to the inbox's "waiting" view.
    tile = page.locator("[data-test=worklist-newSeizures]")
    expect(tile).to_contain_text(NOTICE_NO)
    expect(tile.locator("[data-test=overdue]").first).to_be_visible()  # the demo's overdue notice
    shoot(page, screenshots, "seizure-worklist-tile")
    tile.locator("[data-test=worklist-seizures-link]").click()
    expect(page).to_have_url(re.compile(r"/seizures\?view=waiting$"))
    row = page.locator(".el-table__row", has_text=NOTICE_NO)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("待签收")
    page.locator("[data-test=seizures-view]").get_by_text("全部").click()
    expect(row).to_have_count(1)
    # The demo's overdue notice is flagged.
    expect(page.locator("[data-test=overdue]").first).to_be_visible()
    shoot(page, screenshots, "seizure-inbox")
    row.locator(f"[data-test=acknowledge-{NOTICE_NO}]").click()
    page.get_by_role("button", name="确定").click()
    acknowledged = page.locator(".el-table__row", has_text=NOTICE_NO)
    expect(acknowledged).to_contain_text("已签收")
    # Acknowledging opened the care file; the inbox shows that much of it, nothing more.
    expect(acknowledged.locator("[data-test=followup-file]")).to_contain_text("帮教档案在帮")

    # The notice's own page: everything the reader may see of it, the person masked.
    acknowledged.locator("[data-test=seizure-link]").click()
    expect(page.locator("[data-test=seizure-title]")).to_contain_text(NOTICE_NO)
    expect(page.locator("[data-test=seizure-title]")).to_contain_text("已签收")
    expect(page.locator("[data-test=seizure-person]")).not_to_contain_text("陈晓明")
    expect(page.locator("[data-test=seizure-person] [data-field=id_number]")).to_have_text(
        id_number[:6] + "********" + id_number[-4:]
    )
    expect(page.locator("[data-test=seizure-facts]")).to_contain_text("锦湖街道某KTV")
    expect(page.locator("[data-test=breadcrumbs]")).to_contain_text(NOTICE_NO)
    shoot(page, screenshots, "seizure-notice")
    page.go_back()

    page.locator("[data-test=seizure-report]").click()
    expect(page.locator("[data-test=report-table]")).to_contain_text(NOTICE_NO)
    shoot(page, screenshots, "seizure-daily-report")
