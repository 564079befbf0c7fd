"""HTTP plumbing shared by every route: request ids, security headers, body limits, the request log,
and the request contract (no unknown query parameters, the right body media type)."""

import logging
import re
import time
import uuid
from typing import Any

from fastapi import Request, params
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import (
    FieldProblem,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    problem_response,
)

log = logging.getLogger("qinghu.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class _BodyTooLarge(Exception):
    pass


class HttpMiddleware:
    """One pure-ASGI middleware: request id, body size limit, security headers, one log line per request."""

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
        path: str = scope["path"]
        is_api = path.startswith("/api/")
        limit = (
            self.max_upload_bytes
            if headers.get("content-type", "").startswith("multipart/form-data")
            else self.max_body_bytes
        )
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if is_api:
                    extra.append((b"cache-control", b"no-store"))
                existing = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((key, value) for key, value in extra if key not in existing),
                ]
            await send(message)

        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                raise _BodyTooLarge
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge
                return message

            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            response = problem_response(
                413,
                detail=f"The request body is larger than the limit of {limit} bytes.",
                slug=PayloadTooLarge.slug,
            )
            await response(scope, receive, send_with_headers)
        finally:
            # Path and method only: query strings may carry search terms such as a name.
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": getattr(route, "path", None) or ("/api/*" if is_api else "static"),
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
