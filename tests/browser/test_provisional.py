"""Registering before the ID number is known, in the browser, on a desktop and on a phone: a social worker
switches on 身份证号未知（待核实）, registers by name, gender and birth date with how the youth was found, sees
the 待核实 tag, and adds the ID number later with 补录身份证号. Made-up people only."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from backend.db import local_today
from backend.identity import make_mainland_id
from backend.security.masking import mask_id_number
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _no_page_scroll_sideways(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


@pytest.mark.parametrize(
    ("viewport", "name", "month"), [(DESKTOP, "钱思远", 3), (PHONE, "孙浩然", 8)], ids=["desktop", "phone"]
)
def test_a_worker_registers_without_an_id_number_and_verifies_later(
    page: Page, viewport: dict[str, int], name: str, month: int
) -> None:
    page.set_viewport_size(viewport)
    birth = date(local_today().year - 14, month, 11)
    number = make_mainland_id("330381", birth, 213)  # odd: a boy

    page.goto("/minors/new")
    log_in(page, "jinhu_worker", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/minors/new$"))
    page.locator("[data-test=provisional-switch]").click()
    expect(page.locator("input[name=id_number]")).to_have_count(0)
    expect(page.locator("[data-test=provisional-hint]")).to_contain_text("补录身份证号")
    form = page.locator("[data-test=minor-form]")
    form.locator("input[name=name]").fill(name)
    page.locator("[data-test=minor-gender]").get_by_text("男").click()
    birth_input = page.locator("input[name=birth_date]")
    birth_input.fill(birth.isoformat())
    birth_input.press("Enter")
    page.keyboard.press("Escape")
    choose(page, page.locator("[data-test=minor-found-by]"), "排查")
    _no_page_scroll_sideways(page)
    page.locator("[data-test=minor-save]").click()

    # Nobody of that name and birth date: the check passes and the record is registered, awaiting its number.
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    expect(page.locator("[data-test=provisional-tag]")).to_have_text("待核实")
    _no_page_scroll_sideways(page)

    # The number, once known: checked as typed, then the record is verified.
    page.locator("[data-test=verify-open]").click()
    dialog = page.locator("[data-test=verify-dialog]")
    dialog.locator("input[name=verify_id_number]").fill(number[:12])
    expect(dialog.locator("[data-test=verify-id-hint]")).to_contain_text("12")
    dialog.locator("input[name=verify_id_number]").fill(number)
    _no_page_scroll_sideways(page)
    dialog.locator("[data-test=verify-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=provisional-tag]")).to_have_count(0)
    expect(page.locator("[data-test=identity-section] [data-field=id_number]")).to_have_text(
        mask_id_number(number)
    )
    expect(page.locator("[data-field=verification_status]")).to_have_text("已核实")


def _register_provisional(page: Page, name: str, birth: date) -> None:
    page.goto("/minors/new")
    page.locator("[data-test=provisional-switch]").click()
    page.locator("[data-test=minor-form] input[name=name]").fill(name)
    page.locator("[data-test=minor-gender]").get_by_text("女").click()
    birth_input = page.locator("input[name=birth_date]")
    birth_input.fill(birth.isoformat())
    birth_input.press("Enter")
    page.keyboard.press("Escape")
    choose(page, page.locator("[data-test=minor-found-by]"), "排查")
    page.locator("[data-test=minor-save]").click()


@pytest.mark.parametrize(
    ("viewport", "name", "month"), [(DESKTOP, "陶语嫣", 4), (PHONE, "邵若溪", 9)], ids=["desktop", "phone"]
)
def test_a_second_registration_of_the_same_name_and_birth_date_is_shown_its_possible_duplicate(
    page: Page, viewport: dict[str, int], name: str, month: int
) -> None:
    page.set_viewport_size(viewport)
    birth = date(local_today().year - 13, month, 21)
    page.goto("/login")
    log_in(page, "jinhu_worker", DEMO_PASSWORD)
    expect(page.locator("[data-test=logout]")).to_be_visible()
    _register_provisional(page, name, birth)
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    first = page.url

    # The same name and birth date again: nothing is sent until the worker has looked at the possible match.
    _register_provisional(page, name, birth)
    listed = page.locator("[data-test=duplicates-list]")
    expect(listed).to_be_visible()
    expect(page).to_have_url(re.compile(r"/minors/new$"))
    _no_page_scroll_sideways(page)
    match = listed.locator(f"[data-duplicate='{first.rsplit('/', 1)[1]}']")
    expect(match).to_contain_text(name[0] + "**")  # masked, as everywhere the record is listed
    expect(match).to_contain_text("待核实")
    expect(match.locator("a")).to_have_attribute("target", "_blank")  # the form stays as typed

    # Not the same child, says the worker: the registration goes ahead as a record of its own.
    page.locator("[data-test=duplicates-confirm]").click()  # 确认不是同一人，继续登记: sends it
    expect(page).to_have_url(re.compile(r"/minors/[0-9a-f-]{36}$"))
    assert page.url != first
    expect(page.locator("[data-test=provisional-tag]")).to_have_text("待核实")
