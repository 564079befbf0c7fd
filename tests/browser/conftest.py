"""Browser tests: the real backend on a free loopback port with a fresh database, driven through Debian's
Chromium (never a downloaded one) with Playwright's sync API.

Without /usr/bin/chromium these tests are skipped, loudly; CI installs Chromium so they always run there.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = REPO_ROOT / "frontend" / "dist"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
QINGHU = Path(sys.executable).parent / "qinghu"
DEMO_PASSWORD = "Qinghu-Demo-2026"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Runs in every page before its own scripts (outside the page's policy): reports each violation of it.
REPORT_POLICY_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__qinghuPolicyViolation(
    `${location.pathname}: ${event.effectiveDirective} refused ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""

_SKIP_REASON = (
    "BROWSER TESTS SKIPPED: /usr/bin/chromium is not installed (apt-get install chromium); "
    "CI installs it and always runs them"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # On CI a missing Chromium is a broken runner, not a reason to skip: the tests then fail at launch.
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    line = "!" * 20 + f" {_SKIP_REASON} " + "!" * 20
    print(f"\n{line}", file=sys.stderr)
    warnings.warn(_SKIP_REASON, stacklevel=1)
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=_SKIP_REASON))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_env(tmp: Path) -> dict[str, str]:
    # Nothing QINGHU_* leaks in from the developer's shell or the API tests' conftest.
    env = {key: value for key, value in os.environ.items() if not key.startswith("QINGHU_")}
    env.update(
        {
            "QINGHU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'qinghu.db'}",
            "QINGHU_KEYS_FILE": str(tmp / "keys.json"),
            "QINGHU_ENV": "test",
            "QINGHU_ARGON2_TIME_COST": "1",
            "QINGHU_ARGON2_MEMORY_COST": "8192",
            "QINGHU_ARGON2_PARALLELISM": "1",
            "QINGHU_FRONTEND_DIST": str(DIST),
            "QINGHU_STORAGE_DIR": str(tmp / "files"),
            "QINGHU_DEMO_PASSWORD": DEMO_PASSWORD,
            "QINGHU_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _wait_ready(base_url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"qinghu serve exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"qinghu serve was not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The backend serving the built SPA, on a fresh demo county."""
    if not (DIST / "index.html").is_file():
        pytest.fail(
            "frontend/dist/index.html is missing: build the web app first (make install or cd frontend && npm run build)"
        )
    tmp = Path(tempfile.mkdtemp(prefix="qinghu-browser-"))
    env = _server_env(tmp)
    for command in (["migrate"], ["seed-demo"]):
        done = subprocess.run([str(QINGHU), *command], env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            pytest.fail(f"qinghu {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603
            [str(QINGHU), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module scope, not session: while the sync API runs, its event loop counts as running in this thread,
    # so asyncio.run() in later tests (the CLI's) would fail.
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing on CI: install Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, base_url: str) -> Iterator[object]:
    """A fresh browser context (own sessionStorage) per test, in Chinese, on a desktop-sized window."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1440, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    # Every page is held to its Content-Security-Policy: a refused script, style, image or worker fails the test.
    violations: list[str] = []
    context.expose_function("__qinghuPolicyViolation", lambda report: violations.append(report))
    context.add_init_script(REPORT_POLICY_VIOLATIONS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The documentation's pictures are refreshed only when asked: a plain `make test` leaves the tree as it was.
    if os.environ.get("QINGHU_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
