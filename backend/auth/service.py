"""The OAuth2 grants: password (people), client_credentials (machine clients), refresh_token (people)."""

import math
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth import sessions
from backend.auth.schemas import Me, TokenResponse
from backend.clients.models import ApiClient
from backend.db import utcnow
from backend.errors import ProblemError, TooManyRequests
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

    def __init__(self, detail: str, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.extra = {"error": self.oauth_error, "error_description": detail, **self.extra}


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

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Basic realm="qinghu"'})


class InvalidScope(OAuthProblem):
    status, slug, title, oauth_error = 400, "invalid-scope", "Scope not granted", "invalid_scope"


class AccountLocked(TooManyRequests):
    slug, title = "account-locked", "Account temporarily locked"
    keep_changes = True


BAD_CREDENTIALS = "Wrong username or password."


def _locked(user: User, settings: Settings) -> AccountLocked:
    assert user.locked_until is not None
    seconds = max(1, math.ceil((user.locked_until - utcnow()).total_seconds()))
    return AccountLocked(
        f"Too many failed logins; try again in {math.ceil(seconds / 60)} minutes.",
        headers={"Retry-After": str(seconds)},
        extra={"error": "invalid_grant", "locked_until": user.locked_until.isoformat()},
    )


async def password_grant(
    session: AsyncSession, *, settings: Settings, username: str, password: str
) -> TokenResponse:
    now = utcnow()
    user = await session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        verify_secret(dummy_hash(), password)  # same work as for a real account: timing reveals nothing
        # The name typed is not kept: people sometimes type their password into the username field.
        await audit.record(
            session, action=AuditAction.login_failed, actor=None, actor_kind="anonymous", actor_name="unknown"
        )
        raise InvalidGrant(BAD_CREDENTIALS)

    async def failed(reason: str) -> None:
        await audit.record(
            session,
            action=AuditAction.login_failed,
            actor=None,
            actor_kind="user",
            actor_id=user.id,
            actor_name=user.username,
            unit_id=user.unit_id,
            reason=reason,
        )

    # During a lock even the right password is refused, so guessing gains nothing.
    if user.locked_until is not None and user.locked_until > now:
        await failed("locked")
        raise _locked(user, settings)
    if not verify_secret(user.password_hash, password):
        user.failed_login_count += 1
        await failed("wrong password")
        if user.failed_login_count >= settings.login_max_failures:
            user.failed_login_count = 0
            user.locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
            await session.flush()
            raise _locked(user, settings)
        await session.flush()
        raise InvalidGrant(BAD_CREDENTIALS)
    unit_active = await session.scalar(sa.select(Unit.is_active).where(Unit.id == user.unit_id))
    if not user.is_active or not unit_active:
        await failed("disabled")
        raise InvalidGrant("The account is disabled.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    user.failed_login_count = 0
    user.locked_until = None
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
        raise InvalidGrant(f"The refresh token cannot be used: {exc}.") from exc
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


async def client_credentials_grant(
    session: AsyncSession, *, settings: Settings, client_id: str, client_secret: str, scope: str | None
) -> TokenResponse:
    client = await session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        verify_secret(dummy_hash(), client_secret)
        raise InvalidClient("Unknown client or wrong secret.")
    if not verify_secret(client.secret_hash, client_secret):
        raise InvalidClient("Unknown client or wrong secret.")
    unit_active = await session.scalar(sa.select(Unit.is_active).where(Unit.id == client.unit_id))
    if not client.is_active or not unit_active:
        raise InvalidClient("The client is disabled.")
    held = frozenset(client.scopes.split())
    requested = parse_scope(scope)
    if requested is not None and not requested <= held:
        raise InvalidScope(f"Scopes not granted to this client: {' '.join(sorted(requested - held))}.")
    granted = requested if requested is not None else held
    client.last_used_at = utcnow()
    access_token, ttl = issue_access_token(
        settings, subject_kind="client", subject_id=client.id, scopes=granted
    )
    return TokenResponse(access_token=access_token, expires_in=ttl, scope=" ".join(sorted(granted)))


async def revoke_token(session: AsyncSession, *, settings: Settings, token: str) -> None:
    """RFC 7009: end the session behind a refresh token. Unknown tokens are not an error."""
    auth_session = await sessions.find_by_refresh_token(session, token=token)
    if auth_session is not None:
        await sessions.revoke(session, auth_session=auth_session, reason="logout")
        return
    # An access token ends its session too, so logging out works with whichever token the caller kept.
    try:
        claims = decode_access_token(settings, token)
    except InvalidTokenError:
        return
    if claims.session_id is not None:
        await sessions.revoke_by_id(session, session_id=claims.session_id, reason="logout")


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
