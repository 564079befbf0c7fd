import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.care_files.models import (
    CareFileStatus,
    CareTrigger,
    ClosureReason,
    DueState,
    EntryKind,
    ReferralKind,
    TeamRole,
    UrineResult,
)
from backend.minors.schemas import MinorRead
from backend.units.schemas import UnitSummary

IntervalDays = Annotated[int, Field(ge=1, le=365, description="Days between follow-ups", examples=[14])]
PlanText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class TeamMemberIn(BaseModel):
    """A responsible person besides the lead social worker: a user of Qinghu, or a named outsider."""

    model_config = ConfigDict(extra="forbid")

    role: TeamRole
    user_id: uuid.UUID | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None = None
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None

    @model_validator(mode="after")
    def _user_or_name(self) -> Self:
        if self.role is TeamRole.lead_worker:
            raise ValueError("role: the lead social worker is named by lead_worker_id")
        if (self.user_id is None) == (self.name is None):
            raise ValueError("give either user_id (a Qinghu user) or name (someone outside)")
        return self


class CareFileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minor_id: uuid.UUID
    lead_worker_id: uuid.UUID = Field(description="A social worker or lead of the managing unit")
    team: Annotated[list[TeamMemberIn], Field(max_length=10)] = Field(default_factory=list)
    goals: PlanText = ""
    measures: PlanText = ""
    interval_days: IntervalDays | None = Field(
        default=None, description="Defaults to the unit's interval for the minor's risk level"
    )


class SchoolFileCreate(BaseModel):
    """A school-kept file (学校一人一档) for a pupil of the caller's school in a school category."""

    model_config = ConfigDict(extra="forbid")

    minor_id: uuid.UUID
    lead_worker_id: uuid.UUID | None = Field(
        default=None, description="A member of the school's staff; defaults to the caller"
    )
    team: Annotated[list[TeamMemberIn], Field(max_length=10)] = Field(
        default_factory=list,
        description="Others of the school's staff (user_id), or people without an account (name): a parent",
    )
    goals: PlanText = ""
    measures: PlanText = ""
    interval_days: IntervalDays | None = Field(
        default=None, description="Days between talks or visits; defaults to the station's interval"
    )


class CareFileUpdate(BaseModel):
    """Only the fields sent change; send If-Match with the ETag from the last read."""

    model_config = ConfigDict(extra="forbid")

    lead_worker_id: uuid.UUID | None = None
    team: Annotated[list[TeamMemberIn], Field(max_length=10)] | None = None
    goals: PlanText | None = None
    measures: PlanText | None = None
    interval_days: IntervalDays | None = None
    reason: Comment | None = Field(
        default=None,
        description="Why the lead worker changes: required when one replaces another, kept in the timeline",
    )


class PersonRef(BaseModel):
    id: uuid.UUID
    name: str


class TeamCandidate(BaseModel):
    """Someone with an account who can work on the unit's files as a team member."""

    id: uuid.UUID
    name: str
    unit: UnitSummary
    team_role: TeamRole


class TeamMemberRead(BaseModel):
    role: TeamRole
    user_id: uuid.UUID | None = None
    name: str
    organisation: str | None = None


class CarePlan(BaseModel):
    """Goals and measures are the sensitive class: absent for those who do not see it."""

    goals: str | None = None
    measures: str | None = None
    interval_days: int


class Closure(BaseModel):
    reason: ClosureReason
    note: str | None = None
    requested_at: datetime | None = None
    requested_by: PersonRef | None = None
    decided_at: datetime | None = None
    decided_by: PersonRef | None = None
    comment: str | None = None


class Alert(BaseModel):
    kind: str = Field(examples=["positive_urine_test"])
    raised_at: datetime


class CareFileRead(BaseModel):
    id: uuid.UUID
    version: int
    minor: MinorRead
    managing_unit: UnitSummary
    accountable_unit: UnitSummary | None = Field(
        default=None,
        description="Under a delegation (委托管理): the household-registration unit that stays accountable and "
        "reads the file while `managing_unit` does the work",
    )
    kept_by_school: UnitSummary | None = Field(
        default=None,
        description="A school-kept file (学校一人一档): the school whose staff keep it; the managing unit "
        "(the pupil's station) reads it",
    )
    status: CareFileStatus
    trigger: CareTrigger | None = Field(default=None, description="Why it was opened: the sensitive class")
    opened_at: datetime
    reopened_count: int
    lead_worker: PersonRef | None
    assignment_confirmed: bool = Field(
        description="Whether a lead made or confirmed the assignment of every responsible person; until then "
        "none of them sees the identity in full"
    )
    team: list[TeamMemberRead]
    plan: CarePlan
    last_contact_on: date | None
    next_due_on: date
    due_state: DueState | None = Field(description="Computed: overdue, due soon, lost contact, or none")
    failed_attempts: int = Field(description="Failed contact attempts in a row, latest first")
    alert: Alert | None = Field(default=None, description="The sensitive class")
    closure: Closure | None
    closed_at: datetime | None
    pending_transfer_id: uuid.UUID | None
    recordable_kinds: list[EntryKind] = Field(
        default_factory=list,
        description="The entry kinds the caller may record on this file: all for its unit's social workers and "
        "leads, those of their team role for a police officer or teacher on the team, none once closed",
    )
    created_at: datetime
    updated_at: datetime
    hidden_fields: list[str] = Field(description="Fields the privacy policy keeps from the caller")


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    occurred_at: AwareDatetime = Field(examples=["2026-11-20T15:00:00+08:00"])
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    contact_succeeded: bool = Field(default=True, description="False for an attempt that reached nobody")
    urine_result: UrineResult | None = Field(default=None, description="Required for a urine test")
    referral_kind: ReferralKind | None = Field(default=None, description="Required for a referral")
    next_due_on: date | None = Field(default=None, description="When the next contact is due, if not by plan")
    corrects_id: uuid.UUID | None = Field(default=None, description="The entry this one corrects")


class EntryRead(BaseModel):
    """Fields in ``hidden_fields`` are absent: the timeline's contents are the sensitive class."""

    id: uuid.UUID
    care_file_id: uuid.UUID
    kind: EntryKind
    occurred_at: datetime
    actor: str
    summary: str | None = None
    contact_succeeded: bool
    urine_result: UrineResult | None = None
    referral_kind: ReferralKind | None = None
    next_due_on: date | None = None
    corrects_id: uuid.UUID | None = None
    superseded_by: uuid.UUID | None = Field(default=None, description="Set when a later entry corrects it")
    recorded_at: datetime
    hidden_fields: list[str]


class ClosureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ClosureReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        default=None, description="Required when the reason is other"
    )


class ClosureDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Comment


class Intervals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low: IntervalDays
    medium: IntervalDays
    high: IntervalDays


class CareSettingsRead(BaseModel):
    unit: UnitSummary
    intervals: Intervals
    inherited_from: UnitSummary | None = Field(description="The unit whose setting applies; null: defaults")
    on_duty_worker: PersonRef | None = Field(
        default=None, description="Named lead worker of the files this unit is given automatically"
    )


class CareSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID | None = Field(default=None, description="Defaults to the caller's unit")
    intervals: Intervals


class OnDutyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID | None = Field(default=None, description="Defaults to the caller's unit")
    user_id: uuid.UUID | None = Field(description="A social worker or lead of the unit; null: nobody on duty")
