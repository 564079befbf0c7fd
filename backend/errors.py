"""Errors as RFC 9457 problem+json: the project's exception types and the one place they are rendered.

The texts (``title``, ``detail``, each field error's ``msg``) are written in the reader's language when the
answer is rendered (``Accept-Language``, Chinese by default; backend/messages.py); ``type``, ``status`` and each
field error's ``loc`` and ``type`` are codes and never change with it."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.messages import (
    DEFAULT_LOCALE,
    InvalidValue,
    Joined,
    Locale,
    Localisable,
    Text,
    localise,
    negotiate,
    pydantic_message,
)

PROBLEM_BASE = "https://qinghu.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("qinghu.errors")


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "person", "id_number"]])
    msg: str = Field(examples=["check digit does not match"])
    type: str = Field(examples=["id_number.checksum"])


Message = str | Localisable


@dataclass(frozen=True)
class FieldError:
    """One field problem as raised; its ``msg`` is a catalogue message, rendered as ``FieldProblem``."""

    loc: list[str | int]
    msg: Message
    type: str

    def rendered(self, locale: Locale) -> dict[str, Any]:
        return {"loc": self.loc, "msg": localise(self.msg, locale), "type": self.type}


def field_summary(errors: Iterable[FieldError]) -> Joined:
    """A 422's ``detail``: its first field errors as ``path: msg`` (the path without ``body``/``query``)."""
    parts = []
    for error in list(errors)[:5]:
        path = ".".join(str(part) for part in error.loc[1:] if part != "__root__") or ".".join(
            map(str, error.loc)
        )
        parts.append(
            Text("{path}: {msg}", path=path, msg=_as_text(error.msg)) if path else _as_text(error.msg)
        )
    return Joined(parts)


def _as_text(message: Message) -> Localisable:
    return Text(message) if isinstance(message, str) else message


def request_locale(request: Request) -> Locale:
    return negotiate(request.headers.get("accept-language"))


def language_headers(locale: Locale, headers: dict[str, str] | None = None) -> dict[str, str]:
    """A problem's language headers: the texts' language, and that the answer differs by Accept-Language."""
    merged = dict(headers or {})
    merged["Content-Language"] = locale
    vary = merged.get("Vary")
    merged["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
    return merged


class Problem(BaseModel):
    """RFC 9457 problem details. ``type``, ``status`` and each error's ``loc`` and ``type`` are stable codes to act
    on; ``title``, ``detail`` and each error's ``msg`` are for people, in Chinese unless the request's
    ``Accept-Language`` asks for English (``Content-Language`` says which)."""

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
        detail: Message | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        keep_changes: bool | None = None,
    ) -> None:
        super().__init__(str(detail or self.title))
        if keep_changes is not None:
            self.keep_changes = keep_changes
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra or {}

    def to_body(self, instance: str | None = None, locale: Locale = DEFAULT_LOCALE) -> dict[str, Any]:
        body = Problem(
            type=PROBLEM_BASE + self.slug,
            title=localise(self.title, locale) or self.title,
            status=self.status,
            detail=localise(self.detail, locale),
            instance=instance,
            errors=[FieldProblem(**error.rendered(locale)) for error in self.errors] if self.errors else None,
        ).model_dump(exclude_none=True)
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    pass


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: Message | None = None, **kwargs: Any) -> None:
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
    def field(cls, loc: Sequence[str | int], msg: Message, type_: str) -> "ValidationFailed":
        """One field problem; ``detail`` names the field as API.md shows (``person.id_number: ...``)."""
        return cls.of([FieldError(list(loc), msg, type_)])

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> "ValidationFailed":
        """Field problems, summed up in ``detail``."""
        return cls(field_summary(errors), errors=errors)


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
    locale: Locale = DEFAULT_LOCALE,
    detail: Message | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    slug: str | None = None,
) -> JSONResponse:
    """A problem answer for a status, its texts in ``locale``."""
    default_slug, default_title = _STATUS_SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or default_slug),
        "title": localise(default_title, locale),
        "status": status,
    }
    if detail:
        body["detail"] = localise(detail, locale)
    if errors:
        body["errors"] = [error.rendered(locale) for error in errors]
    return JSONResponse(
        body, status_code=status, headers=language_headers(locale, headers), media_type=PROBLEM_MEDIA_TYPE
    )


