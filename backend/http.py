"""HTTP plumbing shared by every route: request ids, security headers (the Content-Security-Policy among
them), body limits, the request log, and the request contract (no unknown query parameters, the right body
media type)."""

import enum
import logging
import re
import secrets
import time
import typing
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, params
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.db import get_session
from backend.errors import (
    BodyTooLarge,
    FieldError,
    UnsupportedMediaType,
    ValidationFailed,
    allowed_methods,
    problem_response,
    problem_responses,
    unexpected_error,
)
from backend.messages import Text, negotiate
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

        def locale() -> Any:
            return negotiate(headers.get("accept-language"))

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes FastAPI's body reader untouched and is rendered as a problem.
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                too_large = problem_response(413, locale=locale(), detail=BodyTooLarge(limit).text)
                await too_large(scope, receive, send_with_headers)
            else:
                await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            # A bug: the trace goes to the log under the request id, never to the client. Handled here rather
            # than by an exception handler so the answer still carries the request id and security headers.
            log.exception("unhandled_error", extra={"request_id": request_id})
            if not status_holder["started"]:
                crashed = problem_response(500, locale=locale(), detail=unexpected_error(request_id))
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


def _query_fields(dependant: Any) -> Iterator[tuple[str, Any]]:
    """A dependant's query parameters as (name, annotation), a query-parameter model's fields spread out."""
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, model_field in annotation.model_fields.items():
                yield model_field.alias or name, model_field.annotation
        else:
            yield field.alias or field.name, annotation


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
        query_names.update(name for name, _annotation in _query_fields(dependant))
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
    if _has_literal_siblings(request.app, route) and request.method not in allowed_methods(
        request.app, request.url.path
    ):
        # `PATCH /minors/policy` names the policy, which has no PATCH, not a minor called "policy".
        raise StarletteHTTPException(405)
    names, body_kind = _route_contract(route)
    unknown = sorted(set(request.query_params.keys()) - names)
    if unknown:
        raise ValidationFailed(
            Text("Unknown query parameter(s): {names}.", names=", ".join(unknown)),
            errors=[
                FieldError(["query", name], "unknown query parameter", "query.unknown") for name in unknown
            ],
        )
    if body_kind and request.method in ("POST", "PUT", "PATCH"):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body_kind == "json":
            if not (media_type == "application/json" or media_type.endswith("+json")):
                raise UnsupportedMediaType("Send the body as application/json.")
        elif media_type not in _FORM_TYPES:
            raise UnsupportedMediaType("Send the body as application/x-www-form-urlencoded.")
    await enforce_bounds(request, route, body_kind)


def _has_literal_siblings(app: FastAPI, route: Any) -> bool:
    """Whether a literal path (``/minors/policy``) also matches this templated route (cached per route)."""
    cached = getattr(route, "_qinghu_literal_siblings", None)
    if cached is None:
        # The route as its router declared it, without the API prefix the app includes it under.
        cached = bool(route.param_convertors) and any(
            other.methods
            and not other.param_convertors
            and route.path_regex.match(other.path.removeprefix(API_PREFIX))
            for other in iter_route_contexts(app.routes)
            if getattr(other, "include_in_schema", False)
        )
        route._qinghu_literal_siblings = cached
    return cached


def _uses_database(route: APIRoute) -> bool:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call is get_session:
            return True
        pending.extend(dependant.dependencies)
    return False


