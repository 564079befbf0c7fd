"""What the current request is, for code far from the route (the audit trail): set once by the middleware."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("qinghu_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
