import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from backend.db import UTCDateTime, Versioned, code_column, new_id
from backend.security.roles import Role


class User(Versioned, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Stored lower-case: logins are case-insensitive and one spelling is one account.
    username: str = Field(sa_type=sa.String(50), nullable=False, unique=True)
    display_name: str = Field(sa_type=sa.String(100), nullable=False)
    role: Role = code_column(nullable=False)
    unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False, index=True)
    is_active: bool = Field(default=True, nullable=False)
    password_hash: str = Field(sa_type=sa.String(200), nullable=False)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    must_change_password: bool = Field(default=False, nullable=False)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
