"""CORS: none by default (the web app is served from the API's own origin); only the configured origins are
allowed when QINGHU_CORS_ORIGINS names some."""

from tests.conftest import client_for

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}


async def test_no_origin_is_allowed_by_default(make_app):
    async with client_for(make_app()) as http:
        preflight = await http.options(
            "/api/v1/minors", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        assert "access-control-allow-origin" not in preflight.headers
        answer = await http.get("/api/v1/reference", headers={"Origin": "https://evil.example"})
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers


async def test_only_the_configured_origins_are_allowed(make_app):
    async with client_for(make_app(cors_origins=["https://ops.qinghu.example"])) as http:
        allowed = await http.options(
            "/api/v1/minors", headers={"Origin": "https://ops.qinghu.example", **PREFLIGHT}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://ops.qinghu.example"
        assert "credentials" not in allowed.headers.get("access-control-allow-credentials", "")
        refused = await http.options(
            "/api/v1/minors", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answer = await http.get("/api/v1/reference", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in answer.headers
