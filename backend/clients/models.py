import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from backend.db import UTCDateTime, Versioned, new_id


class ApiClient(Versioned, table=True):
    """A machine client (a police station's system, the education bureau's) bound to one unit."""

    __tablename__ = "api_clients"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: str = Field(sa_type=sa.String(64), nullable=False, unique=True)
    name: str = Field(sa_type=sa.String(100), nullable=False)
    unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False, index=True)
    # Scope codes, space-separated as in OAuth2.
    scopes: str = Field(sa_type=sa.String(400), nullable=False, default="")
    secret_hash: str = Field(sa_type=sa.String(200), nullable=False)
    secret_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Carried in each access token; rotating the secret or disabling the client moves it on, which ends every
    # token issued before.
    token_generation: int = Field(
        default=0, nullable=False, sa_column_kwargs={"server_default": sa.text("0")}
    )
    is_active: bool = Field(default=True, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
