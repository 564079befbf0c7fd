"""The API's documentation pages: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc).

FastAPI's own pages load their scripts from a public CDN and start Swagger UI with an inline script, which a
Content-Security-Policy without ``'unsafe-inline'`` refuses. These pages load the bundles from this server
(the files the fastapi-offline package ships: swagger-ui-dist and ReDoc's standalone bundle) and mark their one
inline script with this answer's nonce (``backend.http.csp_nonce``), which the page's policy names.
"""

import html
import json
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from backend.http import PageAllowance, allow_on_page, csp_nonce

ASSETS_PATH = "/docs/assets"
_ASSETS_PACKAGE = ("fastapi_offline", "static")
_FONTS = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif'
# ReDoc's sidebar credit shows a logo from its vendor's CDN, with no option to leave it out: served from here,
# the credit keeps its text and shows an empty image instead of asking another host.
_REDOC_VENDOR_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no ``</script>`` can end it early)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _page(*, title: str, head: str, body: str) -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
"""
    # The page carries this answer's nonce: never cached.
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def mount_api_docs(app: FastAPI) -> None:
    """Serve the documentation pages and their bundles (the app is made with ``docs_url=redoc_url=None``)."""
    openapi_url = app.openapi_url or "/openapi.json"
    swagger_parameters = {
        **swagger_ui_default_parameters,
        "url": openapi_url,
        # The public validator is another host: no badge, no call to it.
        "validatorUrl": None,
        # People and clients log in with the password and client-credentials grants: no OAuth2 redirect page.
    }
    redoc_bundle = (
        files(_ASSETS_PACKAGE[0])
        .joinpath(_ASSETS_PACKAGE[1], "redoc.standalone.js")
        .read_text(encoding="utf-8")
        .replace(_REDOC_VENDOR_LOGO, _EMPTY_IMAGE)
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        nonce = csp_nonce(request)
        return _page(
            title=f"{app.title} — Swagger UI",
            head=f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
            body=f"""<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script nonce="{nonce}">
window.ui = SwaggerUIBundle({{
  ...{_script_json(swagger_parameters)},
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
</script>""",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        nonce = csp_nonce(request)
        # ReDoc writes <style> elements as its bundle loads (before its `nonce` option is read) and builds its
        # search index in a worker from a blob: URL; its scripts keep the strict policy.
        allow_on_page(request, PageAllowance.inline_style_elements | PageAllowance.blob_workers)
        # Its default fonts come from a public host (FastAPI's page links them): the system's fonts instead.
        options = {"theme": {"typography": {"fontFamily": _FONTS, "headings": {"fontFamily": _FONTS}}}}
        return _page(
            title=f"{app.title} — ReDoc",
            head="",
            body=f"""<div id="redoc"></div>
<script src="{ASSETS_PATH}/redoc.standalone.js"></script>
<script nonce="{nonce}">
Redoc.init({_script_json(openapi_url)}, {_script_json(options)}, document.getElementById("redoc"));
</script>""",
        )

    # Before the mount, so that this one file is the adjusted bundle.
    @app.get(f"{ASSETS_PATH}/redoc.standalone.js", include_in_schema=False)
    async def redoc_bundle_file() -> Response:
        return Response(
            redoc_bundle, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
        )

    app.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="api-docs-assets")
