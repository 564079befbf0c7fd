import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from backend.fields import normalise_identifier
from backend.security.roles import Role
from backend.units.schemas import UnitSummary

Username = Annotated[
    str,
    BeforeValidator(normalise_identifier),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{2,49}$"),
    Field(
        description="3–50 characters: letters, digits, `_`, `.`, `-`; case-insensitive",
        examples=["jinhu_worker"],
    ),
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, Field(min_length=1, max_length=128)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: DisplayName = Field(examples=["李社工"])
    role: Role
    unit_id: uuid.UUID
    password: Password | None = Field(
        default=None,
        description="An initial password the person must change at first login; omitted, one is generated",
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    role: Role | None = None
    unit_id: uuid.UUID | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    unit: UnitSummary
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None = Field(
        description="While the account's login attempts wait after failed logins: until when "
        "(`POST /users/{id}/unlock` clears it)"
    )
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class UserCreated(UserRead):
    one_time_password: str | None = Field(
        default=None, description="Shown once when Qinghu generated the initial password"
    )


class PasswordReset(BaseModel):
    one_time_password: str = Field(description="Shown once; the person must change it at next login")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password
