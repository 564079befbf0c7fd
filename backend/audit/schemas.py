import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.units.schemas import UnitSummary


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_kind: str = Field(description="`user`, `client`, `anonymous` (a failed login) or `system`")
    actor_id: uuid.UUID | None
    actor_name: str
    actor_unit: UnitSummary | None = Field(
        default=None, description="The acting person's unit as it is now; absent for clients and the system"
    )
    unit_id: uuid.UUID | None
    action: str = Field(description="A code of the `audit_actions` reference list")
    object_type: str | None
    object_id: str | None
    fields: list[str] | None
    reason: str | None
    request_id: str | None
    hash: str


class ChainVerification(BaseModel):
    ok: bool
    events: int = Field(description="Events checked before the first broken link (all of them when ok)")
    first_broken: int | None = Field(default=None, description="`seq` of the first event that fails")
    problem: str | None = None
