"""The request contract as the spec states it: every status an operation answers is declared, a method a path
does not have is a 405 naming the ones it has, a body that cannot be read is a 422."""

from pathlib import Path

import pytest

from backend.main import create_app
from tests.conftest import assert_problem, client_for

pytestmark = pytest.mark.usefixtures("county")


def _responses(app, path: str, method: str) -> set[str]:
    return set(app.openapi()["paths"][path][method]["responses"])


def test_every_operation_declares_what_the_contract_answers(app):
    # Unknown query parameters anywhere; a body in the wrong media type or too large where there is a body; the
    # database unavailable where it is used.
    assert _responses(app, "/api/v1/reference", "get") == {"200", "422"}
    assert {"413", "415", "422", "503"} <= _responses(app, "/api/v1/minors", "post")
    assert {"413", "415", "422", "503"} <= _responses(app, "/api/v1/auth/token", "post")
    assert {"422", "503"} <= _responses(app, "/api/v1/units", "get")
    assert "415" not in _responses(app, "/api/v1/units", "get")
    spec = app.openapi()
    undeclared_422 = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
        if "422" not in operation["responses"]
    ]
    assert undeclared_422 == []


async def test_an_unknown_query_parameter_is_the_declared_422(client):
    problem = assert_problem(await client.get("/api/v1/reference?foo=1"), 422, "validation")
    assert problem["errors"] == [
        {"loc": ["query", "foo"], "msg": "unknown query parameter", "type": "query.unknown"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/minors/7e1b3c1e-4e21-4c1a-9a53-2f0a4f0a9a11", "GET, PATCH"),
        ("DELETE", "/api/v1/units/7e1b3c1e-4e21-4c1a-9a53-2f0a4f0a9a11", "GET, PATCH"),
        ("GET", "/api/v1/auth/token", "POST"),
        ("PUT", "/api/v1/minors", "GET, POST"),
        # Literal paths that a templated route would also match belong to the literal route.
        ("PATCH", "/api/v1/units/tree", "GET"),
        ("PATCH", "/api/v1/minors/policy", "GET"),
        ("GET", "/api/v1/minors/lookup", "POST"),
    ],
)
async def test_a_method_the_path_lacks_is_405_naming_every_method_it_has(client, login, method, path, allow):
    response = await client.request(method, path, headers=await login("county_lead"))
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == allow


async def test_a_literal_paths_405_comes_before_reading_its_body(client, login):
    headers = {**await login("admin"), "Content-Type": "application/json"}
    response = await client.patch("/api/v1/units/tree", content=b"{not json", headers=headers)
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_the_web_apps_fallback_does_not_hide_a_405(make_app, tmp_path: Path):
    (tmp_path / "index.html").write_text("<!doctype html><title>青护</title>")
    app = make_app(frontend_dist=tmp_path)
    async with client_for(app) as http:
        response = await http.get("/api/v1/auth/token")
        assert_problem(response, 405)
        assert response.headers["allow"] == "POST"
        assert_problem(await http.get("/api/v1/no-such-thing"), 404)
        assert (await http.get("/some/page")).text.startswith("<!doctype html>")


async def test_a_json_body_that_is_not_utf8_is_422(client, login):
    headers = {**await login("jinhu_worker"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/minors", content=b'{"name": "\xff\xfe"}', headers=headers)
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"] == [
        {"loc": ["body"], "msg": "the body cannot be read as its media type", "type": "body.unreadable"}
    ]


async def test_a_broken_multipart_body_is_422(client, login):
    headers = {**await login("jinhu_lead"), "Content-Type": "multipart/form-data; boundary=b"}
    body = b"--b\r\n\xc2\xa5 no header here--b--\r\n"
    response = await client.post(
        "/api/v1/task-reports/7e1b3c1e-4e21-4c1a-9a53-2f0a4f0a9a11/evidence", content=body, headers=headers
    )
    assert_problem(response, 422, "validation")


def test_the_revocation_answer_is_declared_without_a_body():
    spec = create_app().openapi()
    assert spec["paths"]["/api/v1/auth/revoke"]["post"]["responses"]["200"] == {
        "description": "Revoked, or unknown (RFC 7009): no body"
    }
