"""HTTP plumbing shared by every route: request ids, security headers (the Content-Security-Policy among
them), body limits, the request log, and the request contract (no unknown query parameters, the right body
media type)."""

import enum
import logging
import re
import secrets
import time
import uuid
from typing import Any

from fastapi import Request, params
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import FieldProblem, UnsupportedMediaType, ValidationFailed, problem_response
from backend.request_context import request_id_var

log = logging.getLogger("qinghu.request")

API_PREFIX = "/api/v1"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Sent with every answer. HSTS is ignored by browsers over plain HTTP (development), so it is always sent.
_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"strict-transport-security", b"max-age=31536000"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"x-permitted-cross-domain-policies", b"none"),
)
# Anything that is not a page (JSON, files, the web app's scripts) may load nothing and be framed by no one.
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"


class PageAllowance(enum.Flag):
    """What one page may have beyond the standard page policy, asked for by that page with its reason
    (``allow_on_page``). Scripts are never among them: ``script-src`` takes this origin and the nonce only."""

    none = 0
    # <style> elements a library writes as its bundle loads, before any nonce can be handed to it (ReDoc).
    inline_style_elements = enum.auto()
    # Web workers a library builds from its own code through a blob: URL (ReDoc's search index).
    blob_workers = enum.auto()


def page_policy(nonce: str | None = None, allowances: PageAllowance = PageAllowance.none) -> str:
    """The Content-Security-Policy of every HTML page the server writes (the web app, the API docs, printable
    notices): everything from this origin only; no inline script except one carrying this answer's nonce."""
    nonce_source = f" 'nonce-{nonce}'" if nonce else ""
    if PageAllowance.inline_style_elements in allowances:
        style_elements = "'self' 'unsafe-inline'"
    else:
        style_elements = f"'self'{nonce_source}"
    workers = "'self' blob:" if PageAllowance.blob_workers in allowances else "'self'"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{nonce_source}",
            # Browsers without the two directives below (CSP level 2) apply this one to both.
            "style-src 'self' 'unsafe-inline'",
            f"style-src-elem {style_elements}",
            # Style attributes: ECharts writes its tooltips as HTML with style attributes. They style their own
            # element only; loading anything (a url() in them) still needs img-src or font-src.
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            f"worker-src {workers}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def csp_nonce(request: Request) -> str:
    """The nonce for this answer's inline script (made on first use); the middleware names it in the page's
    policy. Pages without inline code never ask, and their policy has no nonce."""
    state = request.scope.setdefault("state", {})
    nonce: str | None = state.get("csp_nonce")
    if nonce is None:
        nonce = state["csp_nonce"] = secrets.token_urlsafe(18)
    return nonce


def allow_on_page(request: Request, allowances: PageAllowance) -> None:
    """Widen this page's policy by ``allowances`` (see ``PageAllowance``), for this answer only."""
    state = request.scope.setdefault("state", {})
    state["csp_allowances"] = state.get("csp_allowances", PageAllowance.none) | allowances


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(key.lower() == b"content-type" and value.startswith(b"text/html") for key, value in headers)


class HttpMiddleware:
    """One pure-ASGI middleware: request id, body size limit, security headers, one log line per request.

    The body limit is ours rather than Starlette's ``max_body_size`` because that one answers a declared
    oversize body with text/plain, outside the problem+json contract. Multipart bodies (evidence uploads)
    get the larger upload limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_token = request_id_var.set(request_id)
        is_api = scope["path"].startswith("/api/")
        is_upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload_bytes if is_upload else self.max_body_bytes
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["started"] = True
                status_holder["status"] = message["status"]
                headers = message.get("headers", [])
                if _is_html(headers):
                    state = scope["state"]
                    policy = page_policy(
                        state.get("csp_nonce"), state.get("csp_allowances", PageAllowance.none)
                    )
                else:
                    policy = NON_PAGE_POLICY
                extra = [
                    (b"x-request-id", request_id.encode()),
                    *_SECURITY_HEADERS,
                    (b"content-security-policy", policy.encode()),
                ]
                if is_api:
                    extra.append((b"cache-control", b"no-store"))
                # Time spent in the application, for operators and the benchmarks (RFC: Server-Timing).
                elapsed = (time.perf_counter() - started) * 1000
                extra.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                existing = {key.lower() for key, _ in headers}
                message["headers"] = [
                    *headers,
                    *((key, value) for key, value in extra if key not in existing),
                ]
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes FastAPI's body reader untouched and is rendered as a problem.
                    raise StarletteHTTPException(
                        413, detail=f"The request body is larger than {limit} bytes."
                    )
            return message

        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                too_large = problem_response(413, detail=f"The request body is larger than {limit} bytes.")
                await too_large(scope, receive, send_with_headers)
            else:
                await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            # A bug: the trace goes to the log under the request id, never to the client. Handled here rather
            # than by an exception handler so the answer still carries the request id and security headers.
            log.exception("unhandled_error", extra={"request_id": request_id})
            if not status_holder["started"]:
                crashed = problem_response(
                    500, detail=f"An unexpected error occurred (request {request_id})."
                )
                await crashed(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(request_id_token)
            # The route template and method only: query strings may carry search terms such as a name.
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": scope.get("qinghu.route") or ("/api/*" if is_api else scope["path"]),
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "principal": scope.get("state", {}).get("principal_id"),
                },
            )


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _route_contract(route: Any) -> tuple[frozenset[str], str | None]:
    """The query parameter names a route declares and the media type its body needs (cached per route)."""
    cached = getattr(route, "_qinghu_contract", None)
    if cached is not None:
        return cached
    query_names: set[str] = set()
    body_fields: list[Any] = []
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        query_names.update(field.alias or field.name for field in dependant.query_params)
        body_fields.extend(dependant.body_params)
        pending.extend(dependant.dependencies)
    body_kind = None
    if body_fields:
        is_form = any(isinstance(field.field_info, params.Form) for field in body_fields)
        body_kind = "form" if is_form else "json"
    contract = (frozenset(query_names), body_kind)
    route._qinghu_contract = contract
    return contract


async def enforce_request_contract(request: Request) -> None:
    """Unknown query parameters are a 422 (a misspelt filter must not silently match everything); a body in
    the wrong media type is a 415."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    # Domain routers carry their own prefix; the API prefix is added when they are included.
    request.scope["qinghu.route"] = API_PREFIX + route.path_format
    names, body_kind = _route_contract(route)
    unknown = sorted(set(request.query_params.keys()) - names)
    if unknown:
        raise ValidationFailed(
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            errors=[
                FieldProblem(loc=["query", name], msg="unknown query parameter", type="query.unknown")
                for name in unknown
            ],
        )
    if body_kind and request.method in ("POST", "PUT", "PATCH"):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body_kind == "json":
            if not (media_type == "application/json" or media_type.endswith("+json")):
                raise UnsupportedMediaType("Send the body as application/json.")
        elif media_type not in _FORM_TYPES:
            raise UnsupportedMediaType("Send the body as application/x-www-form-urlencoded.")
