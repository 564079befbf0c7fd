"""HTTP plumbing shared by every route: request ids, security headers, body limits, the request log,
and the request contract (no unknown query parameters, the right body media type)."""

import logging
import re
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
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if is_api:
                    extra.append((b"cache-control", b"no-store"))
                # Time spent in the application, for operators and the benchmarks (RFC: Server-Timing).
                elapsed = (time.perf_counter() - started) * 1000
                extra.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                existing = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
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
