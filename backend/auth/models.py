import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, created_at_column, new_id


class AuthSession(SQLModel, table=True):
    """One login: the family of refresh tokens that descend from it. Revoking it ends them all."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", nullable=False, index=True)
    created_at: datetime = created_at_column()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, sa_type=sa.String(40))


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="auth_sessions.id", nullable=False, index=True)
    token_digest: str = Field(sa_type=sa.String(64), nullable=False, unique=True)
    issued_at: datetime = created_at_column()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevokedToken(SQLModel, table=True):
    """An access token revoked before it expires (RFC 7009), by its ``jti``. Every API process reads this on each
    request of a machine client; a row is useless once its token has expired and is pruned then."""

    __tablename__ = "revoked_tokens"

    jti: str = Field(sa_type=sa.String(64), primary_key=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    revoked_at: datetime = created_at_column()


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted under one key: an account (``account:`` and a keyed hash of the username typed,
    whether or not such an account exists) or a client address (``address:``)."""

    __tablename__ = "login_throttles"

    key: str = Field(sa_type=sa.String(100), primary_key=True)
    # The account's person when there is one, so that the people list can show the slow-down.
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    failures: int = Field(default=0, nullable=False)
    last_failure_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # No attempt under this key is checked before this time.
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginKnownAddress(SQLModel, table=True):
    """An address an account logged in from lately: attempts from there are spared the account's slow-down."""

    __tablename__ = "login_known_addresses"

    account_key: str = Field(sa_type=sa.String(100), primary_key=True)
    address: str = Field(sa_type=sa.String(64), primary_key=True)
    last_success_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
