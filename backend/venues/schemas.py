import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.units.schemas import UnitSummary
from backend.venues.models import BuyerAgeBand, VenueKind, VenueStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Findings = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Licence = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class VenueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["锦湖街道某KTV"])
    kind: VenueKind
    address: Address | None = None
    unit_id: uuid.UUID | None = Field(default=None, description="The unit responsible; default: my own unit")
    near_school: bool = False
    school_id: uuid.UUID | None = Field(default=None, description="The school it is near, if any")
    status: VenueStatus = VenueStatus.active
    note: LongText | None = None


class VenueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: VenueKind | None = None
    address: Address | None = None
    unit_id: uuid.UUID | None = None
    near_school: bool | None = None
    school_id: uuid.UUID | None = None
    status: VenueStatus | None = None
    note: LongText | None = None


class VenueRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: VenueKind
    address: str | None
    unit: UnitSummary
    near_school: bool
    school: UnitSummary | None
    status: VenueStatus
    note: str | None
    last_checked_on: date | None
    follow_up_on: date | None
    follow_up_due: bool
    check_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class VenueCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked_on: date
    findings: Findings = Field(examples=["未发现涉毒、涉新型成瘾物质问题"])
    hazard_found: bool = False
    measures: LongText | None = Field(default=None, examples=["张贴禁毒宣传海报，督促落实巡查"])
    follow_up_on: date | None = None
    checked_by_unit_id: uuid.UUID | None = Field(default=None, description="Default: my own unit")
    checked_by_name: PersonName | None = Field(default=None, description="Default: my own name")

    @model_validator(mode="after")
    def _follow_up_after_check(self) -> Self:
        if self.follow_up_on is not None and self.follow_up_on < self.checked_on:
            raise ValueError("the follow-up date cannot be before the check")
        return self


class VenueCheckEvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    uploaded_at: datetime


class VenueCheckRead(BaseModel):
    id: uuid.UUID
    venue_id: uuid.UUID
    checked_on: date
    findings: str
    hazard_found: bool
    measures: str | None
    follow_up_on: date | None
    checked_by_unit: UnitSummary
    checked_by_name: str
    recorded_at: datetime
    evidence: list[VenueCheckEvidenceRead]


class VenueDetail(VenueRead):
    checks: list[VenueCheckRead]


class PharmacyCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pharmacy_name: Name = Field(examples=["瑞安市某大药房锦湖店"])
    licence_number: Licence | None = Field(default=None, examples=["浙CB5770123"])
    address: Address | None = None
    checked_on: date
    buyer_age_band: BuyerAgeBand | None = Field(
        default=None, description="The buyer's age band; a minor's band when a minor bought it"
    )
    quantity: int | None = Field(default=None, ge=0, le=100000, description="Packs sold")
    prescription_seen: bool
    notes: LongText | None = None
    unit_id: uuid.UUID | None = Field(default=None, description="The unit that checked; default: my own unit")
    checked_by_name: PersonName | None = Field(default=None, description="Default: my own name")


class PharmacyCheckUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pharmacy_name: Name | None = None
    licence_number: Licence | None = None
    address: Address | None = None
    checked_on: date | None = None
    buyer_age_band: BuyerAgeBand | None = None
    quantity: int | None = Field(default=None, ge=0, le=100000)
    prescription_seen: bool | None = None
    notes: LongText | None = None
    checked_by_name: PersonName | None = None


class PharmacyCheckRead(BaseModel):
    id: uuid.UUID
    pharmacy_name: str
    licence_number: str | None
    address: str | None
    checked_on: date
    buyer_age_band: BuyerAgeBand | None
    minor_buyer: bool
    quantity: int | None
    prescription_seen: bool
    notes: str | None
    unit: UnitSummary
    checked_by_name: str
    version: int
    created_at: datetime
    updated_at: datetime
