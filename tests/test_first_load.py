"""The first load's budget: what index.html names (its script, stylesheets and modulepreloads), as the server
sends it compressed, stays under 250,000 bytes, so the login page comes up on a township's slow connection.

Measured on the real build (frontend/dist, built by `make install`), through the app's own static-file handler.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import client_for

DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"
BUDGET = 250_000


class _Named(HTMLParser):
    """The files an HTML page loads before it runs: module scripts, stylesheets, module preloads."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.files.append(values["src"] or "")
        if tag == "link" and values.get("rel") in ("stylesheet", "modulepreload") and values.get("href"):
            self.files.append(values["href"] or "")


async def test_the_files_index_html_names_weigh_under_the_budget_as_sent(make_app):
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist/index.html is missing: build the web app first (make install)")
    app = make_app(frontend_dist=DIST)
    sizes: dict[str, int] = {}
    async with client_for(app) as client:
        page = await client.get("/", headers={"Accept-Encoding": "br, gzip"})
        assert page.status_code == 200
        named = _Named()
        named.feed(page.text)
        assert named.files, "index.html names no script"
        for path in named.files:
            async with client.stream("GET", path, headers={"Accept-Encoding": "br, gzip"}) as response:
                assert response.status_code == 200, path
                # every one of them is sent compressed (the build leaves .br beside each)
                assert response.headers.get("content-encoding") == "br", path
                sizes[path] = len(b"".join([chunk async for chunk in response.aiter_raw()]))
    total = sum(sizes.values())
    report = ", ".join(f"{path} {size:,}" for path, size in sizes.items())
    assert total < BUDGET, f"first load {total:,} bytes as sent, over the {BUDGET:,} budget: {report}"
