import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.minors.schemas import MinorRead
from backend.transfers.models import TransferKind, TransferReason, TransferStatus
from backend.units.schemas import DivisionCode, UnitSummary

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class TransferCreate(BaseModel):
    """To a unit of this county (``to_unit_id``), or outside it (the receiving place's division code and
    name)."""

    model_config = ConfigDict(extra="forbid")

    minor_id: uuid.UUID
    to_unit_id: uuid.UUID | None = None
    outside_division_code: DivisionCode = None
    outside_place_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)] | None
    ) = Field(default=None, examples=["温州市鹿城区五马街道"])
    reason_code: TransferReason = TransferReason.residence_differs
    reason: Reason = Field(examples=["实际居住地在安阳街道"])
    kind: TransferKind = Field(
        default=TransferKind.handover,
        description="handover (移交: accountability moves) or delegation (委托管理: the receiving unit manages the "
        "file until `ends_on` while this unit stays accountable and keeps reading it)",
    )
    ends_on: date | None = Field(
        default=None,
        description="A delegation's last day (required for one, within a year; none for a hand-over)",
    )


class DelegationRenewal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ends_on: date = Field(description="The delegation's new last day: after today, within a year")


class TransferRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason = Field(description="Why the receiving unit does not take the minor over")


class OutsidePlace(BaseModel):
    division_code: str | None
    name: str


class TransferRead(BaseModel):
    id: uuid.UUID
    version: int
    minor: MinorRead
    care_file_id: uuid.UUID | None
    from_unit: UnitSummary
    to_unit: UnitSummary | None
    outside_place: OutsidePlace | None
    reason_code: TransferReason
    reason: str | None = Field(default=None, description="Free text about the case: the sensitive class")
    kind: TransferKind
    ends_on: date | None
    status: TransferStatus
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None = Field(default=None, description="Free text: the sensitive class")
    delivered_at: datetime | None
    box: str = Field(description="inbox (my subtree receives), outbox (my subtree sends) or both")
    can_accept: bool
    can_cancel: bool
    can_mark_delivered: bool
    can_renew: bool = Field(
        description="A delegation under way that the caller's unit (the accountable one) renews"
    )
    can_end: bool = Field(description="A delegation under way that the caller's unit (either side) ends")
    hidden_fields: list[str] = Field(description="Fields the privacy policy keeps from the caller")
