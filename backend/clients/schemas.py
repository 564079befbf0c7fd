import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from backend.fields import normalise_identifier
from backend.messages import InvalidValue, Text
from backend.security.roles import CLIENT_GRANTABLE_SCOPES, Scope
from backend.units.schemas import UnitSummary

ClientId = Annotated[
    str,
    BeforeValidator(normalise_identifier),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$"),
    Field(examples=["police-jinhu"]),
]
ClientName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _grantable(scopes: list[Scope]) -> list[Scope]:
    refused = sorted(scope.value for scope in scopes if scope not in CLIENT_GRANTABLE_SCOPES)
    if refused:
        raise InvalidValue(Text("cannot be granted to a machine client: {scopes}", scopes=", ".join(refused)))
    if not scopes:
        raise ValueError("at least one scope is required")
    return sorted(set(scopes), key=lambda scope: scope.value)


ClientScopes = Annotated[list[Scope], AfterValidator(_grantable)]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId
    name: ClientName = Field(examples=["锦湖派出所警务系统"])
    unit_id: uuid.UUID
    scopes: ClientScopes = Field(examples=[["seizures:write", "seizures:read"]])


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ClientName | None = None
    scopes: ClientScopes | None = None
    is_active: bool | None = None


class ClientRead(BaseModel):
    id: uuid.UUID
    client_id: str
    name: str
    unit: UnitSummary
    scopes: list[Scope]
    is_active: bool
    secret_rotated_at: datetime | None
    last_used_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once: store it now, Qinghu keeps only a hash")
