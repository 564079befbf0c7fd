import uuid
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.assessments.models import IndicatorSource, RunStatus, VetoKind
from backend.messages import InvalidValue, Text
from backend.minors.schemas import MinorRead
from backend.units.models import UnitKind
from backend.units.schemas import UnitSummary

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Score = Annotated[float, Field(ge=0, le=1000)]

# The rates a scheme may score from (backend/stats/rates.py, RATE_CODES).
RateCode = Literal[
    "care_rate",
    "urine_test_rate",
    "overdue_share",
    "lost_contact_count",
    "notice_same_day_rate",
    "responsible_share",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CampaignSource(_Strict):
    """Points from one campaign's tasks: the share of the unit's tasks approved × the maximum
    (``approved_share``), or the weights of the approved tasks over all the weights × the maximum (``weighted``;
    a task without a weight weighs 1)."""

    campaign_id: uuid.UUID
    mode: Literal["approved_share", "weighted"] = "approved_share"


class Threshold(_Strict):
    bound: float = Field(description="The rate's value (a share 0–1, or a count) this step starts at")
    score: Score


class RateSource(_Strict):
    """Points from a rate: ``linear`` from 0 at ``floor`` to the maximum at ``target`` (a floor above the
    target scores a rate where lower is better), or ``thresholds``: the score of the best step reached."""

    rate: RateCode
    mapping: Literal["linear", "thresholds"] = "linear"
    floor: float | None = Field(default=None, examples=[0.6])
    target: float | None = Field(default=None, examples=[0.95])
    thresholds: list[Threshold] = Field(default_factory=list, max_length=20)
    better: Literal["higher", "lower"] = Field(
        default="higher", description="For thresholds: whether a higher or a lower value is better"
    )

    @model_validator(mode="after")
    def _mapped(self) -> Self:
        if self.mapping == "linear":
            if self.floor is None or self.target is None or self.floor == self.target:
                raise ValueError("a linear mapping needs a floor and a target that differ")
        elif not self.thresholds:
            raise ValueError("a thresholds mapping needs at least one threshold")
        return self


class WorkRecordsSource(_Strict):
    """Points from a count of work records over the scheme's period: the target count or more gives the
    maximum, fewer a share of it."""

    kind: Literal["activities", "inspections", "letters"]
    target: int = Field(ge=1, le=10_000, examples=[4])


class ManualSource(_Strict):
    """Scored by hand (with a reason) on the run."""

    guidance: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class Indicator(_Strict):
    """One line of the scheme: a code, a name, the maximum and exactly one source."""

    code: Code = Field(examples=["care_rate"])
    name: Name = Field(examples=["落实帮教率"])
    max_score: float = Field(examples=[20])
    campaign: CampaignSource | None = None
    rate: RateSource | None = None
    work_records: WorkRecordsSource | None = None
    manual: ManualSource | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [name for name in ("campaign", "rate", "work_records", "manual") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("an indicator needs exactly one source: campaign, rate, work_records or manual")
        if not 0 < self.max_score <= 1000:
            raise InvalidValue(Text("the maximum score must be above 0 and at most {limit}", limit=1000))
        thresholds = self.rate.thresholds if self.rate else []
        if any(step.score > self.max_score for step in thresholds):
            raise ValueError("a threshold's score cannot exceed the indicator's maximum")
        return self

    @property
    def source(self) -> IndicatorSource:
        for name in ("campaign", "rate", "work_records"):
            if getattr(self, name):
                return IndicatorSource(name)
        return IndicatorSource.manual


class Veto(_Strict):
    """A condition that fails a unit whatever its score: computed with ``days``, or set by hand."""

    code: Code = Field(examples=["lost_contact"])
    name: Name = Field(examples=["重点未成年人脱失超过30天"])
    kind: VetoKind
    days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _days(self) -> Self:
        if (self.kind is VetoKind.manual) != (self.days is None):
            raise ValueError("a computed veto item needs days; one set by hand has none")
        return self


class Grade(_Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    min_score: float = Field(ge=0)


DEFAULT_GRADES = [
    Grade(label="优秀", min_score=90),
    Grade(label="合格", min_score=60),
    Grade(label="不合格", min_score=0),
]


class CallIn(_Strict):
    """Who is called in (约谈): the bottom N units by total, and any unit below a score."""

    bottom_n: int | None = Field(default=None, ge=1, le=1000)
    below_score: float | None = Field(default=None, ge=0)


class SchemeIn(_Strict):
    name: Name = Field(examples=["2026年度禁毒预防工作考核"])
    period_start: date
    period_end: date
    unit_root_id: uuid.UUID | None = Field(default=None, description="Default: the issuing unit")
    unit_kinds: list[UnitKind] = Field(min_length=1, max_length=6, examples=[["township", "school"]])
    grades: list[Grade] = Field(
        default_factory=lambda: list(DEFAULT_GRADES),
        min_length=2,
        max_length=10,
        description="From the best down, min_score strictly descending; the last (min_score 0) fails",
    )
    pass_rate_target: float | None = Field(default=None, ge=0, le=1, examples=[0.85])
    indicators: list[Indicator] = Field(min_length=1, max_length=50)
    vetoes: list[Veto] = Field(default_factory=list, max_length=20)
    call_in: CallIn = Field(default_factory=CallIn)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("the period cannot end before it starts")
        scores = [grade.min_score for grade in self.grades]
        if any(later >= earlier for earlier, later in pairwise(scores)):
            raise ValueError("grades must go from the best down, each minimum below the one before")
        if scores[-1] != 0:
            raise ValueError("the last grade is the failing one and starts at 0")
        codes = [indicator.code for indicator in self.indicators] + [veto.code for veto in self.vetoes]
        if len(codes) != len(set(codes)):
            raise ValueError("indicator and veto codes must be unique within a scheme")
        return self


class SchemeRunSummary(BaseModel):
    id: uuid.UUID
    cut_off: date
    status: RunStatus
    computed_at: datetime


class SchemeRead(BaseModel):
    id: uuid.UUID
    version: int
    issuing_unit: UnitSummary
    name: str
    period_start: date
    period_end: date
    unit_root: UnitSummary
    unit_kinds: list[UnitKind]
    grades: list[Grade]
    pass_rate_target: float | None
    indicators: list[Indicator]
    vetoes: list[Veto]
    call_in: CallIn
    runs: list[SchemeRunSummary]
    can_edit: bool
    created_at: datetime
    updated_at: datetime


class SchemeListItem(BaseModel):
    id: uuid.UUID
    issuing_unit: UnitSummary
    name: str
    period_start: date
    period_end: date
    indicator_count: int
    latest_run: SchemeRunSummary | None
    updated_at: datetime


class RunCreate(_Strict):
    cut_off: date | None = Field(default=None, description="Default: today, or the period's end if earlier")


class ScoreIn(_Strict):
    """A score set by hand on a manual indicator, an adjustment of a computed one (``score``; null removes
    an adjustment), or a manual veto item struck or lifted (``vetoed``). Always with a reason."""

    score: float | None = Field(default=None, ge=0, le=1000)
    vetoed: bool | None = None
    reason: Reason


class IndicatorHead(BaseModel):
    code: str
    name: str
    source: IndicatorSource
    max_score: float


class VetoHead(BaseModel):
    code: str
    name: str
    kind: VetoKind
    days: int | None


class UnitScore(BaseModel):
    indicator: str
    score: float = Field(description="The score counted: the adjustment if any, else the computed one")
    computed_score: float | None = Field(description="Null for a manual indicator not scored yet")
    adjusted: bool
    reason: str | None
    numerator: float | None
    denominator: float | None
    value: float | None


class UnitVeto(BaseModel):
    veto: str
    count: int = Field(description="How many records struck it (0 for one set by hand)")
    reason: str | None


class UnitResult(BaseModel):
    unit: UnitSummary
    total: float
    grade: str
    rank: int = Field(description="1 for the best total; equal totals share a rank")
    vetoed: bool
    passed: bool
    named: bool = Field(description="To be named in the 通报: the failing grade or vetoed")
    called_in: bool = Field(description="To be called in (约谈): bottom N or below the scheme's score")
    scores: list[UnitScore]
    vetoes: list[UnitVeto]


class RunRead(BaseModel):
    id: uuid.UUID
    scheme_id: uuid.UUID
    scheme_name: str
    issuing_unit: UnitSummary
    cut_off: date
    period_start: date
    period_end: date
    status: RunStatus
    computed_at: datetime
    finalised_at: datetime | None
    indicators: list[IndicatorHead]
    vetoes: list[VetoHead]
    grades: list[Grade]
    assessed: int = Field(description="How many units the run assessed")
    passed: int
    pass_rate: float | None
    pass_rate_target: float | None
    target_met: bool | None
    results: list[UnitResult] = Field(
        description="Every unit for the issuing subtree's leads and auditors; the caller's own unit otherwise"
    )
    sees_all: bool
    can_edit: bool


class FigureTask(BaseModel):
    id: uuid.UUID
    title: str
    weight: float | None
    approved: bool


class FigureRecord(BaseModel):
    id: uuid.UUID
    kind: str
    on: date | None


class FigureNotice(BaseModel):
    id: uuid.UUID
    received_at: datetime
    acknowledged_at: datetime | None


class FigureDetail(BaseModel):
    """What lies behind one figure: the counts and the records they count."""

    run_id: uuid.UUID
    unit: UnitSummary
    indicator: str
    name: str
    source: str
    score: float | None
    numerator: float | None
    denominator: float | None
    value: float | None
    reason: str | None
    ids_kind: str | None
    minors: list[MinorRead] = Field(description="Shaped as every list shows a minor: masked by role")
    tasks: list[FigureTask]
    records: list[FigureRecord]
    notices: list[FigureNotice]
