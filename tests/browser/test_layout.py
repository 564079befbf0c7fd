"""The app on a phone (390×844) and on a desktop (1440×900): nothing essential off-screen, no page scrolling
sideways, the menu in a drawer; and the login page sends one request per Enter. The main pages are
photographed at both sizes for the docs (docs/screenshots/phone-*.png, desktop-*.png)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import log_in, settle

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# (account, address, name of the picture, what must be on screen at once besides the header's buttons)
PAGES = (
    ("jinhu_worker", "/", "home", ()),
    ("jinhu_worker", "/minors", "minors", ("[data-test=minor-add]",)),
    ("jinhu_worker", "/care-files", "care-files", ()),
    ("jinhu_worker", "/seizures", "seizures", ("[data-test=seizure-report]",)),
    ("jinhu_worker", "/transfers", "transfers", ()),
    ("jinhu_lead", "/approvals", "approvals", ()),
    ("jinhu_lead", "/audit", "audit", ("[data-test=audit-verify]",)),
    ("edu_officer", "/campaigns", "campaigns", ("[data-test=campaign-add]",)),
    ("school_teacher", "/statistics", "statistics", ("[data-test=submit-metrics]",)),
    ("county_lead", "/rates", "rates", ("[data-test=period-picker]", "[data-test=preset-year]")),
    ("admin", "/units", "units", ("[data-test=unit-add]",)),
    ("admin", "/people", "people", ("[data-test=person-add]",)),
    ("admin", "/clients", "clients", ("[data-test=client-add]",)),
    ("admin", "/account", "account", ("[data-test=password-submit]",)),
    (
        "jinhu_worker",
        "/notifications",
        "notifications",
        ("[data-test=notification-bell]", "[data-test=read-all]"),
    ),
)


def new_page(browser: Browser, base_url: str, viewport: dict[str, int]) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def inside_viewport(page: Page, locator: Locator, *, scroll: bool = False) -> None:
    """The element is laid out wholly within the window's width and starts within its height (once scrolled
    to, for what sits further down the page)."""
    expect(locator).to_be_visible()
    if scroll:
        locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    size = page.viewport_size
    assert size is not None
    assert box["x"] >= 0, (locator, box)
    assert box["x"] + box["width"] <= size["width"], (locator, box)
    assert 0 <= box["y"] < size["height"], (locator, box)


def login_as(page: Page, username: str) -> None:
    page.goto("/login")
    log_in(page, username, DEMO_PASSWORD)
    expect(page.locator("[data-test=logout]")).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the page scrolls sideways: {width} > {inner} on {page.url}"


def shoot(page: Page, screenshots: Path, name: str) -> None:
    settle(page)
    page.screenshot(
        path=str(screenshots / f"{name}.png"),
        animations="disabled",
        style=".el-message { display: none !important; }",
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_main_pages_fit_the_window(
    browser: Browser, base_url: str, screenshots: Path, viewport: dict[str, int]
) -> None:
    prefix = "phone" if viewport is PHONE else "desktop"
    current = None
    page = None
    try:
        for account, address, name, actions in PAGES:
            if account != current:
                if page is not None:
                    page.context.close()
                page = new_page(browser, base_url, viewport)
                page.goto("/login")
                log_in(page, account, DEMO_PASSWORD)
                expect(page.locator("[data-test=logout]")).to_be_visible()
                current = account
            assert page is not None
            page.goto(address)
            expect(page.locator("h1").first).to_be_visible()
            settle(page)
            no_sideways_scroll(page)
            inside_viewport(page, page.locator("[data-test=menu-toggle]"))
            inside_viewport(page, page.locator("[data-test=logout]"))
            for selector in actions:
                inside_viewport(page, page.locator(selector).first, scroll=True)
            page.evaluate("window.scrollTo(0, 0)")
            # the trail is one line, however long: never a character per line
            crumbs = page.locator("[data-test=breadcrumbs]").bounding_box()
            assert crumbs is not None
            assert crumbs["height"] < 40, crumbs
            shoot(page, screenshots, f"{prefix}-{name}")
    finally:
        if page is not None:
            page.context.close()


def test_on_a_phone_the_menu_opens_in_a_drawer_and_dialogs_fit(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    page = new_page(browser, base_url, PHONE)
    try:
        page.goto("/login")
        log_in(page, "admin", DEMO_PASSWORD)
        expect(page.locator("[data-test=logout]")).to_be_visible()
        # no side menu beside the page: it waits in the drawer
        expect(page.locator("[data-test=side-menu]")).to_have_count(0)
        page.locator("[data-test=menu-toggle]").click()
        drawer = page.locator("[data-test=menu-drawer]")
        expect(drawer.locator("[data-test=drawer-who]")).to_contain_text("系统管理员")
        # once it has slid in (polled from here: the app's Content-Security-Policy forbids evaluated predicates)
        panel = page.locator(".menu-drawer")
        for _ in range(50):
            box = panel.bounding_box()
            if box is not None and box["x"] >= 0:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(300)
        inside_viewport(page, drawer.locator("[data-menu=units]"))
        shoot(page, screenshots, "phone-menu")
        drawer.locator("[data-menu=units]").click()
        expect(page).to_have_url(re.compile(r"/units$"))
        expect(drawer).to_be_hidden()
        expect(page.locator("[data-test=breadcrumbs]")).to_contain_text("单位管理")

        # filters fold away behind a button; opened, each takes the width
        expect(page.locator("[data-test=table-filters]")).to_have_count(0)
        page.locator("[data-test=table-filters-toggle]").click()
        inside_viewport(page, page.locator("[data-test=table-filters] input[name=q]"))
        no_sideways_scroll(page)

        # a dialog fits the window, its labels above the fields
        page.locator("[data-test=unit-add]").click()
        dialog = page.locator(".el-dialog", has_text="新增单位")
        expect(dialog).to_be_visible()
        page.wait_for_timeout(400)  # once it has opened
        inside_viewport(page, dialog)
        inside_viewport(page, dialog.locator("input[name=name]"))
        inside_viewport(page, dialog.locator("[data-test=unit-save]"))
        label = dialog.locator(".el-form-item__label").first.bounding_box()
        field = dialog.locator("input[name=name]").bounding_box()
        assert label is not None
        assert field is not None
        assert field["y"] >= label["y"] + label["height"] - 1
        shoot(page, screenshots, "phone-dialog")
    finally:
        page.context.close()


def test_links_wear_the_apps_colour(page: Page) -> None:
    login_as(page, "jinhu_worker")
    page.goto("/care-files")
    link = page.locator("[data-test=care-file-link]").first
    expect(link).to_be_visible()
    colour = link.evaluate("element => getComputedStyle(element).color")
    assert colour == "rgb(47, 125, 109)", colour  # --qh-brand, not the browser's blue rgb(0, 0, 238)
    assert link.evaluate("element => getComputedStyle(element).textDecorationLine") == "none"


def test_on_a_desktop_the_lists_show_every_column_without_scrolling(page: Page) -> None:
    def table_fits(selector: str) -> None:
        wrap = page.locator(f"{selector} .el-table__body-wrapper .el-scrollbar__wrap").first
        expect(wrap).to_be_visible()
        scroll, client = wrap.evaluate("element => [element.scrollWidth, element.clientWidth]")
        assert scroll <= client, f"{selector} scrolls sideways: {scroll} > {client}"

    login_as(page, "admin")
    page.goto("/units")
    expect(page.locator(".el-table__row").first).to_be_visible()
    table_fits("[data-test=units-table]")
    for header in ("区划代码", "层级", "状态", "操作"):
        inside_viewport(page, page.locator("[data-test=units-table] th", has_text=header).first)
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, "jinhu_worker", DEMO_PASSWORD)
    expect(page.locator("[data-test=greeting]")).to_be_visible()
    page.goto("/minors")
    expect(page.locator(".el-table__row").first).to_be_visible()
    table_fits("[data-test=minors-table]")
    # the status column is wholly visible, under no fixed column
    status = page.locator("[data-test=minors-table] th", has_text="状态").first
    inside_viewport(page, status)
    expect(page.locator("[data-test=minors-table] .el-table-fixed-column--right")).to_have_count(0)


def test_enter_on_the_login_page_sends_one_request(page: Page) -> None:
    tokens: list[str] = []
    page.on(
        "request",
        lambda request: (
            tokens.append(request.url)
            if request.method == "POST" and request.url.endswith("/api/v1/auth/token")
            else None
        ),
    )
    page.goto("/login")
    # a mistyped password counts once, not twice
    page.locator("input[name=username]").fill("auditor")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("[data-test=login-error]")).to_contain_text("用户名或密码错误")
    page.wait_for_load_state("networkidle")
    assert len(tokens) == 1, tokens
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("[data-test=greeting]")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(tokens) == 2, tokens