def declare_contract_responses(router: APIRouter) -> None:
    """Declare on each of an API router's operations the problems answered before its own code runs: 422
    (unknown query parameters, unstorable text, dates), 413 and 415 where it takes a body, 503 where it needs
    the database. Called on each router before the app includes it."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        statuses = [422]
        if _route_contract(route)[1]:
            statuses += [413, 415]
        if _uses_database(route):
            statuses.append(503)
        declared = {str(status) for status in route.responses}
        for status, response in problem_responses(*statuses).items():
            if str(status) not in declared:
                route.responses[status] = response


# --- Bounds: text a database cannot store, dates written as dates ------------------------------------------
# PostgreSQL's text refuses U+0000 and UTF-8 cannot carry a lone surrogate (JSON's "\ud800"): either failed deep
# in the driver (a 500 on PostgreSQL while SQLite stored it), so every string a client sends — query, path, form
# field, JSON value or key — is checked here, once, on both databases.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In a JSON body they can only arrive escaped; most bodies are never parsed twice.
_ESCAPED_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# Dates and times in query parameters: ISO 8601 only (pydantic would also read `0.5` as a Unix time), a time
# with its offset (a time without one names no instant), in years
# whose days can be shifted by a time zone and a day either way without leaving what a datetime holds.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})")
MIN_YEAR, MAX_YEAR = 1900, 2999


def _readable(text: str) -> str:
    """The text with what cannot be stored replaced, so that a problem naming it can itself be written out."""
    return _UNSTORABLE.sub("\ufffd", text)


def _unstorable_problem(loc: list[str | int], text: str) -> FieldError:
    found = _UNSTORABLE.search(text)
    assert found
    return FieldError(
        [_readable(part) if isinstance(part, str) else part for part in loc],
        Text(
            "contains a character that cannot be stored (U+{code_point})",
            code_point=f"{ord(found.group()):04X}",
        ),
        "text.unstorable_character",
    )


def _unstorable_in_json(value: Any) -> Iterator[FieldError]:
    pending: list[tuple[list[str | int], Any]] = [(["body"], value)]
    while pending:
        loc, item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                yield _unstorable_problem(loc, item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if _UNSTORABLE.search(key):
                    yield _unstorable_problem([*loc, key], key)
                pending.append(([*loc, key], child))
        elif isinstance(item, list):
            pending.extend(([*loc, index], child) for index, child in enumerate(item))


def _temporal_query_params(route: Any) -> dict[str, type]:
    """The route's query parameters typed as a date or a datetime (cached per route)."""
    cached = getattr(route, "_qinghu_temporal", None)
    if cached is not None:
        return cached
    found: dict[str, type] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        for name, annotation in _query_fields(dependant):
            kinds = {datetime, date} & {annotation, *typing.get_args(annotation)}
            if kinds:
                found[name] = datetime if datetime in kinds else date
    route._qinghu_temporal = found
    return found


def _temporal_problem(name: str, raw: str, kind: type) -> FieldError | None:
    pattern, expected = (
        (_ISO_DATETIME, "must be an ISO 8601 date and time with its offset, e.g. 2026-11-20T21:30:00+08:00")
        if kind is datetime
        else (_ISO_DATE, "must be an ISO 8601 date, e.g. 2026-11-20")
    )
    if not pattern.fullmatch(raw):
        return FieldError(["query", name], expected, f"{kind.__name__}.format")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        invalid = "not a valid datetime" if kind is datetime else "not a valid date"
        return FieldError(["query", name], invalid, f"{kind.__name__}.parsing")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return FieldError(
            ["query", name],
            Text("must lie in the years {first}–{last}", first=MIN_YEAR, last=MAX_YEAR),
            f"{kind.__name__}.range",
        )
    return None


async def enforce_bounds(request: Request, route: Any, body_kind: str | None) -> None:
    """422 naming each field that holds text no database can store, or a date that is not an ISO date."""
    problems: list[FieldError] = []
    for name, value in request.query_params.multi_items():
        for loc, text in ((["query", name], name), (["query", name], value)):
            if _UNSTORABLE.search(text):
                problems.append(_unstorable_problem(loc, text))
    problems.extend(
        _unstorable_problem(["path", name], value)
        for name, value in request.path_params.items()
        if isinstance(value, str) and _UNSTORABLE.search(value)
    )
    temporal = _temporal_query_params(route)
    for name, kind in temporal.items():
        for raw in request.query_params.getlist(name):
            problem = _temporal_problem(name, raw, kind)
            if problem:
                problems.append(problem)
    if body_kind == "form" and request.method in ("POST", "PUT", "PATCH"):
        form = await request.form()
        for field_name, field_value in form.multi_items():
            for text in (field_name, field_value if isinstance(field_value, str) else ""):
                if _UNSTORABLE.search(text):
                    problems.append(_unstorable_problem(["body", field_name], text))
    elif body_kind == "json" and _ESCAPED_UNSTORABLE.search(await request.body()):
        problems.extend(_unstorable_in_json(await request.json()))
    if problems:
        raise ValidationFailed.of(problems)
