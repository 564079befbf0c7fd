"""The HTTP contract every route shares: problem+json for every error, headers, body limits, 503."""

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from backend.main import API_ROUTERS
from tests.conftest import assert_problem, client_for

# Sent with every answer, page or not.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "X-Permitted-Cross-Domain-Policies": "none",
}
# The policy of a page without inline script (the web app, a printable notice), in full.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; style-src-elem 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"


def policy_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive → sources, after checking what every page needs:
    scripts only from this origin or with a nonce, never framed, no plugins, no <base>."""
    header = response.headers["Content-Security-Policy"]
    directives = {name: sources for name, *sources in (part.split() for part in header.split(";"))}
    for name in ("script-src", "default-src"):
        for source in directives[name]:
            assert source == "'self'" or re.fullmatch(r"'nonce-[A-Za-z0-9_-]{24}'", source), header
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    return directives


class PageLinks(HTMLParser):
    """The URLs a page loads (script, stylesheet, icon, image) and its inline scripts' nonces."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_script_nonces: list[str | None] = []
        self.inline_styles = 0
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.inline_styles += 1
        if tag == "style":
            self.inline_styles += 1
        url = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
        if url:
            self.urls.append(url)
        elif tag == "script":
            self.inline_script_nonces.append(attributes.get("nonce"))


async def test_unknown_path_and_method_are_problems(client, login):
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not-found")
    response = await client.delete("/api/v1/units", headers=await login("admin"))
    assert_problem(response, 405, "method-not-allowed")


async def test_every_response_carries_request_id_and_security_headers(client, login):
    response = await client.get("/api/v1/reference")
    assert response.status_code == 200
    assert len(response.headers["X-Request-ID"]) >= 8
    assert response.headers["Cache-Control"] == "no-store"
    error = await client.get("/api/v1/units")
    assert error.headers["X-Request-ID"]
    for answer in (response, error, await client.get("/openapi.json"), await client.get("/healthz")):
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, name
        # Not a page: it may load nothing at all, even when opened in a browser.
        assert answer.headers["Content-Security-Policy"] == NON_PAGE_POLICY
    echoed = await client.get("/healthz", headers={"X-Request-ID": "caller-chosen-id-123"})
    assert echoed.headers["X-Request-ID"] == "caller-chosen-id-123"
    # An id that could smuggle text into logs is replaced.
    replaced = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"


