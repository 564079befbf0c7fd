"""Revoked access tokens: a list in the database, read by the token check of every API process."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import RevokedToken
from backend.auth.rows import prune, upsert
from backend.db import utcnow
from backend.security.tokens import LEEWAY, AccessClaims


async def revoke_access_token(session: AsyncSession, *, claims: AccessClaims) -> None:
    """List the token as revoked until it expires; revoking it again (or at once from two requests) is no
    error. Rows whose tokens have expired are pruned on the way."""
    await session.execute(
        upsert(session, RevokedToken)
        .values(jti=claims.token_id, expires_at=claims.expires_at, revoked_at=utcnow())
        .on_conflict_do_nothing(index_elements=["jti"])
    )
    # A row outlives its token by the leeway its expiry is checked with, then is of no use.
    await prune(session, [RevokedToken.jti], RevokedToken.expires_at < utcnow() - LEEWAY)


def is_revoked(token_id: sa.BindParameter[str]) -> sa.Exists:
    """True when the token named by ``token_id`` is on the list (a condition for the token check's query)."""
    return sa.exists().where(RevokedToken.jti == token_id)
