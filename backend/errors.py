"""Errors as RFC 9457 problem+json: the project's exception types and the one place they are rendered."""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://qinghu.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("qinghu.errors")


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "person", "id_number"]])
    msg: str = Field(examples=["check digit does not match"])
    type: str = Field(examples=["id_number.checksum"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[PROBLEM_BASE + "validation"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    """An error the client can act on. Subclasses fix the status, slug and title."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    # Whether what the request wrote before this error must still be committed.
    keep_changes: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        keep_changes: bool | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        if keep_changes is not None:
            self.keep_changes = keep_changes
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra or {}

    def to_body(self, instance: str | None = None) -> dict[str, Any]:
        body = Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        ).model_dump(exclude_none=True)
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    pass


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="qinghu"'})
        super().__init__(detail, **kwargs)


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed"


class PasswordChangeRequired(ProblemError):
    status, slug, title = 403, "password-change-required", "Password change required"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "The resource has changed"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(ProblemError):
    status, slug, title = 422, "validation", "Invalid request"

    @classmethod
    def field(cls, loc: Sequence[str | int], msg: str, type_: str) -> "ValidationFailed":
        """One field problem; ``detail`` names the field as API.md shows (``person.id_number: ...``)."""
        path = ".".join(str(part) for part in loc[1:] if part != "__root__") or str(loc[0])
        return cls(f"{path}: {msg}", errors=[FieldProblem(loc=list(loc), msg=msg, type=type_)])


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid request"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal error"),
    503: ("service-unavailable", "Service unavailable"),
    507: ("insufficient-storage", "The file store is full"),
}


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    slug: str | None = None,
    title: str | None = None,
) -> JSONResponse:
    default_slug, default_title = _STATUS_SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    problems = []
    for error in exc.errors():
        loc = [
            part
            for part in error.get("loc", ())
            if not isinstance(part, str) or not part.startswith("function-")
        ]
        msg = str(error.get("msg", "invalid"))
        # Pydantic prefixes messages raised by our validators with "Value error, ".
        msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        ctx = error.get("ctx") or {}
        problem_type = ctx.get("problem_type") if isinstance(ctx, dict) else None
        problems.append({"loc": loc, "msg": msg, "type": problem_type or str(error.get("type", "invalid"))})
    return problems


def _summary(problems: list[dict[str, Any]]) -> str:
    parts = []
    for problem in problems[:5]:
        path = ".".join(str(part) for part in problem["loc"][1:]) or ".".join(map(str, problem["loc"]))
        parts.append(f"{path}: {problem['msg']}" if path else problem["msg"])
    return "; ".join(parts)


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """The methods the API answers on ``path``. A route with a literal path (``/minors/policy``) owns it
    outright; a templated one (``/minors/{minor_id}``) that would also match does not add its methods."""
    literal: set[str] = set()
    templated: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if getattr(route, "include_in_schema", False) and route.methods and route.path_regex.match(path):
            (templated if route.param_convertors else literal).update(route.methods)
    return literal or templated


def method_not_allowed(app: FastAPI, path: str) -> JSONResponse:
    allow = ", ".join(sorted(allowed_methods(app, path)))
    return problem_response(405, detail=f"This resource answers {allow}.", headers={"Allow": allow})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return JSONResponse(
            exc.to_body(),
            status_code=exc.status,
            headers=exc.headers or None,
            media_type=PROBLEM_MEDIA_TYPE,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # `PATCH /minors/policy` with a body FastAPI cannot read fails here, before the request contract sees
        # that the path is the policy's (no PATCH), not a minor's.
        allowed = allowed_methods(request.app, request.url.path)
        if allowed and request.method not in allowed:
            return method_not_allowed(request.app, request.url.path)
        problems = _validation_errors(exc)
        return problem_response(422, detail=_summary(problems), errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            # Routing's 405 names only the first route that matched the path; a GET caught by the web app's
            # fallback is a 404. Both answer 405 with every method the path has, when it has any.
            allowed = allowed_methods(request.app, request.url.path)
            if allowed and request.method not in allowed:
                return method_not_allowed(request.app, request.url.path)
        if exc.status_code == 400:
            # Only FastAPI and Starlette raise a bare 400 (ours are ProblemErrors): the body could not be read as
            # its media type says (invalid UTF-8, broken multipart). Invalid input, like malformed JSON, which
            # FastAPI itself answers with 422.
            problem = {
                "loc": ["body"],
                "msg": "the body cannot be read as its media type",
                "type": "body.unreadable",
            }
            return problem_response(
                422, detail="body: the body cannot be read as its media type", errors=[problem]
            )
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found",) else None
        return problem_response(exc.status_code, detail=detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
        # A uniqueness race that a service's own check could not see; the message names no values.
        log.warning("integrity_error", extra={"error_class": type(exc.orig).__name__})
        return problem_response(409, detail="The change conflicts with data stored meanwhile; retry.")

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.error("database_unavailable", extra={"error_class": type(exc).__name__})
        return problem_response(
            503, detail="The database is unreachable; try again shortly.", headers={"Retry-After": "5"}
        )

    for exc_class in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError):
        app.add_exception_handler(exc_class, _unavailable)

    @app.exception_handler(sa_exc.DBAPIError)
    async def _database_error(request: Request, exc: sa_exc.DBAPIError) -> JSONResponse:
        # A connection lost mid-request (a terminated backend, a restart) is reported by the driver as a plain
        # database error; the engine has marked it as a disconnect and dropped the connection. Nothing of the
        # request was committed: the client retries.
        if exc.connection_invalidated:
            return await _unavailable(request, exc)
        # Anything else is a bug: logged with its trace under the request id, never shown.
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.error("database_error", exc_info=exc, extra={"error_class": type(exc.orig).__name__})
        return problem_response(500, detail=f"An unexpected error occurred (request {request_id}).")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problems an operation can answer."""
    descriptions = {status: title for status, (_slug, title) in _STATUS_SLUGS.items()}
    descriptions[412] = "The resource has changed (If-Match is stale)"
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Problem"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
