"""Login sessions and their refresh tokens: issue, rotate on use, revoke a whole family on reuse."""

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import AuthSession, RefreshToken
from backend.db import utcnow
from backend.security.tokens import digest_refresh_token, new_refresh_token
from backend.settings import Settings


class RefreshRefused(Exception):
    """The refresh token cannot be used; ``family_revoked`` says whether its reuse ended the session."""

    def __init__(self, reason: str, *, family_revoked: bool = False) -> None:
        super().__init__(reason)
        self.family_revoked = family_revoked


async def _issue_refresh(session: AsyncSession, *, auth_session: AuthSession, settings: Settings) -> str:
    token = new_refresh_token()
    expires = min(utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds), auth_session.expires_at)
    session.add(
        RefreshToken(session_id=auth_session.id, token_digest=digest_refresh_token(token), expires_at=expires)
    )
    await session.flush()
    return token


async def start(session: AsyncSession, *, user_id: uuid.UUID, settings: Settings) -> tuple[AuthSession, str]:
    auth_session = AuthSession(
        user_id=user_id, expires_at=utcnow() + timedelta(seconds=settings.session_max_age_seconds)
    )
    session.add(auth_session)
    await session.flush()
    return auth_session, await _issue_refresh(session, auth_session=auth_session, settings=settings)


async def rotate(session: AsyncSession, *, token: str, settings: Settings) -> tuple[AuthSession, str]:
    """Spend a refresh token for a new one. A token used twice means it leaked: the family is revoked."""
    now = utcnow()
    row = (
        await session.execute(
            sa.select(RefreshToken, AuthSession)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_digest == digest_refresh_token(token))
        )
    ).first()
    if row is None:
        raise RefreshRefused("unknown refresh token")
    refresh, auth_session = row
    if auth_session.revoked_at is not None:
        raise RefreshRefused("the session has ended")
    if refresh.used_at is not None:
        await revoke(session, auth_session=auth_session, reason="refresh_reuse")
        raise RefreshRefused("the refresh token was already used", family_revoked=True)
    if refresh.expires_at <= now or auth_session.expires_at <= now:
        raise RefreshRefused("the refresh token has expired")
    refresh.used_at = now
    return auth_session, await _issue_refresh(session, auth_session=auth_session, settings=settings)


async def revoke(session: AsyncSession, *, auth_session: AuthSession, reason: str) -> None:
    if auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = reason
    await session.flush()


async def revoke_by_id(session: AsyncSession, *, session_id: uuid.UUID, reason: str) -> None:
    auth_session = await session.get(AuthSession, session_id)
    if auth_session is not None:
        await revoke(session, auth_session=auth_session, reason=reason)


async def find_by_refresh_token(session: AsyncSession, *, token: str) -> AuthSession | None:
    return await session.scalar(
        sa.select(AuthSession)
        .join(RefreshToken, RefreshToken.session_id == AuthSession.id)
        .where(RefreshToken.token_digest == digest_refresh_token(token))
    )


async def revoke_all_for_user(
    session: AsyncSession, *, user_id: uuid.UUID, reason: str, keep: uuid.UUID | None = None
) -> None:
    statement = (
        sa.update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await session.execute(statement)
