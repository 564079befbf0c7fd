"""The web app end to end: an administrator sets up a unit and a person; that person logs in, changes the
one-time password, sees only the menu of the role and logs out. Each page is photographed for the docs."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

NEW_UNIT = "青湖试点街道"
NEW_PERSON = ("bt_worker", "林晓社工")
NEW_PASSWORD = "Lanterns-Harbor-2026"
MENU = {
    "home": "工作台",
    "units": "单位管理",
    "people": "人员管理",
    "clients": "接口客户端",
    "minors": "重点未成年人",
    "account": "我的账号",
}


def log_in(page: Page, username: str, password: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("[data-test=login-submit]").click()


def menu_items(page: Page) -> set[str]:
    page.locator("[data-test=side-menu]").wait_for()
    return set(
        page.locator("[data-test=side-menu] [data-menu]").evaluate_all("els => els.map(e => e.dataset.menu)")
    )


def choose(page: Page, field: Locator, option: str) -> None:
    """Pick `option` in an Element Plus select or tree select."""
    field.click()
    exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
    options = page.locator(".el-select-dropdown .el-select-dropdown__item", has_text=exact)
    options.locator("visible=true").first.click()


def settle(page: Page) -> None:
    """Wait until no request is pending and no loading mask is shown, so screenshots show the data."""
    page.wait_for_load_state("networkidle")
    expect(page.locator(".el-loading-mask").locator("visible=true")).to_have_count(0)


def shoot(page: Page, screenshots: Path, name: str) -> None:
    settle(page)
    # Transient toasts are left out so each picture shows the page itself: hidden through their own style, as the
    # page's Content-Security-Policy refuses a <style> element from outside (the screenshot's `style` option).
    page.locator(".el-message").evaluate_all(
        "toasts => toasts.forEach(toast => (toast.style.display = 'none'))"
    )
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True, animations="disabled")


def test_wrong_password_shows_the_servers_message(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    log_in(page, "admin", "not-the-password")
    expect(page.locator("[data-test=login-error]")).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_login_returns_to_the_page_asked_for_and_reload_keeps_it(page: Page) -> None:
    page.goto("/units")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(%2F|/)units$"))
    log_in(page, "county_lead", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/units$"))
    expect(page.locator("[data-test=who-name]")).to_be_visible()
    page.reload()
    expect(page).to_have_url(re.compile(r"/units$"))
    expect(page.locator("h1", has_text="单位管理")).to_be_visible()
    expect(page.locator("[data-test=unit-tree]")).to_contain_text("瑞安市禁毒委员会办公室")


def test_admin_sets_up_a_person_who_sees_only_their_menu(page: Page, screenshots: Path) -> None:
    page.goto("/login")
    expect(page.locator("[data-test=login-submit]")).to_be_visible()
    shoot(page, screenshots, "login")

    log_in(page, "admin", DEMO_PASSWORD)
    expect(page.locator("[data-test=greeting]")).to_contain_text("系统管理员")
    expect(page.locator("[data-test=who-role]")).to_have_text("系统管理员")
    expect(page.locator("[data-test=who-unit]")).to_contain_text("瑞安市禁毒委员会办公室")
    assert menu_items(page) == set(MENU)
    expect(page.locator("canvas")).to_be_visible()
    shoot(page, screenshots, "home")

    # A new township under the county office.
    page.locator("[data-menu=units]").click()
    expect(page).to_have_url(re.compile(r"/units$"))
    expect(page.locator("[data-test=breadcrumbs]")).to_contain_text("单位管理")
    expect(page.locator(".el-table__row").first).to_be_visible()
    shoot(page, screenshots, "units")
    page.locator("[data-test=unit-add]").click()
    dialog = page.get_by_role("dialog", name="新增单位")
    dialog.locator("input[name=name]").fill(NEW_UNIT)
    choose(page, dialog.locator("[data-test=unit-kind]"), "乡镇（街道）")
    dialog.locator("[data-test=unit-save]").click()
    expect(dialog).to_be_hidden()
    page.locator("input[name=q]").fill(NEW_UNIT)
    page.locator("input[name=q]").press("Enter")
    expect(page.locator(".el-table__row", has_text=NEW_UNIT)).to_have_count(1)

    # A social worker in it; the one-time password is shown once.
    page.locator("[data-menu=people]").click()
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator(".el-table__row").first).to_be_visible()
    shoot(page, screenshots, "people")
    page.locator("[data-test=person-add]").click()
    dialog = page.get_by_role("dialog", name="新增人员")
    dialog.locator("input[name=username]").fill(NEW_PERSON[0])
    dialog.locator("input[name=display_name]").fill(NEW_PERSON[1])
    choose(page, dialog.locator("[data-test=person-role]"), "禁毒社工")
    choose(page, dialog.locator("[data-test=person-unit]"), NEW_UNIT)
    dialog.locator("[data-test=person-save]").click()
    secret_dialog = page.get_by_role("dialog", name="一次性密码")
    expect(secret_dialog).to_be_visible()
    one_time_password = secret_dialog.locator("[data-test=secret-value]").inner_text().strip()
    assert len(one_time_password) >= 10
    shoot(page, screenshots, "people-one-time-password")
    secret_dialog.get_by_role("button", name="我已妥善保存").click()
    expect(page.locator(".el-table__row", has_text=NEW_PERSON[0])).to_have_count(1)

    # A reload keeps the administrator on the page.
    page.reload()
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator(".el-table__row", has_text=NEW_PERSON[0])).to_have_count(1)

    page.locator("[data-menu=clients]").click()
    expect(page).to_have_url(re.compile(r"/clients$"))
    expect(page.locator(".el-table__row").first).to_be_visible()
    shoot(page, screenshots, "clients")

    page.locator("[data-menu=account]").click()
    expect(page.locator("[data-test=password-form]")).to_be_visible()
    shoot(page, screenshots, "account")

    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    # The new person: first the password change, then only the caseworker's menu.
    log_in(page, NEW_PERSON[0], one_time_password)
    expect(page).to_have_url(re.compile(r"/account"))
    expect(page.locator("[data-test=must-change]")).to_be_visible()
    form = page.locator("[data-test=password-form]")
    form.locator("input[name=current_password]").fill(one_time_password)
    form.locator("input[name=new_password]").fill(NEW_PASSWORD)
    form.locator("input[name=confirm_password]").fill(NEW_PASSWORD)
    page.locator("[data-test=password-submit]").click()
    expect(page.locator("[data-test=greeting]")).to_contain_text(NEW_PERSON[1])
    expect(page.locator("[data-test=who-role]")).to_have_text("禁毒社工")
    expect(page.locator("[data-test=who-unit]")).to_contain_text(NEW_UNIT)
    assert menu_items(page) == {
        "home",
        "units",
        "minors",
        "seizures",
        "care-files",
        "transfers",
        "campaigns",
        "my-tasks",
        "venues",
        "pharmacy-checks",
        "publicity-activities",
        "inspection-visits",
        "responsibility-letters",
        "assessments",
        "imports",
        "account",
    }

    # A page the role may not use sends the person home.
    page.goto("/people")
    expect(page).to_have_url(re.compile(r"/$"))

    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/units")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(%2F|/)units$"))


def test_an_ended_session_returns_to_login_and_then_to_the_same_page(page: Page) -> None:
    page.goto("/login")
    log_in(page, "jinhu_lead", DEMO_PASSWORD)
    expect(page.locator("[data-test=greeting]")).to_be_visible()
    page.locator("[data-menu=units]").click()
    expect(page.locator(".el-table__row").first).to_be_visible()

    # The session ends on the server (as when it is revoked elsewhere or times out).
    status = page.evaluate(
        """async () => {
            const body = new URLSearchParams({ token: sessionStorage.getItem('qinghu.refresh_token') })
            return (await fetch('/api/v1/auth/revoke', { method: 'POST', body })).status
        }"""
    )
    assert status == 200
    page.locator("[data-test=table-refresh]").click()
    expect(page).to_have_url(re.compile(r"/login\?redirect=(%2F|/)units$"))
    expect(page.locator(".el-message")).to_contain_text("登录已过期")

    log_in(page, "jinhu_lead", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/units$"))
    expect(page.locator("[data-test=who-unit]")).to_contain_text("锦湖街道")


def test_admin_adds_a_machine_client_and_sees_its_secret_once(page: Page, screenshots: Path) -> None:
    page.goto("/clients")
    log_in(page, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/clients$"))
    page.locator("[data-test=client-add]").click()
    dialog = page.get_by_role("dialog", name="新增接口客户端")
    dialog.locator("input[name=client_id]").fill("school-stats")
    dialog.locator("input[name=name]").fill("学校统计对接")
    choose(page, dialog.locator(".el-tree-select, .unit-picker").first, "瑞安市教育局")
    dialog.locator("[data-test=client-scopes]").get_by_text("读取统计").click()
    dialog.locator("[data-test=client-save]").click()
    secret_dialog = page.get_by_role("dialog", name="客户端密钥")
    expect(secret_dialog).to_be_visible()
    assert len(secret_dialog.locator("[data-test=secret-value]").inner_text().strip()) >= 20
    shoot(page, screenshots, "clients-secret")
    secret_dialog.get_by_role("button", name="我已妥善保存").click()
    expect(secret_dialog).to_be_hidden()
    expect(page.locator(".el-table__row", has_text="school-stats")).to_have_count(1)


def test_admin_renames_moves_and_deactivates_a_unit(page: Page) -> None:
    page.goto("/units")
    log_in(page, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/units$"))

    # A community under 安阳街道, added from that row's "新增下级".
    anyang = page.locator(".el-table__row", has_text="安阳街道").filter(has_text="乡镇（街道）")
    expect(anyang).to_have_count(1)
    anyang.get_by_role("button", name="新增下级").click()
    dialog = page.get_by_role("dialog", name="新增单位")
    dialog.locator("input[name=name]").fill("试点社区")
    choose(page, dialog.locator("[data-test=unit-kind]"), "社区（村）")
    dialog.locator("[data-test=unit-save]").click()
    expect(dialog).to_be_hidden()

    search = page.locator("input[name=q]")
    search.fill("试点社区")
    search.press("Enter")
    row = page.locator(".el-table__body tr", has_text="试点社区")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("安阳街道")

    # Rename it and move it to 玉海街道 (the PATCH carries If-Match).
    row.get_by_role("button", name="编辑").last.click()
    dialog = page.get_by_role("dialog", name="编辑单位")
    dialog.locator("input[name=name]").fill("试点社区二")
    choose(page, dialog.locator("[data-test=unit-parent]"), "玉海街道")
    dialog.locator("[data-test=unit-save]").click()
    expect(dialog).to_be_hidden()
    search.fill("试点社区二")
    search.press("Enter")
    row = page.locator(".el-table__body tr", has_text="试点社区二")
    expect(row).to_contain_text("玉海街道")

    # Deactivate it, after confirming.
    row.get_by_role("button", name="停用").last.click()
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    expect(page.locator(".el-message", has_text="单位已停用")).to_be_visible()
    expect(page.locator(".el-table__body tr", has_text="试点社区二")).to_have_count(0)
