import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from backend.db import utcnow
from backend.minors.models import Gender, Substance
from backend.minors.schemas import Address, PersonName, Phone, unique_codes
from backend.seizures.models import (
    FollowupStatus,
    RoutingReason,
    RoutingStatus,
    SeizureMeasure,
    SeizureTestResult,
)
from backend.units.schemas import DivisionCode, UnitSummary

# Clocks of station systems drift; a seizure a few minutes "ahead" of ours is not in the future.
CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime) -> datetime:
    if value > utcnow() + CLOCK_SKEW:
        raise PydanticCustomError("seized_at.future", "must not be in the future")
    return value


class SeizurePerson(BaseModel):
    """The person seized, as the police system knows them."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName = Field(examples=["张三"])
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=15, max_length=20)] = Field(
        description="18-character mainland ID number; the check character is verified",
        examples=["330381200901011231"],
    )
    gender: Gender | None = Field(default=None, description="Optional; must agree with the ID number")
    phone: Phone = None
    household_division_code: DivisionCode = None
    household_address: Address = None
    residence_division_code: DivisionCode = None
    residence_address: Address = None
    school_name: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=100)] = None


class SeizureNoticeCreate(BaseModel):
    """A seizure notice as API.md defines it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "notice_no": "JHPCS-2026-00123",
                    "seized_at": "2026-11-20T21:30:00+08:00",
                    "place": "锦湖街道某KTV",
                    "person": {
                        "name": "张三",
                        "id_number": "330381200901011231",
                        "gender": "male",
                        "residence_division_code": "330381005001",
                        "residence_address": "锦湖街道锦园路8号",
                    },
                    "substances": ["etomidate"],
                    "test_result": "positive",
                    "measures": ["admonition"],
                    "summary": "在KTV包厢内吸食依托咪酯电子烟，当场查获。",
                }
            ]
        },
    )

    notice_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="The station's own reference; unique per station", examples=["JHPCS-2026-00123"]
    )
    seized_at: Annotated[AwareDatetime, AfterValidator(_not_in_future)] = Field(
        description="When, with its offset; not in the future", examples=["2026-11-20T21:30:00+08:00"]
    )
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    person: SeizurePerson
    substances: Annotated[list[Substance], Field(max_length=10), AfterValidator(unique_codes)] = Field(
        default_factory=list
    )
    test_result: SeizureTestResult
    measures: Annotated[list[SeizureMeasure], Field(max_length=10), AfterValidator(unique_codes)] = Field(
        default_factory=list
    )
    summary: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=2000)] = None


class OutsidePlace(BaseModel):
    division_code: str = Field(examples=["330302001000"])
    name: str = Field(examples=["温州市鹿城区五马街道"])


class Routing(BaseModel):
    """Where the notice went. ``unit`` is the township/street station that takes the case (the county office
    when no place is known); ``place`` names the receiving place outside the county for ``routed_out``."""

    status: RoutingStatus
    reason: RoutingReason
    unit: UnitSummary | None = None
    place: OutsidePlace | None = None


class SeizureNoticeReceipt(BaseModel):
    """The answer to a push (API.md): 201 for a new notice, 200 with the same body on a replay."""

    id: uuid.UUID
    notice_no: str
    received_at: datetime
    routing: Routing
    minor_id: uuid.UUID
    acknowledged_at: datetime | None = None


class NoticePerson(BaseModel):
    """The person, masked for every reader: the full identity is revealed on the minor, with a reason."""

    name: str = Field(examples=["张*"])
    id_number: str = Field(examples=["330381********1231"])
    gender: Gender
    age_when_seized: int


class Followup(BaseModel):
    """How the receiving station took it up; never the care file's contents. ``file_open`` says whether the
    minor has an open care file, ``last_contact_on`` the day of the last successful contact recorded on it
    (null when none); both are computed from the care files, nothing else of them is shown."""

    status: FollowupStatus
    file_open: bool | None = None
    last_contact_on: date | None = None


class SeizureNoticeRead(SeizureNoticeReceipt):
    """A notice as the privacy policy lets the caller see it; fields in ``hidden_fields`` are absent."""

    seized_at: datetime
    place: str | None = None
    substances: list[Substance] | None = None
    test_result: SeizureTestResult | None = None
    measures: list[SeizureMeasure] | None = None
    summary: str | None = None
    person: NoticePerson
    reporting_unit: UnitSummary
    ack_deadline_at: datetime
    overdue: bool = Field(description="Not acknowledged and past its deadline")
    acknowledged_by: str | None = Field(default=None, description="The display name of who acknowledged")
    followup: Followup
    masked_fields: list[str]
    hidden_fields: list[str]


class DailyReport(BaseModel):
    """当天上报: the notices a unit received on one day (Beijing time)."""

    day: date
    unit: UnitSummary
    total: int
    routed_out: int
    acknowledged: int
    overdue: int
    items: list[SeizureNoticeRead]