async def test_malformed_json_is_a_422_problem(client, login):
    response = await client.post(
        "/api/v1/units",
        content=b'{"name": ',
        headers={**await login("admin"), "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["type"] == "json_invalid"


async def test_wrong_media_type_is_415(client, login):
    response = await client.post(
        "/api/v1/units", content=b"name=x", headers={**await login("admin"), "Content-Type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported-media-type")


async def test_oversized_bodies_are_413_whether_declared_or_streamed(make_app, county, login):
    app = make_app(max_body_bytes=2048)
    async with client_for(app) as client:
        token = (
            await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "admin", "password": "Qinghu-Demo-2026"},
            )
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"}
        big = json.dumps({"name": "x" * 5000, "kind": "community", "parent_id": "0"}).encode()
        assert_problem(
            await client.post("/api/v1/units", content=big, headers=headers), 413, "payload-too-large"
        )

        async def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = await client.post("/api/v1/units", content=chunks(), headers=headers)
        assert_problem(streamed, 413, "payload-too-large")


async def test_unexpected_errors_are_500_problems_without_internals(make_app, caplog):
    app = make_app()
    router = APIRouter()

    @router.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail 330381200901011231")

    app.include_router(router)
    async with client_for(app, raise_app_exceptions=False) as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/api/v1/boom")
    body = assert_problem(response, 500, "internal-error")
    assert response.headers["X-Request-ID"] in body["detail"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "secret internal detail" in caplog.text  # the trace is logged for the operator
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in body.get("detail", "")


async def test_unreachable_database_is_503_and_readyz_says_why(make_app):
    app = make_app(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async with client_for(app) as client:
        response = await client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": "admin", "password": "whatever"}
        )
        assert_problem(response, 503, "service-unavailable")
        assert response.headers["Retry-After"]
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"
        assert (await client.get("/healthz")).status_code == 200


async def test_readyz_reports_ready_when_migrated(client):
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "at head", "detail": None}


async def test_request_log_has_one_line_per_request_without_query_values(client, login, caplog):
    headers = await login("county_lead")
    unknown = "7d5e3c1a-0000-4000-8000-00000000beef"
    with caplog.at_level(logging.INFO, logger="qinghu.request"):
        await client.get("/api/v1/units", params={"q": "张三"}, headers=headers)
        await client.get(f"/api/v1/minors/{unknown}", headers=headers)
    records = [record for record in caplog.records if record.name == "qinghu.request"]
    assert len(records) == 2
    record = records[0]
    assert record.route == "/api/v1/units"
    assert record.status == 200
    assert record.principal
    assert "张三" not in caplog.text
    # The route's template, never the path with a record's id.
    assert (records[1].route, records[1].status) == ("/api/v1/minors/{minor_id}", 404)
    assert unknown not in caplog.text


async def test_reference_lists_every_enum_with_both_labels(client):
    enums = (await client.get("/api/v1/reference")).json()["enums"]
    assert {"roles", "scopes", "unit_kinds"} <= set(enums)
    roles = {entry["code"]: entry for entry in enums["roles"]}
    assert set(roles) == {
        "admin",
        "supervisor",
        "caseworker",
        "police",
        "school_staff",
        "education",
        "auditor",
    }
    assert roles["caseworker"]["zh"] == "禁毒社工"
    for entries in enums.values():
        for entry in entries:
            assert entry["zh"]
            assert entry["en"]


async def test_spa_is_served_with_history_fallback_and_api_untouched(make_app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    (dist / "assets" / "app-abc123.js").write_text("console.log(1)")
    app = make_app(frontend_dist=dist)
    async with client_for(app) as client:
        for path in ("/", "/units", "/people/123?x=1"):
            response = await client.get(path)
            assert response.status_code == 200
            assert "id=app" in response.text
        asset = await client.get("/assets/app-abc123.js")
        assert asset.headers["Cache-Control"].endswith("immutable")
        assert_problem(await client.get("/api/v1/not-a-route"), 404)
        assert (await client.get("/openapi.json")).json()["info"]["title"].startswith("Qinghu")
        assert (await client.get("/docs")).status_code == 200


async def _raw_get(app, path: str, raw_path: bytes) -> tuple[int, bytes]:
    """A GET with the path exactly as given, as a server hands it on: httpx would normalise ``/../`` away
    before sending, so traversal would never be tried."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"qinghu.test")],
        "client": ("127.0.0.1", 40000),
        "server": ("qinghu.test", 80),
    }
    sent: list[dict] = []
    requested = False

    async def receive() -> dict:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the answer is sent
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    return status, b"".join(
        message.get("body", b"") for message in sent if message["type"] == "http.response.body"
    )


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        ("/../secret.txt", b"/../secret.txt"),
        ("/assets/../../secret.txt", b"/assets/../../secret.txt"),
        ("/../secret.txt", b"/%2e%2e/secret.txt"),
        ("/assets/../../secret.txt", b"/assets/..%2f..%2fsecret.txt"),
        ("/assets/../../../../../../../../etc/passwd", b"/assets/../../../../../../../../etc/passwd"),
        ("/../../../../../../../../etc/passwd", b"/../../../../../../../../etc/passwd"),
        ("//etc/passwd", b"//etc/passwd"),
        ("/assets//etc/passwd", b"/assets//etc/passwd"),
    ],
)
async def test_no_file_outside_the_web_apps_folder_is_served(make_app, tmp_path, path, raw_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    (tmp_path / "secret.txt").write_text("not for the web")
    app = make_app(frontend_dist=dist)
    status, body = await _raw_get(app, path, raw_path)
    assert b"not for the web" not in body
    assert b"root:" not in body
    # The web app's own page (history fallback) or a 404, nothing else.
    assert (status, body.startswith(b"<!doctype html>")) in {(200, True), (404, False)}, (status, body[:80])


async def test_the_web_app_has_a_policy_without_inline_script_on_every_route(make_app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><script type="module" crossorigin src="/assets/index-abc.js"></script><div id=app></div>'
    )
    (dist / "assets" / "index-abc.js").write_text("export {}")
    app = make_app(frontend_dist=dist)
    async with client_for(app) as client:
        for path in ("/", "/login", "/care-files/7d5e3c1a-0000-4000-8000-00000000beef", "/minors?x=1"):
            page = await client.get(path)
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["Content-Security-Policy"] == PAGE_POLICY, path
            policy_of(page)
        # A script file is no page: its answer allows nothing (a browser applies a policy to pages only).
        script = await client.get("/assets/index-abc.js")
        assert script.headers["Content-Security-Policy"] == NON_PAGE_POLICY


async def test_api_docs_load_only_from_this_origin_with_a_nonce_per_answer(client):
    seen_nonces = set()
    for path, bundle in (
        ("/docs", "/docs/assets/swagger-ui-bundle.js"),
        ("/redoc", "/docs/assets/redoc.standalone.js"),
    ):
        for _ in range(2):
            page = await client.get(path)
            assert page.status_code == 200
            assert page.headers["Cache-Control"] == "no-store"
            policy = policy_of(page)
            (nonce_source,) = [source for source in policy["script-src"] if source.startswith("'nonce-")]
            nonce = nonce_source.removeprefix("'nonce-").removesuffix("'")
            seen_nonces.add(nonce)
            links = PageLinks(page.text)
            # The one inline script (the start of Swagger UI or ReDoc) carries this answer's nonce.
            assert links.inline_script_nonces == [nonce]
            assert links.inline_styles == 0
            assert bundle in links.urls
            for url in links.urls:
                assert re.fullmatch(r"/[^/].*", url), url  # this origin: a path, never //host or a scheme
                loaded = await client.get(url)
                assert loaded.status_code == 200, url
            assert "googleapis" not in page.text
            assert "cdn." not in page.text
    assert len(seen_nonces) == 4
    swagger = await client.get("/docs")
    assert policy_of(swagger)["style-src-elem"] == ["'self'", f"'nonce-{_nonce(swagger)}'"]
    assert policy_of(swagger)["worker-src"] == ["'self'"]
    # ReDoc writes <style> elements as it loads and builds its search index in a blob: worker; its scripts
    # are held like everyone's.
    redoc = await client.get("/redoc")
    assert policy_of(redoc)["style-src-elem"] == ["'self'", "'unsafe-inline'"]
    assert policy_of(redoc)["worker-src"] == ["'self'", "blob:"]
    # Its sidebar credit's logo would come from its vendor's host: the served bundle names none.
    bundle = await client.get("/docs/assets/redoc.standalone.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "cdn.redoc.ly" not in bundle.text
    assert_problem(await client.get("/docs/assets/nothing.js"), 404)
    assert_problem(await client.get("/docs/oauth2-redirect"), 404)


def _nonce(response) -> str:
    match = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["Content-Security-Policy"])
    assert match
    return match.group(1)


async def test_a_chunk_of_another_build_is_404_and_a_rebuild_is_picked_up(make_app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    app = make_app(frontend_dist=dist)
    async with client_for(app) as client:
        # Never index.html for a missing script: the browser would parse HTML as JavaScript.
        assert_problem(await client.get("/assets/old-chunk-1a2b.js"), 404)
        (dist / "assets" / "new-chunk-3c4d.js").write_text("export {}")
        fresh = await client.get("/assets/new-chunk-3c4d.js")
        assert fresh.status_code == 200
        assert fresh.text == "export {}"


async def test_connections_the_database_closed_are_replaced_without_an_error(app, client, login):
    """After a database restart (here: every server process of the pool terminated), the next requests are
    answered normally: a pooled connection the server closed is never handed to a request."""
    async with app.state.engine.connect() as probe:
        if probe.dialect.name != "postgresql":
            pytest.skip("SQLite has no server to restart")
    headers = await login("county_lead")
    # Fill the pool with several connections, then have the server end all of them.
    answers = await asyncio.gather(*(client.get("/api/v1/units", headers=headers) for _ in range(5)))
    assert {answer.status_code for answer in answers} == {200}
    async with app.state.engine.connect() as killer:
        ended = await killer.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert ended >= 1
    await asyncio.sleep(0.2)  # the driver notices the closed sockets
    answers = await asyncio.gather(*(client.get("/api/v1/units", headers=headers) for _ in range(5)))
    assert [answer.status_code for answer in answers] == [200] * 5


def test_no_route_or_dependency_runs_in_a_worker_thread():
    """FastAPI runs a plain ``def`` route or dependency in a worker thread: a thread hop on every request (a
    third of a look-up's time when the cipher's dependency was one). Every one here is ``async``."""

    def calls(dependant: Dependant) -> Iterator[Callable[..., object]]:
        for sub in dependant.dependencies:
            if sub.call is not None:
                yield sub.call
            yield from calls(sub)

    def runs_on_the_loop(call: Callable[..., object]) -> bool:
        function = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
        return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)

    routes = [route for router in API_ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 50
    threaded = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in (route.endpoint, *calls(route.dependant))
        if not runs_on_the_loop(call)
    }
    assert not threaded


async def test_assets_are_sent_precompressed_to_browsers_that_accept_it(make_app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    script = "export const answer = 42\n" * 100
    (dist / "assets" / "app-abc123.js").write_text(script)
    (dist / "assets" / "app-abc123.js.br").write_bytes(b"brotli bytes")
    (dist / "assets" / "app-abc123.js.gz").write_bytes(b"gzip bytes")
    (dist / "assets" / "small-1.css").write_text("a{}")
    app = make_app(frontend_dist=dist)
    async with client_for(app) as client:
        # httpx would decode a compressed body: read the raw stream to see the bytes as sent
        async def raw(path: str, accept: str) -> tuple[dict[str, str], bytes]:
            async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
                assert response.status_code == 200
                return dict(response.headers), b"".join([chunk async for chunk in response.aiter_raw()])

        headers, body = await raw("/assets/app-abc123.js", "gzip, deflate, br")
        assert (headers["content-encoding"], body) == ("br", b"brotli bytes")
        assert headers["vary"] == "Accept-Encoding"
        assert headers["content-type"].startswith("text/javascript")
        assert headers["cache-control"].endswith("immutable")
        headers, body = await raw("/assets/app-abc123.js", "gzip")
        assert (headers["content-encoding"], body) == ("gzip", b"gzip bytes")
        headers, body = await raw("/assets/app-abc123.js", "br;q=0, gzip")
        assert headers["content-encoding"] == "gzip"
        headers, body = await raw("/assets/app-abc123.js", "identity")
        assert "content-encoding" not in headers
        assert body.decode() == script
        assert headers["vary"] == "Accept-Encoding"
        # a file too small to be worth compressing has no copy and no Vary
        headers, body = await raw("/assets/small-1.css", "br")
        assert "content-encoding" not in headers
        assert "vary" not in headers
