"""Authorisation in one place: each route declares the scopes it needs and receives its principal."""

from collections.abc import Awaitable, Callable
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2
from fastapi.security.utils import get_authorization_scheme_param

from backend.auth.models import AuthSession
from backend.auth.revocation import is_revoked
from backend.clients.models import ApiClient
from backend.db import DbSession, utcnow
from backend.errors import Forbidden, PasswordChangeRequired, Unauthorized
from backend.messages import Text
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.security.tokens import InvalidTokenError, decode_access_token
from backend.settings import Settings
from backend.units.models import Unit
from backend.users.models import User

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


class BearerToken(OAuth2):
    """The OpenAPI security scheme (password and client-credentials flows) and the bearer token reader."""

    def __init__(self) -> None:
        flows = OAuthFlows(
            password=OAuthFlowPassword(tokenUrl=TOKEN_URL, refreshUrl=TOKEN_URL),
            clientCredentials=OAuthFlowClientCredentials(
                tokenUrl=TOKEN_URL, scopes={scope.value: scope.en for scope in Scope}
            ),
        )
        super().__init__(flows=flows, scheme_name="OAuth2", auto_error=False)

    async def __call__(self, request: HTTPConnection) -> str | None:
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not token or scheme.lower() != "bearer":
            return None
        return token


bearer_token = BearerToken()


# What a principal is made of: columns, not a ``User`` object (every request loads one).
_PRINCIPAL_USER_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.unit_id,
    User.is_active,
    User.must_change_password,
)


# Built once (every request runs it): the values travel as parameters, and the statement keeps its cache key.
_USER_PRINCIPAL = (
    sa.select(
        *_PRINCIPAL_USER_COLUMNS,
        Unit.path,
        Unit.kind,
        Unit.is_active.label("unit_active"),
        AuthSession.revoked_at,
        AuthSession.expires_at,
    )
    .join(Unit, Unit.id == User.unit_id)
    .outerjoin(
        AuthSession,
        sa.and_(AuthSession.id == sa.bindparam("session_id"), AuthSession.user_id == User.id),
    )
    .where(User.id == sa.bindparam("user_id"))
)


# A machine client's principal and whether this token of it was revoked: one round trip, on every request, in
# every process (nothing about validity is cached).
_CLIENT_PRINCIPAL = (
    sa.select(
        ApiClient,
        Unit.path,
        Unit.kind,
        Unit.is_active,
        is_revoked(sa.bindparam("token_id")).label("revoked"),
    )
    .join(Unit, Unit.id == ApiClient.unit_id)
    .where(ApiClient.id == sa.bindparam("client_id"))
)


def _invalid_token(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="qinghu", error="invalid_token"'})


async def _load_principal(request: Request, session: DbSession, token: str | None) -> Principal:
    principal = await _principal_from_token(request, session, token)
    request.state.principal_id = str(principal.id)  # for the request log line
    return principal


async def _principal_from_token(request: Request, session: DbSession, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("A bearer token is required.")
    settings: Settings = request.app.state.settings
    try:
        claims = decode_access_token(settings, token)
    except InvalidTokenError as exc:
        raise _invalid_token("The access token is invalid or has expired.") from exc

    if claims.subject_kind == "user":
        identifiers: dict[str, object] = {"user_id": claims.subject_id, "session_id": claims.session_id}
        row = (await session.execute(_USER_PRINCIPAL, identifiers)).first()
        if row is None or claims.session_id is None:
            raise _invalid_token("The access token is invalid or has expired.")
        if row.revoked_at is not None or row.expires_at is None or row.expires_at <= utcnow():
            raise _invalid_token("The session has ended; log in again.")
        if not row.is_active or not row.unit_active:
            raise _invalid_token("The account is disabled.")
        return Principal.of_user(
            row,
            unit_path=row.path,
            unit_kind=row.kind,
            session_id=claims.session_id,
            must_change_password=row.must_change_password,
        )

    identifiers = {"client_id": claims.subject_id, "token_id": claims.token_id}
    row = (await session.execute(_CLIENT_PRINCIPAL, identifiers)).first()
    if row is None:
        raise _invalid_token("The access token is invalid or has expired.")
    client, unit_path, unit_kind, unit_active, revoked = row
    if not client.is_active or not unit_active:
        raise _invalid_token("The client is disabled.")
    # Revoked one by one (RFC 7009), or all at once by a secret rotation (a new generation).
    if revoked or claims.generation != client.token_generation:
        raise _invalid_token("The access token has been revoked.")
    # A token never carries more than the client holds now, even if its grant shrank since issue.
    held = {Scope(code) for code in client.scopes.split()}
    return Principal.of_client(
        client,
        unit_path=unit_path,
        unit_kind=unit_kind,
        scopes=frozenset(scope for scope in held if scope.value in claims.scopes),
    )


async def principal_pending_password_change(
    request: Request, session: DbSession, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal:
    """The principal, even one who must still change a reset password (for ``/me`` and password change)."""
    return await _load_principal(request, session, token)


async def current_principal(
    principal: Annotated[Principal, Depends(principal_pending_password_change)],
) -> Principal:
    if principal.must_change_password:
        raise PasswordChangeRequired("Change the one-time password before using Qinghu.")
    return principal


def require(*scopes: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers 403 unless the principal holds every scope named."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        missing = [scope.value for scope in scopes if not principal.has(scope)]
        if missing:
            raise Forbidden(Text("This needs the scope {scope}.", scope=", ".join(missing)))
        return principal

    # What the route needs, readable without calling it: tests/security/test_route_scopes.py walks every route's
    # dependencies for this mark, so a route's scopes are read from the route itself.
    dependency.required_scopes = frozenset(scopes)
    return dependency


def require_any(*scopes: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers 403 unless the principal holds at least one of the scopes named (a route that
    two kinds of people use, each through their own scope; the service narrows what each reaches)."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not any(principal.has(scope) for scope in scopes):
            raise Forbidden(
                Text(
                    "This needs one of the scopes {scopes}.",
                    scopes=", ".join(scope.value for scope in scopes),
                )
            )
        return principal

    # Read by tests/security/test_route_scopes.py as ``require``'s mark is.
    dependency.any_of_scopes = frozenset(scopes)
    return dependency


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AnyPrincipal = Annotated[Principal, Depends(principal_pending_password_change)]
