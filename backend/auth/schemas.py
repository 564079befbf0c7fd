import uuid

from pydantic import BaseModel, Field

from backend.security.roles import Role, Scope
from backend.units.schemas import UnitSummary


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str = Field(default="Bearer", examples=["Bearer"])
    expires_in: int = Field(description="Seconds until the access token expires", examples=[900])
    refresh_token: str | None = Field(default=None, description="People only; rotated on every use")
    scope: str = Field(
        description="Granted scopes, space-separated", examples=["seizures:write seizures:read"]
    )


class Me(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="`user` or `client`", examples=["user"])
    username: str = Field(description="The username, or the client id of a machine client")
    display_name: str
    role: Role | None = Field(description="People only")
    unit: UnitSummary
    scopes: list[Scope]
    must_change_password: bool = False
