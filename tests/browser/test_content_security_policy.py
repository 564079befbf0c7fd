"""Every page the server writes, in Chromium under its own Content-Security-Policy: the web app (with the
dashboard's charts and a notice in its frame), Swagger UI at /docs, ReDoc at /redoc and the printable notice
in a tab of its own render, load nothing from another host and break no rule of their policy (the `page`
fixture fails a test on any violation or JavaScript error)."""

import re

import pytest
from playwright.sync_api import Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import log_in, settle

pytestmark = pytest.mark.browser


def watch_hosts(page: Page, base_url: str) -> list[str]:
    """The URLs of every request the page makes to another origin (none expected)."""
    foreign: list[str] = []

    def check(request: Request) -> None:
        if not request.url.startswith((base_url, "data:", "blob:", "about:")):
            foreign.append(request.url)

    page.on("request", check)
    return foreign


def policy_header(page: Page, path: str) -> str:
    response = page.goto(path)
    assert response is not None
    assert response.ok
    return response.headers["content-security-policy"]


def test_the_web_app_and_its_charts_run_under_the_policy(page: Page, base_url: str) -> None:
    foreign = watch_hosts(page, base_url)
    policy = policy_header(page, "/")
    assert "script-src 'self';" in policy
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("[data-test=login-submit]")).to_be_visible()
    log_in(page, "jinhu_lead", DEMO_PASSWORD)
    expect(page.locator("[data-test=who-name]")).to_be_visible()
    settle(page)
    # ECharts writes its tooltips with style attributes: hover every chart so that they show.
    charts = page.locator("canvas")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(300)
    for path in ("/statistics", "/care-files", "/minors", "/seizures", "/campaigns"):
        page.goto(path)
        settle(page)
    assert foreign == []


def test_swagger_ui_renders_from_this_server(page: Page, base_url: str) -> None:
    foreign = watch_hosts(page, base_url)
    policy = policy_header(page, "/docs")
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]+';", policy)
    # The first render reads the whole spec: slow on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Qinghu 青护 API", timeout=30_000)
    # Open an operation and the log-in dialog: both are drawn by the same bundle.
    # The operations are drawn after the title, on a busy machine well after it.
    page.locator(".opblock-summary", has_text="/api/v1/reference").first.click(timeout=30_000)
    expect(page.locator(".opblock-body").first).to_be_visible(timeout=30_000)
    page.locator("button.authorize").first.click(timeout=30_000)
    expect(page.locator(".dialog-ux .modal-ux")).to_be_visible()
    assert foreign == []


def test_redoc_renders_and_searches_from_this_server(page: Page, base_url: str) -> None:
    foreign = watch_hosts(page, base_url)
    policy = policy_header(page, "/redoc")
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]+';", policy)
    expect(page.locator("h1").first).to_contain_text("Qinghu 青护 API", timeout=30_000)
    # The search index is built in a worker (blob: URL) after the page shows; a search typed before it is ready
    # finds nothing, so the term is typed again until the worker answers.
    search = page.locator('input[placeholder="Search..."]')
    results = page.locator('[data-role="search:results"] li')
    for _ in range(20):
        search.fill("")
        search.fill("seizure")
        try:
            results.first.wait_for(timeout=2_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(results.first).to_contain_text("seizure notice")
    # The system's fonts, not web fonts from another host.
    font = page.locator("h1").first.evaluate("element => getComputedStyle(element).fontFamily")
    assert "system-ui" in font
    assert foreign == []


def _outbox_notice_url(page: Page) -> tuple[str, dict[str, str]]:
    token = page.request.post(
        "/api/v1/auth/token",
        form={"grant_type": "password", "username": "county_lead", "password": DEMO_PASSWORD},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    transfers = page.request.get("/api/v1/transfers", params={"box": "outbox"}, headers=headers).json()
    assert transfers["items"], "the demo county has a pending transfer"
    return f"/api/v1/transfers/{transfers['items'][0]['id']}/notice", headers


def test_the_printable_notice_renders_styled_in_a_tab_of_its_own(page: Page, base_url: str) -> None:
    foreign = watch_hosts(page, base_url)
    url, headers = _outbox_notice_url(page)
    page.set_extra_http_headers(headers)
    policy = policy_header(page, url)
    assert "script-src 'self';" in policy
    expect(page.locator("h1")).to_have_text("重点未成年人移交书面通知")
    # The linked stylesheet applied: the table's cells have their printed borders.
    border = page.locator("td").first.evaluate("cell => getComputedStyle(cell).borderTopStyle")
    assert border == "solid"
    assert foreign == []


def test_the_notice_in_the_web_app_frame_is_styled_under_the_apps_policy(page: Page) -> None:
    page.goto("/login")
    log_in(page, "county_lead", DEMO_PASSWORD)
    expect(page.locator("[data-test=who-name]")).to_be_visible()
    page.goto("/transfers")
    settle(page)
    page.locator(".el-tabs__item").nth(1).click()
    settle(page)
    page.locator("[data-test=transfer-notice]").first.click()
    notice = page.frame_locator("iframe.notice")
    expect(notice.locator("h1")).to_have_text("重点未成年人移交书面通知")
    expect(notice.locator("td").first).to_have_css("border-top-style", "solid")
