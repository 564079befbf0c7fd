"""The minors registry in the browser: a social worker registers a minor (the ID number fills in the birth date
and gender as it is typed), sees the list masked, opens the record and reveals it with a reason; an auditor
finds that reveal in the audit trail; a lead sees it in the record's "who viewed" panel. Made-up people only:
the ID numbers are synthetic and valid, the names assembled from common characters."""

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from backend.db import local_today
from backend.demo.people import synthetic_person
from backend.identity import check_character, make_mainland_id
from backend.security.masking import mask_id_number, mask_name
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in, menu_items, shoot

pytestmark = pytest.mark.browser

REASON = "家访前核实监护人联系方式"


def _turns_18_in(days: int) -> date:
    """A birth date whose 18th birthday is ``days`` from today (a minor still, flagged as turning 18 soon)."""
    birthday = local_today() + timedelta(days=days)
    try:
        return birthday.replace(year=birthday.year - 18)
    except ValueError:  # 29 February
        return birthday.replace(year=birthday.year - 18, day=28)


def _someone() -> tuple[str, str, date]:
    rng = random.Random(20261123)
    birth = _turns_18_in(40)
    # an odd sequence: a boy
    number = make_mainland_id("330381", birth, rng.randrange(501, 999, 2))
    name = synthetic_person(rng, today=local_today()).name
    return name, number, birth


def pick_many(page: Page, field: Locator, options: list[str]) -> None:
    """Pick several options in an Element Plus multiple select, then close it."""
    field.click()
    for option in options:
        exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
        # not yet selected: a select just closed may still show its own option of the same name
        page.locator(
            ".el-select-dropdown .el-select-dropdown__item:not(.is-selected)", has_text=exact
        ).locator("visible=true").first.click()
    page.keyboard.press("Escape")


