"""The OAuth2 grants: password (people), client_credentials (machine clients), refresh_token (people)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth import revocation, sessions, throttle
from backend.auth.schemas import Me, TokenResponse
from backend.clients.models import ApiClient
from backend.db import utcnow
from backend.errors import Message, ProblemError
from backend.messages import Text
from backend.security.crypto import cipher_of
from backend.security.passwords import dummy_hash, hash_secret, needs_rehash, verify_secret
from backend.security.principals import Principal
from backend.security.roles import ROLE_SCOPES, Role
from backend.security.tokens import InvalidTokenError, decode_access_token, issue_access_token
from backend.settings import Settings
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.users.models import User


class OAuthProblem(ProblemError):
    """An RFC 6749 §5.2 error, rendered as problem+json with ``error`` and ``error_description`` too."""

    oauth_error = "invalid_request"

    def __init__(self, detail: Message, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        # RFC 6749 §5.2 limits error_description to ASCII: it stays English; ``detail`` follows Accept-Language.
        self.extra = {"error": self.oauth_error, "error_description": str(detail), **self.extra}


class InvalidRequest(OAuthProblem):
    status, slug, title, oauth_error = 400, "invalid-request", "Invalid token request", "invalid_request"


class UnsupportedGrantType(OAuthProblem):
    status, slug, title, oauth_error = (
        400,
        "unsupported-grant-type",
        "Unsupported grant type",
        "unsupported_grant_type",
    )


class InvalidGrant(OAuthProblem):
    status, slug, title, oauth_error = 400, "invalid-grant", "Login failed", "invalid_grant"
    # A failed attempt is counted (and a reused refresh token's family revoked) even though we answer an error.
    keep_changes = True


class InvalidClient(OAuthProblem):
    status, slug, title, oauth_error = 401, "invalid-client", "Client authentication failed", "invalid_client"

    def __init__(self, detail: Message) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Basic realm="qinghu"'})


class InvalidScope(OAuthProblem):
    status, slug, title, oauth_error = 400, "invalid-scope", "Scope not granted", "invalid_scope"


BAD_CREDENTIALS = "Wrong username or password."


async def password_grant(
    session: AsyncSession,
    *,
    settings: Settings,
    username: str,
    password: str,
    address: str,
) -> TokenResponse:
    """Log a person in. Known and unknown usernames take the same path, with the same statements and the same
    argon2 work, and get the same answers (docs/security.md)."""
    cipher = cipher_of(session)
    now = utcnow()
    user = await session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    attempt = throttle.LoginAttempt(
        account_key=throttle.account_key(cipher, username), address=address, user_id=user.id if user else None
    )
    try:
        admission = await throttle.admit(session, settings=settings, attempt=attempt, now=now)
    except throttle.LoginThrottled as exc:
        exc.extra["error"] = "invalid_grant"  # the token endpoint's errors speak OAuth2 too
        raise

    async def failed(reason: str) -> None:
        await throttle.failed(session, settings=settings, admission=admission, now=now)
        await audit.record(
            session,
            action=AuditAction.login_failed,
            actor=None,
            actor_kind="user" if user else "anonymous",
            actor_id=user.id if user else None,
            # The name typed for an unknown account is not kept: people sometimes type their password there.
            actor_name=user.username if user else "unknown",
            unit_id=user.unit_id if user else None,
            reason=reason,
        )

    if user is None:
        verify_secret(dummy_hash(), password)  # the same work as for a real account: timing reveals nothing
        await failed("wrong password")
        raise InvalidGrant(BAD_CREDENTIALS)
    if not verify_secret(user.password_hash, password):
        await failed("wrong password")
        raise InvalidGrant(BAD_CREDENTIALS)
    unit_active = await session.scalar(sa.select(Unit.is_active).where(Unit.id == user.unit_id))
    if not user.is_active or not unit_active:
        await failed("disabled")
        raise InvalidGrant("The account is disabled.")
    await throttle.succeeded(session, settings=settings, admission=admission, now=now)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    user.last_login_at = now
    auth_session, refresh_token = await sessions.start(session, user_id=user.id, settings=settings)
    await audit.record(
        session,
        action=AuditAction.login_succeeded,
        actor=None,
        actor_kind="user",
        actor_id=user.id,
        actor_name=user.username,
        unit_id=user.unit_id,
    )
    return _user_tokens(settings, user, auth_session.id, refresh_token)


def _user_tokens(settings: Settings, user: User, session_id: Any, refresh_token: str) -> TokenResponse:
    scopes = frozenset(scope.value for scope in ROLE_SCOPES[Role(user.role)])
    access_token, ttl = issue_access_token(
        settings, subject_kind="user", subject_id=user.id, scopes=scopes, session_id=session_id
    )
    return TokenResponse(
        access_token=access_token, expires_in=ttl, refresh_token=refresh_token, scope=" ".join(sorted(scopes))
    )


async def refresh_grant(session: AsyncSession, *, settings: Settings, refresh_token: str) -> TokenResponse:
    try:
        auth_session, new_token = await sessions.rotate(session, token=refresh_token, settings=settings)
    except sessions.RefreshRefused as exc:
        raise InvalidGrant(
            Text("The refresh token cannot be used: {reason}.", reason=Text(str(exc)))
        ) from exc
    user = await session.get(User, auth_session.user_id)
    unit_active = user and await session.scalar(sa.select(Unit.is_active).where(Unit.id == user.unit_id))
    if user is None or not user.is_active or not unit_active:
        await sessions.revoke(session, auth_session=auth_session, reason="disabled")
        raise InvalidGrant("The account is disabled.")
    return _user_tokens(settings, user, auth_session.id, new_token)


def parse_scope(raw: str | None) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    return frozenset(raw.split())


async def authenticate_client(session: AsyncSession, *, client_id: str, client_secret: str) -> ApiClient:
    """The machine client these credentials belong to (RFC 6749 §2.3.1), or 401 ``invalid_client``."""
    client = await session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        verify_secret(dummy_hash(), client_secret)
        raise InvalidClient("Unknown client or wrong secret.")
    if not verify_secret(client.secret_hash, client_secret):
        raise InvalidClient("Unknown client or wrong secret.")
    unit_active = await session.scalar(sa.select(Unit.is_active).where(Unit.id == client.unit_id))
    if not client.is_active or not unit_active:
        raise InvalidClient("The client is disabled.")
    return client


async def client_credentials_grant(
    session: AsyncSession, *, settings: Settings, client_id: str, client_secret: str, scope: str | None
) -> TokenResponse:
    client = await authenticate_client(session, client_id=client_id, client_secret=client_secret)
    held = frozenset(client.scopes.split())
    requested = parse_scope(scope)
    if requested is not None and not requested <= held:
        raise InvalidScope(
            Text("Scopes not granted to this client: {scopes}.", scopes=" ".join(sorted(requested - held)))
        )
    granted = requested if requested is not None else held
    client.last_used_at = utcnow()
    access_token, ttl = issue_access_token(
        settings,
        subject_kind="client",
        subject_id=client.id,
        scopes=granted,
        generation=client.token_generation,
    )
    return TokenResponse(access_token=access_token, expires_in=ttl, scope=" ".join(sorted(granted)))


NOT_THIS_CLIENTS = "The token was not issued to this client."


async def revoke_token(
    session: AsyncSession, *, settings: Settings, token: str, client: ApiClient | None
) -> None:
    """RFC 7009. A person's refresh or access token ends its session (log out); a machine client's access token
    is listed as revoked, which only that client, authenticated (``client``), may ask. Either stops working at
    the next request in every API process. Unknown and expired tokens are not an error."""
    auth_session = await sessions.find_by_refresh_token(session, token=token)
    if auth_session is not None:
        if client is not None:
            raise InvalidRequest(NOT_THIS_CLIENTS)
        await sessions.revoke(session, auth_session=auth_session, reason="logout")
        return
    try:
        claims = decode_access_token(settings, token)
    except InvalidTokenError:
        return
    if claims.subject_kind == "user":
        if client is not None:
            raise InvalidRequest(NOT_THIS_CLIENTS)
        # An access token ends its session too, so logging out works with whichever token the caller kept.
        if claims.session_id is not None:
            await sessions.revoke_by_id(session, session_id=claims.session_id, reason="logout")
        return
    if client is None:
        raise InvalidClient(
            "A machine client's token is revoked by that client: send its client_id and client_secret "
            "(or HTTP Basic) too."
        )
    if claims.subject_id != client.id:
        raise InvalidRequest(NOT_THIS_CLIENTS)
    await revocation.revoke_access_token(session, claims=claims)


async def describe(session: AsyncSession, *, principal: Principal) -> Me:
    unit = await session.get(Unit, principal.unit_id)
    assert unit is not None
    return Me(
        id=principal.id,
        kind=principal.kind,
        username=principal.name,
        display_name=principal.display_name,
        role=principal.role,
        unit=UnitSummary.model_validate(unit),
        scopes=sorted(principal.scopes, key=lambda scope: scope.value),
        must_change_password=principal.must_change_password,
    )