class _PydanticMessage:
    """One of pydantic's field errors, in the reader's language: pydantic's own English, or Chinese written per
    error type (backend/messages.py); a refusal of our own validators is looked up in the catalogue."""

    __slots__ = ("ctx", "english", "error_type")

    def __init__(self, error_type: str, english: str, ctx: dict[str, Any]) -> None:
        self.error_type, self.english, self.ctx = error_type, english, ctx

    def render(self, locale: Locale) -> str:
        error = self.ctx.get("error")
        if isinstance(error, InvalidValue):
            return localise(error.text, locale) or self.english
        return pydantic_message(self.error_type, self.english, self.ctx, locale)


# pydantic's refusals of a value it could not read: for an empty string, the field was simply left blank.
_BLANK_MEANS_MISSING = frozenset(
    {
        "uuid_parsing",
        "date_parsing",
        "date_from_datetime_parsing",
        "datetime_parsing",
        "datetime_from_date_parsing",
        "time_parsing",
        "int_parsing",
        "float_parsing",
        "decimal_parsing",
        "bool_parsing",
    }
)


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
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
        ctx = ctx if isinstance(ctx, dict) else {}
        error_type = str(error.get("type", "invalid"))
        if error.get("input") == "" and error_type in _BLANK_MEANS_MISSING:
            # A form's field left blank arrives as "": the reader is told it is required, not that "" is no
            # valid UUID or ISO 8601 date.
            error_type, msg, ctx = "missing", "Field required", {}
        problem_type = ctx.get("problem_type")
        problems.append(FieldError(loc, _PydanticMessage(error_type, msg, ctx), problem_type or error_type))
    return problems


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """The methods the API answers on ``path``. A route with a literal path (``/minors/policy``) owns it
    outright; a templated one (``/minors/{minor_id}``) that would also match does not add its methods."""
    literal: set[str] = set()
    templated: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if getattr(route, "include_in_schema", False) and route.methods and route.path_regex.match(path):
            (templated if route.param_convertors else literal).update(route.methods)
    return literal or templated


def method_not_allowed(request: Request) -> JSONResponse:
    allow = ", ".join(sorted(allowed_methods(request.app, request.url.path)))
    return problem_response(
        405,
        locale=request_locale(request),
        detail=Text("This resource answers {methods}.", methods=allow),
        headers={"Allow": allow},
    )


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read (an HTTPException passes FastAPI's body reader untouched): 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.text = Text("The request body is larger than {limit} bytes.", limit=limit)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        locale = request_locale(request)
        return JSONResponse(
            exc.to_body(locale=locale),
            status_code=exc.status,
            headers=language_headers(locale, exc.headers),
            media_type=PROBLEM_MEDIA_TYPE,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # `PATCH /minors/policy` with a body FastAPI cannot read fails here, before the request contract sees
        # that the path is the policy's (no PATCH), not a minor's.
        allowed = allowed_methods(request.app, request.url.path)
        if allowed and request.method not in allowed:
            return method_not_allowed(request)
        problems = _validation_errors(exc)
        return problem_response(
            422, locale=request_locale(request), detail=field_summary(problems), errors=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            # Routing's 405 names only the first route that matched the path; a GET caught by the web app's
            # fallback is a 404. Both answer 405 with every method the path has, when it has any.
            allowed = allowed_methods(request.app, request.url.path)
            if allowed and request.method not in allowed:
                return method_not_allowed(request)
        locale = request_locale(request)
        if exc.status_code == 400:
            # Only FastAPI and Starlette raise a bare 400 (ours are ProblemErrors): the body could not be read as
            # its media type says (invalid UTF-8, broken multipart). Invalid input, like malformed JSON, which
            # FastAPI itself answers with 422.
            problems = [FieldError(["body"], "the body cannot be read as its media type", "body.unreadable")]
            return problem_response(422, locale=locale, detail=field_summary(problems), errors=problems)
        detail: Message | None = None
        if isinstance(exc, BodyTooLarge):
            detail = exc.text
        elif isinstance(exc.detail, str) and exc.detail != "Not Found":
            detail = exc.detail
        return problem_response(
            exc.status_code, locale=locale, detail=detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
        # A uniqueness race that a service's own check could not see; the message names no values.
        log.warning("integrity_error", extra={"error_class": type(exc.orig).__name__})
        return problem_response(
            409,
            locale=request_locale(request),
            detail="The change conflicts with data stored meanwhile; retry.",
        )

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.error("database_unavailable", extra={"error_class": type(exc).__name__})
        return problem_response(
            503,
            locale=request_locale(request),
            detail="The database is unreachable; try again shortly.",
            headers={"Retry-After": "5"},
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
        return problem_response(500, locale=request_locale(request), detail=unexpected_error(request_id))


def unexpected_error(request_id: str) -> Text:
    return Text("An unexpected error occurred (request {request_id}).", request_id=request_id)


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
