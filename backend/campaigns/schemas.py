import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.campaigns.models import (
    CampaignPhase,
    CampaignStatus,
    Comparator,
    TaskMeasure,
    TaskReportAction,
    TaskReportStatus,
)
from backend.messages import InvalidValue, Text
from backend.units.models import UnitKind
from backend.units.schemas import UnitSummary

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Phase(BaseModel):
    """A stage of the campaign, e.g. 动员部署 / 组织实施 / 总结评价."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        examples=["动员部署"]
    )
    start: date
    end: date
    code: CampaignPhase | None = Field(
        default=None,
        description="Which stage this is (tasks name it); a phase named 动员部署, 组织实施 or 总结评价 gets it by name",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("a phase cannot end before it starts")
        if self.code is None:
            self.code = next((stage for stage in CampaignPhase if stage.zh == self.name), None)
        return self


def _distinct_stages(phases: list[Phase] | None) -> None:
    codes = [phase.code for phase in phases or () if phase.code is not None]
    if len(codes) != len(set(codes)):
        raise ValueError("two phases are the same stage")


class Targets(BaseModel):
    """Who receives the campaign: units of these kinds under ``root_id`` (default: the issuer's county), plus
    these individual units."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[UnitKind] = Field(default_factory=list, max_length=6, examples=[["school"]])
    root_id: uuid.UUID | None = None
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class TaskIn(BaseModel):
    """One task of the checklist."""

    model_config = ConfigDict(extra="forbid")

    title: Text500 = Field(examples=["开展禁毒专题课程每学年不少于4课时"])
    evidence_required: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        Field(default=None, examples=["查课程计划和教案"])
    )
    responsible_department: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
    ) = Field(default=None, examples=["基教科"])
    measure: TaskMeasure = TaskMeasure.done
    target: float | None = Field(default=None, ge=0, examples=[4])
    comparator: Comparator | None = None
    weight: float | None = Field(
        default=None, ge=0, le=1000, description="The task's points when an assessment scores the campaign"
    )
    due_date: date | None = None
    phase: CampaignPhase | None = Field(default=None, description="One of the campaign's phases' codes")

    @model_validator(mode="after")
    def _measure_fits(self) -> Self:
        if self.measure is TaskMeasure.done:
            self.target, self.comparator = None, None
        elif self.target is None:
            raise InvalidValue(Text("a {measure} task needs a target", measure=self.measure))
        elif self.measure is TaskMeasure.rate:
            if self.target > 100:
                raise ValueError("a rate target is at most 100 (%)")
            self.comparator = self.comparator or Comparator.gte
        else:
            self.comparator = self.comparator or Comparator.gte
        return self


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    title: str
    evidence_required: str | None
    responsible_department: str | None
    measure: TaskMeasure
    target: float | None
    comparator: Comparator | None
    weight: float | None
    due_date: date | None
    phase: CampaignPhase | None


class TaskList(BaseModel):
    """The whole checklist, replaced at once while the campaign is a draft."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskIn] = Field(max_length=100)


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text200 = Field(examples=["瑞安市教育系统毒品预防教育专项行动"])
    document_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, examples=["瑞教办〔2026〕33号"]
    )
    issue_date: date | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    phases: list[Phase] = Field(default_factory=list, max_length=20)
    report_deadline: date | None = None
    targets: Targets = Field(default_factory=Targets)
    tasks: list[TaskIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _stages_once(self) -> Self:
        _distinct_stages(self.phases)
        return self


class CampaignUpdate(BaseModel):
    """Change a draft; a published campaign may only move its report deadline."""

    model_config = ConfigDict(extra="forbid")

    title: Text200 | None = None
    document_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    issue_date: date | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    phases: list[Phase] | None = Field(default=None, max_length=20)
    report_deadline: date | None = None
    targets: Targets | None = None

    @model_validator(mode="after")
    def _stages_once(self) -> Self:
        _distinct_stages(self.phases)
        return self


class CampaignCounts(BaseModel):
    """How far the reports are: by status, plus those late and due within 3 days."""

    reports: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    late: int = 0
    due_soon: int = 0


class CampaignRead(BaseModel):
    id: uuid.UUID
    issuing_unit: UnitSummary
    title: str
    document_number: str | None
    issue_date: date | None
    description: str | None
    phases: list[Phase]
    report_deadline: date | None
    targets: Targets
    status: CampaignStatus
    copied_from_id: uuid.UUID | None
    published_at: datetime | None
    closed_at: datetime | None
    task_count: int
    target_count: int
    counts: CampaignCounts | None = None
    can_edit: bool = Field(description="The caller may edit, publish, close and review this campaign")
    version: int
    created_at: datetime
    updated_at: datetime


class CampaignDetail(CampaignRead):
    tasks: list[TaskRead]


class CampaignSummary(BaseModel):
    id: uuid.UUID
    title: str
    document_number: str | None
    status: CampaignStatus
    issuing_unit: UnitSummary
    report_deadline: date | None


class Recipients(BaseModel):
    """The concrete units a campaign goes (or went) to."""

    resolved_at_publish: bool
    units: list[UnitSummary]


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by_name: str
    uploaded_at: datetime


class TaskReportEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: TaskReportAction
    at: datetime
    actor_name: str
    value: float | None
    comment: str | None


class TaskReportRead(BaseModel):
    id: uuid.UUID
    campaign: CampaignSummary
    task: TaskRead
    unit: UnitSummary
    status: TaskReportStatus
    value: float | None
    note: str | None
    review_comment: str | None
    due_date: date | None
    late: bool = Field(description="Past its due date and not submitted (or submitted after it)")
    due_soon: bool = Field(description="Due within 3 days and not yet submitted")
    met: bool | None = Field(description="The value meets the task's target (None while there is no value)")
    submitted_at: datetime | None
    reviewed_at: datetime | None
    can_report: bool
    can_review: bool
    evidence_count: int = 0
    version: int
    updated_at: datetime


class TaskReportDetail(TaskReportRead):
    evidence: list[EvidenceRead]
    history: list[TaskReportEventRead]


class TaskReportUpdate(BaseModel):
    """The unit's figure and note; saving puts the report in progress."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(default=None, ge=0, description="done: 1 or 0; count: ≥ 0; rate: 0–100")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ReturnComment(BaseModel):
    """Why the report goes back; the unit reads it."""

    model_config = ConfigDict(extra="forbid")

    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ProgressCell(BaseModel):
    report_id: uuid.UUID
    status: TaskReportStatus
    value: float | None
    late: bool
    met: bool | None


class ProgressRow(BaseModel):
    unit: UnitSummary
    cells: list[ProgressCell] = Field(description="One per task, in task order")
    approved: int
    submitted: int
    late: int
    completion: float = Field(description="Share of this unit's tasks approved, 0–1")


class TaskProgress(BaseModel):
    task_id: uuid.UUID
    approved: int
    completion: float = Field(description="Share of units whose report on this task is approved, 0–1")


class Progress(BaseModel):
    """The units × tasks table (各单位工作进展情况统计表)."""

    campaign: CampaignSummary
    tasks: list[TaskRead]
    rows: list[ProgressRow]
    task_totals: list[TaskProgress]
    completion: float
