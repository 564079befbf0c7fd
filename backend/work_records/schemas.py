import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.units.schemas import UnitSummary
from backend.work_records.models import InspectionKind, PublicityKind

Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
# People and leaflets are counted, never negative; a million is far beyond any one activity.
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class WorkRecordFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by_name: str
    uploaded_at: datetime


class _Recorded(BaseModel):
    """What every work record answers besides its own fields."""

    id: uuid.UUID
    recorded_by_unit: UnitSummary
    files: list[WorkRecordFileRead]
    can_edit: bool = Field(description="The caller's unit recorded it: it may change and delete it")
    version: int
    created_at: datetime
    updated_at: datetime


# --- publicity activities (宣传教育活动) ---------------------------------------------------------------------


class PublicityActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID | None = Field(default=None, description="The unit that held it; my unit by default")
    kind: PublicityKind
    held_on: date
    place: Place = Field(examples=["瑞安市安阳实验中学报告厅"])
    participants: Count = 0
    materials: Count = Field(default=0, description="Leaflets and other materials handed out")
    description: LongText | None = None


class PublicityActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PublicityKind | None = None
    held_on: date | None = None
    place: Place | None = None
    participants: Count | None = None
    materials: Count | None = None
    description: LongText | None = None


class PublicityActivityRead(_Recorded):
    unit: UnitSummary
    kind: PublicityKind
    held_on: date
    place: str
    participants: int
    materials: int
    description: str | None


# --- inspection visits (督导检查 / 明察暗访) -----------------------------------------------------------------


class InspectionVisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: InspectionKind = InspectionKind.supervision
    inspected_unit_id: uuid.UUID = Field(description="A unit below mine")
    visited_on: date
    findings: LongText | None = None
    rectification: LongText | None = Field(default=None, description="The rectification asked (整改要求)")
    rectify_by: date | None = None
    rectified: bool = False
    rectified_on: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        problem = visit_dates_problem(self.visited_on, self.rectify_by, self.rectified, self.rectified_on)
        if problem is not None:
            raise ValueError(problem[1])
        return self


class InspectionVisitUpdate(BaseModel):
    """The inspecting unit changes any field; the inspected unit only ``rectified`` and ``rectified_on``."""

    model_config = ConfigDict(extra="forbid")

    kind: InspectionKind | None = None
    visited_on: date | None = None
    findings: LongText | None = None
    rectification: LongText | None = None
    rectify_by: date | None = None
    rectified: bool | None = None
    rectified_on: date | None = None


def visit_dates_problem(
    visited_on: date, rectify_by: date | None, rectified: bool, rectified_on: date | None
) -> tuple[str, str] | None:
    """The field and what is wrong when a visit's dates are out of order (shared by the forms and the service,
    which checks a change against the stored visit)."""
    if rectify_by is not None and rectify_by < visited_on:
        return "rectify_by", "the rectification cannot be due before the visit"
    if rectified_on is not None and rectified_on < visited_on:
        return "rectified_on", "a rectification cannot be done before the visit"
    if rectified_on is not None and not rectified:
        return "rectified_on", "a rectification date needs rectified set"
    return None


class InspectionVisitRead(_Recorded):
    kind: InspectionKind
    inspecting_unit: UnitSummary
    inspected_unit: UnitSummary
    visited_on: date
    findings: str | None
    rectification: str | None
    rectify_by: date | None
    rectified: bool
    rectified_on: date | None
    overdue: bool = Field(description="Not rectified and past its due date")
    can_mark_rectified: bool = Field(description="The caller may mark it rectified (the inspected unit, too)")


# --- responsibility letters (禁毒责任书) -------------------------------------------------------------------


class ResponsibilityLetterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    issuer_unit_id: uuid.UUID | None = Field(default=None, description="Who signs with; my unit by default")
    signer_unit_id: uuid.UUID = Field(description="The unit that signed: below the issuer")
    signed_on: date | None = None
    note: Note | None = None


class ResponsibilityLetterUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year | None = None
    signed_on: date | None = None
    note: Note | None = None


class ResponsibilityLetterRead(_Recorded):
    year: int
    issuer_unit: UnitSummary
    signer_unit: UnitSummary
    signed_on: date | None
    note: str | None
