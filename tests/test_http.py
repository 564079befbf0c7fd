"""The HTTP contract every route shares: problem+json for every error, headers, body limits, 503."""

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from backend.main import API_ROUTERS
from tests.conftest import assert_problem, client_for


async def test_unknown_path_and_method_are_problems(client, login):
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not-found")
    response = await client.delete("/api/v1/units", headers=await login("admin"))
    assert_problem(response, 405, "method-not-allowed")


async def test_every_response_carries_request_id_and_security_headers(client, login):
    response = await client.get("/api/v1/reference")
    assert response.status_code == 200
    assert len(response.headers["X-Request-ID"]) >= 8
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    error = await client.get("/api/v1/units")
    assert error.headers["X-Request-ID"]
    assert error.headers["X-Content-Type-Options"] == "nosniff"
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
        assert (await client.get("/../../etc/passwd")).text.startswith("<!doctype html>")


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