def log_out(page: Page) -> None:
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_social_worker_registers_and_reveals_and_the_trail_shows_it(
    page: Page, base_url: str, screenshots: Path
) -> None:
    name, number, birth = _someone()
    masked_name, masked_number = mask_name(name), mask_id_number(number)

    # The caseworker opens the registration form (after logging in).
    page.goto("/minors/new")
    log_in(page, "jinhu_worker", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/minors/new$"))
    assert {"minors"} <= menu_items(page)
    assert "audit" not in menu_items(page)
    id_input = page.locator("input[name=id_number]")

    # As the number is typed: first how far along it is, then a wrong check character, then the right one.
    id_input.press_sequentially(number[:10])
    expect(page.locator("[data-test=id-hint]")).to_contain_text("10")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert check_character(number[:17]) != wrong[17]
    id_input.fill(wrong)
    expect(page.locator("[data-test=id-problem]")).to_contain_text("校验位不符")
    id_input.fill(number.lower())
    expect(page.locator("[data-test=id-valid]")).to_be_visible()
    birth_input = page.locator("input[name=birth_date]")
    expect(birth_input).to_have_value(birth.isoformat())
    expect(birth_input).to_be_disabled()
    expect(page.locator("[data-test=minor-gender] .el-radio.is-checked")).to_have_text("男")
    expect(page.locator("[data-test=minor-gender] .el-radio.is-disabled")).to_have_count(2)

    form = page.locator("[data-test=minor-form]")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=phone]").fill("13800001234")
    choose(page, page.locator("[data-test=guardians] .relation"), "母亲")
    form.locator("input[name=guardian_name_0]").fill("王秀芳")
    form.locator("input[name=guardian_phone_0]").fill("13900005678")
    choose(page, page.locator("[data-test=residence-division]"), "滨江社区（330381005001）")
    form.locator("input[name=residence_address]").fill("锦湖街道滨江社区8幢201室")
    choose(page, page.locator("[data-test=minor-schooling]"), "辍学")
    page.locator("[data-test=minor-risk-level]").get_by_text("中风险").click()
    pick_many(page, page.locator("[data-test=minor-categories]"), ["辍学", "滥用新型成瘾物质"])
    choose(page, page.locator("[data-test=minor-substances]"), "依托咪酯")
    page.keyboard.press("Escape")
    page.locator("h1").scroll_into_view_if_needed()
    shoot(page, screenshots, "minor-register")
    page.locator("[data-test=minor-save]").click()

    # The new record: the registrar, too, sees the identity masked.
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    minor_path = re.sub(r"^https?://[^/]+", "", page.url)
    expect(page.locator("[data-test=minor-heading-name]")).to_have_text(masked_name)
    identity = page.locator("[data-test=identity-section]")
    expect(identity.locator("[data-field=id_number]")).to_have_text(masked_number)
    expect(identity).not_to_contain_text(name)
    expect(page.locator("[data-test=turns-18]")).to_be_visible()
    expect(page.locator("[data-test=sensitive-section]")).to_contain_text("依托咪酯")

    # The list is masked for everyone, and marks who turns 18 soon.
    page.locator("[data-menu=minors]").click()
    expect(page).to_have_url(re.compile(r"/minors$"))
    page.locator("input[name=q]").fill(name)
    page.locator("input[name=q]").press("Enter")
    row = page.locator(".el-table__body tr", has_text=masked_number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(masked_name)
    expect(row).not_to_contain_text(name)
    expect(row.locator("[data-test=turns-18]")).to_have_text("即将满18周岁")
    expect(row.locator("[data-risk-level=medium]")).to_be_visible()
    page.goto("/minors")
    expect(page.locator(".el-table__row").first).to_be_visible()
    shoot(page, screenshots, "minors")

    # Break the glass: a reason is required, then the full values show and the reveal is logged.
    page.goto(minor_path)
    page.locator("[data-test=reveal-open]").click()
    dialog = page.get_by_role("dialog", name="查看完整信息")
    expect(dialog.locator("[data-field=name] input")).to_be_checked()
    dialog.locator("textarea[name=reveal_reason]").fill("核实")
    dialog.locator("[data-test=reveal-submit]").click()
    expect(dialog).to_contain_text("请填写至少 5 个字的事由")
    dialog.locator("textarea[name=reveal_reason]").fill(REASON)
    dialog.locator("[data-test=reveal-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=minor-heading-name]")).to_have_text(name)
    expect(identity.locator("[data-field=id_number]")).to_have_text(number)
    expect(identity.locator("[data-field=guardians]")).to_contain_text("13900005678")
    expect(page.locator("[data-test=reveal-logged]")).to_contain_text("已记入审计日志")
    shoot(page, screenshots, "minor-revealed")

    # Revealed values live only on the page: leaving it forgets them.
    page.locator("[data-menu=minors]").click()
    expect(page).to_have_url(re.compile(r"/minors$"))
    page.goto(minor_path)
    expect(page.locator("[data-test=minor-heading-name]")).to_have_text(masked_name)
    log_out(page)

    # The auditor finds the reveal, with its reason, and the chain verifies.
    page.goto("/audit")
    log_in(page, "auditor", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/audit$"))
    choose(page, page.locator("[data-test=audit-action]"), "查看完整信息")
    reveal_row = page.locator(".el-table__body tr", has_text=REASON)
    expect(reveal_row).to_have_count(1)
    expect(reveal_row).to_contain_text("周社工")
    expect(reveal_row).to_contain_text("锦湖街道")
    expect(reveal_row).to_contain_text("证件号码")
    page.locator("[data-test=audit-verify]").click()
    expect(page.locator("[data-test=audit-verification]")).to_contain_text("哈希链完整")
    shoot(page, screenshots, "audit")
    # Auditors never reveal: the record opens masked, without the button.
    page.goto(minor_path)
    expect(page.locator("[data-test=minor-heading-name]")).to_have_text(masked_name)
    expect(page.locator("[data-test=reveal-open]")).to_have_count(0)
    expect(page.locator("[data-test=sensitive-section]")).to_have_count(0)
    log_out(page)

    # The station's lead sees who viewed the record.
    page.goto(minor_path)
    log_in(page, "jinhu_lead", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    panel = page.locator("[data-test=access-panel]")
    reveal_entry = panel.locator(".el-table__body tr", has_text=REASON)
    expect(reveal_entry).to_have_count(1)
    expect(reveal_entry).to_contain_text("周社工")
    expect(reveal_entry).to_contain_text("锦湖街道")
    expect(reveal_entry).to_contain_text("查看完整信息")
    expect(panel.locator(".el-table__body tr", has_text="auditor")).not_to_have_count(0)
    panel.scroll_into_view_if_needed()
    shoot(page, screenshots, "minor-access")

    # The lead edits the record: only what changed is sent, with If-Match; masked fields stay as they are.
    page.locator("[data-test=minor-edit]").click()
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}/edit$"))
    form = page.locator("[data-test=minor-form]")
    expect(form.locator("input[name=name]")).to_have_value("")
    expect(form.locator("input[name=name]")).to_have_attribute(
        "placeholder", re.compile(re.escape(masked_name))
    )
    form.locator("input[name=grade]").fill("初三")

    # Meanwhile the social worker changes the same record in another browser: the lead's save is stale.
    other = page.context.browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        worker = other.new_page()
        worker.goto(f"{minor_path}/edit")
        log_in(worker, "jinhu_worker", DEMO_PASSWORD)
        worker_form = worker.locator("[data-test=minor-form]")
        # the record has loaded once its masked name is offered as the placeholder
        expect(worker_form.locator("input[name=name]")).to_have_attribute(
            "placeholder", re.compile(re.escape(masked_name))
        )
        worker_form.locator("input[name=grade]").fill("初二")
        worker.locator("[data-test=minor-save]").click()
        expect(worker).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    finally:
        other.close()
    page.locator("[data-test=minor-save]").click()
    expect(page.locator("[data-test=minor-stale]")).to_contain_text("已被他人修改")
    page.locator("[data-test=minor-stale]").get_by_role("button", name="重新加载").click()
    expect(form.locator("input[name=grade]")).to_have_value("初二")

    # After reloading, the lead changes the grade and seals the record (犯罪记录封存).
    form.locator("input[name=grade]").fill("初三")
    form.locator("[data-test=minor-sealed]").click()
    page.locator("[data-test=minor-save]").click()
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    expect(page.locator("[data-test=general-section]")).to_contain_text("初三")
    expect(page.locator("[data-test=minor-heading-name]")).to_have_text(masked_name)
    expect(page.locator("[data-test=sealed-tag]")).to_be_visible()
    # A township lead does not see a sealed record's drug-use facts: the page says why.
    expect(page.locator("[data-test=sensitive-section]")).to_have_count(0)
    expect(page.locator("[data-test=sealed-note]")).to_contain_text("县级负责人")


def test_a_second_registration_of_the_same_person_links_to_the_record(page: Page) -> None:
    rng = random.Random(20261124)
    someone = synthetic_person(rng, today=local_today(), age=14)
    page.goto("/minors/new")
    log_in(page, "jinhu_worker", DEMO_PASSWORD)

    def register() -> None:
        expect(page).to_have_url(re.compile(r"/minors/new$"))
        page.locator("input[name=id_number]").fill(someone.id_number)
        expect(page.locator("[data-test=id-valid]")).to_be_visible()
        page.locator("[data-test=minor-form] input[name=name]").fill(someone.name)
        page.locator("[data-test=minor-save]").click()

    register()
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    first = page.url
    page.goto("/minors/new")
    register()
    # Same name, same birth year: the form first lists the possible match; sent anyway, the number is refused.
    expect(page.locator("[data-test=duplicates-list]")).to_be_visible()
    page.locator("[data-test=duplicates-confirm]").click()
    duplicate = page.locator("[data-test=minor-duplicate]")
    expect(duplicate).to_contain_text("此人已登记")
    duplicate.locator("[data-test=minor-existing]").click()
    expect(page).to_have_url(first)

    # Found again by number from the list: the number goes in the request body, the address stays clean.
    page.locator("[data-menu=minors]").click()
    page.locator("[data-test=minor-lookup]").click()
    dialog = page.get_by_role("dialog", name="按证件号查询")
    with page.expect_request(re.compile(r"/api/v1/minors/lookup$")) as lookup:
        dialog.locator("input[name=lookup_number]").fill(someone.id_number)
        dialog.locator("[data-test=lookup-submit]").click()
    assert someone.id_number not in lookup.value.url
    expect(page).to_have_url(first)
